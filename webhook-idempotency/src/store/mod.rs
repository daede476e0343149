//! Where claims live: one small trait, an in-memory store and a Redis store.
//!
//! A key holds one [`Record`]: in flight (claimed by one delivery, with a lease that expires if
//! its process dies) or done (the handler succeeded; kept for the retention period). Every
//! operation is atomic on its key, and all but `claim` act only if the key still holds the
//! caller's own in-flight record, so a late or lost claim can never overwrite another's.

mod memory;
mod redis;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub use self::memory::{DEFAULT_CAPACITY, MemoryStore};
pub use self::redis::{DEFAULT_COMMAND_TIMEOUT, RedisStore, RedisStoreBuilder};
use crate::{Fingerprint, StoreError};

/// A boxed, `Send` future, the return type of [`Store`] methods (keeps the trait object-safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The state of one key in a store.
///
/// ```
/// use webhook_idempotency::{Fingerprint, Record};
///
/// let done = Record::Done { status: 200, fingerprint: Fingerprint::of(b"{}") };
/// assert_eq!(Record::decode(&done.encode()), Some(done));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A delivery claimed the key and its handler is running.
    InFlight {
        /// Random, unique per claim: proves the claim is ours when completing it.
        token: String,
        /// The claimed body's fingerprint.
        fingerprint: Fingerprint,
    },
    /// The handler succeeded with `status`.
    Done {
        /// The 2xx status the handler answered.
        status: u16,
        /// The processed body's fingerprint.
        fingerprint: Fingerprint,
    },
}

impl Record {
    /// The fingerprint stored with the key.
    pub fn fingerprint(&self) -> &Fingerprint {
        match self {
            Self::InFlight { fingerprint, .. } | Self::Done { fingerprint, .. } => fingerprint,
        }
    }

    /// The string form stored in Redis: `inflight:<token>:<fingerprint>` or
    /// `done:<status>:<fingerprint>`.
    pub fn encode(&self) -> String {
        match self {
            Self::InFlight { token, fingerprint } => format!("inflight:{token}:{fingerprint}"),
            Self::Done {
                status,
                fingerprint,
            } => format!("done:{status}:{fingerprint}"),
        }
    }

    /// Parses [`Record::encode`]'s output; `None` for anything else.
    pub fn decode(value: &str) -> Option<Self> {
        let mut parts = value.splitn(3, ':');
        let (kind, middle, fingerprint) = (parts.next()?, parts.next()?, parts.next()?);
        let fingerprint = Fingerprint::parse(fingerprint)?;
        match kind {
            "inflight" if !middle.is_empty() => Some(Self::InFlight {
                token: middle.to_owned(),
                fingerprint,
            }),
            "done" => Some(Self::Done {
                status: middle.parse().ok()?,
                fingerprint,
            }),
            _ => None,
        }
    }
}

/// A place to keep claims, shared by every receiver that must not process an event twice.
///
/// Implement it to use another database; [`MemoryStore`] and [`RedisStore`] are the two built
/// in. Each method is one atomic step on one key. Methods return boxed futures so the guard can
/// hold any store as `Arc<dyn Store>`.
pub trait Store: Send + Sync + 'static {
    /// Atomically: if `key` is absent, store `claim` (an in-flight record) expiring after
    /// `lease` and return `None`; otherwise change nothing and return the current record.
    fn claim<'a>(
        &'a self,
        key: &'a str,
        claim: &'a Record,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Option<Record>, StoreError>>;

    /// Atomically: if `key` still holds `claim`, replace it with `done` expiring after
    /// `retention` and return `true`; otherwise change nothing and return `false`.
    fn complete<'a>(
        &'a self,
        key: &'a str,
        claim: &'a Record,
        done: &'a Record,
        retention: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Atomically: if `key` still holds `claim`, delete it and return `true`; otherwise `false`.
    fn release<'a>(
        &'a self,
        key: &'a str,
        claim: &'a Record,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Atomically: if `key` still holds `claim`, make it expire `lease` from now and return
    /// `true`; otherwise `false`.
    fn renew<'a>(
        &'a self,
        key: &'a str,
        claim: &'a Record,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;
}

/// Milliseconds for Redis `PX`/`PEXPIRE`: at least 1.
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_record_round_trips_through_its_string_form() {
        let r = Record::InFlight {
            token: "abc123".into(),
            fingerprint: Fingerprint::of(b"body"),
        };
        assert!(r.encode().starts_with("inflight:abc123:"));
        assert_eq!(Record::decode(&r.encode()), Some(r));
    }

    #[test]
    fn foreign_values_do_not_decode() {
        for v in [
            "",
            "1",
            "done:abc:00",
            "inflight::0123",
            "other:1:2",
            "done:200:xyz",
        ] {
            assert_eq!(Record::decode(v), None, "{v}");
        }
    }
}
