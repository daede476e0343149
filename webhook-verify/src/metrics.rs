//! What a receiver reports, through the [`metrics`](https://docs.rs/metrics) facade: the
//! application installs a recorder (`metrics-exporter-prometheus`, ...) and every component
//! emits into it; without one, nothing is recorded. **This is the one table of the toolkit's
//! metrics.**
//!
//! | name | type | labels | what |
//! |---|---|---|---|
//! | `webhook_deliveries_total` | counter | `endpoint`, `scheme`, `outcome`, `reason` | every request a receiver answered, by [`Outcome`]; `reason` says why one was `refused` (else empty) |
//! | `webhook_verify_seconds` | histogram | `endpoint`, `scheme` | time to verify a body, once it was read |
//! | `webhook_handler_seconds` | histogram | `endpoint`, `scheme` | time from verification to the answer: the idempotency claim, the handler (or the enqueue) and the completion |
//! | `webhook_body_bytes` | histogram | `endpoint`, `scheme` | size of each body read |
//!
//! Label values are bounded: `endpoint` is the name given with
//! [`VerifierBuilder::endpoint`](crate::VerifierBuilder::endpoint) (default `default`), `scheme`
//! the scheme's name, `outcome` and `reason` the fixed words below.
//! No id, key, path or header from a request ever becomes a label.
//!
//! | `outcome` | when | `reason` |
//! |---|---|---|
//! | `accepted` | authentic, and the handler answered 2xx | |
//! | `refused` | refused before the handler | `signature`, `timestamp`, `too_large`, `unreadable`, `timeout`, `verify_token`, `misconfigured`, `other` |
//! | `duplicate` | an event already processed: answered 2xx without the handler | |
//! | `in_flight` | the same event is being processed: `409` | |
//! | `conflict` | the same id with another body: `422` | |
//! | `unavailable` | the idempotency store or the queue is down: `503` | |
//! | `handshake` | a provider's endpoint check, answered ([`handshake`](crate::handshake)) | |
//! | `failed` | the handler answered an error | |
//!
//! ```
//! use webhook_verify::metrics::{DELIVERIES_TOTAL, Outcome};
//! assert_eq!(DELIVERIES_TOTAL, "webhook_deliveries_total");
//! assert_eq!(Outcome::InFlight.as_str(), "in_flight");
//! ```

use std::time::Duration;

use crate::{Rejection, Verifier};

/// `webhook_deliveries_total`: requests answered, by outcome.
pub const DELIVERIES_TOTAL: &str = "webhook_deliveries_total";
/// `webhook_verify_seconds`: verification time.
pub const VERIFY_SECONDS: &str = "webhook_verify_seconds";
/// `webhook_handler_seconds`: time from verification to the answer.
pub const HANDLER_SECONDS: &str = "webhook_handler_seconds";
/// `webhook_body_bytes`: body sizes.
pub const BODY_BYTES: &str = "webhook_body_bytes";

/// What became of a request, the `outcome` label of [`DELIVERIES_TOTAL`].
///
/// ```
/// assert_eq!(webhook_verify::metrics::Outcome::Duplicate.as_str(), "duplicate");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// Authentic, and the handler answered 2xx.
    Accepted,
    /// Refused before the handler (see the reason).
    Refused,
    /// Already processed: answered 2xx without the handler.
    Duplicate,
    /// Being processed by another delivery: `409`.
    InFlight,
    /// Same id, another body: `422`.
    Conflict,
    /// A store or queue is down: `503`.
    Unavailable,
    /// A provider's endpoint check, answered.
    Handshake,
    /// The handler answered an error.
    Failed,
}

impl Outcome {
    /// The label value.
    ///
    /// ```
    /// assert_eq!(webhook_verify::metrics::Outcome::Accepted.as_str(), "accepted");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Refused => "refused",
            Self::Duplicate => "duplicate",
            Self::InFlight => "in_flight",
            Self::Conflict => "conflict",
            Self::Unavailable => "unavailable",
            Self::Handshake => "handshake",
            Self::Failed => "failed",
        }
    }
}

/// Describes every metric of the table to the installed recorder (help text and units), so an
/// exporter shows them before the first delivery. Call it once, after installing the recorder.
///
/// ```
/// webhook_verify::metrics::describe(); // a no-op without a recorder
/// ```
pub fn describe() {
    use ::metrics::{Unit, describe_counter, describe_histogram};
    describe_counter!(DELIVERIES_TOTAL, "Webhook requests answered, by outcome");
    describe_histogram!(
        VERIFY_SECONDS,
        Unit::Seconds,
        "Time to verify a webhook body"
    );
    describe_histogram!(
        HANDLER_SECONDS,
        Unit::Seconds,
        "Time from verification to the answer (claim, handler, completion)"
    );
    describe_histogram!(BODY_BYTES, Unit::Bytes, "Size of each webhook body read");
}

/// Counts a request refused before its handler (`outcome="refused"`, with its reason).
///
/// ```
/// use webhook_verify::{Rejection, Scheme, Verifier, VerifyError};
/// let verifier = Verifier::new(Scheme::github(), "secret")?;
/// webhook_verify::metrics::refused(&verifier, &Rejection::from(VerifyError::NoMatchingSignature));
/// # Ok::<(), VerifyError>(())
/// ```
pub fn refused(verifier: &Verifier, rejection: &Rejection) {
    count(verifier, Outcome::Refused, rejection.reason());
}

/// Counts an answered endpoint check (`outcome="handshake"`).
///
/// ```
/// # use webhook_verify::{Scheme, Verifier};
/// let verifier = Verifier::new(Scheme::slack(), "secret")?;
/// webhook_verify::metrics::handshake(&verifier);
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
pub fn handshake(verifier: &Verifier) {
    count(verifier, Outcome::Handshake, "");
}

/// Records a verified body: its size and how long verifying it took.
///
/// ```
/// # use std::time::Duration;
/// # use webhook_verify::{Scheme, Verifier};
/// let verifier = Verifier::new(Scheme::github(), "secret")?;
/// webhook_verify::metrics::verified(&verifier, 512, Duration::from_micros(2));
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
pub fn verified(verifier: &Verifier, body_bytes: usize, verify: Duration) {
    histogram(verifier, BODY_BYTES, body_bytes as f64);
    histogram(verifier, VERIFY_SECONDS, verify.as_secs_f64());
}

/// Counts a verified delivery once it is answered, with the time from verification to the
/// answer when it was measured (`None` for an extractor, which does not see the answer). The
/// outcome is the one a later layer gave its answer (`tagged`, see
/// [`Rejection::outcome`]: duplicate, in flight, conflict, unavailable), else `accepted` for a
/// 2xx `status` and `failed` otherwise.
///
/// ```
/// # use std::time::Duration;
/// # use webhook_verify::{Scheme, Verifier, metrics::Outcome};
/// let verifier = Verifier::new(Scheme::github(), "secret")?;
/// webhook_verify::metrics::answered(&verifier, Some(Duration::from_millis(3)), 200, None);
/// webhook_verify::metrics::answered(&verifier, None, 200, Some(Outcome::Duplicate));
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
pub fn answered(
    verifier: &Verifier,
    handler: Option<Duration>,
    status: u16,
    tagged: Option<Outcome>,
) {
    let outcome = outcome_of(status, tagged);
    if let Some(handler) = handler {
        histogram(verifier, HANDLER_SECONDS, handler.as_secs_f64());
    }
    count(verifier, outcome, "");
}

/// The outcome of an authentic delivery's answer: the one a later layer tagged it with, else
/// `accepted` for a 2xx `status` and `failed` otherwise.
///
/// ```
/// use webhook_verify::metrics::{Outcome, outcome_of};
/// assert_eq!(outcome_of(200, None), Outcome::Accepted);
/// assert_eq!(outcome_of(500, None), Outcome::Failed);
/// assert_eq!(outcome_of(200, Some(Outcome::Duplicate)), Outcome::Duplicate);
/// ```
pub fn outcome_of(status: u16, tagged: Option<Outcome>) -> Outcome {
    tagged.unwrap_or(if (200..300).contains(&status) {
        Outcome::Accepted
    } else {
        Outcome::Failed
    })
}

fn histogram(verifier: &Verifier, name: &'static str, value: f64) {
    ::metrics::histogram!(
        name,
        "endpoint" => verifier.endpoint_label(),
        "scheme" => verifier.scheme().name(),
    )
    .record(value);
}

fn count(verifier: &Verifier, outcome: Outcome, reason: &'static str) {
    ::metrics::counter!(
        DELIVERIES_TOTAL,
        "endpoint" => verifier.endpoint_label(),
        "scheme" => verifier.scheme().name(),
        "outcome" => outcome.as_str(),
        "reason" => reason,
    )
    .increment(1);
}
