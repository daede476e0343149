//! `stripe`: Stripe's `Stripe-Signature`.
//!
//! Signing rule: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...][,v0=<hex>]`, where each `v1`
//! is `hex(HMAC-SHA256(secret, "{t}.{body}"))`. The key is the endpoint secret's own bytes,
//! `whsec_` prefix included (it is *not* base64-decoded, unlike Standard Webhooks). Only `v1`
//! counts; `v0` (test mode, SHA-1 era) and unknown keys are ignored. Several `v1` appear while
//! Stripe rolls a secret. `t` must be within the tolerance of now (five minutes by default).

use super::shared::TimestampedList;
use super::{Ops, Provider, hmac_sign_key, hmac_verify_key};
use crate::headers::HeaderKey;
use crate::timestamp::DEFAULT_TOLERANCE;

pub(super) const PROVIDER: Provider = Provider {
    name: "stripe",
    aliases: &[],
    secret_is: "the endpoint's whsec_ signing secret",
    signature_headers: &[HEADER],
    id_header: None,
    timestamp_header: None,
    event_type_header: None,
    kept_headers: &["stripe-signature"],
    requires_url: false,
    timestamped: true,
    default_tolerance: DEFAULT_TOLERANCE,
    handshake: None,
    certificates: None,
    ops: Ops {
        verify: |input| RULE.verify(input),
        sign: |input| RULE.sign(input),
        verify_key: hmac_verify_key,
        sign_key: hmac_sign_key,
    },
};

const HEADER: &str = "Stripe-Signature";

static RULE: TimestampedList = TimestampedList {
    scheme: "stripe",
    header: HeaderKey::new(HEADER, "stripe-signature"),
    separator: b',',
    timestamp_key: "t",
    signature_key: "v1",
    joiner: ".",
    repeated_timestamp: "t= appears more than once",
    missing_timestamp: "missing t=",
    no_signature: "no v1 signature",
};

#[cfg(test)]
mod tests {
    use crate::{FixedClock, Scheme, Signer, Verifier, VerifyError};

    // stripe-node's test payload and secret; the signature was computed with Python's hmac
    // module, independently of this crate (Stripe publishes no fixed vector).
    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = b"{\n  \"id\": \"evt_test_webhook\",\n  \"object\": \"event\"\n}";
    const NOW: i64 = 1_700_000_000;
    const V1: &str = "4f1cd7feda9826e746b7d482c4badebb657398df1099e1046364f6196a230150";

    fn verifier(secrets: &[&str], now: i64) -> Verifier {
        secrets
            .iter()
            .fold(Verifier::builder(Scheme::stripe()), |b, s| b.secret(*s))
            .clock(FixedClock(now))
            .build()
            .unwrap()
    }

    fn check(value: &str) -> Result<usize, VerifyError> {
        verifier(&[SECRET], NOW)
            .verify(&[("Stripe-Signature", value)], BODY)
            .map(|v| v.secret_index)
    }

    #[test]
    fn accepts_independent_vector() {
        assert_eq!(check(&format!("t={NOW},v1={V1}")), Ok(0));
    }

    #[test]
    fn key_is_the_whsec_string_not_base64_decoded() {
        let signed = Signer::new(Scheme::stripe(), SECRET)
            .unwrap()
            .sign("", NOW, BODY)
            .unwrap();
        assert_eq!(signed[0].1, format!("t={NOW},v1={V1}"));
    }

    #[test]
    fn second_of_two_v1_signatures_matches() {
        let zero = "0".repeat(64);
        assert_eq!(
            check(&format!("t={NOW},v1={zero},v1={V1},v0={zero}")),
            Ok(0)
        );
    }

    #[test]
    fn v0_alone_is_never_enough() {
        let err = check(&format!("t={NOW},v0={V1}")).unwrap_err();
        assert!(matches!(
            err,
            VerifyError::MalformedHeader {
                reason: "no v1 signature",
                ..
            }
        ));
    }

    #[test]
    fn rejects_tampered_timestamp_and_body() {
        let other = NOW + 1;
        assert_eq!(
            check(&format!("t={other},v1={V1}")),
            Err(VerifyError::NoMatchingSignature)
        );
        let v = verifier(&[SECRET], NOW);
        assert_eq!(
            v.verify(&[("Stripe-Signature", format!("t={NOW},v1={V1}"))], b"{}")
                .map(|_| ()),
            Err(VerifyError::NoMatchingSignature)
        );
    }

    #[test]
    fn rejects_timestamp_301_seconds_old() {
        let v = verifier(&[SECRET], NOW + 301);
        let err = v
            .verify(&[("Stripe-Signature", format!("t={NOW},v1={V1}"))], BODY)
            .unwrap_err();
        assert!(matches!(
            err,
            VerifyError::TimestampOutOfTolerance {
                direction: "older",
                ..
            }
        ));
    }

    #[test]
    fn rotated_secret_is_reported_by_index() {
        let v = verifier(&["whsec_old", SECRET], NOW);
        let verified = v
            .verify(&[("stripe-signature", format!("t={NOW},v1={V1}"))], BODY)
            .map(|v| v.secret_index);
        assert_eq!(verified, Ok(1));
    }

    #[test]
    fn malformed_headers_are_typed() {
        for value in [
            "",
            "garbage",
            &format!("v1={V1}"),
            &format!("t=1,t=2,v1={V1}"),
            "t=abc,v1=00",
        ] {
            assert!(
                matches!(
                    check(value),
                    Err(VerifyError::MalformedHeader { .. } | VerifyError::BadEncoding { .. })
                ),
                "{value}"
            );
        }
    }
}
