//! `sendgrid`: Twilio SendGrid's signed Event Webhook, ECDSA P-256.
//!
//! Signing rule: `X-Twilio-Email-Event-Webhook-Signature: <base64>`, a DER-encoded ECDSA
//! P-256/SHA-256 signature over `{X-Twilio-Email-Event-Webhook-Timestamp}{body}`, the timestamp
//! (Unix seconds) exactly as sent. The verifying secret is the verification key as the dashboard
//! shows it: the base64 DER SubjectPublicKeyInfo (`MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE...`);
//! several keys may be configured. SendGrid documents no tolerance: 300 s.
//!
//! [`Signer`](crate::Signer) takes the private key as base64 DER PKCS#8 (what
//! `openssl pkcs8 -topk8 -nocrypt -outform DER | base64` prints). Signing is deterministic
//! (RFC 6979).

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _};

use super::shared::TimestampThenBody;
use super::{
    Alg, Encoding, Ops, Provider, SignInput, SignKey, Signed, VerifyKey,
};
use crate::secret::KeyBytes;
use crate::timestamp::DEFAULT_TOLERANCE;
use crate::{Secret, VerifyError};

const SIGNATURE: Cow<'static, str> = Cow::Borrowed("X-Twilio-Email-Event-Webhook-Signature");
const TIMESTAMP: Cow<'static, str> = Cow::Borrowed("X-Twilio-Email-Event-Webhook-Timestamp");

pub(super) const PROVIDER: Provider = Provider {
    name: "sendgrid",
    aliases: &["twilio-sendgrid"],
    secret_is: "the verification key (base64 DER public key, as the dashboard shows it)",
    signature_headers: &["X-Twilio-Email-Event-Webhook-Signature"],
    id_header: None,
    timestamp_header: Some("X-Twilio-Email-Event-Webhook-Timestamp"),
    event_type_header: None,
    kept_headers: &[
        "x-twilio-email-event-webhook-signature",
        "x-twilio-email-event-webhook-timestamp",
    ],
    requires_url: false,
    timestamped: true,
    default_tolerance: DEFAULT_TOLERANCE,
    handshake: None,
    certificates: None,
    ops: Ops {
        verify: |input| RULE.verify(input),
        sign,
        verify_key,
        sign_key,
    },
};

const RULE: TimestampThenBody = TimestampThenBody {
    scheme: "sendgrid",
    signature: SIGNATURE,
    timestamp: TIMESTAMP,
    alg: Alg::EcdsaP256,
    encoding: Encoding::Base64,
};

fn sign(input: &SignInput<'_>) -> Result<Signed, VerifyError> {
    let Some(key) = input.keys.iter().find_map(|k| match k {
        SignKey::P256(key) => Some(key),
        _ => None,
    }) else {
        return Ok(Signed::headers(Vec::new()));
    };
    let ts = input.timestamp.to_string();
    let message = TimestampThenBody::message(&ts, input.body);
    let signature: Signature = key.sign(&message);
    Ok(Signed::headers(vec![
        (TIMESTAMP.to_string(), ts),
        (
            SIGNATURE.to_string(),
            BASE64.encode(signature.to_der().as_bytes()),
        ),
    ]))
}

fn invalid(reason: &'static str) -> VerifyError {
    VerifyError::InvalidSecret {
        scheme: PROVIDER.name,
        reason,
    }
}

fn der(secret: &Secret) -> Result<KeyBytes, VerifyError> {
    BASE64
        .decode(secret.expose().trim())
        .map(KeyBytes::new)
        .map_err(|_| invalid("the key must be base64 (DER)"))
}

fn verify_key(secret: &Secret) -> Result<VerifyKey, VerifyError> {
    VerifyingKey::from_public_key_der(&der(secret)?)
        .map(VerifyKey::P256)
        .map_err(|_| invalid("not a P-256 public key (base64 DER SubjectPublicKeyInfo)"))
}

fn sign_key(secret: &Secret) -> Result<SignKey, VerifyError> {
    SigningKey::from_pkcs8_der(&der(secret)?)
        .map(|key| SignKey::P256(Box::new(key)))
        .map_err(|_| invalid("not a P-256 private key (base64 DER PKCS#8)"))
}

#[cfg(test)]
mod tests {
    use crate::{FixedClock, Scheme, Signer, Verifier, VerifyError};

    // The published example of SendGrid's own library (sendgrid-nodejs, eventwebhook.spec.js).
    const PUBLIC: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==";
    const OTHER: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==";
    const SIG: &str = "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=";
    const BAD_SIG: &str = "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH3j/0=";
    const TS: &str = "1588788367";
    const PAYLOAD: &[u8] =
        br#"{"category":"example_payload","event":"test_event","message_id":"message_id"}"#;

    fn check(keys: &[&str], ts: &str, sig: &str, body: &[u8]) -> Result<usize, VerifyError> {
        Verifier::builder(Scheme::sendgrid())
            .secrets(keys.iter().copied())
            .clock(FixedClock(1_588_788_367))
            .build()?
            .verify(
                &[
                    ("X-Twilio-Email-Event-Webhook-Timestamp", ts),
                    ("X-Twilio-Email-Event-Webhook-Signature", sig),
                ],
                body,
            )
            .map(|v| v.secret_index)
    }

    #[test]
    fn accepts_sendgrid_s_published_example() {
        assert_eq!(check(&[OTHER, PUBLIC], TS, SIG, PAYLOAD), Ok(1));
    }

    #[test]
    fn refuses_what_sendgrid_s_example_refuses() {
        let no = Err(VerifyError::NoMatchingSignature);
        assert_eq!(check(&[OTHER], TS, SIG, PAYLOAD), no);
        assert_eq!(check(&[PUBLIC], TS, SIG, b"payload"), no);
        assert_eq!(check(&[PUBLIC], TS, BAD_SIG, PAYLOAD), no);
        assert_eq!(check(&[PUBLIC], "1588788368", SIG, PAYLOAD), no);
        assert!(matches!(
            check(&[PUBLIC], "timestamp", SIG, PAYLOAD),
            Err(VerifyError::MalformedHeader { .. })
        ));
    }

    #[test]
    fn a_private_key_signs_what_its_public_key_verifies() {
        // A test key made with `openssl ecparam -name prime256v1 -genkey`, for tests only.
        const PRIVATE: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg5oYiYKfMYuHwzD0QW/TocNDaNQCzVz7W4hPH6UbFsXKhRANCAARnxu9SFS3Q3lSOzwOGM6TluRQehoNsMd47tsnU1Ocd/2cfoA8JxFhDQtEU5Mv2hr8S7R+BpReCZi80M/hAcsRZ";
        const ITS_PUBLIC: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZ8bvUhUt0N5Ujs8DhjOk5bkUHoaDbDHeO7bJ1NTnHf9nH6APCcRYQ0LRFOTL9oa/Eu0fgaUXgmYvNDP4QHLEWQ==";
        let headers = Signer::new(Scheme::sendgrid(), PRIVATE)
            .unwrap()
            .sign("", 1_588_788_367, PAYLOAD)
            .unwrap();
        assert_eq!(check(&[PUBLIC, ITS_PUBLIC], TS, &headers[1].1, PAYLOAD), Ok(1));
        assert!(matches!(
            Signer::new(Scheme::sendgrid(), PUBLIC),
            Err(VerifyError::InvalidSecret { .. })
        ));
        assert!(matches!(
            Verifier::new(Scheme::sendgrid(), PRIVATE),
            Err(VerifyError::InvalidSecret { .. })
        ));
    }
}
