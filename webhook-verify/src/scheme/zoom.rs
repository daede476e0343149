//! `zoom`: Zoom's `x-zm-signature`.
//!
//! Signing rule: `x-zm-signature: v0=<hex(HMAC-SHA256(secret token, "v0:{ts}:{body}"))>`, with
//! `{ts}` the `x-zm-request-timestamp` header (Unix seconds) as sent, the key being the app's
//! secret token. The timestamp must be within the tolerance of now (Zoom documents none: 300 s).
//! The event type is the body's `event` (not read here; see `webhook-queue`'s router).
//!
//! Handshake: the signed `endpoint.url_validation` event is answered with its `plainToken` and
//! `encryptedToken`, the hex HMAC-SHA256 of the plain token under the secret token that verified
//! the request (see [`handshake`](crate::handshake)).

use std::borrow::Cow;

use super::shared::V0;
use super::{Ops, Provider, VerifyKey, hmac_sign_key, hmac_verify_key};
use crate::headers::HeaderKey;
use crate::handshake::{Handshake, Rule, SignedCheck};
use crate::timestamp::DEFAULT_TOLERANCE;

static RULE: V0 = V0 {
    scheme: "zoom",
    signature: HeaderKey::new("x-zm-signature", "x-zm-signature"),
    timestamp: HeaderKey::new("x-zm-request-timestamp", "x-zm-request-timestamp"),
};

pub(super) const PROVIDER: Provider = Provider {
    name: "zoom",
    aliases: &[],
    secret_is: "the secret token",
    signature_headers: &["x-zm-signature"],
    id_header: None,
    timestamp_header: Some("x-zm-request-timestamp"),
    event_type_header: None,
    kept_headers: &["x-zm-signature", "x-zm-request-timestamp", "x-zm-trackingid"],
    requires_url: false,
    timestamped: true,
    default_tolerance: DEFAULT_TOLERANCE,
    handshake: Some(Rule::Signed(url_validation)),
    certificates: None,
    ops: Ops {
        verify: |input| RULE.verify(input),
        sign: |input| RULE.sign(input),
        verify_key: hmac_verify_key,
        sign_key: hmac_sign_key,
    },
};

/// `{"event":"endpoint.url_validation","payload":{"plainToken":P}}`: answer
/// `{"plainToken":P,"encryptedToken":hex(HMAC-SHA256(secret token, P))}`.
fn url_validation(request: &SignedCheck<'_, '_>) -> Option<Handshake> {
    #[derive(serde::Deserialize)]
    struct Check<'a> {
        #[serde(borrow)]
        event: Cow<'a, str>,
        #[serde(borrow)]
        payload: Payload<'a>,
    }
    #[derive(serde::Deserialize)]
    struct Payload<'a> {
        #[serde(rename = "plainToken", borrow)]
        plain_token: Cow<'a, str>,
    }
    if !request.mentions("endpoint.url_validation") {
        return None;
    }
    let check: Check<'_> = request.json()?;
    let Some(VerifyKey::Hmac(mac)) = request.key else {
        return None;
    };
    let plain = check.payload.plain_token;
    if check.event != "endpoint.url_validation" || request.echo(&plain).is_none() {
        return None;
    }
    let encrypted = const_hex::encode(mac.tag(&[plain.as_bytes()]));
    Some(request.answer_json(serde_json::json!({
        "plainToken": plain,
        "encryptedToken": encrypted,
    })))
}

#[cfg(test)]
mod tests {
    use crate::{FixedClock, Scheme, Signer, Verifier, VerifyError};

    // Computed with Python's hmac module, independently of this crate.
    const SECRET: &str = "zoom-secret-token";
    const TS: &str = "1658940994";
    const NOW: i64 = 1_658_940_994;
    const BODY: &[u8] = br#"{"event":"meeting.started","payload":{"object":{"id":"1"}}}"#;

    fn verify(secrets: &[&str], ts: &str, sig: &str, body: &[u8]) -> Result<usize, VerifyError> {
        Verifier::builder(Scheme::zoom())
            .secrets(secrets.iter().copied())
            .clock(FixedClock(NOW))
            .build()?
            .verify(
                &[("x-zm-request-timestamp", ts), ("x-zm-signature", sig)],
                body,
            )
            .map(|v| v.secret_index)
    }

    fn signature() -> String {
        Signer::new(Scheme::zoom(), SECRET).unwrap().sign("", NOW, BODY).unwrap()[1]
            .1
            .clone()
    }

    #[test]
    fn signs_the_independent_vector() {
        assert_eq!(signature(), super::tests_vector::SIGNATURE);
        assert_eq!(verify(&[SECRET], TS, &signature(), BODY), Ok(0));
    }

    #[test]
    fn tampered_body_timestamp_or_secret_is_refused() {
        let sig = signature();
        let no = Err(VerifyError::NoMatchingSignature);
        assert_eq!(verify(&[SECRET], TS, &sig, b"{}"), no);
        assert_eq!(verify(&[SECRET], "1658940995", &sig, BODY), no);
        assert_eq!(verify(&["other"], TS, &sig, BODY), no);
        assert_eq!(verify(&["other", SECRET], TS, &sig, BODY), Ok(1));
    }
}

#[cfg(test)]
mod tests_vector {
    /// `hex(HMAC-SHA256("zoom-secret-token", "v0:1658940994:" + body))`, by Python.
    pub(super) const SIGNATURE: &str =
        "v0=15dabc6129c0a8bdec834ef978b2dcc16b79d16b1b5df62eef4666b252901ea1";
}
