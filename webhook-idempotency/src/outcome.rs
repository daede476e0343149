//! [`Outcome`]: what the guard decided for one delivery, and what to answer the sender.

use webhook_verify::Rejection;
use webhook_verify::metrics::Outcome as Tag;

use crate::{Claim, StoreError};

/// The guard's decision for one delivery. See the crate docs for the status table.
#[derive(Debug)]
#[must_use = "run the handler on `First`/`Unguarded`, answer `rejection()` otherwise"]
pub enum Outcome {
    /// The first delivery of this event: run the handler, then [`Claim::complete`].
    First(Claim),
    /// The event was already processed: answer `status` (200, or the handler's stored 2xx
    /// status when replay is on) without running the handler, so the sender stops retrying.
    Duplicate {
        /// The status to answer.
        status: u16,
    },
    /// Another delivery of this event is being processed right now: answer 409 with
    /// `Retry-After`; never run the handler twice at once.
    InFlight {
        /// Seconds for `Retry-After`.
        retry_after: u64,
    },
    /// The key was already seen with a different body: answer 422; the delivery is neither new
    /// nor a duplicate, and is never processed.
    Conflict,
    /// The store failed and the guard fails closed (the default): answer 503 with
    /// `Retry-After`; the sender retries and nothing is lost. (If the claim timed out after
    /// Redis wrote it, the key stays in flight until its lease expires: retries get 409 until
    /// then, and the event is processed after.)
    Unavailable {
        /// What failed.
        error: StoreError,
        /// Seconds for `Retry-After`.
        retry_after: u64,
    },
    /// The store failed and the guard fails open: run the handler without protection
    /// (at-least-once). Already logged with `tracing::warn!`.
    Unguarded(StoreError),
}

impl Outcome {
    /// The answer to send instead of running the handler, or `None` for `First` and
    /// `Unguarded` (run the handler).
    ///
    /// ```
    /// use webhook_idempotency::Outcome;
    ///
    /// let r = Outcome::InFlight { retry_after: 5 }.rejection().unwrap();
    /// assert_eq!((r.status(), r.retry_after_secs()), (409, Some(5)));
    /// assert_eq!(Outcome::Duplicate { status: 200 }.rejection().unwrap().status(), 200);
    /// assert_eq!(Outcome::Conflict.rejection().unwrap().status(), 422);
    /// ```
    pub fn rejection(&self) -> Option<Rejection> {
        match self {
            Self::First(_) | Self::Unguarded(_) => None,
            Self::Duplicate { status } => {
                Some(Rejection::new(*status, "duplicate").outcome(Tag::Duplicate))
            }
            Self::InFlight { retry_after } => Some(
                Rejection::new(
                    409,
                    "this event is being processed by another delivery; retry later",
                )
                .retry_after(*retry_after)
                .outcome(Tag::InFlight),
            ),
            Self::Conflict => Some(
                Rejection::new(
                    422,
                    "this event id was already received with a different body",
                )
                .outcome(Tag::Conflict),
            ),
            Self::Unavailable { retry_after, .. } => Some(
                Rejection::new(503, "idempotency store unavailable; retry later")
                    .retry_after(*retry_after)
                    .outcome(Tag::Unavailable),
            ),
        }
    }

    /// What adapters need: `Ok(Some(claim))` run the handler and complete the claim,
    /// `Ok(None)` run the handler unguarded, `Err(rejection)` answer it without running.
    ///
    /// ```
    /// use webhook_idempotency::Outcome;
    /// assert_eq!(Outcome::Conflict.proceed().unwrap_err().status(), 422);
    /// ```
    pub fn proceed(self) -> Result<Option<Claim>, Rejection> {
        match self {
            Self::First(claim) => Ok(Some(claim)),
            Self::Unguarded(_) => Ok(None),
            other => Err(other.rejection().unwrap_or_else(|| {
                Rejection::new(500, "idempotency guard reached an impossible state")
            })),
        }
    }

    /// `true` for [`Outcome::First`].
    pub fn is_first(&self) -> bool {
        matches!(self, Self::First(_))
    }
}

/// What [`IdempotencyGuard::run`](crate::IdempotencyGuard::run) did with the handler.
#[derive(Debug)]
pub enum Ran<T, E> {
    /// The handler ran and succeeded; the event is marked done (unless the guard failed open).
    Handled(T),
    /// The handler ran and failed; the claim was released so a retry runs it again.
    Failed(E),
    /// The handler did not run: answer this (200 duplicate, 409, 422 or 503).
    Skipped(Rejection),
}
