//! Lease renewal for live claims: one background task per guard, not one per claim.
//!
//! A claim registers here by pushing a pointer to its state (shared with the claim: nothing is
//! copied) onto a list, and stops renewal by setting a flag when it is completed, released or
//! dropped; the task and the next registrations drop stopped entries from the list. The task
//! wakes every `lease / 6` and renews each claim whose lease was last renewed at least
//! `lease / 3` ago, so a live claim is renewed at most `lease / 2` after its previous renewal:
//! well before it expires. Spawning a task per claim instead costs a cross-thread wake-up per
//! claim, which halved single-connection claim throughput; a map of claims cost a hash, two
//! copies and a time stamp per claim.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::store::{Record, Store};

/// What a claim and the renewer share: the key as stored, the claim's record, and whether
/// renewal has stopped.
pub(crate) struct LiveClaim {
    pub(crate) key: Arc<str>,
    pub(crate) record: Record,
    stopped: AtomicBool,
}

impl LiveClaim {
    pub(crate) fn new(key: Arc<str>, record: Record) -> Arc<Self> {
        Arc::new(Self {
            key,
            record,
            stopped: AtomicBool::new(false),
        })
    }

    /// No more renewals (the claim is being settled or was lost).
    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
    }

    fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }
}

/// Renews the leases of one guard's live claims.
pub(crate) struct Renewer {
    store: Arc<dyn Store>,
    lease: Duration,
    shared: Arc<Shared>,
}

struct Shared {
    live: Mutex<Live>,
    /// A renewal task is alive (cleared when it ends, e.g. with its runtime).
    running: AtomicBool,
}

struct Live {
    /// Registered claims, each with the time its lease was last renewed; `None`: registered
    /// since `last_pass` (so renewed no earlier than that).
    claims: Vec<(Arc<LiveClaim>, Option<Instant>)>,
    /// When the task last looked at the claims (or when the renewer was made).
    last_pass: Instant,
    /// The length at which the next registration drops stopped claims first.
    prune_at: usize,
}

/// Keeps a guard's renewer (its task) alive while a claim lives, even once the guard is gone.
pub(crate) struct Registration {
    _renewer: Option<Arc<Shared>>,
}

/// Below this many entries the list is not pruned on registration.
const MIN_PRUNE: usize = 64;

fn lock(live: &Mutex<Live>) -> MutexGuard<'_, Live> {
    live.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Renewer {
    pub(crate) fn new(store: Arc<dyn Store>, lease: Duration) -> Self {
        Self {
            store,
            lease,
            shared: Arc::new(Shared {
                live: Mutex::new(Live {
                    claims: Vec::new(),
                    last_pass: Instant::now(),
                    prune_at: MIN_PRUNE,
                }),
                running: AtomicBool::new(false),
            }),
        }
    }

    /// Keeps `claim`'s lease alive until [`LiveClaim::stop`], while the registration lives.
    /// Without a Tokio runtime nothing renews it (the claim then lasts one lease).
    pub(crate) fn register(&self, claim: &Arc<LiveClaim>) -> Registration {
        if !self.ensure_running() {
            return Registration { _renewer: None };
        }
        let mut live = lock(&self.shared.live);
        if live.claims.len() >= live.prune_at {
            // Amortised O(1): the list is at most about twice the live claims, plus `MIN_PRUNE`.
            live.claims.retain(|(c, _)| !c.is_stopped());
            live.prune_at = (2 * live.claims.len()).max(MIN_PRUNE);
        }
        live.claims.push((Arc::clone(claim), None));
        Registration {
            _renewer: Some(Arc::clone(&self.shared)),
        }
    }

    /// `true` if a renewal task runs (spawning it when none does).
    fn ensure_running(&self) -> bool {
        let running = &self.shared.running;
        if running.load(Ordering::Acquire) {
            return true;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(
                "webhook claim made outside a Tokio runtime: its lease will not be renewed"
            );
            return false;
        };
        if running
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            let task = run(Arc::downgrade(&self.shared), self.store.clone(), self.lease);
            drop(runtime.spawn(task));
        }
        true
    }
}

/// Clears [`Shared::running`] when the task ends, however it ends (its runtime shut down).
struct Running(Weak<Shared>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(shared) = self.0.upgrade() {
            shared.running.store(false, Ordering::Release);
        }
    }
}

async fn run(shared: Weak<Shared>, store: Arc<dyn Store>, lease: Duration) {
    let _running = Running(shared.clone());
    let every = (lease / 6).max(Duration::from_millis(1));
    let due_after = lease / 3;
    let mut ticks = tokio::time::interval_at(Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let due: Vec<Arc<LiveClaim>> = {
            let Some(shared) = shared.upgrade() else {
                return; // the guard and all its claims are gone
            };
            let now = Instant::now();
            let mut live = lock(&shared.live);
            let since = std::mem::replace(&mut live.last_pass, now);
            live.claims.retain(|(c, _)| !c.is_stopped());
            live.prune_at = (2 * live.claims.len()).max(MIN_PRUNE);
            live.claims
                .iter_mut()
                .filter_map(|(claim, renewed_at)| {
                    let at = renewed_at.get_or_insert(since);
                    (now.duration_since(*at) >= due_after).then(|| {
                        *at = now;
                        Arc::clone(claim)
                    })
                })
                .collect()
        };
        if due.is_empty() {
            continue;
        }
        let mut renewals = JoinSet::new();
        for claim in due {
            let store = store.clone();
            renewals.spawn(async move {
                let result = store.renew(&claim.key, &claim.record, lease).await;
                (claim, result)
            });
        }
        while let Some(joined) = renewals.join_next().await {
            let Ok((claim, result)) = joined else {
                continue;
            };
            match result {
                Ok(true) => tracing::trace!(key = %claim.key, "webhook claim lease renewed"),
                // Completed or released while the renewal ran: not lost, just settled.
                Ok(false) if claim.is_stopped() => {}
                Ok(false) => {
                    tracing::warn!(key = %claim.key, "webhook claim lost while its handler runs (lease expired); another delivery may process the event");
                    claim.stop();
                }
                Err(error) => {
                    tracing::warn!(key = %claim.key, %error, "could not renew webhook claim lease; retrying");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Fingerprint, MemoryStore};

    #[tokio::test]
    async fn settled_claims_are_dropped_from_the_list_as_claims_come() {
        let renewer = Renewer::new(Arc::new(MemoryStore::new()), Duration::from_secs(30));
        let keep = LiveClaim::new(Arc::from("live"), record());
        let _kept = renewer.register(&keep);
        for n in 0..10_000 {
            let claim = LiveClaim::new(Arc::from(format!("k{n}")), record());
            let registration = renewer.register(&claim);
            claim.stop();
            drop(registration);
        }
        let live = lock(&renewer.shared.live);
        assert!(live.claims.len() <= MIN_PRUNE + 2, "{}", live.claims.len());
        assert!(live.claims.iter().any(|(c, _)| Arc::ptr_eq(c, &keep)));
    }

    fn record() -> Record {
        Record::InFlight {
            token: "t".into(),
            fingerprint: Fingerprint::of(b"{}"),
        }
    }
}
