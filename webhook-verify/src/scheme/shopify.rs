//! `shopify`: Shopify's `X-Shopify-Hmac-Sha256`.
//!
//! Signing rule: `X-Shopify-Hmac-Sha256: <base64(HMAC-SHA256(secret, body))>`, the key being the
//! app's client secret as written. No timestamp is signed; deduplicate on `X-Shopify-Webhook-Id`
//! (unsigned) or the body with `webhook-idempotency`.

use super::shared::{BodyHmac, sign_with};
use crate::headers::HeaderKey;
use super::{Encoding, HmacSha256, Provider};

static CONFIG: HmacSha256 = HmacSha256::preset(
    "shopify",
    HeaderKey::new("X-Shopify-Hmac-Sha256", "x-shopify-hmac-sha256"),
    None,
    Encoding::Base64,
);

static TOPIC: HeaderKey = HeaderKey::new("X-Shopify-Topic", "x-shopify-topic");

pub(super) const PROVIDER: Provider = BodyHmac {
    name: "shopify",
    secret_is: "the app's client secret",
    signature_headers: &["X-Shopify-Hmac-Sha256"],
    id: Some("X-Shopify-Webhook-Id"),
    event_type: Some("X-Shopify-Topic"),
    kept: &[
        "x-shopify-hmac-sha256",
        "x-shopify-topic",
        "x-shopify-webhook-id",
        "x-shopify-event-id",
    ],
    verify: |input| {
        let mut verified = CONFIG.verify(input)?;
        verified.event_type = TOPIC.text(input.headers);
        Ok(verified)
    },
    sign: |input| sign_with(&CONFIG, input),
}
.provider();

#[cfg(test)]
mod tests {
    use crate::{Scheme, Verifier, VerifyError};

    // Shopify publishes no vector with its secret; this one was computed with Python's hmac and
    // base64 modules, independently of this crate.
    const SECRET: &str = "hush";
    const BODY: &[u8] = br#"{"id":820982911946154508,"email":"jon@example.com"}"#;
    const SIGNATURE: &str = "D0UMXmhjwBRi4y66TmhJrDlhQABD7zI2fm3p6/QLMo8=";

    #[test]
    fn accepts_independently_computed_vector() {
        let verifier = Verifier::new(Scheme::shopify(), SECRET).unwrap();
        let verified = verifier
            .verify(&[("X-Shopify-Hmac-Sha256", SIGNATURE)], BODY)
            .unwrap();
        assert_eq!(verified.scheme, "shopify");
    }

    #[test]
    fn rejects_hex_where_base64_is_expected() {
        let verifier = Verifier::new(Scheme::shopify(), SECRET).unwrap();
        let err = verifier
            .verify(&[("X-Shopify-Hmac-Sha256", "zz==")], BODY)
            .unwrap_err();
        assert!(
            matches!(
                err,
                VerifyError::BadEncoding {
                    encoding: "base64",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn rejects_tampered_body() {
        let verifier = Verifier::new(Scheme::shopify(), SECRET).unwrap();
        let err = verifier
            .verify(&[("X-Shopify-Hmac-Sha256", SIGNATURE)], b"{}")
            .unwrap_err();
        assert_eq!(err, VerifyError::NoMatchingSignature);
    }
}
