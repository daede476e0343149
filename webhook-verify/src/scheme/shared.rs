//! Building blocks that several providers share: a body HMAC in one header, the Slack-style
//! `v0=<hex>` over `v0:{timestamp}:{body}`, and the Stripe-style `t=..,v1=..` list.

use std::borrow::Cow;
use std::time::Duration;

use super::{
    Alg, Candidates, Encoding, HmacSha256, Input, Ops, Provider, SignInput, Signed, find_match,
    hmac_sign_key, hmac_verify_key,
};
use crate::Verified;
use crate::VerifyError;
use crate::headers::{HeaderKey, required};
use crate::timestamp::{self, DEFAULT_TOLERANCE};

/// What a body-HMAC provider (one header, the body alone) declares besides its config.
pub(super) struct BodyHmac {
    pub(super) name: &'static str,
    pub(super) secret_is: &'static str,
    pub(super) signature_headers: &'static [&'static str],
    pub(super) id: Option<&'static str>,
    pub(super) event_type: Option<&'static str>,
    pub(super) kept: &'static [&'static str],
    pub(super) verify: for<'a, 'h> fn(&Input<'a, 'h>) -> Result<Verified<'h>, VerifyError>,
    pub(super) sign: fn(&SignInput<'_>) -> Result<Signed, VerifyError>,
}

impl BodyHmac {
    /// The provider: untimestamped, no URL, the secret's bytes as the HMAC key.
    pub(super) const fn provider(self) -> Provider {
        Provider {
            name: self.name,
            aliases: &[],
            secret_is: self.secret_is,
            signature_headers: self.signature_headers,
            id_header: self.id,
            timestamp_header: None,
            event_type_header: self.event_type,
            kept_headers: self.kept,
            requires_url: false,
            timestamped: false,
            default_tolerance: DEFAULT_TOLERANCE,
            handshake: None,
            certificates: None,
            ops: Ops {
                verify: self.verify,
                sign: self.sign,
                verify_key: hmac_verify_key,
                sign_key: hmac_sign_key,
            },
        }
    }
}

/// Signs the body with `config` (the first secret).
pub(super) fn sign_with(config: &HmacSha256, input: &SignInput<'_>) -> Result<Signed, VerifyError> {
    Ok(Signed::headers(config.sign(input.keys, input.body)))
}

/// Slack's and Zoom's rule: `{signature}: v0=<hex>` over `v0:{timestamp}:{body}`.
pub(super) struct V0 {
    pub(super) scheme: &'static str,
    pub(super) signature: HeaderKey,
    pub(super) timestamp: HeaderKey,
}

impl V0 {
    pub(super) fn verify<'h>(&self, input: &Input<'_, 'h>) -> Result<Verified<'h>, VerifyError> {
        let ts_raw = self.timestamp.required(input.headers)?;
        let ts = timestamp::parse(&self.timestamp.text, ts_raw)?;
        let value = self.signature.required(input.headers)?;
        let encoded = value
            .strip_prefix(b"v0=")
            .ok_or_else(|| VerifyError::MalformedHeader {
                name: self.signature.text.clone(),
                reason: "must start with v0=",
            })?;
        let mut candidates = Candidates::new();
        candidates.push(
            &self.signature.text,
            Alg::HmacSha256,
            Encoding::Hex,
            encoded,
        )?;
        input.time.check(ts)?;
        let secret_index =
            find_match(input.keys, &[b"v0:", ts_raw, b":", input.body], &candidates)?;
        let mut verified = Verified::new(self.scheme, secret_index);
        verified.timestamp = Some(ts);
        Ok(verified)
    }

    pub(super) fn sign(&self, input: &SignInput<'_>) -> Result<Signed, VerifyError> {
        let ts = input.timestamp.to_string();
        let Some(mac) = input.first_mac() else {
            return Ok(Signed::headers(Vec::new()));
        };
        let tag = mac.tag(&[b"v0:", ts.as_bytes(), b":", input.body]);
        Ok(Signed::headers(vec![
            (self.timestamp.text.to_string(), ts),
            (
                self.signature.text.to_string(),
                format!("v0={}", const_hex::encode(tag)),
            ),
        ]))
    }
}

/// Stripe's and Paddle's rule: one header holding `{timestamp key}=<unix>` and one or more
/// `{signature key}=<hex>` items (several while a secret rotates; unknown keys ignored), each
/// `hex(HMAC-SHA256(secret, "{unix}{joiner}{body}"))`.
pub(super) struct TimestampedList {
    pub(super) scheme: &'static str,
    pub(super) header: HeaderKey,
    /// Between items: `,` (Stripe), `;` (Paddle).
    pub(super) separator: u8,
    pub(super) timestamp_key: &'static str,
    pub(super) signature_key: &'static str,
    /// Between the timestamp and the body in the signed content: `.` (Stripe), `:` (Paddle).
    pub(super) joiner: &'static str,
    /// The refusals' reasons, naming the keys: a timestamp key twice, none, no signature.
    pub(super) repeated_timestamp: &'static str,
    pub(super) missing_timestamp: &'static str,
    pub(super) no_signature: &'static str,
}

impl TimestampedList {
    pub(super) fn verify<'h>(&self, input: &Input<'_, 'h>) -> Result<Verified<'h>, VerifyError> {
        let name = &self.header.text;
        let malformed = |reason| VerifyError::MalformedHeader {
            name: name.clone(),
            reason,
        };
        let value = self.header.required(input.headers)?;
        let mut ts_raw: Option<&[u8]> = None;
        let mut candidates = Candidates::new();
        for item in value.split(|b| *b == self.separator) {
            let Some(eq) = item.iter().position(|b| *b == b'=') else {
                return Err(malformed("each item must be written key=value"));
            };
            let (key, v) = (&item[..eq], &item[eq + 1..]);
            if key == self.timestamp_key.as_bytes() {
                if ts_raw.is_some() {
                    return Err(malformed(self.repeated_timestamp));
                }
                ts_raw = Some(v);
            } else if key == self.signature_key.as_bytes() {
                candidates.push(name, Alg::HmacSha256, Encoding::Hex, v)?;
            }
        }
        let ts_raw = ts_raw.ok_or_else(|| malformed(self.missing_timestamp))?;
        let ts = timestamp::parse(name, ts_raw)?;
        if candidates.is_empty() {
            return Err(malformed(self.no_signature));
        }
        input.time.check(ts)?;
        let content = [ts_raw, self.joiner.as_bytes(), input.body];
        let secret_index = find_match(input.keys, &content, &candidates)?;
        let mut verified = Verified::new(self.scheme, secret_index);
        verified.timestamp = Some(ts);
        Ok(verified)
    }

    /// The header, with one signature per secret.
    pub(super) fn sign(&self, input: &SignInput<'_>) -> Result<Signed, VerifyError> {
        let ts = input.timestamp.to_string();
        let mut value = format!("{}={ts}", self.timestamp_key);
        for mac in input.macs() {
            let tag = mac.tag(&[ts.as_bytes(), self.joiner.as_bytes(), input.body]);
            value.push(char::from(self.separator));
            value.push_str(self.signature_key);
            value.push('=');
            value.push_str(&const_hex::encode(tag));
        }
        Ok(Signed::headers(vec![(self.header.text.to_string(), value)]))
    }
}

/// Milliseconds since the epoch as whole seconds (floor), or the typed error.
pub(super) fn millis_to_secs(name: &Cow<'static, str>, raw: &[u8]) -> Result<i64, VerifyError> {
    Ok(timestamp::parse(name, raw)?.div_euclid(1000))
}

/// Seconds, for the `Duration` constants of provider files.
pub(super) const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// The body as a JSON object to write into (an empty body is an empty object).
pub(super) fn json_object(
    body: &[u8],
    scheme: &'static str,
) -> Result<serde_json::Map<String, serde_json::Value>, VerifyError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_slice(body) {
        Ok(serde_json::Value::Object(object)) => Ok(object),
        _ => Err(VerifyError::MissingSignInput {
            scheme,
            what: "a JSON object body",
        }),
    }
}

/// A key-pair signature in one header over `{timestamp}{body}`, the timestamp (Unix seconds)
/// from another header as sent (Discord's ed25519, SendGrid's ECDSA P-256).
pub(super) struct TimestampThenBody {
    pub(super) scheme: &'static str,
    pub(super) signature: Cow<'static, str>,
    pub(super) timestamp: Cow<'static, str>,
    pub(super) alg: Alg,
    pub(super) encoding: Encoding,
}

impl TimestampThenBody {
    pub(super) fn verify<'h>(&self, input: &Input<'_, 'h>) -> Result<Verified<'h>, VerifyError> {
        let ts_raw = required(input.headers, &self.timestamp)?;
        let ts = timestamp::parse(&self.timestamp, ts_raw)?;
        let encoded = required(input.headers, &self.signature)?;
        let mut candidates = Candidates::new();
        candidates.push(&self.signature, self.alg, self.encoding, encoded)?;
        input.time.check(ts)?;
        let secret_index = find_match(input.keys, &[ts_raw, input.body], &candidates)?;
        let mut verified = Verified::new(self.scheme, secret_index);
        verified.timestamp = Some(ts);
        Ok(verified)
    }

    /// `{timestamp}{body}`, the bytes a signer signs.
    pub(super) fn message(timestamp: &str, body: &[u8]) -> Vec<u8> {
        [timestamp.as_bytes(), body].concat()
    }
}
