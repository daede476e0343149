//! The providers' endpoint checks: requests a provider sends to prove an endpoint is theirs
//! before (or while) delivering to it, answered by the receiver without calling the handler.
//!
//! [`Verifier::receive`](crate::Verifier::receive) tells a handshake from a delivery; both
//! adapters and `webhook listen` answer with the [`Handshake`] it returns. This is the one table
//! of them:
//!
//! | scheme | the check | signed | the answer |
//! |---|---|---|---|
//! | `slack` | JSON body `{"type":"url_verification","challenge":C}` | yes | `200` `text/plain` `C` |
//! | `zoom` | JSON body `{"event":"endpoint.url_validation","payload":{"plainToken":P}}` | yes | `200` JSON `{"plainToken":P,"encryptedToken":hex(HMAC-SHA256(secret token, P))}` |
//! | `discord` | JSON body `{"type":1}` (PING) | yes | `200` JSON `{"type":1}` (PONG) |
//! | `twitch` | `Twitch-Eventsub-Message-Type: webhook_callback_verification`, body `{"challenge":C}` | yes | `200` `text/plain` `C` |
//! | `sns` | JSON body `"Type":"SubscriptionConfirmation"` or `"UnsubscribeConfirmation"` | yes | `200` JSON `{"received":TYPE}`; a subscription is confirmed (`GET SubscribeURL`) only with [`confirm_subscriptions`](crate::VerifierBuilder::confirm_subscriptions), else logged as awaiting confirmation |
//! | `dropbox` | `GET ?challenge=C` | no | `200` `text/plain` `C` |
//! | `meta` | `GET ?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C` | no (`T`) | `200` `text/plain` `C` when `T` is the configured [verify token](crate::VerifierBuilder::verify_token), else `403` |
//!
//! A signed check is answered only once its signature verified: a forged one is refused like
//! any forged delivery. Every answer carries `X-Content-Type-Options: nosniff`, and a challenge
//! is echoed only when it is at most [`MAX_CHALLENGE_LEN`] bytes of printable ASCII, so an
//! endpoint cannot be made to serve arbitrary content.
//!
//! ```
//! use webhook_verify::{Received, Scheme, Verifier};
//!
//! let verifier = Verifier::new(Scheme::dropbox(), "app-secret")?;
//! let Received::Handshake(answer) = verifier.receive("GET", "/dropbox?challenge=abc123", &[("host", "x")], b"")? else {
//!     panic!("a Dropbox challenge is a handshake");
//! };
//! assert_eq!((answer.status, answer.content_type, answer.body.as_str()), (200, "text/plain", "abc123"));
//! # Ok::<(), webhook_verify::VerifyError>(())
//! ```

use std::borrow::Cow;

use crate::Secret;
use crate::headers::Lookup;
use crate::scheme::VerifyKey;

/// The longest challenge echoed back, in bytes: providers send 32 to 100 characters.
///
/// ```
/// assert_eq!(webhook_verify::handshake::MAX_CHALLENGE_LEN, 512);
/// ```
pub const MAX_CHALLENGE_LEN: usize = 512;

/// The answer to a provider's endpoint check, given instead of calling the handler.
///
/// ```
/// use webhook_verify::{Received, Scheme, Signer, Verifier};
///
/// let body = br#"{"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
/// let signer = Signer::new(Scheme::slack(), "signing-secret")?;
/// let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
/// let headers = signer.sign("", now, body)?;
/// let verifier = Verifier::new(Scheme::slack(), "signing-secret")?;
/// match verifier.receive("POST", "/slack", &headers, body)? {
///     Received::Handshake(answer) => assert_eq!(answer.body, "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"),
///     Received::Delivery(_) => unreachable!("url_verification is Slack's handshake"),
/// }
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Handshake {
    /// The scheme that sent the check, as in [`Scheme::name`](crate::Scheme::name).
    pub scheme: &'static str,
    /// The HTTP status to answer.
    pub status: u16,
    /// The `Content-Type` of [`body`](Self::body).
    pub content_type: &'static str,
    /// What to answer: the challenge, or the JSON the provider asks for.
    pub body: String,
}

impl Handshake {
    /// The headers every handshake answer carries besides `Content-Type`.
    ///
    /// ```
    /// assert_eq!(webhook_verify::Handshake::HEADERS, [("x-content-type-options", "nosniff")]);
    /// ```
    pub const HEADERS: [(&'static str, &'static str); 1] = [("x-content-type-options", "nosniff")];

    fn text(scheme: &'static str, challenge: &str) -> Self {
        Self {
            scheme,
            status: 200,
            content_type: "text/plain",
            body: challenge.to_owned(),
        }
    }

    fn json(scheme: &'static str, body: String) -> Self {
        Self {
            scheme,
            status: 200,
            content_type: "application/json",
            body,
        }
    }
}

/// What [`Verifier::receive`](crate::Verifier::receive) made of a request.
///
/// ```
/// use webhook_verify::{Received, Scheme, Verifier};
/// let verifier = Verifier::new(Scheme::github(), "It's a Secret to Everybody")?;
/// let signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
/// let headers = [("X-Hub-Signature-256", signature)];
/// let received = verifier.receive("POST", "/", &headers, b"Hello, World!")?;
/// assert!(matches!(received, Received::Delivery(v) if v.scheme == "github"));
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received<'h> {
    /// An authentic delivery: call the handler.
    Delivery(crate::Verified<'h>),
    /// A provider's endpoint check: answer it, and do not call the handler.
    Handshake(Handshake),
}

/// A provider's endpoint check, pointed to by its [`Provider`](crate::Provider).
#[derive(Clone, Copy)]
pub(crate) enum Rule {
    /// An unsigned `GET`, answered before any verification.
    Unsigned(fn(&UnsignedCheck<'_>) -> Option<Result<Handshake, Refused>>),
    /// A signed request, answered once its signature verified.
    Signed(fn(&SignedCheck<'_, '_>) -> Option<Handshake>),
}

/// An unsigned check's request.
pub(crate) struct UnsignedCheck<'a> {
    pub(crate) scheme: &'static str,
    pub(crate) method: &'a str,
    pub(crate) query: &'a str,
    pub(crate) verify_token: Option<&'a Secret>,
}

impl UnsignedCheck<'_> {
    /// The value of the query parameter `name`, when it is there exactly once.
    pub(crate) fn param(&self, name: &str) -> Option<Cow<'_, str>> {
        let mut values = form_urlencoded::parse(self.query.as_bytes())
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value);
        let value = values.next()?;
        values.next().is_none().then_some(value)
    }

    /// Answers `GET` requests whose query carries an echoable `challenge_param`, checked by
    /// `check` (which may refuse it).
    pub(crate) fn echo(
        &self,
        challenge_param: &str,
        check: impl FnOnce(&Self) -> Result<(), Refused>,
    ) -> Option<Result<Handshake, Refused>> {
        if self.method != "GET" {
            return None;
        }
        let challenge = self.param(challenge_param)?;
        echoable(&challenge)?;
        Some(check(self).map(|()| Handshake::text(self.scheme, &challenge)))
    }
}

/// A signed check's request, after verification.
pub(crate) struct SignedCheck<'a, 'h> {
    pub(crate) scheme: &'static str,
    /// The key that verified (`None` for a scheme verified without one: SNS with no topics).
    pub(crate) key: Option<&'a VerifyKey>,
    pub(crate) headers: &'a dyn Lookup<'h>,
    pub(crate) body: &'a [u8],
    /// [`VerifierBuilder::confirm_subscriptions`](crate::VerifierBuilder::confirm_subscriptions).
    pub(crate) confirm_subscriptions: bool,
}

impl SignedCheck<'_, '_> {
    /// `true` when the body contains `needle`: a cheap test before a body is parsed as JSON,
    /// so that deliveries (nearly every request) are never parsed here.
    pub(crate) fn mentions(&self, needle: &str) -> bool {
        memchr::memmem::find(self.body, needle.as_bytes()).is_some()
    }

    /// The body parsed as `T`, when it is JSON of that shape.
    pub(crate) fn json<'b, T: serde::Deserialize<'b>>(&'b self) -> Option<T> {
        serde_json::from_slice(self.body).ok()
    }

    /// A `text/plain` answer echoing `challenge`, when it may be echoed.
    pub(crate) fn echo(&self, challenge: &str) -> Option<Handshake> {
        echoable(challenge).map(|()| Handshake::text(self.scheme, challenge))
    }

    /// A JSON answer.
    pub(crate) fn answer_json(&self, body: serde_json::Value) -> Handshake {
        Handshake::json(self.scheme, body.to_string())
    }
}

/// Why an unsigned check was refused (Meta's verify token did not match).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refused;

/// `Some` when `challenge` may be echoed: non-empty, at most [`MAX_CHALLENGE_LEN`] bytes, and
/// printable ASCII without `<`, `>`, `&`, quotes (what a browser could take for markup).
fn echoable(challenge: &str) -> Option<()> {
    let fits = !challenge.is_empty() && challenge.len() <= MAX_CHALLENGE_LEN;
    let plain = challenge
        .bytes()
        .all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'&' | b'"' | b'\''));
    (fits && plain).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_printable_challenges_are_echoed() {
        assert!(echoable("abc-123_XYZ.~").is_some());
        for bad in ["", "<script>", "a b", "a\nb", "é", "\"", "a&b"] {
            assert!(echoable(bad).is_none(), "{bad:?}");
        }
        assert!(echoable(&"a".repeat(MAX_CHALLENGE_LEN)).is_some());
        assert!(echoable(&"a".repeat(MAX_CHALLENGE_LEN + 1)).is_none());
    }

    #[test]
    fn a_repeated_parameter_is_no_parameter() {
        let query = UnsignedCheck {
            scheme: "dropbox",
            method: "GET",
            query: "challenge=a&challenge=b",
            verify_token: None,
        };
        assert_eq!(query.param("challenge"), None);
    }
}
