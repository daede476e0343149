//! `github`: GitHub's `X-Hub-Signature-256`.
//!
//! Signing rule: `X-Hub-Signature-256: sha256=<hex(HMAC-SHA256(secret, body))>`, the key being the
//! webhook secret's bytes. The legacy `X-Hub-Signature` (HMAC-SHA1) is never enough: a delivery
//! that carries only it is refused as missing `X-Hub-Signature-256`.
//!
//! `X-GitHub-Delivery` (the delivery id) is *not* signed, so it is not reported as a webhook id.

use super::shared::{BodyHmac, sign_with};
use crate::headers::HeaderKey;
use super::{Encoding, HmacSha256, Provider};

static CONFIG: HmacSha256 = HmacSha256::preset(
    "github",
    HeaderKey::new("X-Hub-Signature-256", "x-hub-signature-256"),
    Some("sha256="),
    Encoding::Hex,
);

static EVENT: HeaderKey = HeaderKey::new("X-GitHub-Event", "x-github-event");

pub(super) const PROVIDER: Provider = BodyHmac {
    name: "github",
    secret_is: "the webhook secret",
    signature_headers: &["X-Hub-Signature-256"],
    id: Some("X-GitHub-Delivery"),
    event_type: Some("X-GitHub-Event"),
    kept: &["x-hub-signature-256", "x-github-event", "x-github-delivery"],
    verify: |input| {
        let mut verified = CONFIG.verify(input)?;
        verified.event_type = EVENT.text(input.headers);
        Ok(verified)
    },
    sign: |input| sign_with(&CONFIG, input),
}
.provider();

#[cfg(test)]
mod tests {
    use crate::{Scheme, Verifier, VerifyError};

    // GitHub's published example ("Validating webhook deliveries").
    const SECRET: &str = "It's a Secret to Everybody";
    const BODY: &[u8] = b"Hello, World!";
    const SIGNATURE: &str =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    fn verifier(secret: &str) -> Verifier {
        Verifier::new(Scheme::github(), secret).unwrap()
    }

    #[test]
    fn accepts_githubs_published_vector() {
        let verified = verifier(SECRET)
            .verify(&[("X-Hub-Signature-256", SIGNATURE)], BODY)
            .unwrap();
        assert_eq!(verified.scheme, "github");
        assert_eq!(verified.event_type, None);
    }

    #[test]
    fn reports_the_event_header() {
        let verified = verifier(SECRET)
            .verify(
                &[("X-Hub-Signature-256", SIGNATURE), ("X-GitHub-Event", "push")],
                BODY,
            )
            .unwrap();
        assert_eq!(verified.event_type.as_deref(), Some("push"));
    }

    #[test]
    fn header_name_is_case_insensitive() {
        verifier(SECRET)
            .verify(&[("x-hub-signature-256", SIGNATURE)], BODY)
            .unwrap();
    }

    #[test]
    fn rejects_wrong_secret_and_tampered_body() {
        let headers = [("X-Hub-Signature-256", SIGNATURE)];
        assert_eq!(
            verifier("It's a secret to everybody").verify(&headers, BODY),
            Err(VerifyError::NoMatchingSignature)
        );
        assert_eq!(
            verifier(SECRET).verify(&headers, b"Hello, World?"),
            Err(VerifyError::NoMatchingSignature)
        );
    }

    #[test]
    fn sha1_header_alone_is_never_enough() {
        let headers = [(
            "X-Hub-Signature",
            "sha1=0000000000000000000000000000000000000000",
        )];
        let err = verifier(SECRET).verify(&headers, BODY).unwrap_err();
        assert_eq!(err.to_string(), "missing header X-Hub-Signature-256");
    }

    #[test]
    fn requires_the_sha256_prefix() {
        let bare = SIGNATURE.trim_start_matches("sha256=");
        let err = verifier(SECRET)
            .verify(&[("X-Hub-Signature-256", bare)], BODY)
            .unwrap_err();
        assert!(matches!(err, VerifyError::MalformedHeader { .. }), "{err}");
    }
}
