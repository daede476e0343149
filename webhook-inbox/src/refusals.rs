//! Refused deliveries (bad signature, stale, oversize): counted per endpoint and reason, with a
//! bounded sample of the latest (time, reason, source address, size; never a body), so a flood of
//! forgeries costs a few rows, not one row each.
//!
//! A [`RefusalLog`] adds refusals up in memory (a sample of at most `keep` per endpoint) and
//! writes them in one transaction every [`FLUSH_EVERY`] (or on [`RefusalLog::flush`]): the
//! counts are added to one row per (endpoint, reason), the samples appended and the older ones
//! past `keep` deleted. A write that fails is retried with the next one: counts stay exact.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, SystemTime};

use sqlx::Row as _;
use webhook_verify::delivery::{Delivery, DeliveryRecorder};
use webhook_verify::metrics::Outcome;

use crate::db::{millis_since_epoch, statement, time_of};
use crate::{Inbox, InboxError};

/// Samples kept per endpoint unless [`Inbox::refusal_log`] is told otherwise.
///
/// ```
/// assert_eq!(webhook_inbox::DEFAULT_REFUSAL_SAMPLES, 100);
/// ```
pub const DEFAULT_REFUSAL_SAMPLES: usize = 100;

/// How often a [`RefusalLog`] writes what it added up.
///
/// ```
/// assert!(webhook_inbox::FLUSH_EVERY.as_millis() > 0);
/// ```
pub const FLUSH_EVERY: Duration = Duration::from_millis(250);

/// One refused delivery: what is kept of it (no body, no header).
///
/// ```
/// let refusal = webhook_inbox::Refusal::new("stripe", "signature", 512).source("203.0.113.7");
/// assert_eq!(refusal.source.as_deref(), Some("203.0.113.7"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Refusal {
    /// When it was refused.
    pub at: SystemTime,
    /// The receiving endpoint.
    pub endpoint: String,
    /// Why (the metrics' `reason` label: `signature`, `timestamp`, `too_large`, ...).
    pub reason: String,
    /// The sender's address, when the caller knows it.
    pub source: Option<String>,
    /// The body's size in bytes.
    pub size: u64,
}

impl Refusal {
    /// A refusal now, without a source address.
    ///
    /// ```
    /// let r = webhook_inbox::Refusal::new("github", "timestamp", 0);
    /// assert_eq!(r.reason, "timestamp");
    /// ```
    pub fn new(endpoint: impl Into<String>, reason: impl Into<String>, size: u64) -> Self {
        Self {
            at: SystemTime::now(),
            endpoint: endpoint.into(),
            reason: reason.into(),
            source: None,
            size,
        }
    }

    /// The sender's address.
    ///
    /// ```
    /// let r = webhook_inbox::Refusal::new("github", "signature", 3).source("[2001:db8::1]:443");
    /// assert!(r.source.is_some());
    /// ```
    #[must_use]
    pub fn source(mut self, address: impl Into<String>) -> Self {
        self.source = Some(address.into());
        self
    }
}

/// How many deliveries an endpoint refused for one reason, and when last.
///
/// ```no_run
/// # async fn f(inbox: webhook_inbox::Inbox) -> Result<(), webhook_inbox::InboxError> {
/// for c in inbox.refusal_counts().await? {
///     println!("{} {} {}", c.endpoint, c.reason, c.count);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefusalCount {
    /// The receiving endpoint.
    pub endpoint: String,
    /// Why.
    pub reason: String,
    /// How many.
    pub count: u64,
    /// The latest one's time.
    pub last_at: SystemTime,
}

/// Adds refusals up and writes them to the inbox; a [`DeliveryRecorder`], so one line puts it
/// behind a verifier (`Verifier::builder(..).recorder(inbox.refusal_log(100))`): every refused
/// request is counted, nothing else is kept. Cheap to clone.
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use webhook_verify::{Scheme, Verifier};
///
/// let inbox = webhook_inbox::Inbox::connect("sqlite:deliveries.db").await?;
/// inbox.migrate().await?;
/// let refusals = inbox.refusal_log(webhook_inbox::DEFAULT_REFUSAL_SAMPLES);
/// let verifier = Verifier::builder(Scheme::github()).secret("s").recorder(refusals.clone()).build()?;
/// refusals.refused(webhook_inbox::Refusal::new("github", "signature", 12).source("203.0.113.7"));
/// refusals.flush().await?;
/// # let _ = verifier; Ok(()) }
/// ```
#[derive(Clone)]
pub struct RefusalLog {
    shared: Arc<LogShared>,
}

struct LogShared {
    inbox: Inbox,
    keep: usize,
    pending: Mutex<Pending>,
}

/// What was added up since the last write.
#[derive(Default)]
struct Pending {
    /// (endpoint, reason) to (how many, latest time in ms).
    counts: HashMap<(String, String), (u64, i64)>,
    /// Per endpoint, the latest `keep`, oldest first.
    samples: HashMap<String, VecDeque<Refusal>>,
}

impl Pending {
    fn add(&mut self, refusal: Refusal, keep: usize) {
        let at = millis_since_epoch(refusal.at);
        let count = self
            .counts
            .entry((refusal.endpoint.clone(), refusal.reason.clone()))
            .or_insert((0, at));
        count.0 = count.0.saturating_add(1);
        count.1 = count.1.max(at);
        let samples = self.samples.entry(refusal.endpoint.clone()).or_default();
        samples.push_back(refusal);
        while samples.len() > keep {
            samples.pop_front();
        }
    }

    /// Puts back what a failed write took: counts added, samples older than the new ones.
    fn restore(&mut self, taken: Pending, keep: usize) {
        for (key, (n, at)) in taken.counts {
            let count = self.counts.entry(key).or_insert((0, at));
            count.0 = count.0.saturating_add(n);
            count.1 = count.1.max(at);
        }
        for (endpoint, older) in taken.samples {
            let samples = self.samples.entry(endpoint).or_default();
            for refusal in older.into_iter().rev() {
                if samples.len() >= keep {
                    break;
                }
                samples.push_front(refusal);
            }
        }
    }
}

impl std::fmt::Debug for RefusalLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefusalLog")
            .field("keep", &self.shared.keep)
            .finish_non_exhaustive()
    }
}

const ADD_COUNT: &str = "INSERT INTO webhook_refusal_counts (endpoint, reason, refused, last_at) \
    VALUES ($1, $2, $3, $4) ON CONFLICT (endpoint, reason) DO UPDATE SET \
    refused = webhook_refusal_counts.refused + excluded.refused, \
    last_at = CASE WHEN excluded.last_at > webhook_refusal_counts.last_at \
        THEN excluded.last_at ELSE webhook_refusal_counts.last_at END";

const ADD_SAMPLE: &str = "INSERT INTO webhook_refusal_samples (endpoint, at, reason, source, size) \
    VALUES ($1, $2, $3, $4, $5)";

/// Deletes an endpoint's samples older than its latest `$2`.
const TRIM_SAMPLES: &str = "DELETE FROM webhook_refusal_samples WHERE endpoint = $1 AND id <= ( \
    SELECT id FROM webhook_refusal_samples WHERE endpoint = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)";

impl Inbox {
    /// A [`RefusalLog`] keeping the latest `keep` samples per endpoint (at least 1). Inside a
    /// Tokio runtime it writes every [`FLUSH_EVERY`] until its last clone is dropped;
    /// elsewhere only on [`RefusalLog::flush`].
    ///
    /// ```no_run
    /// # async fn f(inbox: webhook_inbox::Inbox) {
    /// let refusals = inbox.refusal_log(100);
    /// # let _ = refusals; }
    /// ```
    pub fn refusal_log(&self, keep: usize) -> RefusalLog {
        let shared = Arc::new(LogShared {
            inbox: self.clone(),
            keep: keep.max(1),
            pending: Mutex::new(Pending::default()),
        });
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(flush_periodically(Arc::downgrade(&shared)));
        }
        RefusalLog { shared }
    }

    /// The refusal counts per endpoint and reason.
    ///
    /// ```no_run
    /// # async fn f(inbox: webhook_inbox::Inbox) -> Result<(), webhook_inbox::InboxError> {
    /// let total: u64 = inbox.refusal_counts().await?.iter().map(|c| c.count).sum();
    /// # let _ = total; Ok(()) }
    /// ```
    pub async fn refusal_counts(&self) -> Result<Vec<RefusalCount>, InboxError> {
        let rows = statement!(self, |conn| sqlx::query(
            "SELECT endpoint, reason, refused, last_at FROM webhook_refusal_counts \
                     ORDER BY endpoint, reason",
        )
        .fetch_all(conn))
        .await?;
        rows.iter()
            .map(|row| {
                let decode = |e: sqlx::Error| self.database_error(&e);
                let count: i64 = row.try_get(2).map_err(decode)?;
                Ok(RefusalCount {
                    endpoint: row.try_get(0).map_err(decode)?,
                    reason: row.try_get(1).map_err(decode)?,
                    count: u64::try_from(count).unwrap_or(0),
                    last_at: time_of(row.try_get(3).map_err(decode)?),
                })
            })
            .collect()
    }

    /// The latest `limit` sampled refusals, newest first.
    ///
    /// ```no_run
    /// # async fn f(inbox: webhook_inbox::Inbox) -> Result<(), webhook_inbox::InboxError> {
    /// for r in inbox.refusal_samples(20).await? {
    ///     println!("{} {} {:?} {} bytes", r.endpoint, r.reason, r.source, r.size);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn refusal_samples(&self, limit: usize) -> Result<Vec<Refusal>, InboxError> {
        let rows = statement!(self, |conn| sqlx::query(
            "SELECT endpoint, at, reason, source, size FROM webhook_refusal_samples \
                     ORDER BY id DESC LIMIT $1",
        )
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(conn))
        .await?;
        rows.iter()
            .map(|row| {
                let decode = |e: sqlx::Error| self.database_error(&e);
                let size: i64 = row.try_get(4).map_err(decode)?;
                Ok(Refusal {
                    endpoint: row.try_get(0).map_err(decode)?,
                    at: time_of(row.try_get(1).map_err(decode)?),
                    reason: row.try_get(2).map_err(decode)?,
                    source: row.try_get(3).map_err(decode)?,
                    size: u64::try_from(size).unwrap_or(0),
                })
            })
            .collect()
    }
}

async fn flush_periodically(log: Weak<LogShared>) {
    loop {
        tokio::time::sleep(FLUSH_EVERY).await;
        let Some(shared) = log.upgrade() else { return };
        if let Err(error) = (RefusalLog { shared }).flush().await {
            tracing::warn!(%error, "inbox: could not write the refusal counts, retrying");
        }
    }
}

impl RefusalLog {
    /// Adds one refusal (no I/O: written by the next flush).
    ///
    /// ```no_run
    /// # async fn f(inbox: webhook_inbox::Inbox) {
    /// inbox.refusal_log(100).refused(webhook_inbox::Refusal::new("stripe", "too_large", 2_000_000));
    /// # }
    /// ```
    pub fn refused(&self, refusal: Refusal) {
        self.shared
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .add(refusal, self.shared.keep);
    }

    /// Writes what was added up since the last write, in one transaction. On failure it is
    /// kept for the next write.
    ///
    /// ```no_run
    /// # async fn f(log: webhook_inbox::RefusalLog) -> Result<(), webhook_inbox::InboxError> {
    /// log.flush().await?;
    /// # Ok(()) }
    /// ```
    pub async fn flush(&self) -> Result<(), InboxError> {
        let shared = &self.shared;
        let taken = std::mem::take(
            &mut *shared
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        if taken.counts.is_empty() {
            return Ok(());
        }
        let keep = i64::try_from(shared.keep).unwrap_or(i64::MAX);
        let written = statement!(&shared.inbox, |conn| write(conn, &taken, keep)).await;
        if written.is_err() {
            shared
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .restore(taken, shared.keep);
        }
        written
    }
}

async fn write(
    conn: &mut sqlx::AnyConnection,
    pending: &Pending,
    keep: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = sqlx::Connection::begin(conn).await?;
    for ((endpoint, reason), (n, at)) in &pending.counts {
        sqlx::query(ADD_COUNT)
            .bind(endpoint.as_str())
            .bind(reason.as_str())
            .bind(i64::try_from(*n).unwrap_or(i64::MAX))
            .bind(*at)
            .execute(&mut *tx)
            .await?;
    }
    for (endpoint, samples) in &pending.samples {
        for sample in samples {
            sqlx::query(ADD_SAMPLE)
                .bind(endpoint.as_str())
                .bind(millis_since_epoch(sample.at))
                .bind(sample.reason.as_str())
                .bind(sample.source.as_deref())
                .bind(i64::try_from(sample.size).unwrap_or(i64::MAX))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(TRIM_SAMPLES)
            .bind(endpoint.as_str())
            .bind(keep)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

impl DeliveryRecorder for RefusalLog {
    /// Counts the refused requests (of every reason); everything else is ignored.
    fn record(&self, delivery: Delivery) {
        if delivery.outcome == Outcome::Refused {
            let size = u64::try_from(delivery.body_len).unwrap_or(u64::MAX);
            self.refused(Refusal {
                at: delivery.at,
                endpoint: delivery.endpoint.to_string(),
                reason: delivery.reason.to_owned(),
                source: delivery.source.map(|ip| ip.to_string()),
                size,
            });
        }
    }

    /// No body is kept.
    fn body_cap(&self) -> usize {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_adds_up_in_bounded_memory() {
        let mut pending = Pending::default();
        for _ in 0..10_000 {
            pending.add(Refusal::new("e", "signature", 10), 5);
        }
        assert_eq!(pending.counts[&("e".into(), "signature".into())].0, 10_000);
        assert_eq!(pending.samples["e"].len(), 5);
        let mut later = Pending::default();
        later.add(Refusal::new("e", "signature", 1), 5);
        later.restore(pending, 5);
        assert_eq!(later.counts[&("e".into(), "signature".into())].0, 10_001);
        assert_eq!(later.samples["e"].len(), 5);
        assert_eq!(later.samples["e"].back().map(|r| r.size), Some(1));
    }
}
