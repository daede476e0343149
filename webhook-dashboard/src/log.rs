//! The delivery log: a ring buffer of the last N deliveries, the dashboard's embedded source.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use webhook_verify::delivery::{DEFAULT_BODY_CAP, Delivery, DeliveryRecorder};

/// One recorded delivery with its sequence number (its id in the dashboard's URLs).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entry {
    /// Increasing from 1, never reused.
    pub id: u64,
    /// What the receiver saw and answered.
    pub delivery: Delivery,
}

/// A bounded, shared log of the last `capacity` deliveries: give a clone to
/// [`VerifierBuilder::recorder`](webhook_verify::VerifierBuilder::recorder) and one to the
/// [`Dashboard`](crate::Dashboard).
///
/// ```
/// let log = webhook_dashboard::DeliveryLog::new(1000).body_cap(16 * 1024);
/// assert_eq!(log.capacity(), 1000);
/// ```
#[derive(Debug, Clone)]
pub struct DeliveryLog {
    inner: Arc<Mutex<Ring>>,
    capacity: usize,
    body_cap: usize,
}

#[derive(Debug, Default)]
struct Ring {
    entries: VecDeque<Entry>,
    next: u64,
}

impl DeliveryLog {
    /// A log keeping the last `capacity` deliveries (at least 1), bodies capped at 64 KiB.
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            inner: Arc::new(Mutex::new(Ring {
                entries: VecDeque::with_capacity(capacity),
                next: 1,
            })),
            capacity,
            body_cap: DEFAULT_BODY_CAP,
        }
    }

    /// Keeps at most `bytes` of each body.
    pub fn body_cap(mut self, bytes: usize) -> Self {
        self.body_cap = bytes;
        self
    }

    /// How many deliveries it keeps.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    fn ring(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl DeliveryRecorder for DeliveryLog {
    fn record(&self, delivery: Delivery) {
        let mut ring = self.ring();
        if ring.entries.len() == self.capacity {
            ring.entries.pop_front();
        }
        let id = ring.next;
        ring.next += 1;
        ring.entries.push_back(Entry { id, delivery });
    }

    fn body_cap(&self) -> usize {
        self.body_cap
    }
}

impl DeliveryLog {
    /// The latest `limit` entries, newest first.
    ///
    /// ```
    /// let log = webhook_dashboard::DeliveryLog::new(10);
    /// assert!(log.latest(50).is_empty());
    /// ```
    pub fn latest(&self, limit: usize) -> Vec<Entry> {
        self.ring()
            .entries
            .iter()
            .rev()
            .take(limit)
            .cloned()
            .collect()
    }

    /// One entry by id, if still kept.
    ///
    /// ```
    /// assert!(webhook_dashboard::DeliveryLog::new(10).get(1).is_none());
    /// ```
    pub fn get(&self, id: u64) -> Option<Entry> {
        let ring = self.ring();
        let first = ring.entries.front()?.id;
        let index = usize::try_from(id.checked_sub(first)?).ok()?;
        ring.entries.get(index).cloned()
    }
}
