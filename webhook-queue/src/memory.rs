//! The embedded default: an in-process queue with the same API as the Redis one.
//!
//! For development, tests and single-process receivers that can afford to lose work. **It does
//! not survive a crash or restart of the process**: everything accepted and not yet processed
//! is lost with it. Use [`RedisQueue`](crate::RedisQueue) when accepted events must survive.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use futures_util::future::{BoxFuture, FutureExt as _};
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::{Counts, DeadLetter, Delivery, Handler, Job, Queue, QueueConfig, QueueError};

/// An in-process queue: retries with backoff and dead letters like [`RedisQueue`](crate::RedisQueue),
/// but held in memory and **lost if the process crashes**.
///
/// ```
/// use std::time::Duration;
/// use webhook_queue::{Delivery, HandlerError, Job, MemoryQueue, Queue, QueueConfig, Verification};
/// use tokio_util::sync::CancellationToken;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), webhook_queue::QueueError> {
/// let queue = MemoryQueue::new("dev", QueueConfig::default());
/// queue.enqueue(&Delivery::new(&br#"{"event":"user.created"}"#[..], Verification::new("hmac-sha256"))).await?;
///
/// let shutdown = CancellationToken::new();
/// let worker = tokio::spawn({
///     let (queue, shutdown) = (queue.clone(), shutdown.clone());
///     async move { queue.run(|job: Job| async move { Ok::<_, HandlerError>(()) }, shutdown).await }
/// });
/// while !queue.counts().await?.is_drained() {
///     tokio::time::sleep(Duration::from_millis(5)).await;
/// }
/// shutdown.cancel();
/// worker.await.unwrap()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct MemoryQueue {
    shared: Arc<Shared>,
}

struct Shared {
    name: Arc<str>,
    config: QueueConfig,
    state: Mutex<State>,
    notify: Notify,
}

#[derive(Default)]
struct State {
    next_id: u64,
    ready: VecDeque<Entry>,
    retry: BTreeMap<(Instant, u64), Entry>,
    in_flight: HashMap<u64, Entry>,
    dead: BTreeMap<u64, DeadLetter>,
}

#[derive(Clone)]
struct Entry {
    id: u64,
    delivery: Arc<Delivery>,
    attempts: u32,
    last_error: Option<Arc<str>>,
}

fn entry_id(n: u64) -> String {
    format!("{n}-0")
}

fn parse_id(id: &str) -> Option<u64> {
    id.strip_suffix("-0")?.parse().ok()
}

impl MemoryQueue {
    /// An empty queue named `name`.
    pub fn new(name: impl Into<String>, config: QueueConfig) -> Self {
        let name: String = name.into();
        Self {
            shared: Arc::new(Shared {
                name: Arc::from(name),
                config,
                state: Mutex::new(State::default()),
                notify: Notify::new(),
            }),
        }
    }

    /// Runs a worker with `handler` until `shutdown` is cancelled ([`Queue::work`] with any
    /// handler type).
    pub async fn run(
        &self,
        handler: impl Handler,
        shutdown: CancellationToken,
    ) -> Result<(), QueueError> {
        self.work_inner(Arc::new(handler), shutdown).await
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-updated in a way that
        // matters more than losing the queue, so recover from poisoning.
        self.shared
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn next_ready(&self) -> (Option<Entry>, Option<Instant>) {
        let mut state = self.state();
        let now = Instant::now();
        while let Some(entry) = state.retry.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let entry = entry.remove();
            state.ready.push_back(entry);
        }
        match state.ready.pop_front() {
            Some(entry) => {
                state.in_flight.insert(entry.id, entry.clone());
                (Some(entry), None)
            }
            None => (None, state.retry.keys().next().map(|k| k.0)),
        }
    }

    fn finish(&self, entry: Entry, attempt: u32, result: Result<(), crate::HandlerError>) {
        let config = &self.shared.config;
        let mut state = self.state();
        if state.in_flight.remove(&entry.id).is_none() {
            return; // returned to the queue by a shutdown meanwhile
        }
        let Err(err) = result else { return };
        if attempt >= config.max_attempts {
            state.next_id += 1;
            let dead_id = state.next_id;
            state.dead.insert(
                dead_id,
                DeadLetter {
                    id: entry_id(dead_id),
                    entry_id: entry_id(entry.id),
                    delivery: (*entry.delivery).clone(),
                    attempts: attempt,
                    last_error: err.message().to_owned(),
                    died_at: SystemTime::now(),
                },
            );
            crate::metrics::dead_lettered(&self.shared.name);
            while state.dead.len() > config.dead_max_len {
                state.dead.pop_first();
            }
        } else {
            let due = Instant::now() + config.jittered_delay(attempt);
            let id = entry.id;
            state.retry.insert(
                (due, id),
                Entry {
                    attempts: attempt,
                    last_error: Some(Arc::from(err.message())),
                    ..entry
                },
            );
        }
        drop(state);
        self.shared.notify.notify_one();
    }

    async fn work_inner(
        &self,
        handler: Arc<dyn Handler>,
        shutdown: CancellationToken,
    ) -> Result<(), QueueError> {
        let config = &self.shared.config;
        let permits = Arc::new(Semaphore::new(config.concurrency));
        let mut tasks: JoinSet<()> = JoinSet::new();
        let mut running: HashMap<tokio::task::Id, u64> = HashMap::new();
        let _sampling = crate::metrics::sample_depth(self.clone());
        'work: loop {
            while let Some(done) = tasks.try_join_next_with_id() {
                if let Ok((task, ())) = done {
                    running.remove(&task);
                }
            }
            let permit = tokio::select! {
                biased;
                () = shutdown.cancelled() => break 'work,
                permit = permits.clone().acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break 'work,
                },
            };
            let entry = loop {
                let (entry, next_due) = self.next_ready();
                if let Some(entry) = entry {
                    break entry;
                }
                let wait = next_due.map_or(Duration::from_millis(250), |due| {
                    due.saturating_duration_since(Instant::now())
                });
                tokio::select! {
                    biased;
                    () = shutdown.cancelled() => break 'work,
                    () = self.shared.notify.notified() => {}
                    () = tokio::time::sleep(wait) => {}
                }
            };
            let attempt = entry.attempts + 1;
            let job = Job {
                id: Arc::from(entry_id(entry.id)),
                queue: self.shared.name.clone(),
                attempt,
                max_attempts: config.max_attempts,
                last_error: entry.last_error.clone(),
                delivery: entry.delivery.clone(),
            };
            let (queue, handler, id) = (self.clone(), handler.clone(), entry.id);
            let task = tasks.spawn(async move {
                let result = crate::attempt::run(&*handler, job).await;
                queue.finish(entry, attempt, result);
                drop(permit);
            });
            running.insert(task.id(), id);
        }
        // Shutdown: let in-flight attempts finish within the grace period, then return the rest.
        let left =
            crate::backend::finish_within_grace(&mut tasks, &mut running, config.shutdown_grace)
                .await;
        {
            let mut state = self.state();
            for id in left {
                if let Some(entry) = state.in_flight.remove(&id) {
                    state.ready.push_front(entry);
                }
            }
        }
        self.shared.notify.notify_one();
        Ok(())
    }
}

impl Queue for MemoryQueue {
    fn name(&self) -> &str {
        &self.shared.name
    }

    fn enqueue<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<String, QueueError>> {
        let result = {
            let mut state = self.state();
            let waiting = state.ready.len() + state.in_flight.len();
            if waiting >= self.shared.config.max_len {
                Err(QueueError::Full {
                    max_len: self.shared.config.max_len,
                })
            } else {
                state.next_id += 1;
                let id = state.next_id;
                state.ready.push_back(Entry {
                    id,
                    delivery: Arc::new(delivery.clone()),
                    attempts: 0,
                    last_error: None,
                });
                Ok(entry_id(id))
            }
        };
        self.shared.notify.notify_one();
        std::future::ready(result).boxed()
    }

    fn work(
        &self,
        handler: Arc<dyn Handler>,
        shutdown: CancellationToken,
    ) -> BoxFuture<'_, Result<(), QueueError>> {
        self.work_inner(handler, shutdown).boxed()
    }

    fn counts(&self) -> BoxFuture<'_, Result<Counts, QueueError>> {
        let state = self.state();
        let counts = Counts {
            pending: (state.ready.len() + state.in_flight.len()) as u64,
            in_flight: state.in_flight.len() as u64,
            retrying: state.retry.len() as u64,
            dead: state.dead.len() as u64,
        };
        std::future::ready(Ok(counts)).boxed()
    }

    fn dead_letters<'a>(
        &'a self,
        after: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<DeadLetter>, QueueError>> {
        let start = after.and_then(parse_id).map_or(0, |n| n + 1);
        let state = self.state();
        let list = state
            .dead
            .range(start..)
            .take(limit)
            .map(|(_, dead)| dead.clone())
            .collect();
        std::future::ready(Ok(list)).boxed()
    }

    fn replay<'a>(&'a self, dead_id: &'a str) -> BoxFuture<'a, Result<Option<String>, QueueError>> {
        let replayed = {
            let mut state = self.state();
            match parse_id(dead_id).and_then(|n| state.dead.remove(&n)) {
                Some(dead) => {
                    state.next_id += 1;
                    let id = state.next_id;
                    state.ready.push_back(Entry {
                        id,
                        delivery: Arc::new(dead.delivery),
                        attempts: 0,
                        last_error: Some(Arc::from(dead.last_error)),
                    });
                    Some(entry_id(id))
                }
                None => None,
            }
        };
        self.shared.notify.notify_one();
        std::future::ready(Ok(replayed)).boxed()
    }

    fn discard<'a>(&'a self, dead_id: &'a str) -> BoxFuture<'a, Result<bool, QueueError>> {
        let removed = parse_id(dead_id).is_some_and(|n| self.state().dead.remove(&n).is_some());
        std::future::ready(Ok(removed)).boxed()
    }
}

impl std::fmt::Debug for MemoryQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryQueue")
            .field("name", &self.shared.name)
            .finish_non_exhaustive()
    }
}
