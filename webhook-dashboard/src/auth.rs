//! The access token and its constant-time check.

use base64::Engine as _;
use subtle::ConstantTimeEq as _;

/// Why a dashboard could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The token was empty or blank: anyone could log in.
    #[error("the dashboard's access token is empty")]
    Empty,
}

/// Who may see the pages.
#[derive(Clone)]
pub enum Access {
    /// Anyone who sends the token (Basic password or Bearer).
    Token(Vec<u8>),
    /// Anyone who reaches it: only for a server bound to loopback, chosen explicitly.
    LoopbackWithoutToken,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Token(_) => f.write_str("Token([REDACTED])"),
            Self::LoopbackWithoutToken => f.write_str("LoopbackWithoutToken"),
        }
    }
}

impl Access {
    /// Whether an `Authorization` header value lets the request in.
    ///
    /// ```
    /// use webhook_dashboard::Access;
    /// let access = Access::Token(b"t0k".to_vec());
    /// assert!(access.allows(Some("Bearer t0k")));
    /// assert!(access.allows(Some("Basic dTp0MGs="))); // u:t0k
    /// assert!(!access.allows(Some("Bearer t0K")));
    /// assert!(!access.allows(None));
    /// ```
    pub fn allows(&self, authorization: Option<&str>) -> bool {
        let Self::Token(token) = self else {
            return true;
        };
        let Some(value) = authorization else {
            return false;
        };
        let (kind, credentials) = value.trim().split_once(' ').unwrap_or((value, ""));
        let presented = if kind.eq_ignore_ascii_case("bearer") {
            credentials.trim().as_bytes().to_vec()
        } else if kind.eq_ignore_ascii_case("basic") {
            let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(credentials.trim())
            else {
                return false;
            };
            match decoded.iter().position(|&b| b == b':') {
                Some(colon) => decoded[colon + 1..].to_vec(),
                None => return false,
            }
        } else {
            return false;
        };
        bool::from(presented.ct_eq(token))
    }
}
