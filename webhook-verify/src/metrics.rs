//! What a receiver reports, through the [`metrics`](https://docs.rs/metrics) facade: the
//! application installs a recorder (`metrics-exporter-prometheus`, ...) and every component
//! emits into it; without one, nothing is recorded. Install it before a verifier's first
//! delivery: each [`Verifier`] registers its series then and keeps the handles, so a delivery
//! costs no label hashing or registry lookup (under 2 % of the verify layer's CPU per request,
//! `BENCHMARKS.md`). **This is the one table of the toolkit's metrics.**
//!
//! | name | type | labels | what |
//! |---|---|---|---|
//! | `webhook_deliveries_total` | counter | `endpoint`, `scheme`, `outcome`, `reason` | every request a receiver answered, by [`Outcome`]; `reason` says why one was `refused` (else empty) |
//! | `webhook_verify_seconds` | histogram | `endpoint`, `scheme` | time to verify a body, once it was read |
//! | `webhook_handler_seconds` | histogram | `endpoint`, `scheme` | time from verification to the answer: the idempotency claim, the handler (or the enqueue) and the completion |
//! | `webhook_body_bytes` | histogram | `endpoint`, `scheme` | size of each body read |
//! | `webhook_queue_entries` | gauge | `queue`, `state` | a queue's entries by `state`: `pending` (in flight included), `in_flight`, `retrying`, `dead`; sampled by every running worker when it starts and then every 5 s |
//! | `webhook_queue_attempts_total` | counter | `queue`, `result` | handler attempts by workers, `result` `succeeded` or `failed` |
//! | `webhook_queue_attempt_seconds` | histogram | `queue` | time of each handler attempt |
//! | `webhook_queue_dead_letters_total` | counter | `queue` | entries moved to the dead letters (out of attempts, or undecodable) |
//!
//! Label values are bounded: `endpoint` is the name given with
//! [`VerifierBuilder::endpoint`](crate::VerifierBuilder::endpoint) (default `default`), `scheme`
//! the scheme's name, `queue` the queue's configured name, `outcome`, `reason`, `state` and
//! `result` the fixed words of this page.
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

use std::sync::OnceLock;
use std::time::Duration;

use ::metrics::{Counter, Histogram};

use crate::{Rejection, Verifier};

/// `webhook_deliveries_total`: requests answered, by outcome.
pub const DELIVERIES_TOTAL: &str = "webhook_deliveries_total";
/// `webhook_verify_seconds`: verification time.
pub const VERIFY_SECONDS: &str = "webhook_verify_seconds";
/// `webhook_handler_seconds`: time from verification to the answer.
pub const HANDLER_SECONDS: &str = "webhook_handler_seconds";
/// `webhook_body_bytes`: body sizes.
pub const BODY_BYTES: &str = "webhook_body_bytes";
/// `webhook_queue_entries`: a queue's entries by state (a gauge, emitted by `webhook-queue`).
pub const QUEUE_ENTRIES: &str = "webhook_queue_entries";
/// `webhook_queue_attempts_total`: handler attempts by result (emitted by `webhook-queue`).
pub const QUEUE_ATTEMPTS_TOTAL: &str = "webhook_queue_attempts_total";
/// `webhook_queue_attempt_seconds`: time of each handler attempt (emitted by `webhook-queue`).
pub const QUEUE_ATTEMPT_SECONDS: &str = "webhook_queue_attempt_seconds";
/// `webhook_queue_dead_letters_total`: entries dead-lettered (emitted by `webhook-queue`).
pub const QUEUE_DEAD_LETTERS_TOTAL: &str = "webhook_queue_dead_letters_total";

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
    /// Every outcome, in the order of the metrics table.
    ///
    /// ```
    /// use webhook_verify::metrics::Outcome;
    /// assert_eq!(Outcome::ALL.len(), 8);
    /// assert_eq!(Outcome::ALL[0], Outcome::Accepted);
    /// ```
    pub const ALL: [Outcome; 8] = [
        Self::Accepted,
        Self::Refused,
        Self::Duplicate,
        Self::InFlight,
        Self::Conflict,
        Self::Unavailable,
        Self::Handshake,
        Self::Failed,
    ];

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
    use ::metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
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
    describe_gauge!(QUEUE_ENTRIES, "Webhook queue entries, by state");
    describe_counter!(QUEUE_ATTEMPTS_TOTAL, "Webhook handler attempts, by result");
    describe_histogram!(
        QUEUE_ATTEMPT_SECONDS,
        Unit::Seconds,
        "Time of each webhook handler attempt"
    );
    describe_counter!(
        QUEUE_DEAD_LETTERS_TOTAL,
        "Webhook queue entries dead-lettered"
    );
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
    let handles = registered(verifier);
    handles.body.record(body_bytes as f64);
    handles.verify.record(verify.as_secs_f64());
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
        registered(verifier).handler.record(handler.as_secs_f64());
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

/// The `reason` values of a refusal, in the order of the table above.
const REASONS: [&str; 8] = [
    "signature",
    "timestamp",
    "too_large",
    "unreadable",
    "timeout",
    "verify_token",
    "misconfigured",
    "other",
];

/// The outcomes counted without a reason, in the order of [`Registered::outcomes`].
const PLAIN_OUTCOMES: [Outcome; 7] = [
    Outcome::Accepted,
    Outcome::Duplicate,
    Outcome::InFlight,
    Outcome::Conflict,
    Outcome::Unavailable,
    Outcome::Handshake,
    Outcome::Failed,
];

/// A verifier's metric handles, registered with the recorder installed at its first use, so a
/// request costs no label hashing or registry lookup (install the recorder before the first
/// delivery, as every `metrics` exporter asks). Registering every outcome at once also shows
/// each series as `0` before it first happens.
#[derive(Default)]
pub(crate) struct Handles(OnceLock<Registered>);

struct Registered {
    body: Histogram,
    verify: Histogram,
    handler: Histogram,
    outcomes: [Counter; PLAIN_OUTCOMES.len()],
    refused: [Counter; REASONS.len()],
}

impl Handles {
    fn get(&self, verifier: &Verifier) -> &Registered {
        self.0.get_or_init(|| {
            let endpoint = verifier.endpoint().to_owned();
            let scheme = verifier.scheme().name();
            let histogram = |name: &'static str| {
                ::metrics::histogram!(name, "endpoint" => endpoint.clone(), "scheme" => scheme)
            };
            let counter = |outcome: Outcome, reason: &'static str| {
                ::metrics::counter!(
                    DELIVERIES_TOTAL,
                    "endpoint" => endpoint.clone(),
                    "scheme" => scheme,
                    "outcome" => outcome.as_str(),
                    "reason" => reason,
                )
            };
            Registered {
                body: histogram(BODY_BYTES),
                verify: histogram(VERIFY_SECONDS),
                handler: histogram(HANDLER_SECONDS),
                outcomes: PLAIN_OUTCOMES.map(|outcome| counter(outcome, "")),
                refused: REASONS.map(|reason| counter(Outcome::Refused, reason)),
            }
        })
    }
}

fn registered(verifier: &Verifier) -> &Registered {
    verifier.metric_handles().get(verifier)
}

fn count(verifier: &Verifier, outcome: Outcome, reason: &'static str) {
    let handles = registered(verifier);
    let counter = if outcome == Outcome::Refused {
        let at = REASONS.iter().position(|r| *r == reason);
        &handles.refused[at.unwrap_or(REASONS.len() - 1)]
    } else {
        let at = PLAIN_OUTCOMES.iter().position(|o| *o == outcome);
        &handles.outcomes[at.unwrap_or(PLAIN_OUTCOMES.len() - 1)]
    };
    counter.increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Rejection, VerifyError};

    #[test]
    fn every_refusal_reason_has_its_counter() {
        let stale = VerifyError::TimestampOutOfTolerance {
            direction: "older",
            tolerance_secs: 300,
        };
        let refusals = [
            Rejection::from(VerifyError::NoMatchingSignature),
            Rejection::from(stale),
            Rejection::payload_too_large(10),
            Rejection::new(400, "x"),
            Rejection::body_timeout(),
            Rejection::new(403, "x"),
            Rejection::misconfigured(),
            Rejection::new(418, "x"),
        ];
        let reasons: Vec<&str> = refusals.iter().map(Rejection::reason).collect();
        assert_eq!(reasons, REASONS);
    }
}
