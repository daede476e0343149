//! The streaming HMAC-SHA256 core: keyed once, cloned per delivery, compared in constant time.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq;

/// Length of an HMAC-SHA256 tag.
pub(crate) const TAG_LEN: usize = 32;

/// An HMAC-SHA256 state with the key already absorbed.
///
/// Keying HMAC hashes the padded key twice; doing that once at construction leaves a per-delivery
/// cost of one state copy (no heap) plus the hash of the signed content itself. The state zeroizes
/// itself on drop (`hmac`'s `zeroize` feature).
#[derive(Clone)]
pub(crate) struct KeyedMac(Hmac<Sha256>);

impl KeyedMac {
    pub(crate) fn new(key: &[u8]) -> Self {
        // HMAC accepts keys of any length, so this never fails.
        match Hmac::<Sha256>::new_from_slice(key) {
            Ok(mac) => Self(mac),
            Err(_) => unreachable!("HMAC takes keys of any length"),
        }
    }

    /// The tag of the concatenation of `parts`, streamed: the body is never copied.
    pub(crate) fn tag(&self, parts: &[&[u8]]) -> [u8; TAG_LEN] {
        let mut mac = self.0.clone();
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

/// Length of an HMAC-SHA1 tag (Twilio).
pub(crate) const SHA1_TAG_LEN: usize = 20;

/// An HMAC-SHA1 state with the key already absorbed, for the one provider that still signs with
/// SHA-1 (Twilio). Zeroized on drop like [`KeyedMac`].
#[derive(Clone)]
pub(crate) struct KeyedSha1(Hmac<Sha1>);

impl KeyedSha1 {
    pub(crate) fn new(key: &[u8]) -> Self {
        match Hmac::<Sha1>::new_from_slice(key) {
            Ok(mac) => Self(mac),
            Err(_) => unreachable!("HMAC takes keys of any length"),
        }
    }

    /// The tag of the concatenation of `parts`.
    pub(crate) fn tag(&self, parts: &[&[u8]]) -> [u8; SHA1_TAG_LEN] {
        let mut mac = self.0.clone();
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

/// SHA-256 of the concatenation of `parts` (token comparison, Twilio's `bodySHA256`).
pub(crate) fn sha256(parts: &[&[u8]]) -> [u8; TAG_LEN] {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part);
    }
    hash.finalize().into()
}

/// Constant-time equality of two byte strings of public length.
pub(crate) fn bytes_equal(a: &[u8], b: &[u8]) -> subtle::Choice {
    if a.len() != b.len() {
        return subtle::Choice::from(0);
    }
    a.ct_eq(b)
}

/// Constant-time equality of a computed tag and a candidate of any length.
///
/// Both tags are read as four 64-bit words and compared with `subtle`'s slice `ct_eq`: the same
/// guarantee as comparing the 32 bytes one by one, with an eighth of the steps.
pub(crate) fn tags_equal(expected: &[u8; TAG_LEN], candidate: &[u8]) -> subtle::Choice {
    // A length mismatch is public information (the length of the received signature).
    let Ok(candidate) = <&[u8; TAG_LEN]>::try_from(candidate) else {
        return subtle::Choice::from(0);
    };
    words(expected)[..].ct_eq(&words(candidate)[..])
}

fn words(tag: &[u8; TAG_LEN]) -> [u64; TAG_LEN / 8] {
    let (chunks, _) = tag.as_chunks::<8>();
    std::array::from_fn(|i| u64::from_ne_bytes(chunks[i]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_tags_match_and_any_differing_bit_or_length_does_not() {
        let tag: [u8; TAG_LEN] = std::array::from_fn(|i| i as u8 * 7);
        assert!(bool::from(tags_equal(&tag, &tag)));
        for byte in 0..TAG_LEN {
            for bit in 0..8 {
                let mut other = tag;
                other[byte] ^= 1 << bit;
                assert!(!bool::from(tags_equal(&tag, &other)), "{byte}:{bit}");
            }
        }
        assert!(!bool::from(tags_equal(&tag, &tag[..31])));
        assert!(!bool::from(tags_equal(
            &tag,
            &[tag.as_slice(), &[0]].concat()
        )));
        assert!(!bool::from(tags_equal(&tag, &[])));
    }
}
