//! `standard`: [Standard Webhooks](https://www.standardwebhooks.com/), also what Svix sends.
//!
//! Signing rule: the signed content is `{webhook-id}.{webhook-timestamp}.{body}`, with the id and
//! timestamp exactly as they appear in their headers (neither may contain `.`). The
//! `webhook-signature` header is a space-separated list of `<version>,<base64 signature>`:
//! - `v1`: HMAC-SHA256 keyed with the base64-decoded part of a `whsec_...` secret;
//! - `v1a`: ed25519, checked with a `whpk_...` public key and made with a `whsk_...` secret key;
//! - any other version is ignored, so senders can add schemes without breaking receivers.
//!
//! The `svix-id`, `svix-timestamp` and `svix-signature` names are accepted too. The timestamp must
//! be within the tolerance of now (five minutes by default).

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};

use super::{
    Alg, Candidates, Encoding, Input, Ops, Provider, SignKey, Signed, VerifyKey,
    find_match, utf8,
};
use crate::headers::HeaderKey;
use crate::mac::KeyedMac;
use crate::secret::KeyBytes;
use crate::timestamp::{self, DEFAULT_TOLERANCE};
use crate::{Secret, Verified, VerifyError};

pub(super) const PROVIDER: Provider = Provider {
    name: SCHEME,
    aliases: &["standard-webhooks", "svix", "clerk", "resend"],
    secret_is: "the whsec_ signing secret, or a whpk_ public key",
    signature_headers: &SIGNATURE_HEADERS,
    id_header: Some("webhook-id"),
    timestamp_header: Some("webhook-timestamp"),
    event_type_header: None,
    kept_headers: &[
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "svix-id",
        "svix-timestamp",
        "svix-signature",
    ],
    requires_url: false,
    timestamped: true,
    default_tolerance: DEFAULT_TOLERANCE,
    handshake: None,
    certificates: None,
    ops: Ops {
        verify,
        sign: |input| sign(input.keys, input.id, input.timestamp, input.body).map(Signed::headers),
        verify_key,
        sign_key,
    },
};

struct Names {
    id: HeaderKey,
    timestamp: HeaderKey,
    signature: HeaderKey,
}

static WEBHOOK: Names = Names {
    id: HeaderKey::new("webhook-id", "webhook-id"),
    timestamp: HeaderKey::new("webhook-timestamp", "webhook-timestamp"),
    signature: HeaderKey::new("webhook-signature", "webhook-signature"),
};

static SVIX: Names = Names {
    id: HeaderKey::new("svix-id", "svix-id"),
    timestamp: HeaderKey::new("svix-timestamp", "svix-timestamp"),
    signature: HeaderKey::new("svix-signature", "svix-signature"),
};

const SIGNATURE_HEADERS: [&str; 2] = ["webhook-signature", "svix-signature"];

const SCHEME: &str = "standard";

fn verify<'h>(input: &Input<'_, 'h>) -> Result<Verified<'h>, VerifyError> {
    let Input {
        keys,
        time,
        headers,
        body,
        ..
    } = *input;
    let (names, signatures) = match WEBHOOK.signature.optional(headers)? {
        Some(value) => (&WEBHOOK, value),
        None => match SVIX.signature.optional(headers)? {
            Some(value) => (&SVIX, value),
            None => {
                return Err(VerifyError::MissingHeader {
                    name: WEBHOOK.signature.text.clone(),
                });
            }
        },
    };
    let id_raw = names.id.required(headers)?;
    if id_raw.is_empty() || id_raw.contains(&b'.') {
        return Err(VerifyError::MalformedHeader {
            name: names.id.text.clone(),
            reason: "must be non-empty and must not contain '.'",
        });
    }
    let id = utf8(&names.id.text, id_raw)?;
    let ts_raw = names.timestamp.required(headers)?;
    let ts = timestamp::parse(&names.timestamp.text, ts_raw)?;
    time.check(ts)?;

    let mut candidates = Candidates::new();
    parse_signatures(&names.signature.text, signatures, &mut candidates)?;
    let secret_index = find_match(keys, &[id_raw, b".", ts_raw, b".", body], &candidates)?;
    let mut verified = Verified::new(SCHEME, secret_index);
    verified.webhook_id = Some(Cow::Borrowed(id));
    verified.timestamp = Some(ts);
    Ok(verified)
}

/// The `v1` and `v1a` entries that can be signatures. As the reference libraries decide, an entry
/// that cannot apply (another version, one that does not decode, one of the wrong length) is
/// skipped: the delivery is valid when any applicable entry matches. Filled in place: the list
/// (1.4 KB on the stack) is not moved out.
fn parse_signatures(
    name: &Cow<'static, str>,
    value: &[u8],
    candidates: &mut Candidates,
) -> Result<(), VerifyError> {
    let mut known = 0usize;
    for token in value.split(|b| *b == b' ').filter(|t| !t.is_empty()) {
        let Some(comma) = token.iter().position(|b| *b == b',') else {
            continue;
        };
        let (version, encoded) = (&token[..comma], &token[comma + 1..]);
        let alg = match version {
            b"v1" => Alg::HmacSha256,
            b"v1a" => Alg::Ed25519,
            _ => continue,
        };
        known += 1;
        if known > super::MAX_SIGNATURES {
            return Err(VerifyError::MalformedHeader {
                name: name.clone(),
                reason: "more than 16 signatures",
            });
        }
        candidates.push_lenient(alg, Encoding::Base64, encoded);
    }
    if known == 0 {
        return Err(VerifyError::MalformedHeader {
            name: name.clone(),
            reason: "no v1 or v1a signature",
        });
    }
    if candidates.is_empty() {
        return Err(VerifyError::NoMatchingSignature);
    }
    Ok(())
}

fn invalid(reason: &'static str) -> VerifyError {
    VerifyError::InvalidSecret {
        scheme: SCHEME,
        reason,
    }
}

fn decode_key(encoded: &str, what: &'static str) -> Result<KeyBytes, VerifyError> {
    let bytes = KeyBytes::new(BASE64.decode(encoded).map_err(|_| invalid(what))?);
    if bytes.is_empty() {
        return Err(invalid(what));
    }
    Ok(bytes)
}

fn hmac_key(secret: &str) -> Result<KeyedMac, VerifyError> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    let key = decode_key(encoded, "a whsec_ secret must be base64 after its prefix")?;
    Ok(KeyedMac::new(&key))
}

fn verify_key(secret: &Secret) -> Result<VerifyKey, VerifyError> {
    let secret = secret.expose();
    if let Some(public) = secret.strip_prefix("whpk_") {
        let bytes = decode_key(public, "a whpk_ key must be base64 after its prefix")?;
        let bytes: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| invalid("a whpk_ key must hold 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&bytes)
            .map_err(|_| invalid("the whpk_ key is not a valid ed25519 public key"))?;
        return Ok(VerifyKey::Ed25519(key));
    }
    if secret.starts_with("whsk_") {
        return Err(invalid(
            "a whsk_ key signs; verify with its whpk_ public key",
        ));
    }
    hmac_key(secret).map(VerifyKey::Hmac)
}

fn sign_key(secret: &Secret) -> Result<SignKey, VerifyError> {
    let secret = secret.expose();
    if let Some(private) = secret.strip_prefix("whsk_") {
        let bytes = decode_key(private, "a whsk_ key must be base64 after its prefix")?;
        // 32 bytes: the ed25519 seed; 64 bytes: seed followed by its public key.
        let seed: [u8; 32] = bytes
            .get(..32)
            .filter(|_| bytes.len() == 32 || bytes.len() == 64)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| invalid("a whsk_ key must hold a 32-byte ed25519 seed"))?;
        let key = SigningKey::from_bytes(&seed);
        if bytes.len() == 64 && key.verifying_key().as_bytes()[..] != bytes[32..] {
            return Err(invalid(
                "the whsk_ key's public half does not match its seed",
            ));
        }
        return Ok(SignKey::Ed25519(Box::new(key)));
    }
    if secret.starts_with("whpk_") {
        return Err(invalid(
            "a whpk_ public key cannot sign; sign with the whsk_ key",
        ));
    }
    hmac_key(secret).map(SignKey::Hmac)
}

fn sign(
    keys: &[SignKey],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<Vec<(String, String)>, VerifyError> {
    if id.is_empty() || id.contains('.') {
        return Err(VerifyError::MissingSignInput {
            scheme: SCHEME,
            what: "a webhook id that is non-empty and has no '.'",
        });
    }
    if timestamp < 0 {
        return Err(VerifyError::MissingSignInput {
            scheme: SCHEME,
            what: "a timestamp >= 0",
        });
    }
    let ts = timestamp.to_string();
    let signatures: Vec<String> = keys
        .iter()
        .filter_map(|key| match key {
            SignKey::Hmac(mac) => Some(format!(
                "v1,{}",
                BASE64.encode(mac.tag(&[id.as_bytes(), b".", ts.as_bytes(), b".", body]))
            )),
            SignKey::Ed25519(key) => {
                let content = [id.as_bytes(), b".", ts.as_bytes(), b".", body].concat();
                Some(format!(
                    "v1a,{}",
                    BASE64.encode(key.sign(&content).to_bytes())
                ))
            }
            SignKey::HmacSha1(_) | SignKey::Token(_) | SignKey::P256(_) | SignKey::Name(_) => None,
        })
        .collect();
    Ok(vec![
        ("webhook-id".to_owned(), id.to_owned()),
        ("webhook-timestamp".to_owned(), ts),
        ("webhook-signature".to_owned(), signatures.join(" ")),
    ])
}

#[cfg(test)]
mod tests {
    use crate::{FixedClock, Scheme, Signer, Verifier, VerifyError};

    // The vector of the Standard Webhooks reference libraries' tests.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: &str = "1614265330";
    const NOW: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const V1: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    // ed25519 (RFC 8032 test key 1) over the same content, signed with OpenSSL, independently of
    // this crate and of ed25519-dalek.
    const WHSK: &str = "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
    const WHPK: &str = "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
    const V1A: &str = "v1a,fldxM4gAKugP6nnt1hdz3sgGfZ6d99nzrMFnZOELIxbzEHoVmAb2ADpkJK7zgPePmPsle0zV9jSeGlHFG2NVAw==";

    fn verifier(secrets: &[&str]) -> Verifier {
        let mut builder = Verifier::builder(Scheme::standard()).clock(FixedClock(NOW));
        for s in secrets {
            builder = builder.secret(*s);
        }
        builder.build().unwrap()
    }

    fn headers<'a>(id: &'a str, ts: &'a str, sig: &'a str) -> [(&'static str, &'a str); 3] {
        [
            ("webhook-id", id),
            ("webhook-timestamp", ts),
            ("webhook-signature", sig),
        ]
    }

    #[test]
    fn accepts_reference_vector() {
        let h = headers(ID, TS, V1);
        let v = verifier(&[SECRET]).verify(&h, BODY).unwrap();
        assert_eq!(v.webhook_id.as_deref(), Some(ID));
        assert_eq!(v.timestamp, Some(NOW));
        assert_eq!(v.scheme, "standard");
    }

    #[test]
    fn secret_without_prefix_is_the_same_key() {
        verifier(&["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
            .verify(&headers(ID, TS, V1), BODY)
            .unwrap();
    }

    #[test]
    fn accepts_svix_header_names() {
        let h = [
            ("svix-id", ID),
            ("svix-timestamp", TS),
            ("svix-signature", V1),
        ];
        verifier(&[SECRET]).verify(&h, BODY).unwrap();
    }

    #[test]
    fn header_names_are_case_insensitive() {
        let h = [
            ("Webhook-Id", ID),
            ("WEBHOOK-TIMESTAMP", TS),
            ("Webhook-Signature", V1),
        ];
        verifier(&[SECRET]).verify(&h, BODY).unwrap();
    }

    #[test]
    fn signs_the_reference_vector() {
        let signed = Signer::new(Scheme::standard(), SECRET)
            .unwrap()
            .sign(ID, NOW, BODY)
            .unwrap();
        assert_eq!(signed[2], ("webhook-signature".to_owned(), V1.to_owned()));
    }

    #[test]
    fn rejects_tampered_body_id_and_timestamp() {
        let v = verifier(&[SECRET]);
        assert_eq!(
            v.verify(&headers(ID, TS, V1), b"{\"test\": 2432232315}"),
            Err(VerifyError::NoMatchingSignature)
        );
        assert_eq!(
            v.verify(&headers("msg_other", TS, V1), BODY),
            Err(VerifyError::NoMatchingSignature)
        );
        assert_eq!(
            v.verify(&headers(ID, "1614265331", V1), BODY),
            Err(VerifyError::NoMatchingSignature)
        );
    }

    #[test]
    fn rejects_id_or_timestamp_containing_a_dot() {
        let v = verifier(&[SECRET]);
        assert!(matches!(
            v.verify(&headers("msg.1", TS, V1), BODY),
            Err(VerifyError::MalformedHeader { .. })
        ));
        assert!(matches!(
            v.verify(&headers(ID, "1614265330.0", V1), BODY),
            Err(VerifyError::MalformedHeader { .. })
        ));
    }

    #[test]
    fn second_of_two_signatures_matches() {
        let sig = format!("v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= {V1}");
        verifier(&[SECRET])
            .verify(&headers(ID, TS, &sig), BODY)
            .unwrap();
    }

    #[test]
    fn entries_that_cannot_apply_are_skipped() {
        // A v1a entry for a whsec_ secret, malformed entries, entries without a comma: skipped,
        // and the valid v1 after them decides (as the reference libraries do).
        for sig in [
            format!("v1a,AAAA {V1}"),
            format!("v1,AAAA {V1}"),
            format!("v1,!!!! {V1}"),
            format!("nocomma {V1}"),
            format!("v1,{} {V1}", "A".repeat(200)),
            format!("{V1} v1a,AAAA"),
        ] {
            verifier(&[SECRET])
                .verify(&headers(ID, TS, &sig), BODY)
                .unwrap_or_else(|e| panic!("{sig}: {e}"));
        }
        // A v1 entry (even a valid HMAC) cannot apply to a whpk_ key: the v1a entry decides.
        let sig = format!("v1,AAAA {V1} {V1A}");
        verifier(&[WHPK])
            .verify(&headers(ID, TS, &sig), BODY)
            .unwrap();
        // Nothing applicable: refused as not matching, not as malformed.
        assert_eq!(
            verifier(&[SECRET]).verify(&headers(ID, TS, "v1a,AAAA v1,!!"), BODY),
            Err(VerifyError::NoMatchingSignature)
        );
    }

    #[test]
    fn unknown_versions_are_ignored() {
        let sig = format!("v2,whatever v1b,xyz {V1}");
        verifier(&[SECRET])
            .verify(&headers(ID, TS, &sig), BODY)
            .unwrap();
        let err = verifier(&[SECRET])
            .verify(&headers(ID, TS, "v2,abc"), BODY)
            .unwrap_err();
        assert!(matches!(err, VerifyError::MalformedHeader { .. }));
    }

    #[test]
    fn second_secret_matches_and_is_reported() {
        let other = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        let h = headers(ID, TS, V1);
        let v = verifier(&[other, SECRET]).verify(&h, BODY).unwrap();
        assert_eq!(v.secret_index, 1);
    }

    #[test]
    fn wrong_secret_is_refused() {
        let other = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert_eq!(
            verifier(&[other]).verify(&headers(ID, TS, V1), BODY),
            Err(VerifyError::NoMatchingSignature)
        );
    }

    #[test]
    fn stale_and_future_timestamps_are_refused_at_301_seconds() {
        let at = |now| {
            Verifier::builder(Scheme::standard())
                .secret(SECRET)
                .clock(FixedClock(now))
                .build()
                .unwrap()
        };
        assert!(at(NOW + 300).verify(&headers(ID, TS, V1), BODY).is_ok());
        assert!(at(NOW - 300).verify(&headers(ID, TS, V1), BODY).is_ok());
        assert!(matches!(
            at(NOW + 301).verify(&headers(ID, TS, V1), BODY),
            Err(VerifyError::TimestampOutOfTolerance { .. })
        ));
        assert!(matches!(
            at(NOW - 301).verify(&headers(ID, TS, V1), BODY),
            Err(VerifyError::TimestampOutOfTolerance { .. })
        ));
    }

    #[test]
    fn v1a_accepts_openssl_signature() {
        let h = headers(ID, TS, V1A);
        let v = verifier(&[WHPK]).verify(&h, BODY).unwrap();
        assert_eq!(v.secret_index, 0);
    }

    #[test]
    fn v1a_signing_matches_openssl() {
        let signed = Signer::new(Scheme::standard(), WHSK)
            .unwrap()
            .sign(ID, NOW, BODY)
            .unwrap();
        assert_eq!(signed[2].1, V1A);
    }

    #[test]
    fn v1a_rejects_tampered_body() {
        assert_eq!(
            verifier(&[WHPK]).verify(&headers(ID, TS, V1A), b"{}"),
            Err(VerifyError::NoMatchingSignature)
        );
    }

    #[test]
    fn mixed_v1_and_v1a_with_hmac_and_public_keys() {
        let sig = format!("{V1} {V1A}");
        let h = headers(ID, TS, &sig);
        let v = verifier(&[WHPK, SECRET]).verify(&h, BODY).unwrap();
        assert_eq!(v.secret_index, 0);
    }

    #[test]
    fn key_roles_are_enforced() {
        assert!(matches!(
            Verifier::new(Scheme::standard(), WHSK),
            Err(VerifyError::InvalidSecret { .. })
        ));
        assert!(matches!(
            Signer::new(Scheme::standard(), WHPK),
            Err(VerifyError::InvalidSecret { .. })
        ));
        assert!(matches!(
            Verifier::new(Scheme::standard(), "whsec_!!!"),
            Err(VerifyError::InvalidSecret { .. })
        ));
    }

    #[test]
    fn more_than_sixteen_signatures_are_refused() {
        let sig = vec![V1; 17].join(" ");
        let err = verifier(&[SECRET])
            .verify(&headers(ID, TS, &sig), BODY)
            .unwrap_err();
        assert!(matches!(err, VerifyError::MalformedHeader { .. }));
    }

    #[test]
    fn duplicate_header_with_different_values_is_ambiguous() {
        let h = [
            ("webhook-id", ID),
            ("webhook-id", "msg_other"),
            ("webhook-timestamp", TS),
            ("webhook-signature", V1),
        ];
        assert!(matches!(
            verifier(&[SECRET]).verify(&h, BODY),
            Err(VerifyError::AmbiguousHeader { .. })
        ));
        let same = [
            ("webhook-id", ID),
            ("webhook-id", ID),
            ("webhook-timestamp", TS),
            ("webhook-signature", V1),
        ];
        verifier(&[SECRET]).verify(&same, BODY).unwrap();
    }
}
