//! `paddle`: Paddle Billing's `Paddle-Signature`.
//!
//! Signing rule: `Paddle-Signature: ts=<unix>;h1=<hex>[;h1=<hex>...]`, each `h1` being
//! `hex(HMAC-SHA256(endpoint secret key, "{ts}:{body}"))`, the key the secret key's own bytes
//! (`pdl_ntfset_...` included). Several `h1` appear while a secret is rotated; unknown keys are
//! ignored. Paddle's SDKs hold `ts` to five seconds, which is this scheme's default tolerance.

use super::shared::{TimestampedList, secs};
use crate::headers::HeaderKey;
use super::{Ops, Provider, hmac_sign_key, hmac_verify_key};

const HEADER: &str = "Paddle-Signature";

pub(super) const PROVIDER: Provider = Provider {
    name: "paddle",
    aliases: &[],
    secret_is: "the endpoint secret key",
    signature_headers: &[HEADER],
    id_header: None,
    timestamp_header: None,
    event_type_header: None,
    kept_headers: &["paddle-signature"],
    requires_url: false,
    timestamped: true,
    default_tolerance: secs(5),
    handshake: None,
    certificates: None,
    ops: Ops {
        verify: |input| RULE.verify(input),
        sign: |input| RULE.sign(input),
        verify_key: hmac_verify_key,
        sign_key: hmac_sign_key,
    },
};

static RULE: TimestampedList = TimestampedList {
    scheme: "paddle",
    header: HeaderKey::new(HEADER, "paddle-signature"),
    separator: b';',
    timestamp_key: "ts",
    signature_key: "h1",
    joiner: ":",
    repeated_timestamp: "ts= appears more than once",
    missing_timestamp: "missing ts=",
    no_signature: "no h1 signature",
};

#[cfg(test)]
mod tests {
    use crate::{FixedClock, Scheme, Signer, Verifier, VerifyError};

    // Computed with Python's hmac module, independently of this crate.
    const SECRET: &str = "pdl_ntfset_secret";
    const NOW: i64 = 1_671_552_777;
    const BODY: &[u8] = br#"{"event_type":"transaction.paid","notification_id":"ntf_01"}"#;
    const H1: &str = "c9b48ae3b7072533f6316957d777a0f30f117a770c75884e60207b503605ec2a";

    fn check(secrets: &[&str], now: i64, value: &str, body: &[u8]) -> Result<usize, VerifyError> {
        Verifier::builder(Scheme::paddle())
            .secrets(secrets.iter().copied())
            .clock(FixedClock(now))
            .build()?
            .verify(&[("Paddle-Signature", value)], body)
            .map(|v| v.secret_index)
    }

    #[test]
    fn accepts_and_signs_the_independent_vector() {
        let value = format!("ts={NOW};h1={H1}");
        assert_eq!(check(&[SECRET], NOW, &value, BODY), Ok(0));
        let signed = Signer::new(Scheme::paddle(), SECRET)
            .unwrap()
            .sign("", NOW, BODY)
            .unwrap();
        assert_eq!(signed[0].1, value);
    }

    #[test]
    fn any_of_several_h1_matches_during_rotation() {
        let zero = "0".repeat(64);
        let value = format!("ts={NOW};h1={zero};h1={H1}");
        assert_eq!(check(&[SECRET], NOW, &value, BODY), Ok(0));
        assert_eq!(check(&["old", SECRET], NOW, &value, BODY), Ok(1));
        let both = Signer::with_secrets(Scheme::paddle(), ["new", SECRET])
            .unwrap()
            .sign("", NOW, BODY)
            .unwrap();
        assert_eq!(check(&[SECRET], NOW, &both[0].1, BODY), Ok(0));
    }

    #[test]
    fn tampering_and_the_five_second_tolerance() {
        let value = format!("ts={NOW};h1={H1}");
        let no = Err(VerifyError::NoMatchingSignature);
        assert_eq!(check(&[SECRET], NOW, &value, b"{}"), no);
        assert_eq!(check(&["other"], NOW, &value, BODY), no);
        let later = format!("ts={};h1={H1}", NOW + 1);
        assert_eq!(check(&[SECRET], NOW, &later, BODY), no);
        assert_eq!(check(&[SECRET], NOW + 5, &value, BODY), Ok(0));
        assert!(matches!(
            check(&[SECRET], NOW + 6, &value, BODY),
            Err(VerifyError::TimestampOutOfTolerance {
                tolerance_secs: 5,
                ..
            })
        ));
        assert!(matches!(
            check(&[SECRET], NOW, &format!("h1={H1}"), BODY),
            Err(VerifyError::MalformedHeader { .. })
        ));
    }
}
