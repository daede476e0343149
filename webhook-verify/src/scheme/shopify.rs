//! `shopify`: Shopify's `X-Shopify-Hmac-Sha256`.
//!
//! Signing rule: `X-Shopify-Hmac-Sha256: <base64(HMAC-SHA256(secret, body))>`, the key being the
//! app's client secret as written. No timestamp is signed; deduplicate on `X-Shopify-Webhook-Id`
//! (unsigned) or the body with `webhook-idempotency`.

use super::{Encoding, HmacSha256};

pub(super) fn config() -> HmacSha256 {
    HmacSha256::preset("shopify", "X-Shopify-Hmac-Sha256", None, Encoding::Base64)
}

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
