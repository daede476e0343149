//! Reading headers from any source: `http::HeaderMap`, a list of pairs, or your own type.

use std::borrow::Cow;

use http::HeaderName;

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

    /// Every value of the header `name`, given as a prepared [`HeaderName`] (lower case): the
    /// same values as [`values`](Self::values) of `name.as_str()`, which is what it calls unless
    /// overridden. [`http::HeaderMap`] overrides it to look the name up without parsing it again.
    ///
    /// ```
    /// use http::HeaderName;
    /// use webhook_verify::HeaderSource;
    ///
    /// let pairs = [("X-Webhook-Signature", "sha256=00")];
    /// let name = HeaderName::from_static("x-webhook-signature");
    /// assert_eq!(pairs.values_of(&name).next(), Some(&b"sha256=00"[..]));
    /// ```
    fn values_of<'a>(&'a self, name: &HeaderName) -> impl Iterator<Item = &'a [u8]> {
        self.values(name.as_str())
    }

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

    fn values_of<'a>(&'a self, name: &HeaderName) -> impl Iterator<Item = &'a [u8]> {
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

    fn values_of<'a>(&'a self, name: &HeaderName) -> impl Iterator<Item = &'a [u8]> {
        (**self).values_of(name)
    }
}

pub(crate) struct Ambiguous;

fn single<'h, H: HeaderSource + ?Sized>(
    headers: &'h H,
    name: &str,
) -> Result<Option<&'h [u8]>, Ambiguous> {
    only(headers.values(name))
}

/// The one value `values` yields (repeats of it allowed), `None` for none.
fn only<'h>(mut values: impl Iterator<Item = &'h [u8]>) -> Result<Option<&'h [u8]>, Ambiguous> {
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

    /// The same, by a prepared name (see [`HeaderSource::values_of`]).
    fn single_of(&self, name: &HeaderName) -> Result<Option<&'h [u8]>, Ambiguous>;
}

/// Wraps any (possibly unsized) [`HeaderSource`] as a [`Lookup`].
pub(crate) struct Source<'h, H: ?Sized>(pub(crate) &'h H);

impl<'h, H: HeaderSource + ?Sized> Lookup<'h> for Source<'h, H> {
    fn single(&self, name: &str) -> Result<Option<&'h [u8]>, Ambiguous> {
        single(self.0, name)
    }

    fn single_of(&self, name: &HeaderName) -> Result<Option<&'h [u8]>, Ambiguous> {
        only(self.0.values_of(name))
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

/// A header a scheme reads: its name as the provider writes it (what errors show) and, when it is
/// a valid header name, prepared for lookups ([`HeaderSource::values_of`]: a `HeaderMap` finds a
/// prepared name in about half the instructions of a `&str` it must parse first).
#[derive(Clone, Debug)]
pub(crate) struct HeaderKey {
    pub(crate) text: Cow<'static, str>,
    prepared: Option<HeaderName>,
}

impl HeaderKey {
    /// A built-in header: `text` as written, `lower` the same name in lower case (checked when
    /// the constant is built: a mismatch does not compile).
    pub(crate) const fn new(text: &'static str, lower: &'static str) -> Self {
        let (a, b) = (text.as_bytes(), lower.as_bytes());
        assert!(a.len() == b.len(), "the lower-case name differs");
        let mut i = 0;
        while i < a.len() {
            assert!(
                a[i].to_ascii_lowercase() == b[i],
                "the lower-case name differs"
            );
            i += 1;
        }
        Self {
            text: Cow::Borrowed(text),
            prepared: Some(HeaderName::from_static(lower)),
        }
    }

    /// A header named at run time (a custom scheme's); a name that is no valid header name is
    /// looked up as text, and so never found in a `HeaderMap`.
    pub(crate) fn named(text: Cow<'static, str>) -> Self {
        let prepared = HeaderName::from_bytes(text.as_bytes()).ok();
        Self { text, prepared }
    }

    /// The header's single value if present, an error when ambiguous. Allocation-free.
    pub(crate) fn optional<'h>(
        &self,
        headers: &dyn Lookup<'h>,
    ) -> Result<Option<&'h [u8]>, VerifyError> {
        let found = match &self.prepared {
            Some(name) => headers.single_of(name),
            None => headers.single(&self.text),
        };
        found.map_err(|Ambiguous| VerifyError::AmbiguousHeader {
            name: self.text.clone(),
        })
    }

    /// The header's single value, or the typed error when it is absent or ambiguous.
    /// Allocation-free for a built-in header.
    pub(crate) fn required<'h>(&self, headers: &dyn Lookup<'h>) -> Result<&'h [u8], VerifyError> {
        self.optional(headers)?
            .ok_or_else(|| VerifyError::MissingHeader {
                name: self.text.clone(),
            })
    }

    /// The header's value as text, borrowed; `None` when absent, ambiguous or not UTF-8.
    pub(crate) fn text<'h>(&self, headers: &dyn Lookup<'h>) -> Option<Cow<'h, str>> {
        let raw = self.optional(headers).ok()??;
        std::str::from_utf8(raw).ok().map(Cow::Borrowed)
    }
}
