//! `mailgun`: Mailgun's signed webhooks.
//!
//! Signing rule: the JSON body holds `"signature": {"timestamp", "token", "signature"}`, where
//! `signature` is `hex(HMAC-SHA256(HTTP webhook signing key, "{timestamp}{token}"))`. The
//! timestamp (Unix seconds) must be within the tolerance of now (Mailgun documents none: 300 s);
//! the token, random and signed, is reported as the webhook id (cache it to refuse replays), and
//! `event-data.event` as the event type. Only the timestamp and token are signed — not
//! `event-data` — as Mailgun defines it.
//!
//! Reading the signature parses the body, which allocates.

use std::borrow::Cow;

use serde_json::Value;

use super::{
    Alg, Candidates, Encoding, Input, Ops, Provider, SignInput, Signed, find_match, hmac_sign_key,
    hmac_verify_key,
};
use crate::timestamp::{self, DEFAULT_TOLERANCE};
use crate::{Verified, VerifyError};

pub(super) const PROVIDER: Provider = Provider {
    name: "mailgun",
    aliases: &[],
    secret_is: "the HTTP webhook signing key",
    signature_headers: &[],
    id_header: None,
    timestamp_header: None,
    event_type_header: None,
    kept_headers: &[],
    requires_url: false,
    timestamped: true,
    default_tolerance: DEFAULT_TOLERANCE,
    handshake: None,
    certificates: None,
    ops: Ops {
        verify,
        sign,
        verify_key: hmac_verify_key,
        sign_key: hmac_sign_key,
    },
};

const MALFORMED: VerifyError = VerifyError::MalformedBody {
    reason: "no signature {timestamp, token, signature} object",
};
const FIELD: Cow<'static, str> = Cow::Borrowed("signature.timestamp");

#[derive(serde::Deserialize)]
struct Body {
    signature: Signature,
    #[serde(rename = "event-data")]
    event_data: Option<EventData>,
}

#[derive(serde::Deserialize)]
struct Signature {
    timestamp: Value,
    token: String,
    signature: String,
}

#[derive(serde::Deserialize)]
struct EventData {
    event: Option<String>,
}

fn verify<'h>(input: &Input<'_, 'h>) -> Result<Verified<'h>, VerifyError> {
    let body: Body = serde_json::from_slice(input.body).map_err(|_| MALFORMED)?;
    let ts_text = match &body.signature.timestamp {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Err(MALFORMED),
    };
    let ts = timestamp::parse(&FIELD, ts_text.as_bytes()).map_err(|_| MALFORMED)?;
    let mut candidates = Candidates::new();
    candidates
        .push(
            &Cow::Borrowed("signature.signature"),
            Alg::HmacSha256,
            Encoding::Hex,
            body.signature.signature.as_bytes(),
        )
        .map_err(|_| VerifyError::MalformedBody {
            reason: "signature.signature is not a hex HMAC-SHA256",
        })?;
    input.time.check(ts)?;
    let token = body.signature.token;
    let secret_index = find_match(
        input.keys,
        &[ts_text.as_bytes(), token.as_bytes()],
        &candidates,
    )?;
    let mut verified = Verified::new("mailgun", secret_index);
    verified.timestamp = Some(ts);
    verified.webhook_id = Some(Cow::Owned(token));
    verified.event_type = body.event_data.and_then(|e| e.event).map(Cow::Owned);
    Ok(verified)
}

/// Writes `signature: {timestamp, token: id, signature}` into the JSON object body.
fn sign(input: &SignInput<'_>) -> Result<Signed, VerifyError> {
    if input.id.is_empty() || input.timestamp < 0 {
        return Err(VerifyError::MissingSignInput {
            scheme: "mailgun",
            what: "a token (the id) and a timestamp >= 0",
        });
    }
    let mut object = super::shared::json_object(input.body, "mailgun")?;
    let ts = input.timestamp.to_string();
    let signature = input
        .first_mac()
        .map(|mac| const_hex::encode(mac.tag(&[ts.as_bytes(), input.id.as_bytes()])))
        .unwrap_or_default();
    object.insert(
        "signature".to_owned(),
        serde_json::json!({ "timestamp": ts, "token": input.id, "signature": signature }),
    );
    let body = serde_json::to_vec(&object).map_err(|_| MALFORMED)?;
    Ok(Signed {
        headers: Vec::new(),
        body: Some(body),
    })
}

#[cfg(test)]
mod tests {
    use crate::{FixedClock, Scheme, Signer, Verifier, VerifyError};

    // Mailgun's documented timestamp and token; the signature computed with Python's hmac.
    const KEY: &str = "key-mailgun-signing";
    const TS: &str = "1529006854";
    const NOW: i64 = 1_529_006_854;
    const TOKEN: &str = "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0";
    const SIG: &str = "382f1362077a4f904d689d6f83b12f7f8a7b2a03aaca4053eadd3f6568f950ab";

    fn body(ts: &str, token: &str, sig: &str) -> Vec<u8> {
        format!(
            r#"{{"signature":{{"timestamp":"{ts}","token":"{token}","signature":"{sig}"}},"event-data":{{"event":"delivered"}}}}"#
        )
        .into_bytes()
    }

    fn check(now: i64, body: &[u8]) -> Result<usize, VerifyError> {
        let none: [(&str, &str); 0] = [];
        Verifier::builder(Scheme::mailgun())
            .secrets(["old", KEY])
            .clock(FixedClock(now))
            .build()?
            .verify(&none, body)
            .map(|v| {
                assert_eq!(v.webhook_id.as_deref(), Some(TOKEN));
                assert_eq!(v.event_type.as_deref(), Some("delivered"));
                v.secret_index
            })
    }

    #[test]
    fn accepts_the_independent_vector() {
        assert_eq!(check(NOW, &body(TS, TOKEN, SIG)), Ok(1));
    }

    #[test]
    fn tampering_is_refused() {
        let no = Err(VerifyError::NoMatchingSignature);
        assert_eq!(check(NOW, &body("1529006855", TOKEN, SIG)), no);
        let other = TOKEN.replace('a', "b");
        assert_eq!(check(NOW, &body(TS, &other, SIG)), no);
        assert!(matches!(
            check(NOW + 301, &body(TS, TOKEN, SIG)),
            Err(VerifyError::TimestampOutOfTolerance { .. })
        ));
        assert!(matches!(
            check(NOW, b"{}"),
            Err(VerifyError::MalformedBody { .. })
        ));
    }

    #[test]
    fn signing_writes_the_signature_into_the_body() {
        let signed = Signer::new(Scheme::mailgun(), KEY)
            .unwrap()
            .sign_delivery(None, TOKEN, NOW, br#"{"event-data":{"event":"delivered"}}"#)
            .unwrap();
        assert!(String::from_utf8_lossy(&signed.body).contains(SIG));
        assert_eq!(check(NOW, &signed.body), Ok(1));
        // Headers alone cannot carry it.
        assert!(matches!(
            Signer::new(Scheme::mailgun(), KEY).unwrap().sign(TOKEN, NOW, b"{}"),
            Err(VerifyError::MissingSignInput { .. })
        ));
    }
}
