//! The secret as the user hands it over: redacted in `Debug`, zeroized on drop.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// A webhook secret or key, exactly as the provider shows it (`whsec_...`, `whpk_...`, a GitHub
/// secret, ...).
///
/// It is parsed into a keyed MAC state (or an ed25519 key) when a [`Verifier`](crate::Verifier) or
/// [`Signer`](crate::Signer) is built, and then dropped; its bytes are wiped on drop. `Debug` never
/// shows it.
///
/// ```
/// use webhook_verify::Secret;
/// let secret = Secret::from("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
/// assert_eq!(format!("{secret:?}"), "Secret([REDACTED])");
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret string.
    ///
    /// ```
    /// let s = webhook_verify::Secret::new(String::from("shhh"));
    /// assert_eq!(s.expose(), "shhh");
    /// ```
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret's text. Use it to build keys, never to log.
    ///
    /// ```
    /// assert_eq!(webhook_verify::Secret::from("k").expose(), "k");
    /// ```
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&String> for Secret {
    fn from(s: &String) -> Self {
        Self(s.clone())
    }
}

/// Decoded key bytes that are wiped when dropped.
pub(crate) type KeyBytes = Zeroizing<Vec<u8>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::from("whsec_topsecretvalue");
        let shown = format!("{s:?} {:#?}", s);
        assert!(!shown.contains("topsecret"), "{shown}");
    }

    #[test]
    fn zeroize_wipes_the_bytes() {
        let mut s = Secret::from("topsecret");
        s.zeroize();
        assert!(s.expose().bytes().all(|b| b == 0));
    }

    #[test]
    fn is_zeroized_on_drop() {
        fn assert_zeroize_on_drop<T: ZeroizeOnDrop>() {}
        assert_zeroize_on_drop::<Secret>();
    }
}
