//! The replay form's CSRF token and the `Origin` check.
//!
//! A browser that has logged in with HTTP Basic sends the credentials with every request to the
//! dashboard's origin, a forged cross-site form POST included. So a state-changing POST must
//! also carry a token only the dashboard's own pages hold (random, per dashboard, compared in
//! constant time), and a present `Origin` must be the dashboard's own.

use std::fmt::Write as _;

use subtle::ConstantTimeEq as _;

/// The token every form of one dashboard carries.
#[derive(Clone)]
pub(crate) struct Csrf(String);

impl std::fmt::Debug for Csrf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Csrf([REDACTED])")
    }
}

impl Csrf {
    /// A fresh random token (256 bits, hex).
    pub(crate) fn random() -> Self {
        let bytes: [u8; 32] = rand::random();
        let mut token = String::with_capacity(64);
        for byte in bytes {
            let _ = write!(token, "{byte:02x}");
        }
        Self(token)
    }

    /// The token, for a form's hidden field.
    pub(crate) fn token(&self) -> &str {
        &self.0
    }

    /// Whether `presented` is this token.
    pub(crate) fn matches(&self, presented: &str) -> bool {
        bool::from(presented.as_bytes().ct_eq(self.0.as_bytes()))
    }
}

/// Whether a request's `Origin` (absent: a client that is no browser, or an old one) names the
/// host it was sent to. `null` (a sandboxed or privacy-redirected request) is foreign.
pub(crate) fn same_origin(origin: Option<&str>, host: Option<&str>) -> bool {
    let Some(origin) = origin else {
        return true;
    };
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    match (authority, host) {
        (Some(authority), Some(host)) => authority.eq_ignore_ascii_case(host.trim()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_compared_exactly() {
        let (a, b) = (Csrf::random(), Csrf::random());
        assert_ne!(a.token(), b.token());
        assert_eq!(a.token().len(), 64);
        assert!(a.matches(a.token()));
        assert!(!a.matches(b.token()));
        assert!(!a.matches(""));
        assert!(!a.matches(&a.token()[..63]));
        assert_eq!(format!("{a:?}"), "Csrf([REDACTED])");
    }

    #[test]
    fn only_the_dashboard_s_own_origin_passes() {
        let host = Some("127.0.0.1:3000");
        assert!(same_origin(None, host));
        assert!(same_origin(Some("http://127.0.0.1:3000"), host));
        assert!(same_origin(Some("https://127.0.0.1:3000"), host));
        for foreign in [
            "http://evil.example",
            "null",
            "http://127.0.0.1:3001",
            "127.0.0.1:3000",
        ] {
            assert!(!same_origin(Some(foreign), host), "{foreign}");
        }
        assert!(!same_origin(Some("http://127.0.0.1:3000"), None));
    }
}
