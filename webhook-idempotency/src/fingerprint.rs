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
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; HEX_LEN]);

/// 64 hex digits: held inline, so a fingerprint is copied with each record without allocating.
const HEX_LEN: usize = 64;

impl Fingerprint {
    /// The fingerprint of `body`.
    pub fn of(body: &[u8]) -> Self {
        let mut hex = [0; HEX_LEN];
        const_hex::encode_to_slice(Sha256::digest(body), &mut hex)
            .unwrap_or_else(|_| unreachable!("32 bytes are 64 hex digits"));
        Self(hex)
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
        let hex: [u8; HEX_LEN] = hex.as_bytes().try_into().ok()?;
        hex.iter()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            .then_some(Self(hex))
    }

    /// The 64 hex digits.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Fingerprint").field(&self.as_str()).finish()
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
