//! `slack`: Slack's signing secret.
//!
//! Signing rule: `X-Slack-Signature: v0=<hex(HMAC-SHA256(secret, "v0:{timestamp}:{body}"))>` with
//! the timestamp from `X-Slack-Request-Timestamp`, the key being the signing secret's bytes. The
//! timestamp must be within the tolerance of now (five minutes by default, as Slack advises).
//!
//! Handshake: Slack's signed `url_verification` event is answered with its `challenge`
//! (see [`handshake`](crate::handshake)).

use std::borrow::Cow;

use super::shared::V0;
use super::{Ops, Provider, hmac_sign_key, hmac_verify_key};
use crate::headers::HeaderKey;
use crate::handshake::{Handshake, Rule, SignedCheck};
use crate::timestamp::DEFAULT_TOLERANCE;

static RULE: V0 = V0 {
    scheme: "slack",
    signature: HeaderKey::new("X-Slack-Signature", "x-slack-signature"),
    timestamp: HeaderKey::new("X-Slack-Request-Timestamp", "x-slack-request-timestamp"),
};

pub(super) const PROVIDER: Provider = Provider {
    name: "slack",
    aliases: &[],
    secret_is: "the signing secret",
    signature_headers: &["X-Slack-Signature"],
    id_header: None,
    timestamp_header: Some("X-Slack-Request-Timestamp"),
    event_type_header: None,
    kept_headers: &["x-slack-signature", "x-slack-request-timestamp"],
    requires_url: false,
    timestamped: true,
    default_tolerance: DEFAULT_TOLERANCE,
    handshake: Some(Rule::Signed(url_verification)),
    certificates: None,
    ops: Ops {
        verify: |input| RULE.verify(input),
        sign: |input| RULE.sign(input),
        verify_key: hmac_verify_key,
        sign_key: hmac_sign_key,
    },
};

/// `{"type":"url_verification","challenge":C}`: answer `C`.
fn url_verification(request: &SignedCheck<'_, '_>) -> Option<Handshake> {
    #[derive(serde::Deserialize)]
    struct Check<'a> {
        #[serde(rename = "type", borrow)]
        kind: Cow<'a, str>,
        #[serde(borrow)]
        challenge: Cow<'a, str>,
    }
    if !request.mentions("url_verification") {
        return None;
    }
    let check: Check<'_> = request.json()?;
    (check.kind == "url_verification")
        .then(|| request.echo(&check.challenge))
        .flatten()
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
