//! `slack`: Slack's signing secret.
//!
//! Signing rule: `X-Slack-Signature: v0=<hex(HMAC-SHA256(secret, "v0:{timestamp}:{body}"))>` with
//! the timestamp from `X-Slack-Request-Timestamp`, the key being the signing secret's bytes. The
//! timestamp must be within the tolerance of now (five minutes by default, as Slack advises).

use std::borrow::Cow;

use super::{Alg, Candidates, Encoding, SignKey, VerifyKey, find_match};
use crate::headers::required;
use crate::timestamp::{self, TimestampPolicy};
use crate::{HeaderSource, Verified, VerifyError};

pub(super) const SIGNATURE_HEADER: &str = "X-Slack-Signature";
const SIGNATURE: Cow<'static, str> = Cow::Borrowed(SIGNATURE_HEADER);
const TIMESTAMP: Cow<'static, str> = Cow::Borrowed("X-Slack-Request-Timestamp");

pub(super) fn verify<'h, H: HeaderSource + ?Sized>(
    keys: &[VerifyKey],
    time: &TimestampPolicy,
    headers: &'h H,
    body: &[u8],
) -> Result<Verified<'h>, VerifyError> {
    let ts_raw = required(headers, &TIMESTAMP)?;
    let ts = timestamp::parse(&TIMESTAMP, ts_raw)?;
    let value = required(headers, &SIGNATURE)?;
    let encoded = value
        .strip_prefix(b"v0=")
        .ok_or(VerifyError::MalformedHeader {
            name: SIGNATURE,
            reason: "must start with v0=",
        })?;
    let mut candidates = Candidates::new();
    candidates.push(&SIGNATURE, Alg::HmacSha256, Encoding::Hex, encoded)?;
    time.check(ts)?;
    let secret_index = find_match(keys, &[b"v0:", ts_raw, b":", body], &candidates)?;
    Ok(Verified {
        scheme: "slack",
        webhook_id: None,
        timestamp: Some(ts),
        secret_index,
    })
}

pub(super) fn sign(keys: &[SignKey], timestamp: i64, body: &[u8]) -> Vec<(String, String)> {
    let ts = timestamp.to_string();
    let Some(SignKey::Hmac(mac)) = keys.first() else {
        return Vec::new();
    };
    let tag = mac.tag(&[b"v0:", ts.as_bytes(), b":", body]);
    vec![
        (TIMESTAMP.to_string(), ts),
        (
            SIGNATURE_HEADER.to_owned(),
            format!("v0={}", const_hex::encode(tag)),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use crate::{FixedClock, Scheme, Signer, Verifier, VerifyError};

    // Slack's published example ("Verifying requests from Slack").
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const TS: &str = "1531420618";
    const NOW: i64 = 1_531_420_618;
    const BODY: &[u8] = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIGNATURE: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    fn verify(now: i64, ts: &str, sig: &str, body: &[u8]) -> Result<(), VerifyError> {
        let v = Verifier::builder(Scheme::slack())
            .secret(SECRET)
            .clock(FixedClock(now))
            .build()?;
        v.verify(
            &[
                ("X-Slack-Request-Timestamp", ts),
                ("X-Slack-Signature", sig),
            ],
            body,
        )
        .map(|_| ())
    }

    #[test]
    fn accepts_slacks_published_vector() {
        assert_eq!(verify(NOW, TS, SIGNATURE, BODY), Ok(()));
    }

    #[test]
    fn signs_slacks_published_vector() {
        let signed = Signer::new(Scheme::slack(), SECRET)
            .unwrap()
            .sign("", NOW, BODY)
            .unwrap();
        assert_eq!(signed[1].1, SIGNATURE);
    }

    #[test]
    fn rejects_tampered_timestamp_and_body() {
        assert_eq!(
            verify(NOW, "1531420619", SIGNATURE, BODY),
            Err(VerifyError::NoMatchingSignature)
        );
        assert_eq!(
            verify(NOW, TS, SIGNATURE, b"token=x"),
            Err(VerifyError::NoMatchingSignature)
        );
    }

    #[test]
    fn rejects_stale_request() {
        assert!(matches!(
            verify(NOW + 301, TS, SIGNATURE, BODY),
            Err(VerifyError::TimestampOutOfTolerance { .. })
        ));
    }

    #[test]
    fn requires_v0_prefix() {
        let bare = SIGNATURE.trim_start_matches("v0=");
        assert!(matches!(
            verify(NOW, TS, bare, BODY),
            Err(VerifyError::MalformedHeader { .. })
        ));
    }
}
