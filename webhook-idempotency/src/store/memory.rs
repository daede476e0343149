//! [`MemoryStore`]: the embedded default, for a receiver that runs as one process.
//!
//! A bounded map of keys with expiry. When it holds its capacity of live keys, a new key makes
//! room by evicting the *oldest done* record (the one that became done first), so a busy sender
//! is never locked out; only when every held key is in flight is a new key refused with
//! [`StoreError::Full`] (503). The trade-off: a duplicate of an evicted event, delivered after
//! the eviction, runs again. Size the capacity by memory (see [`DEFAULT_CAPACITY`]) so that it
//! covers the sender's retry window; evictions are counted ([`MemoryStore::evicted`]) and logged.

use std::collections::VecDeque;
use std::collections::hash_map::{self, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::{BoxFuture, Record, Store};
use crate::StoreError;

/// The default maximum number of keys a [`MemoryStore`] holds: 100,000, sized for a budget of
/// about 64 MiB of resident memory.
///
/// Measured on Linux x86-64 (glibc 2.36), with storage keys as `IdempotencyGuard` builds them
/// (`webhook:<endpoint>:evt_<24 chars>` and `webhook:<endpoint>:sha256:<64 hex>`, half each,
/// mean 64 bytes), each event claimed (32-hex token) and completed (a done record with the
/// body's 64-hex fingerprint, 24 h retention) through the public API, by
///
/// ```sh
/// cargo run -p webhook-idempotency --example memory_footprint -- -n 100000 --keys mixed --churn 2
/// ```
///
/// - freshly filled: **377 bytes per key, 37.7 MB per 100,000 keys**;
/// - kept full while twice its capacity of further events went through it (each evicting the
///   oldest done one; the high-water mark, with the stale expiry-queue items that are rebuilt
///   away periodically): **678 bytes per key, 67.8 MB (64.6 MiB) per 100,000 keys**.
///
/// The second figure is the one to size by. At 1,000,000 keys the same run measures 442 and
/// 477 bytes per key, so budget about 700 bytes per key (conservative) when choosing your own
/// capacity with [`MemoryStore::with_capacity`] (e.g. 1 GiB ≈ 1.5 million keys). Choose a
/// capacity covering the events a sender may still retry (its retry window times its peak
/// event rate): an event evicted before that can run again. See `BENCHMARKS.md` at the
/// repository's root (section "webhook-idempotency: MemoryStore, resident memory per key").
///
/// ```
/// use webhook_idempotency::{MemoryStore, store::DEFAULT_CAPACITY};
///
/// assert_eq!(MemoryStore::new().capacity(), DEFAULT_CAPACITY);
/// ```
pub const DEFAULT_CAPACITY: usize = 100_000;

/// Evictions are logged at the 1st, 2nd, 4th, 8th, ... eviction and then at every multiple of
/// this: 17 lines for the first 65,536 evictions, then one line per 65,536, however fast they
/// come (each line carries the running total, like [`MemoryStore::evicted`]).
const EVICTION_WARN_EVERY: u64 = 1 << 16;

/// An in-process store: a bounded map of keys with expiry.
///
/// Right for one receiver process; receivers on several machines (or restarted often) need
/// [`RedisStore`](crate::RedisStore), since each `MemoryStore` only knows its own deliveries and
/// forgets them when the process exits.
///
/// - **Expiry.** Every entry expires (in-flight claims after their lease, done events after the
///   retention period); expired entries are evicted as operations run, oldest first, in
///   O(1) each.
/// - **Bounded.** At most [`capacity`](Self::capacity) live entries (default
///   [`DEFAULT_CAPACITY`], 100,000: about 64 MiB). When it is full, a *new* key evicts the
///   oldest **done** record (the one that became done first; amortised O(1)) and is accepted,
///   so a sender is never locked out by its own past events. In-flight records are never
///   evicted early (that would let a duplicate run concurrently): only when every entry is in
///   flight is a new key refused with [`StoreError::Full`], which the guard answers like an
///   unavailable store (503 + `Retry-After` when fail-closed), so the sender retries later.
/// - **Trade-off.** An evicted event is forgotten before its retention ends: a duplicate
///   delivered after its eviction runs its handler again. Size the capacity by memory (about
///   700 bytes per key, see [`DEFAULT_CAPACITY`]) to hold at least the events a sender may
///   still retry. [`evicted`](Self::evicted) counts evictions (also shown by `Debug`), and they
///   are logged with `tracing::warn!`, aggregated so a flood does not produce a line per claim:
///   at the 1st, 2nd, 4th, 8th, ... eviction and then every 65,536th, each line with the
///   running total.
///
/// Clones share the same map.
///
/// ```
/// use webhook_idempotency::{IdempotencyGuard, MemoryStore};
///
/// let guard = IdempotencyGuard::builder().store(MemoryStore::with_capacity(10_000)).build();
/// # drop(guard);
/// ```
#[derive(Clone)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
    capacity: usize,
}

#[derive(Default)]
struct State {
    /// Keys are shared (`Arc<str>`) with the expiry and done queues: one allocation per key.
    entries: HashMap<Arc<str>, Entry>,
    /// Expiry times. May hold stale times for keys renewed, rewritten or evicted since; an entry
    /// is evicted only when its own `expires_at` has passed.
    expiries: Expiries,
    /// Done records in the order they became done, oldest first, each with its entry's `seq`.
    /// Items whose key has since expired (or was done again, under a newer `seq`) are stale:
    /// skipped when met, and dropped in bulk before they outnumber live entries.
    done: VecDeque<(u64, Arc<str>)>,
    /// The last `seq` handed out; every write of an entry takes the next one.
    seq: u64,
    /// Done records evicted to make room, since the store was created.
    evicted: u64,
}

struct Entry {
    record: Record,
    expires_at: Instant,
    /// Which write put this record here: tells a live done-queue item from a stale one.
    seq: u64,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

impl fmt::Debug for MemoryStore {
    /// The counts only, never the keys: `MemoryStore { len, capacity, evicted }` (`len` may
    /// include expired entries not yet evicted).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("MemoryStore")
            .field("len", &state.entries.len())
            .field("capacity", &self.capacity)
            .field("evicted", &state.evicted)
            .finish()
    }
}

impl MemoryStore {
    /// A store holding at most [`DEFAULT_CAPACITY`] keys.
    ///
    /// ```
    /// let store = webhook_idempotency::MemoryStore::new();
    /// assert!(store.is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding at most `capacity` live keys (at least 1).
    ///
    /// ```
    /// let store = webhook_idempotency::MemoryStore::with_capacity(1_000);
    /// assert_eq!(store.capacity(), 1_000);
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            state: Arc::default(),
            capacity: capacity.max(1),
        }
    }

    /// The maximum number of live keys.
    ///
    /// ```
    /// assert_eq!(webhook_idempotency::MemoryStore::with_capacity(0).capacity(), 1);
    /// ```
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
    ///
    /// ```
    /// assert!(webhook_idempotency::MemoryStore::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many done records were evicted before their retention ended, to make room for new
    /// keys in a full store (expiry is not counted). Each is an event whose duplicate would run
    /// again.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use webhook_idempotency::{IdempotencyGuard, MemoryStore, Ran};
    ///
    /// let store = MemoryStore::with_capacity(1);
    /// let guard = IdempotencyGuard::new(store.clone());
    /// for id in ["evt_1", "evt_2"] {
    ///     let ran = guard.run(id, b"{}", || async { Ok::<_, ()>(()) }).await;
    ///     assert!(matches!(ran, Ran::Handled(())));
    /// }
    /// assert_eq!(store.evicted(), 1); // evt_1 made room for evt_2
    /// assert_eq!(store.len(), 1);
    /// # }
    /// ```
    pub fn evicted(&self) -> u64 {
        self.lock().evicted
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the map half-updated in a harmful way
        // (each entry is one insert or remove; a queue item without its entry is just
        // stale, and stale items are expected), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn claim_now(
        &self,
        key: &str,
        claim: &Record,
        lease: Duration,
    ) -> Result<Option<Record>, StoreError> {
        // Taken under the lock, so that writes take their times in order (see `Expiries`).
        let mut state = self.lock();
        let now = Instant::now();
        state.evict_expired(now);
        // An expired entry not yet evicted is overwritten under the key it holds.
        let held = match state.entries.get_key_value(key) {
            Some((_, entry)) if entry.expires_at > now => return Ok(Some(entry.record.clone())),
            Some((held, _)) => Some(Arc::clone(held)),
            None => None,
        };
        let mut warn = None;
        while state.entries.len() >= self.capacity {
            let Some(evicted) = state.evict_oldest_done() else {
                return Err(StoreError::Full {
                    capacity: self.capacity,
                });
            };
            let total = state.evicted;
            if total.is_power_of_two() || total.is_multiple_of(EVICTION_WARN_EVERY) {
                warn = Some((evicted, total));
            }
        }
        let key = held.unwrap_or_else(|| Arc::from(key));
        state.insert(key, claim.clone(), now, lease);
        drop(state);
        if let Some((evicted, total)) = warn {
            tracing::warn!(
                evicted = total,
                capacity = self.capacity,
                key = %evicted,
                "idempotency memory store full: evicted the oldest done event to admit a new one; \
                 a duplicate of an evicted event runs again (raise the capacity or use Redis); \
                 logged at the 1st, 2nd, 4th, ... eviction, then every 65536th"
            );
        }
        Ok(None)
    }

    /// Runs `f` on the entry if it still holds `claim`, with the key as held; the entry's
    /// expiry item is dropped first when it is the last one written (a claim settled before
    /// any other write), so it does not linger in its queue until its time.
    fn if_ours(
        &self,
        key: &str,
        claim: &Record,
        f: impl FnOnce(&mut State, Arc<str>, Instant),
    ) -> bool {
        let mut state = self.lock();
        let now = Instant::now();
        state.evict_expired(now);
        let (held, expires_at) = match state.entries.get_key_value(key) {
            Some((held, e)) if e.record == *claim && e.expires_at > now => {
                (Arc::clone(held), e.expires_at)
            }
            _ => return false,
        };
        state.expiries.forget_last(expires_at, &held);
        f(&mut state, held, now);
        true
    }
}

/// Expiry times, one first-in first-out queue per time to live.
///
/// Every write takes its time under the store's lock, so the items of one queue are pushed in
/// the order they expire and each queue's earliest is at its front: a push and the eviction of
/// a due item are O(1) and touch memory in order (a binary heap over every item costs O(log n)
/// cache misses per eviction in a large store). A store is written with a few durations (each
/// guard's lease and retention); a queue is dropped once empty.
#[derive(Default)]
struct Expiries {
    queues: Vec<(Duration, Queue)>,
    len: usize,
}

/// The expiry times and keys written with one time to live, earliest first.
type Queue = VecDeque<(Instant, Arc<str>)>;

impl Expiries {
    fn len(&self) -> usize {
        self.len
    }

    fn push(&mut self, ttl: Duration, at: Instant, key: Arc<str>) {
        let i = match self.queues.iter().position(|(d, _)| *d == ttl) {
            Some(i) => i,
            None => {
                self.queues.push((ttl, VecDeque::new()));
                self.queues.len() - 1
            }
        };
        self.queues[i].1.push_back((at, key));
        self.len += 1;
    }

    /// Drops the item `(at, key)` if it is the last one pushed on its queue.
    fn forget_last(&mut self, at: Instant, key: &Arc<str>) {
        for (_, queue) in &mut self.queues {
            if queue
                .back()
                .is_some_and(|(t, k)| *t == at && Arc::ptr_eq(k, key))
            {
                queue.pop_back();
                self.len -= 1;
                return;
            }
        }
    }

    /// Takes out every item due at `now`, handing its key to `due`.
    fn pop_due(&mut self, now: Instant, mut due: impl FnMut(Arc<str>)) {
        for (_, queue) in &mut self.queues {
            while queue.front().is_some_and(|(at, _)| *at <= now) {
                let Some((_, key)) = queue.pop_front() else {
                    break;
                };
                self.len -= 1;
                due(key);
            }
        }
        self.queues.retain(|(_, queue)| !queue.is_empty());
    }

    /// Keeps only the items for which `keep(time, key)` holds, in order.
    fn retain(&mut self, mut keep: impl FnMut(Instant, &str) -> bool) {
        for (_, queue) in &mut self.queues {
            queue.retain(|(at, key)| keep(*at, key));
        }
        self.queues.retain(|(_, queue)| !queue.is_empty());
        self.len = self.queues.iter().map(|(_, queue)| queue.len()).sum();
    }
}

impl State {
    /// Writes `record` under `key` (the key already held, if any), expiring `ttl` after `now`.
    fn insert(&mut self, key: Arc<str>, record: Record, now: Instant, ttl: Duration) {
        let expires_at = now + ttl;
        self.seq += 1;
        let seq = self.seq;
        if matches!(record, Record::Done { .. }) {
            self.done.push_back((seq, Arc::clone(&key)));
        }
        self.expiries.push(ttl, expires_at, Arc::clone(&key));
        self.entries.insert(
            key,
            Entry {
                record,
                expires_at,
                seq,
            },
        );
        // Renewals, completions and evictions leave stale queue items behind; rebuild
        // before they outnumber live entries (amortised O(1) per write).
        let bound = 2 * self.entries.len() + 1024;
        if self.expiries.len() > bound {
            let entries = &self.entries;
            self.expiries
                .retain(|at, key| entries.get(key).is_some_and(|e| e.expires_at == at));
        }
        if self.done.len() > bound {
            let entries = &self.entries;
            self.done
                .retain(|(seq, key)| is_current(entries, *seq, key));
        }
    }

    fn evict_expired(&mut self, now: Instant) {
        let mut done_expired = false;
        let entries = &mut self.entries;
        self.expiries.pop_due(now, |key| {
            if let hash_map::Entry::Occupied(entry) = entries.entry(key)
                && entry.get().expires_at <= now
            {
                let removed = entry.remove();
                done_expired |= matches!(removed.record, Record::Done { .. });
            }
        });
        if done_expired {
            // Done records usually expire in the order they became done: drop their items from
            // the front of the queue now rather than at the next eviction or rebuild.
            while let Some((seq, key)) = self.done.front() {
                if is_current(&self.entries, *seq, key) {
                    break;
                }
                self.done.pop_front();
            }
        }
    }

    /// Evicts the done record that became done first; `None` if no entry is done.
    fn evict_oldest_done(&mut self) -> Option<Arc<str>> {
        while let Some((seq, key)) = self.done.pop_front() {
            if is_current(&self.entries, seq, &key) {
                self.entries.remove(&key);
                self.evicted += 1;
                return Some(key);
            }
        }
        None
    }
}

/// `true` if `key` still holds the record written as `seq`.
fn is_current(entries: &HashMap<Arc<str>, Entry>, seq: u64, key: &str) -> bool {
    entries.get(key).is_some_and(|e| e.seq == seq)
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
        let ours = self.if_ours(key, claim, |state, held, now| {
            state.insert(held, done.clone(), now, retention);
        });
        Box::pin(std::future::ready(Ok(ours)))
    }

    fn release<'a>(
        &'a self,
        key: &'a str,
        claim: &'a Record,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let ours = self.if_ours(key, claim, |state, held, _| {
            state.entries.remove(&held);
        });
        Box::pin(std::future::ready(Ok(ours)))
    }

    fn renew<'a>(
        &'a self,
        key: &'a str,
        claim: &'a Record,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let ours = self.if_ours(key, claim, |state, held, now| {
            state.insert(held, claim.clone(), now, lease);
        });
        Box::pin(std::future::ready(Ok(ours)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Fingerprint;

    fn in_flight(n: u64) -> Record {
        Record::InFlight {
            token: format!("t{n}"),
            fingerprint: Fingerprint::of(b"{}"),
        }
    }

    fn done() -> Record {
        Record::Done {
            status: 200,
            fingerprint: Fingerprint::of(b"{}"),
        }
    }

    #[test]
    fn the_done_queue_stays_bounded_when_done_records_only_expire() {
        let mut state = State::default();
        let start = Instant::now();
        for n in 0..20_000u64 {
            let now = start + Duration::from_secs(n);
            state.evict_expired(now);
            // One in ten kept long, the rest expire a second later: their queue items go stale
            // behind the long-lived ones at the front, where expiry alone never drops them.
            let retention = Duration::from_secs(if n % 10 == 0 { 1_000_000 } else { 1 });
            let key: Arc<str> = Arc::from(format!("k{n}"));
            state.insert(key.clone(), in_flight(n), now, Duration::from_secs(30));
            state.insert(key, done(), now, retention);
            let bound = 2 * state.entries.len() + 1024;
            assert!(state.done.len() <= bound, "{} > {bound}", state.done.len());
            assert!(state.expiries.len() <= bound);
        }
        assert!(state.entries.len() < 2_100);
    }

    #[test]
    fn a_claim_settled_before_any_other_write_leaves_no_lease_item() {
        let store = MemoryStore::new();
        let (lease, hour) = (Duration::from_secs(30), Duration::from_secs(3600));
        for n in 0..100 {
            let key = format!("k{n}");
            let claim = in_flight(n);
            assert_eq!(store.claim_now(&key, &claim, lease).unwrap(), None);
            let done = store.if_ours(&key, &claim, |state, held, now| {
                state.insert(held, done(), now, hour);
            });
            assert!(done);
        }
        let claim = in_flight(100);
        store.claim_now("released", &claim, lease).unwrap();
        assert!(store.if_ours("released", &claim, |state, held, _| {
            state.entries.remove(&held);
        }));
        // Only the done records' retention items are left: one per key.
        assert_eq!(store.lock().expiries.len(), 100);
    }

    #[test]
    fn a_key_done_again_is_evicted_by_its_newest_completion() {
        let mut state = State::default();
        let (now, hour) = (Instant::now(), Duration::from_secs(3600));
        state.insert(Arc::from("a"), done(), now, hour);
        state.insert(Arc::from("b"), done(), now, hour);
        // `a` released and done again: it is now newer than `b`.
        state.entries.remove("a");
        state.insert(Arc::from("a"), done(), now, hour);
        assert_eq!(state.evict_oldest_done().as_deref(), Some("b"));
        assert_eq!(state.evict_oldest_done().as_deref(), Some("a"));
        assert_eq!(state.evict_oldest_done(), None);
        assert_eq!(state.evicted, 2);
    }

    #[test]
    fn in_flight_records_are_never_chosen_for_eviction() {
        let mut state = State::default();
        let (now, hour) = (Instant::now(), Duration::from_secs(3600));
        state.insert(Arc::from("busy"), in_flight(0), now, hour);
        state.insert(Arc::from("old"), done(), now, hour);
        assert_eq!(state.evict_oldest_done().as_deref(), Some("old"));
        assert_eq!(state.evict_oldest_done(), None);
        assert!(state.entries.contains_key("busy"));
    }
}
