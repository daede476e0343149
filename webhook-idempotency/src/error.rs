//! The crate's one error type.

use std::time::Duration;

/// Why a store operation failed.
///
/// The guard turns these into [`Outcome::Unavailable`](crate::Outcome::Unavailable) (fail-closed,
/// 503) or [`Outcome::Unguarded`](crate::Outcome::Unguarded) (fail-open); a custom server calling
/// [`Claim::complete`](crate::Claim::complete) sees them directly. Messages never contain a Redis
/// password: URLs are shown without their user-info part.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store did not answer within the configured command timeout.
    #[error("idempotency store did not answer within {0:?}")]
    Timeout(Duration),
    /// Redis answered with an error or the connection failed.
    #[error("redis error: {0}")]
    Redis(#[from] redis::RedisError),
    /// Connecting at construction failed (wrong URL, nothing listening, TLS not compiled in).
    #[error("cannot connect to Redis at {url}: {reason}")]
    Connect {
        /// The URL without user name or password.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The [`MemoryStore`](crate::MemoryStore) holds `capacity` live entries, all of them in
    /// flight, so it cannot take a new key until one completes, is released or expires. (A full
    /// store with done entries evicts the oldest done one instead.)
    #[error("in-memory idempotency store is full ({capacity} entries, all in flight)")]
    Full {
        /// The configured maximum number of entries.
        capacity: usize,
    },
    /// The claim is no longer ours: its lease expired and another delivery took it over, or it
    /// was released. Nothing was written.
    #[error("the claim's lease was lost before it was completed")]
    LeaseLost,
    /// Another store's backend (a SQL database, for example) failed or could not be reached.
    /// Treated like a Redis error: fail-closed answers 503 with `Retry-After`.
    #[error("{backend} error: {reason}")]
    Backend {
        /// Which backend, such as `"postgres"` or `"sqlite"`.
        backend: &'static str,
        /// What went wrong, without any password.
        reason: String,
    },
    /// A key held a value this crate did not write (another application shares the prefix).
    #[error("unexpected value stored under idempotency key {key}")]
    Corrupt {
        /// The key holding the foreign value.
        key: String,
    },
}
