//! [`MemoryStore`]: the embedded default, for a receiver that runs as one process.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::{BoxFuture, Record, Store};
use crate::StoreError;

/// The default maximum number of keys a [`MemoryStore`] holds.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// An in-process store: a bounded map of keys with expiry.
///
/// Right for one receiver process; receivers on several machines (or restarted often) need
/// [`RedisStore`](crate::RedisStore), since each `MemoryStore` only knows its own deliveries and
/// forgets them when the process exits.
///
/// - **Expiry.** Every entry expires (in-flight claims after their lease, done events after the
///   retention period); expired entries are evicted as operations run, oldest first, in
///   O(log n) each.
/// - **Bounded.** At most [`capacity`](Self::with_capacity) live entries (default
///   [`DEFAULT_CAPACITY`], 100,000: some tens of MB). When it is full of live entries a *new*
///   key is refused with [`StoreError::Full`], which the guard answers like an unavailable store
///   (503 + `Retry-After` when fail-closed), so the sender retries later. Live entries are never
///   dropped early: forgetting a done event would let its duplicate run again.
///
/// Clones share the same map.
///
/// ```
/// use webhook_idempotency::{IdempotencyGuard, MemoryStore};
///
/// let guard = IdempotencyGuard::builder().store(MemoryStore::with_capacity(10_000)).build();
/// # drop(guard);
/// ```
#[derive(Clone, Debug)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct State {
    entries: HashMap<String, Entry>,
    /// Expiry times, earliest first. May hold stale times for keys renewed or rewritten since;
    /// an entry is evicted only when its own `expires_at` has passed.
    expiries: BinaryHeap<Reverse<(Instant, String)>>,
}

#[derive(Debug)]
struct Entry {
    record: Record,
    expires_at: Instant,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

impl MemoryStore {
    /// A store holding at most [`DEFAULT_CAPACITY`] keys.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding at most `capacity` live keys (at least 1).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            state: Arc::default(),
            capacity: capacity.max(1),
        }
    }

    /// The maximum number of live keys.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The number of keys held, after evicting expired ones.
    ///
    /// ```
    /// assert_eq!(webhook_idempotency::MemoryStore::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        let mut state = self.lock();
        state.evict_expired(Instant::now());
        state.entries.len()
    }

    /// `true` when no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the map half-updated in a harmful way
        // (each operation is a single insert or remove), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn claim_now(
        &self,
        key: &str,
        claim: &Record,
        lease: Duration,
    ) -> Result<Option<Record>, StoreError> {
        let now = Instant::now();
        let mut state = self.lock();
        state.evict_expired(now);
        if let Some(entry) = state.entries.get(key) {
            return Ok(Some(entry.record.clone()));
        }
        if state.entries.len() >= self.capacity {
            return Err(StoreError::Full {
                capacity: self.capacity,
            });
        }
        state.insert(key.to_owned(), claim.clone(), now + lease);
        Ok(None)
    }

    /// Runs `f` on the entry if it still holds `claim`.
    fn if_ours(&self, key: &str, claim: &Record, f: impl FnOnce(&mut State, Instant)) -> bool {
        let now = Instant::now();
        let mut state = self.lock();
        state.evict_expired(now);
        let ours = state.entries.get(key).is_some_and(|e| e.record == *claim);
        if ours {
            f(&mut state, now);
        }
        ours
    }
}

impl State {
    fn insert(&mut self, key: String, record: Record, expires_at: Instant) {
        self.expiries.push(Reverse((expires_at, key.clone())));
        self.entries.insert(key, Entry { record, expires_at });
        // Renewals leave stale heap items behind; rebuild before they outnumber live entries.
        if self.expiries.len() > 2 * self.entries.len() + 1024 {
            self.expiries = self
                .entries
                .iter()
                .map(|(k, e)| Reverse((e.expires_at, k.clone())))
                .collect();
        }
    }

    fn evict_expired(&mut self, now: Instant) {
        while let Some(Reverse((at, _))) = self.expiries.peek() {
            if *at > now {
                break;
            }
            let Some(Reverse((_, key))) = self.expiries.pop() else {
                break;
            };
            if self.entries.get(&key).is_some_and(|e| e.expires_at <= now) {
                self.entries.remove(&key);
            }
        }
    }
}

impl Store for MemoryStore {
    fn claim<'a>(
        &'a self,
        key: &'a str,
        claim: &'a Record,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Option<Record>, StoreError>> {
        let result = self.claim_now(key, claim, lease);
        Box::pin(std::future::ready(result))
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        claim: &'a Record,
        done: &'a Record,
        retention: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let ours = self.if_ours(key, claim, |state, now| {
            state.insert(key.to_owned(), done.clone(), now + retention);
        });
        Box::pin(std::future::ready(Ok(ours)))
    }

    fn release<'a>(
        &'a self,
        key: &'a str,
        claim: &'a Record,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let ours = self.if_ours(key, claim, |state, _| {
            state.entries.remove(key);
        });
        Box::pin(std::future::ready(Ok(ours)))
    }

    fn renew<'a>(
        &'a self,
        key: &'a str,
        claim: &'a Record,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let ours = self.if_ours(key, claim, |state, now| {
            state.insert(key.to_owned(), claim.clone(), now + lease);
        });
        Box::pin(std::future::ready(Ok(ours)))
    }
}
