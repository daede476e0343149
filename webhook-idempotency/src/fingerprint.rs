//! The body's fingerprint, stored with each key to tell a true duplicate from a key collision.

use sha2::{Digest, Sha256};

/// The hex SHA-256 of a request body exactly as received.
///
/// Stored next to the key: a later delivery with the same key but another fingerprint is a
/// [`Conflict`](crate::Outcome::Conflict), never a duplicate.
///
/// ```
/// use webhook_idempotency::Fingerprint;
///
/// let fp = Fingerprint::of(b"abc");
/// assert_eq!(fp.as_str(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
/// assert_eq!(fp, Fingerprint::of(b"abc"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The fingerprint of `body`.
    pub fn of(body: &[u8]) -> Self {
        Self(const_hex::encode(Sha256::digest(body)))
    }

    /// A fingerprint read back from a store: 64 lowercase hex digits, else `None`.
    ///
    /// ```
    /// use webhook_idempotency::Fingerprint;
    /// let fp = Fingerprint::of(b"x");
    /// assert_eq!(Fingerprint::parse(fp.as_str()), Some(fp));
    /// assert_eq!(Fingerprint::parse("not hex"), None);
    /// ```
    pub fn parse(hex: &str) -> Option<Self> {
        let ok = hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        ok.then(|| Self(hex.to_owned()))
    }

    /// The 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
