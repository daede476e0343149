//! `paypal`: PayPal's webhooks, RSA with the certificate the delivery names.
//!
//! Signing rule: `PAYPAL-TRANSMISSION-SIG: <base64>`, the RSA PKCS#1 v1.5 SHA-256 signature
//! (`PAYPAL-AUTH-ALGO: SHA256withRSA`, the only algorithm accepted) made with the key of the
//! certificate at `PAYPAL-CERT-URL`, over
//! `{PAYPAL-TRANSMISSION-ID}|{PAYPAL-TRANSMISSION-TIME}|{webhook id}|{CRC32 of the body}`, the CRC32
//! (IEEE) as an unsigned decimal. The secret is the webhook's id (several while webhooks change);
//! the certificate URL must be `https` on a PayPal API host (`api.paypal.com`,
//! `api-m.paypal.com`, `api.sandbox.paypal.com`, `api-m.sandbox.paypal.com`), and the certificate
//! comes from the verifier's [`CertificateSource`](crate::CertificateSource). The transmission
//! time is RFC 3339; PayPal documents no tolerance: 300 s. The transmission id is reported as the
//! webhook id.
//!
//! [`Signer`](crate::Signer) signs with the crate's test key and names a sandbox URL; verify such
//! deliveries with [`TEST_CERTIFICATE_PEM`](crate::TEST_CERTIFICATE_PEM) as a
//! [`GivenCertificate`](crate::GivenCertificate).

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{
    CertificateRule, Input, Ops, Provider, SignInput, SignKey, Signed, VerifyKey, utf8,
};
use crate::certificate::{RsaDigest, https_url_on, test_sign};
use crate::headers::required;
use crate::timestamp::DEFAULT_TOLERANCE;
use crate::{Secret, Verified, VerifyError};

const ID: Cow<'static, str> = Cow::Borrowed("PAYPAL-TRANSMISSION-ID");
const TIME: Cow<'static, str> = Cow::Borrowed("PAYPAL-TRANSMISSION-TIME");
const SIG: Cow<'static, str> = Cow::Borrowed("PAYPAL-TRANSMISSION-SIG");
const CERT_URL: Cow<'static, str> = Cow::Borrowed("PAYPAL-CERT-URL");
const ALGO: Cow<'static, str> = Cow::Borrowed("PAYPAL-AUTH-ALGO");

/// The only algorithm PayPal signs with.
const SHA256_WITH_RSA: &str = "SHA256withRSA";

/// Where [`Signer`](crate::Signer)'s deliveries say their certificate is.
const TEST_CERT_URL: &str =
    "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-webhook-verify-test";

const RULE: CertificateRule = CertificateRule {
    url_allowed: |url| {
        https_url_on(url, |host| {
            matches!(
                host,
                "api.paypal.com"
                    | "api-m.paypal.com"
                    | "api.sandbox.paypal.com"
                    | "api-m.sandbox.paypal.com"
            )
        })
    },
    secret_optional: false,
    confirm_url_in: |_| None,
    confirm_url_allowed: |_| false,
    subjects: &[
        "messageverificationcerts.paypal.com",
        "messageverificationcerts.sandbox.paypal.com",
    ],
    url_in: |headers, _| {
        let raw = crate::headers::optional(headers, &CERT_URL).ok()??;
        std::str::from_utf8(raw).ok().map(str::to_owned)
    },
};

pub(super) const PROVIDER: Provider = Provider {
    name: "paypal",
    aliases: &[],
    secret_is: "the webhook id",
    signature_headers: &["PAYPAL-TRANSMISSION-SIG"],
    id_header: Some("PAYPAL-TRANSMISSION-ID"),
    timestamp_header: Some("PAYPAL-TRANSMISSION-TIME"),
    event_type_header: None,
    kept_headers: &[
        "paypal-transmission-id",
        "paypal-transmission-time",
        "paypal-transmission-sig",
        "paypal-cert-url",
        "paypal-auth-algo",
    ],
    requires_url: false,
    timestamped: true,
    default_tolerance: DEFAULT_TOLERANCE,
    handshake: None,
    certificates: Some(RULE),
    ops: Ops {
        verify,
        sign,
        verify_key: |secret: &Secret| Ok(VerifyKey::Name(secret.expose().trim().to_owned())),
        sign_key: |secret: &Secret| Ok(SignKey::Name(secret.expose().trim().to_owned())),
    },
};

fn malformed(name: Cow<'static, str>, reason: &'static str) -> VerifyError {
    VerifyError::MalformedHeader { name, reason }
}

fn verify<'h>(input: &Input<'_, 'h>) -> Result<Verified<'h>, VerifyError> {
    let id = utf8(&ID, required(input.headers, &ID)?)?;
    if id.is_empty() || id.contains('|') {
        return Err(malformed(ID, "must be non-empty and must not contain '|'"));
    }
    let time_text = utf8(&TIME, required(input.headers, &TIME)?)?;
    let ts = OffsetDateTime::parse(time_text, &Rfc3339)
        .map_err(|_| malformed(TIME, "not an RFC 3339 timestamp"))?
        .unix_timestamp();
    if required(input.headers, &ALGO)? != SHA256_WITH_RSA.as_bytes() {
        return Err(malformed(ALGO, "only SHA256withRSA is accepted"));
    }
    let signature = BASE64
        .decode(required(input.headers, &SIG)?)
        .map_err(|_| VerifyError::BadEncoding {
            name: SIG,
            encoding: "base64",
        })?;
    let url = utf8(&CERT_URL, required(input.headers, &CERT_URL)?)?;
    input.time.check(ts)?;
    let cert = input
        .certificate(&RULE, PROVIDER.name, url)?
        .ok_or(malformed(CERT_URL, "not an https URL on a PayPal API host"))?;
    let crc = crc32fast::hash(input.body);
    let secret_index = input
        .keys
        .iter()
        .position(|key| match key {
            VerifyKey::Name(webhook_id) => {
                let signed = format!("{id}|{time_text}|{webhook_id}|{crc}");
                cert.verifies(RsaDigest::Sha256, signed.as_bytes(), &signature)
            }
            _ => false,
        })
        .ok_or(VerifyError::NoMatchingSignature)?;
    let mut verified = Verified::new(PROVIDER.name, secret_index);
    verified.webhook_id = Some(Cow::Borrowed(id));
    verified.timestamp = Some(ts);
    Ok(verified)
}

fn sign(input: &SignInput<'_>) -> Result<Signed, VerifyError> {
    let bad = |what| VerifyError::MissingSignInput {
        scheme: PROVIDER.name,
        what,
    };
    if input.id.is_empty() || input.id.contains('|') {
        return Err(bad("a non-empty transmission id without '|'"));
    }
    let time = OffsetDateTime::from_unix_timestamp(input.timestamp)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .ok_or(bad("a timestamp between the years 0 and 9999"))?;
    let Some(webhook_id) = input.keys.iter().find_map(|k| match k {
        SignKey::Name(name) => Some(name),
        _ => None,
    }) else {
        return Ok(Signed::headers(Vec::new()));
    };
    let crc = crc32fast::hash(input.body);
    let signed = format!("{}|{time}|{webhook_id}|{crc}", input.id);
    let signature = test_sign(RsaDigest::Sha256, signed.as_bytes())?;
    Ok(Signed::headers(vec![
        (ID.to_string(), input.id.to_owned()),
        (TIME.to_string(), time),
        (ALGO.to_string(), SHA256_WITH_RSA.to_owned()),
        (CERT_URL.to_string(), TEST_CERT_URL.to_owned()),
        (SIG.to_string(), BASE64.encode(signature)),
    ]))
}

#[cfg(test)]
mod tests {
    use crate::{
        FixedClock, GivenCertificate, Rejection, Scheme, Signer, TEST_CERTIFICATE_PEM, Verifier,
        VerifyError,
    };

    const WEBHOOK: &str = "1JE4291016473214C";
    const NOW: i64 = 1_700_000_000;
    const BODY: &[u8] = br#"{"id":"WH-1","event_type":"PAYMENT.CAPTURE.COMPLETED"}"#;

    fn signed() -> Vec<(String, String)> {
        Signer::new(Scheme::paypal(), WEBHOOK)
            .unwrap()
            .sign("8e0d1c90-8f32-11ee-b9d1-0242ac120002", NOW, BODY)
            .unwrap()
    }

    fn verifier(pem: &str, webhooks: &[&str]) -> Verifier {
        Verifier::builder(Scheme::paypal())
            .secrets(webhooks.iter().copied())
            .certificates(GivenCertificate::from_pem(pem).unwrap())
            .clock(FixedClock(NOW))
            .build()
            .unwrap()
    }

    fn check(headers: &[(String, String)], body: &[u8]) -> Result<usize, VerifyError> {
        verifier(TEST_CERTIFICATE_PEM, &["WH-OLD", WEBHOOK])
            .verify(headers, body)
            .map(|v| v.secret_index)
    }

    fn with(name: &str, value: &str) -> Vec<(String, String)> {
        signed()
            .into_iter()
            .map(|(n, v)| if n == name { (n, value.to_owned()) } else { (n, v) })
            .collect()
    }

    #[test]
    fn a_signed_delivery_verifies_with_the_second_webhook_id() {
        let headers = signed();
        let verified = verifier(TEST_CERTIFICATE_PEM, &["WH-OLD", WEBHOOK])
            .verify(&headers, BODY)
            .unwrap();
        assert_eq!(verified.secret_index, 1);
        assert_eq!(
            verified.webhook_id.as_deref(),
            Some("8e0d1c90-8f32-11ee-b9d1-0242ac120002")
        );
        assert_eq!(verified.timestamp, Some(NOW));
    }

    #[test]
    fn the_body_and_every_signed_field_are_covered() {
        let no = Err(VerifyError::NoMatchingSignature);
        assert_eq!(check(&signed(), b"{}"), no);
        let id = with("PAYPAL-TRANSMISSION-ID", "8e0d1c90-8f32-11ee-b9d1-0242ac120003");
        assert_eq!(check(&id, BODY), no);
        let time = with("PAYPAL-TRANSMISSION-TIME", "2023-11-14T22:13:21Z");
        assert_eq!(check(&time, BODY), no);
        let sig = signed()[4].1.replacen('A', "B", 1);
        assert_eq!(check(&with("PAYPAL-TRANSMISSION-SIG", &sig), BODY), no);
        let other_webhook = verifier(TEST_CERTIFICATE_PEM, &["WH-OTHER"]);
        let headers = signed();
        assert_eq!(other_webhook.verify(&headers, BODY).map(|_| ()), no.map(|_| ()));
    }

    #[test]
    fn another_certificate_does_not_verify() {
        let other = include_str!("../../tests/data/other-cert.pem");
        let headers = signed();
        let result = verifier(other, &[WEBHOOK]).verify(&headers, BODY);
        assert_eq!(result.map(|_| ()), Err(VerifyError::NoMatchingSignature));
    }

    #[test]
    fn only_sha256_with_rsa_is_accepted() {
        for algo in ["SHA1withRSA", "sha256withrsa", "SHA256withECDSA", ""] {
            assert!(
                matches!(
                    check(&with("PAYPAL-AUTH-ALGO", algo), BODY),
                    Err(VerifyError::MalformedHeader { .. })
                ),
                "{algo}"
            );
        }
    }

    #[test]
    fn a_certificate_url_off_paypal_s_hosts_is_refused_before_any_lookup() {
        for url in [
            "http://api.paypal.com/v1/notifications/certs/CERT-1",
            "https://api.paypal.com.evil.example/v1/notifications/certs/CERT-1",
            "https://evil.example/v1/notifications/certs/CERT-1",
            "https://api.paypal.com:444/v1/notifications/certs/CERT-1",
            "https://paypal.com/v1/notifications/certs/CERT-1",
        ] {
            let err = check(&with("PAYPAL-CERT-URL", url), BODY).unwrap_err();
            assert_eq!(
                err.to_string(),
                "malformed header PAYPAL-CERT-URL: not an https URL on a PayPal API host",
                "{url}"
            );
            assert_eq!(Rejection::from(err).status(), 401);
        }
    }

    #[test]
    fn a_certificate_not_available_is_a_503_with_retry_after() {
        struct Empty;
        impl crate::CertificateSource for Empty {
            fn certificate(&self, _: &str) -> Option<std::sync::Arc<crate::Certificate>> {
                None
            }
        }
        let verifier = Verifier::builder(Scheme::paypal())
            .secret(WEBHOOK)
            .certificates(Empty)
            .clock(FixedClock(NOW))
            .build()
            .unwrap();
        let headers = signed();
        let err = verifier.verify(&headers, BODY).unwrap_err();
        assert_eq!(err, VerifyError::CertificateUnavailable);
        let rejection = Rejection::from(err);
        assert_eq!((rejection.status(), rejection.retry_after_secs()), (503, Some(10)));
    }
}
