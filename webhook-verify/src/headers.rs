//! Reading headers from any source: `http::HeaderMap`, a list of pairs, or your own type.

use std::borrow::Cow;

use crate::VerifyError;

/// Anything that can list the values of a header by name, matched case-insensitively.
///
/// Implemented for [`http::HeaderMap`] (http 1.x, used by axum and hyper) and for lists of
/// `(name, value)` pairs. Other header maps (actix-web's, http 0.2's) implement it in a few lines;
/// `webhook-actix` does so for actix-web.
///
/// ```
/// use webhook_verify::HeaderSource;
///
/// let pairs = [("X-Webhook-Signature", "sha256=00"), ("content-type", "application/json")];
/// assert_eq!(pairs.unique("x-webhook-signature").unwrap(), Some(&b"sha256=00"[..]));
/// assert_eq!(pairs.unique("missing").unwrap(), None);
/// ```
pub trait HeaderSource {
    /// Every value of the header `name`, matched case-insensitively, in order.
    fn values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]>;

    /// The header's single value: `None` when absent, an error when it appears more than once
    /// with different values (which of them was signed would be ambiguous).
    ///
    /// ```
    /// use webhook_verify::{HeaderSource, VerifyError};
    /// let pairs = [("webhook-id", "a"), ("Webhook-Id", "b")];
    /// assert!(matches!(pairs.unique("webhook-id"), Err(VerifyError::AmbiguousHeader { .. })));
    /// ```
    fn unique(&self, name: &str) -> Result<Option<&[u8]>, VerifyError> {
        single(self, name).map_err(|Ambiguous| VerifyError::AmbiguousHeader {
            name: Cow::Owned(name.to_owned()),
        })
    }
}

impl HeaderSource for http::HeaderMap {
    fn values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> {
        self.get_all(name).iter().map(http::HeaderValue::as_bytes)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> HeaderSource for [(K, V)] {
    fn values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> {
        self.iter()
            .filter(move |(k, _)| k.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>, const N: usize> HeaderSource for [(K, V); N] {
    fn values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> {
        self.as_slice().values(name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> HeaderSource for Vec<(K, V)> {
    fn values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> {
        self.as_slice().values(name)
    }
}

impl<T: HeaderSource + ?Sized> HeaderSource for &T {
    fn values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> {
        (**self).values(name)
    }
}

pub(crate) struct Ambiguous;

fn single<'h, H: HeaderSource + ?Sized>(
    headers: &'h H,
    name: &str,
) -> Result<Option<&'h [u8]>, Ambiguous> {
    let mut values = headers.values(name);
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.any(|other| other != first) {
        return Err(Ambiguous);
    }
    Ok(Some(first))
}

/// A [`HeaderSource`] seen through a vtable, so that providers can be plain function pointers.
pub(crate) trait Lookup<'h> {
    /// The header's single value (see [`HeaderSource::unique`]).
    fn single(&self, name: &str) -> Result<Option<&'h [u8]>, Ambiguous>;
}

/// Wraps any (possibly unsized) [`HeaderSource`] as a [`Lookup`].
pub(crate) struct Source<'h, H: ?Sized>(pub(crate) &'h H);

impl<'h, H: HeaderSource + ?Sized> Lookup<'h> for Source<'h, H> {
    fn single(&self, name: &str) -> Result<Option<&'h [u8]>, Ambiguous> {
        single(self.0, name)
    }
}

/// The header's single value, or the typed error when it is absent or ambiguous. Allocation-free.
pub(crate) fn required<'h>(
    headers: &dyn Lookup<'h>,
    name: &Cow<'static, str>,
) -> Result<&'h [u8], VerifyError> {
    optional(headers, name)?.ok_or_else(|| VerifyError::MissingHeader { name: name.clone() })
}

/// The header's single value if present, an error when ambiguous. Allocation-free.
pub(crate) fn optional<'h>(
    headers: &dyn Lookup<'h>,
    name: &Cow<'static, str>,
) -> Result<Option<&'h [u8]>, VerifyError> {
    headers
        .single(name)
        .map_err(|Ambiguous| VerifyError::AmbiguousHeader { name: name.clone() })
}
