//! Lease renewal for live claims: one background task per guard, not one per claim.
//!
//! A claim registers here (a map insert) and unregisters when completed, released or dropped.
//! The task wakes every `lease / 6` and renews each claim whose lease was last renewed at least
//! `lease / 3` ago, so a live claim is renewed at most `lease / 2` after its previous renewal:
//! well before it expires. Spawning a task per claim instead costs a cross-thread wake-up per
//! claim, which halved single-connection claim throughput.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::store::{Record, Store};

/// Renews the leases of one guard's live claims.
pub(crate) struct Renewer {
    store: Arc<dyn Store>,
    lease: Duration,
    live: Arc<Mutex<Live>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

#[derive(Default)]
struct Live {
    next_id: u64,
    claims: HashMap<u64, LiveClaim>,
}

struct LiveClaim {
    key: String,
    record: Record,
    renewed_at: Instant,
}

/// A claim's place in the renewer; unregisters on drop.
pub(crate) struct Registration {
    live: Arc<Mutex<Live>>,
    id: u64,
}

fn lock(live: &Mutex<Live>) -> MutexGuard<'_, Live> {
    live.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Renewer {
    pub(crate) fn new(store: Arc<dyn Store>, lease: Duration) -> Self {
        Self {
            store,
            lease,
            live: Arc::default(),
            task: Mutex::new(None),
        }
    }

    /// Keeps `key`'s lease alive while the returned registration lives. Without a Tokio
    /// runtime nothing renews it (the claim then lasts one lease).
    pub(crate) fn register(&self, key: &str, record: &Record) -> Registration {
        let id = {
            let mut live = lock(&self.live);
            live.next_id += 1;
            let id = live.next_id;
            live.claims.insert(
                id,
                LiveClaim {
                    key: key.to_owned(),
                    record: record.clone(),
                    renewed_at: Instant::now(),
                },
            );
            id
        };
        self.ensure_running();
        Registration {
            live: self.live.clone(),
            id,
        }
    }

    fn ensure_running(&self) {
        let mut task = self.task.lock().unwrap_or_else(PoisonError::into_inner);
        if task.as_ref().is_some_and(|t| !t.is_finished()) {
            return;
        }
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let live = Arc::downgrade(&self.live);
                *task = Some(runtime.spawn(run(live, self.store.clone(), self.lease)));
            }
            Err(_) => tracing::warn!(
                "webhook claim made outside a Tokio runtime: its lease will not be renewed"
            ),
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        lock(&self.live).claims.remove(&self.id);
    }
}

async fn run(live: Weak<Mutex<Live>>, store: Arc<dyn Store>, lease: Duration) {
    let every = (lease / 6).max(Duration::from_millis(1));
    let due_after = lease / 3;
    let mut ticks = tokio::time::interval_at(Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let due: Vec<(u64, String, Record)> = {
            let Some(live) = live.upgrade() else {
                return; // the guard and all its claims are gone
            };
            let now = Instant::now();
            let mut live = lock(&live);
            live.claims
                .iter_mut()
                .filter(|(_, c)| now.duration_since(c.renewed_at) >= due_after)
                .map(|(id, c)| {
                    c.renewed_at = now;
                    (*id, c.key.clone(), c.record.clone())
                })
                .collect()
        };
        if due.is_empty() {
            continue;
        }
        let mut renewals = JoinSet::new();
        for (id, key, record) in due {
            let store = store.clone();
            renewals.spawn(async move {
                let result = store.renew(&key, &record, lease).await;
                (id, key, result)
            });
        }
        while let Some(joined) = renewals.join_next().await {
            let Ok((id, key, result)) = joined else {
                continue;
            };
            match result {
                Ok(true) => tracing::trace!(key = %key, "webhook claim lease renewed"),
                Ok(false) => {
                    tracing::warn!(key = %key, "webhook claim lost while its handler runs (lease expired); another delivery may process the event");
                    if let Some(live) = live.upgrade() {
                        lock(&live).claims.remove(&id);
                    }
                }
                Err(error) => {
                    tracing::warn!(key = %key, %error, "could not renew webhook claim lease; retrying");
                }
            }
        }
    }
}
