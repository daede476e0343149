//! actix-web's header map as a [`HeaderSource`] for `webhook-verify`.

use actix_web::http::header::HeaderMap;
use webhook_verify::HeaderSource;

/// actix-web's [`HeaderMap`] seen as a [`HeaderSource`], so a [`Verifier`] can read it.
///
/// actix-web 4 has its own header map (not `http::HeaderMap`), hence this newtype. Names match
/// case-insensitively and every value of a repeated header is returned, in order, so
/// `webhook-verify` can refuse ambiguous repeats. Looking a header up allocates nothing.
///
/// [`Verifier`]: webhook_verify::Verifier
///
/// ```
/// use actix_web::test::TestRequest;
/// use webhook_actix::ActixHeaders;
/// use webhook_verify::HeaderSource;
///
/// let req = TestRequest::post()
///     .insert_header(("X-Webhook-Signature", "sha256=00"))
///     .to_http_request();
/// let headers = ActixHeaders::new(req.headers());
/// assert_eq!(headers.unique("x-webhook-signature")?, Some(&b"sha256=00"[..]));
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ActixHeaders<'a>(pub &'a HeaderMap);

impl<'a> ActixHeaders<'a> {
    /// Wraps a request's headers.
    ///
    /// ```
    /// # use actix_web::test::TestRequest;
    /// let req = TestRequest::default().to_http_request();
    /// let headers = webhook_actix::ActixHeaders::new(req.headers());
    /// ```
    pub fn new(headers: &'a HeaderMap) -> Self {
        Self(headers)
    }
}

impl HeaderSource for ActixHeaders<'_> {
    fn values<'s>(&'s self, name: &str) -> impl Iterator<Item = &'s [u8]> {
        // Walks the map rather than calling `get_all(name)`: actix builds a `HeaderName` from a
        // `&str` key, which allocates for every non-standard name such as `X-Webhook-Signature`.
        self.0
            .iter()
            .filter(move |(key, _)| key.as_str().eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};
    use webhook_verify::VerifyError;

    use super::*;

    fn map(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    #[test]
    fn name_matches_in_any_case() {
        let map = map(&[("x-webhook-signature", "sha256=ab")]);
        let headers = ActixHeaders::new(&map);
        assert_eq!(
            headers.unique("X-WEBHOOK-SIGNATURE").unwrap(),
            Some(&b"sha256=ab"[..])
        );
    }

    #[test]
    fn repeated_header_yields_every_value_in_order() {
        let map = map(&[("webhook-signature", "v1,a"), ("webhook-signature", "v1,b")]);
        let headers = ActixHeaders::new(&map);
        let values: Vec<&[u8]> = headers.values("Webhook-Signature").collect();
        assert_eq!(values, [&b"v1,a"[..], &b"v1,b"[..]]);
    }

    #[test]
    fn repeated_header_with_different_values_is_ambiguous() {
        let map = map(&[("webhook-id", "a"), ("webhook-id", "b")]);
        let err = ActixHeaders::new(&map).unique("webhook-id").unwrap_err();
        assert!(matches!(err, VerifyError::AmbiguousHeader { .. }), "{err}");
    }

    #[test]
    fn absent_header_is_none() {
        let map = map(&[("content-type", "application/json")]);
        assert_eq!(ActixHeaders::new(&map).unique("webhook-id").unwrap(), None);
    }
}
