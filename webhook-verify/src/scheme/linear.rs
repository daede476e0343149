//! `linear`: Linear's `Linear-Signature`.
//!
//! Signing rule: `Linear-Signature: <hex(HMAC-SHA256(signing secret, body))>`, the key being the
//! signing secret's bytes. The body's JSON `webhookTimestamp` (milliseconds since the epoch,
//! covered by the signature) must be within 60 s of now, as Linear advises: the default
//! tolerance is 60 s. `Linear-Event` (the entity type) is reported as the event type;
//! `Linear-Delivery` is not signed, so it is not reported as the webhook id.
//!
//! Reading `webhookTimestamp` parses the body, which may allocate.


use super::shared::secs;
use super::{
    Alg, Candidates, Encoding, Input, Ops, Provider, SignInput, Signed, find_match, hmac_sign_key,
    hmac_verify_key,
};
use crate::headers::HeaderKey;
use crate::{Verified, VerifyError};

static SIGNATURE: HeaderKey = HeaderKey::new("Linear-Signature", "linear-signature");
static EVENT: HeaderKey = HeaderKey::new("Linear-Event", "linear-event");

pub(super) const PROVIDER: Provider = Provider {
    name: "linear",
    aliases: &[],
    secret_is: "the signing secret",
    signature_headers: &["Linear-Signature"],
    id_header: Some("Linear-Delivery"),
    timestamp_header: None,
    event_type_header: Some("Linear-Event"),
    kept_headers: &["linear-signature", "linear-delivery", "linear-event"],
    requires_url: false,
    timestamped: true,
    default_tolerance: secs(60),
    handshake: None,
    certificates: None,
    ops: Ops {
        verify,
        sign,
        verify_key: hmac_verify_key,
        sign_key: hmac_sign_key,
    },
};

const NOT_JSON: VerifyError = VerifyError::MalformedBody {
    reason: "not a JSON object with a webhookTimestamp in milliseconds",
};

/// `webhookTimestamp` in whole seconds.
fn body_timestamp(body: &[u8]) -> Result<i64, VerifyError> {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(rename = "webhookTimestamp")]
        webhook_timestamp: i64,
    }
    let probe: Probe = serde_json::from_slice(body).map_err(|_| NOT_JSON)?;
    Ok(probe.webhook_timestamp.div_euclid(1000))
}

fn verify<'h>(input: &Input<'_, 'h>) -> Result<Verified<'h>, VerifyError> {
    let value = SIGNATURE.required(input.headers)?;
    let mut candidates = Candidates::new();
    candidates.push(&SIGNATURE.text, Alg::HmacSha256, Encoding::Hex, value)?;
    let ts = body_timestamp(input.body)?;
    input.time.check(ts)?;
    let secret_index = find_match(input.keys, &[input.body], &candidates)?;
    let mut verified = Verified::new("linear", secret_index);
    verified.timestamp = Some(ts);
    verified.event_type = EVENT.text(input.headers);
    Ok(verified)
}

/// Writes `webhookTimestamp` (the timestamp in milliseconds) into the JSON object body, then
/// signs it.
fn sign(input: &SignInput<'_>) -> Result<Signed, VerifyError> {
    let mut object = super::shared::json_object(input.body, "linear")?;
    let millis = input.timestamp.saturating_mul(1000);
    object.insert("webhookTimestamp".to_owned(), millis.into());
    let body = serde_json::to_vec(&object).map_err(|_| VerifyError::MissingSignInput {
        scheme: "linear",
        what: "a JSON object body",
    })?;
    let Some(mac) = input.first_mac() else {
        return Ok(Signed::headers(Vec::new()));
    };
    let tag = mac.tag(&[&body]);
    Ok(Signed {
        headers: vec![(SIGNATURE.text.to_string(), const_hex::encode(tag))],
        body: Some(body),
    })
}

#[cfg(test)]
mod tests {
    use crate::{FixedClock, Scheme, Signer, Verifier, VerifyError};

    // Computed with Python's hmac module, independently of this crate.
    const SECRET: &str = "lin_wh_secret";
    const BODY: &[u8] = br#"{"action":"create","type":"Issue","webhookTimestamp":1700000000000}"#;
    const SIG: &str = "91e919dc0fd99df1cae12efef1ca08b082cfa523f101b572ec14ed98863fdf35";
    const NOW: i64 = 1_700_000_000;

    fn check(now: i64, sig: &str, body: &[u8]) -> Result<usize, VerifyError> {
        Verifier::builder(Scheme::linear())
            .secrets(["old", SECRET])
            .clock(FixedClock(now))
            .build()?
            .verify(&[("Linear-Signature", sig), ("Linear-Event", "Issue")], body)
            .map(|v| {
                assert_eq!(v.timestamp, Some(NOW));
                assert_eq!(v.event_type.as_deref(), Some("Issue"));
                v.secret_index
            })
    }

    #[test]
    fn accepts_the_independent_vector() {
        assert_eq!(check(NOW, SIG, BODY), Ok(1));
    }

    #[test]
    fn tampering_and_the_sixty_second_window() {
        let other = br#"{"action":"remove","type":"Issue","webhookTimestamp":1700000000000}"#;
        assert_eq!(check(NOW, SIG, other), Err(VerifyError::NoMatchingSignature));
        assert_eq!(check(NOW + 60, SIG, BODY), Ok(1));
        assert!(matches!(
            check(NOW + 61, SIG, BODY),
            Err(VerifyError::TimestampOutOfTolerance {
                tolerance_secs: 60,
                ..
            })
        ));
        assert!(matches!(
            check(NOW, SIG, b"{}"),
            Err(VerifyError::MalformedBody { .. })
        ));
    }

    #[test]
    fn signing_writes_the_timestamp_into_the_body() {
        let signed = Signer::new(Scheme::linear(), SECRET)
            .unwrap()
            .sign_delivery(None, "", NOW, br#"{"type":"Issue"}"#)
            .unwrap();
        assert!(String::from_utf8_lossy(&signed.body).contains("1700000000000"));
        let v = Verifier::builder(Scheme::linear())
            .secret(SECRET)
            .clock(FixedClock(NOW))
            .build()
            .unwrap();
        assert!(v.verify(&signed.headers, &signed.body).is_ok());
    }
}
