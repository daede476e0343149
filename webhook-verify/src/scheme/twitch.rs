//! `twitch`: Twitch EventSub's `Twitch-Eventsub-Message-Signature`.
//!
//! Signing rule: `Twitch-Eventsub-Message-Signature: sha256=<hex>`, the HMAC-SHA256 keyed with the
//! subscription's secret over `{Twitch-Eventsub-Message-Id}{Twitch-Eventsub-Message-Timestamp}{body}`,
//! the id and timestamp exactly as sent. The timestamp is RFC 3339 (`2019-11-16T10:11:12.634Z`);
//! Twitch tells receivers to refuse messages more than 10 minutes old: the default tolerance is
//! 600 s. The message id is reported as the webhook id (it is signed), the
//! `Twitch-Eventsub-Subscription-Type` as the event type.
//!
//! Handshake: a signed `Twitch-Eventsub-Message-Type: webhook_callback_verification` message is
//! answered with its body's `challenge` (see [`handshake`](crate::handshake)).

use std::borrow::Cow;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::shared::secs;
use super::{
    Alg, Candidates, Encoding, Input, Ops, Provider, SignInput, Signed, find_match, hmac_sign_key,
    hmac_verify_key, utf8,
};
use crate::handshake::{Handshake, Rule, SignedCheck};
use crate::headers::HeaderKey;
use crate::timestamp::parse_rfc3339;
use crate::{Verified, VerifyError};

static SIGNATURE: HeaderKey = HeaderKey::new(
    "Twitch-Eventsub-Message-Signature",
    "twitch-eventsub-message-signature",
);
static ID: HeaderKey = HeaderKey::new("Twitch-Eventsub-Message-Id", "twitch-eventsub-message-id");
static TIMESTAMP: HeaderKey = HeaderKey::new(
    "Twitch-Eventsub-Message-Timestamp",
    "twitch-eventsub-message-timestamp",
);
static EVENT: HeaderKey = HeaderKey::new(
    "Twitch-Eventsub-Subscription-Type",
    "twitch-eventsub-subscription-type",
);
static MESSAGE_TYPE: HeaderKey =
    HeaderKey::new("Twitch-Eventsub-Message-Type", "twitch-eventsub-message-type");

pub(super) const PROVIDER: Provider = Provider {
    name: "twitch",
    aliases: &[],
    secret_is: "the subscription secret",
    signature_headers: &["Twitch-Eventsub-Message-Signature"],
    id_header: Some("Twitch-Eventsub-Message-Id"),
    timestamp_header: Some("Twitch-Eventsub-Message-Timestamp"),
    event_type_header: Some("Twitch-Eventsub-Subscription-Type"),
    kept_headers: &[
        "twitch-eventsub-message-signature",
        "twitch-eventsub-message-id",
        "twitch-eventsub-message-timestamp",
        "twitch-eventsub-message-type",
        "twitch-eventsub-subscription-type",
        "twitch-eventsub-subscription-version",
    ],
    requires_url: false,
    timestamped: true,
    default_tolerance: secs(600),
    handshake: Some(Rule::Signed(callback_verification)),
    certificates: None,
    ops: Ops {
        verify,
        sign,
        verify_key: hmac_verify_key,
        sign_key: hmac_sign_key,
    },
};

/// `webhook_callback_verification` with `{"challenge":C}`: answer `C`.
fn callback_verification(request: &SignedCheck<'_, '_>) -> Option<Handshake> {
    #[derive(serde::Deserialize)]
    struct Check<'a> {
        #[serde(borrow)]
        challenge: Cow<'a, str>,
    }
    let kind = MESSAGE_TYPE.optional(request.headers).ok()??;
    if kind != b"webhook_callback_verification" {
        return None;
    }
    let check: Check<'_> = request.json()?;
    request.echo(&check.challenge)
}

fn verify<'h>(input: &Input<'_, 'h>) -> Result<Verified<'h>, VerifyError> {
    let id_raw = ID.required(input.headers)?;
    let id = utf8(&ID.text, id_raw)?;
    if id.is_empty() {
        return Err(VerifyError::MalformedHeader {
            name: ID.text.clone(),
            reason: "must be non-empty",
        });
    }
    let ts_raw = TIMESTAMP.required(input.headers)?;
    let ts = parse_rfc3339(&TIMESTAMP.text, ts_raw)?;
    let value = SIGNATURE.required(input.headers)?;
    let encoded = value
        .strip_prefix(b"sha256=")
        .ok_or_else(|| VerifyError::MalformedHeader {
            name: SIGNATURE.text.clone(),
            reason: "must start with sha256=",
        })?;
    let mut candidates = Candidates::new();
    candidates.push(&SIGNATURE.text, Alg::HmacSha256, Encoding::Hex, encoded)?;
    input.time.check(ts)?;
    let secret_index = find_match(input.keys, &[id_raw, ts_raw, input.body], &candidates)?;
    let mut verified = Verified::new("twitch", secret_index);
    verified.webhook_id = Some(Cow::Borrowed(id));
    verified.timestamp = Some(ts);
    verified.event_type = EVENT.text(input.headers);
    Ok(verified)
}

fn sign(input: &SignInput<'_>) -> Result<Signed, VerifyError> {
    let bad = |what| VerifyError::MissingSignInput {
        scheme: "twitch",
        what,
    };
    if input.id.is_empty() {
        return Err(bad("a non-empty message id"));
    }
    let ts = OffsetDateTime::from_unix_timestamp(input.timestamp)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .ok_or(bad("a timestamp between the years 0 and 9999"))?;
    let Some(mac) = input.first_mac() else {
        return Ok(Signed::headers(Vec::new()));
    };
    let tag = mac.tag(&[input.id.as_bytes(), ts.as_bytes(), input.body]);
    Ok(Signed::headers(vec![
        (ID.text.to_string(), input.id.to_owned()),
        (TIMESTAMP.text.to_string(), ts),
        (
            SIGNATURE.text.to_string(),
            format!("sha256={}", const_hex::encode(tag)),
        ),
    ]))
}

#[cfg(test)]
mod tests {
    use crate::{FixedClock, Scheme, Verifier, VerifyError};

    // The message id and timestamp of Twitch's docs; the signature computed with Python's hmac.
    const SECRET: &str = "twitch-sub-secret";
    const ID: &str = "e76c6bd4-55c9-4987-8304-da1588d8988b";
    const TS: &str = "2019-11-16T10:11:12.634234626Z";
    const NOW: i64 = 1_573_899_072;
    const BODY: &[u8] = br#"{"subscription":{"type":"channel.follow"}}"#;
    const SIG: &str = "sha256=0f2e310f76d6382a28b9241b980b4afc3b9f3357735b0316c2fac35eb7e93a1a";

    fn check(now: i64, id: &str, ts: &str, sig: &str, body: &[u8]) -> Result<usize, VerifyError> {
        Verifier::builder(Scheme::twitch())
            .secrets(["old", SECRET])
            .clock(FixedClock(now))
            .build()?
            .verify(
                &[
                    ("Twitch-Eventsub-Message-Id", id),
                    ("Twitch-Eventsub-Message-Timestamp", ts),
                    ("Twitch-Eventsub-Message-Signature", sig),
                    ("Twitch-Eventsub-Subscription-Type", "channel.follow"),
                ],
                body,
            )
            .map(|v| {
                assert_eq!(v.webhook_id.as_deref(), Some(ID));
                assert_eq!(v.timestamp, Some(NOW));
                assert_eq!(v.event_type.as_deref(), Some("channel.follow"));
                v.secret_index
            })
    }

    #[test]
    fn accepts_the_independent_vector() {
        assert_eq!(check(NOW, ID, TS, SIG, BODY), Ok(1));
    }

    #[test]
    fn tampering_is_refused() {
        let no = Err(VerifyError::NoMatchingSignature);
        assert_eq!(check(NOW, ID, TS, SIG, b"{}"), no);
        assert_eq!(check(NOW, "e76c6bd4-55c9-4987-8304-da1588d8988c", TS, SIG, BODY), no);
        assert_eq!(check(NOW, ID, "2019-11-16T10:11:12.634234627Z", SIG, BODY), no);
        assert!(matches!(
            check(NOW, ID, "1573899072", SIG, BODY),
            Err(VerifyError::MalformedHeader { .. })
        ));
    }

    #[test]
    fn ten_minutes_is_the_default_tolerance() {
        assert_eq!(check(NOW + 600, ID, TS, SIG, BODY), Ok(1));
        assert!(matches!(
            check(NOW + 601, ID, TS, SIG, BODY),
            Err(VerifyError::TimestampOutOfTolerance {
                tolerance_secs: 600,
                ..
            })
        ));
    }
}
