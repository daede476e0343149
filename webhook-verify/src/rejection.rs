//! What to answer the sender when a delivery is refused: one place for status codes and error
//! bodies, shared by every adapter so axum and actix-web answer alike.
//!
//! | failure                                            | status | body                                   |
//! |----------------------------------------------------|--------|----------------------------------------|
//! | missing / malformed / non-matching signature       | 401    | `{"error": "<VerifyError message>"}`   |
//! | timestamp outside tolerance                        | 401    | `{"error": "timestamp is older ..."}`  |
//! | wrong verify token in an endpoint check (Meta)     | 403    | `{"error": "hub.verify_token does not match ..."}` |
//! | body over the limit (`Content-Length` or streamed) | 413    | `{"error": "body exceeds the N-byte limit"}` |
//! | body could not be read                             | 400    | `{"error": "request body could not be read"}` |
//! | body not complete within the body timeout          | 408    | `{"error": "request body was not received in time"}` |
//! | verifier misconfigured (no secret, bad key)        | 500    | `{"error": "webhook receiver is misconfigured"}` |
//! | signing certificate not available yet (PayPal, SNS) | 503, `Retry-After: 10` | `{"error": "the signing certificate is not available yet; retry later"}` |
//!
//! Later layers (idempotency, queue) add their own answers (200 for a duplicate, 409, 422, 503)
//! through [`Rejection::new`], so every refusal has the same shape. A 2xx answer (a duplicate of a
//! processed event: nothing went wrong, the sender must stop retrying) is rendered
//! `{"status": "<message>"}` instead of `{"error": ...}`.

use std::borrow::Cow;

use crate::VerifyError;
use crate::metrics::Outcome;

/// The `Retry-After` of a delivery whose signing certificate is not available yet, seconds.
const CERTIFICATE_RETRY_AFTER_SECS: u64 = 10;

/// A refusal: HTTP status, a message for the sender, and optionally when to retry.
///
/// Framework-free; each adapter turns it into its own response type.
///
/// ```
/// use webhook_verify::{Rejection, VerifyError};
///
/// let rejection = Rejection::from(VerifyError::NoMatchingSignature);
/// assert_eq!(rejection.status(), 401);
/// assert_eq!(rejection.json_body(), r#"{"error":"no signature matches the body"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    status: u16,
    message: Cow<'static, str>,
    retry_after: Option<u64>,
    reason: &'static str,
    outcome: Option<Outcome>,
}

impl Rejection {
    /// A refusal with any status and message. The message is shown to the sender: keep secrets out.
    ///
    /// ```
    /// let r = webhook_verify::Rejection::new(409, "delivery is being processed").retry_after(5);
    /// assert_eq!(r.retry_after_secs(), Some(5));
    /// ```
    pub fn new(status: u16, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after: None,
            reason: reason_of(status),
            outcome: None,
        }
    }

    /// `413`: the body is larger than `limit` bytes.
    ///
    /// ```
    /// assert_eq!(webhook_verify::Rejection::payload_too_large(10).status(), 413);
    /// ```
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(413, format!("body exceeds the {limit}-byte limit"))
    }

    /// `400`: the body could not be read (connection error, bad chunked encoding).
    ///
    /// ```
    /// assert_eq!(webhook_verify::Rejection::unreadable_body().status(), 400);
    /// ```
    pub fn unreadable_body() -> Self {
        Self::new(400, "request body could not be read")
    }

    /// `500`: the receiver is set up wrong (a layer that needs verification runs without it, a
    /// verifier without a usable secret). The sender sees only this; the log says what to fix.
    ///
    /// ```
    /// let r = webhook_verify::Rejection::misconfigured();
    /// assert_eq!(r.json_body(), r#"{"error":"webhook receiver is misconfigured"}"#);
    /// ```
    pub fn misconfigured() -> Self {
        Self::new(500, "webhook receiver is misconfigured")
    }

    /// `408`: the body did not arrive within the receiver's body timeout
    /// ([`Verifier::body_timeout`](crate::Verifier::body_timeout)). Adapters also close the
    /// connection.
    ///
    /// ```
    /// assert_eq!(webhook_verify::Rejection::body_timeout().status(), 408);
    /// ```
    pub fn body_timeout() -> Self {
        Self::new(408, "request body was not received in time")
    }

    /// Adds a `Retry-After` of `secs` seconds (for 409 and 503).
    ///
    /// ```
    /// let r = webhook_verify::Rejection::new(503, "try again").retry_after(1);
    /// assert_eq!(r.retry_after_secs(), Some(1));
    /// ```
    #[must_use]
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// Marks the answer as a later layer's decision for [metrics](crate::metrics): a duplicate,
    /// in flight, a conflict, a store outage. The verify layer counts the delivery under it
    /// rather than by its status.
    ///
    /// ```
    /// use webhook_verify::{Rejection, metrics::Outcome};
    /// let r = Rejection::new(200, "duplicate").outcome(Outcome::Duplicate);
    /// assert_eq!(r.tagged_outcome(), Some(Outcome::Duplicate));
    /// ```
    #[must_use]
    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = Some(outcome);
        self
    }

    /// The outcome set with [`outcome`](Self::outcome), if any.
    ///
    /// ```
    /// assert_eq!(webhook_verify::Rejection::new(401, "x").tagged_outcome(), None);
    /// ```
    pub fn tagged_outcome(&self) -> Option<Outcome> {
        self.outcome
    }

    /// Why it was refused, as the `reason` label of [`metrics`](crate::metrics): `signature`,
    /// `timestamp`, `too_large`, `unreadable`, `timeout`, `verify_token`, `misconfigured`, or
    /// `other`.
    ///
    /// ```
    /// use webhook_verify::{Rejection, VerifyError};
    /// let stale = VerifyError::TimestampOutOfTolerance { direction: "older", tolerance_secs: 300 };
    /// assert_eq!(Rejection::from(stale).reason(), "timestamp");
    /// assert_eq!(Rejection::payload_too_large(10).reason(), "too_large");
    /// ```
    pub fn reason(&self) -> &'static str {
        self.reason
    }

    /// The HTTP status code.
    ///
    /// ```
    /// assert_eq!(webhook_verify::Rejection::new(422, "x").status(), 422);
    /// ```
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The message shown to the sender.
    ///
    /// ```
    /// assert_eq!(webhook_verify::Rejection::new(422, "x").message(), "x");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Seconds for a `Retry-After` header, if any.
    ///
    /// ```
    /// assert_eq!(webhook_verify::Rejection::new(401, "x").retry_after_secs(), None);
    /// ```
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after
    }

    /// `true` when the answer must close the connection (`Connection: close`): the body was not
    /// read to its end (`408` timed out, `413` over the limit), so the connection cannot carry
    /// another request, and a client that stalls must not keep it.
    ///
    /// ```
    /// use webhook_verify::Rejection;
    /// assert!(Rejection::body_timeout().closes_connection());
    /// assert!(Rejection::payload_too_large(10).closes_connection());
    /// assert!(!Rejection::new(401, "no signature matches the body").closes_connection());
    /// ```
    pub fn closes_connection(&self) -> bool {
        matches!(self.status, 408 | 413)
    }

    /// The response body: `{"error": "<message>"}`, or `{"status": "<message>"}` for a 2xx answer
    /// (a delivery that needs no processing, such as a duplicate: the sender must stop retrying,
    /// and nothing went wrong).
    ///
    /// ```
    /// use webhook_verify::Rejection;
    /// assert_eq!(Rejection::new(400, "bad \"x\"").json_body(), r#"{"error":"bad \"x\""}"#);
    /// assert_eq!(Rejection::new(200, "duplicate").json_body(), r#"{"status":"duplicate"}"#);
    /// ```
    pub fn json_body(&self) -> String {
        /// `{"status": message}` or `{"error": message}`, written without building a JSON map.
        #[derive(serde::Serialize)]
        #[serde(rename_all = "lowercase")]
        enum Body<'a> {
            Status(&'a str),
            Error(&'a str),
        }
        let body = if (200..300).contains(&self.status) {
            Body::Status(&self.message)
        } else {
            Body::Error(&self.message)
        };
        // Serializing a string cannot fail.
        serde_json::to_string(&body).unwrap_or_default()
    }
}

impl From<VerifyError> for Rejection {
    fn from(err: VerifyError) -> Self {
        if let VerifyError::BodyTooLarge { limit } = err {
            Self::payload_too_large(limit)
        } else if err == VerifyError::VerifyTokenMismatch {
            Self::new(403, err.to_string())
        } else if let VerifyError::TimestampOutOfTolerance { .. } = err {
            Self {
                reason: "timestamp",
                ..Self::new(401, err.to_string())
            }
        } else if matches!(
            err,
            VerifyError::CertificateUnavailable | VerifyError::SubscriptionNotConfirmed
        ) {
            Self::new(503, err.to_string()).retry_after(CERTIFICATE_RETRY_AFTER_SECS)
        } else if err.is_request_error() {
            Self::new(401, err.to_string())
        } else {
            Self::misconfigured()
        }
    }
}

/// The `reason` label of a refusal with `status` (see [`Rejection::reason`]).
fn reason_of(status: u16) -> &'static str {
    match status {
        400 => "unreadable",
        401 => "signature",
        403 => "verify_token",
        408 => "timeout",
        413 => "too_large",
        500 => "misconfigured",
        _ => "other",
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

impl std::error::Error for Rejection {}
