//! For queue backends outside this crate (such as `webhook-inbox`'s SQL queue): what the built-in
//! backends use, so that every backend runs attempts, spans and metrics alike.
//!
//! ```
//! use webhook_queue::{Delivery, QueueConfig, Verification, backend};
//!
//! let settings = backend::Settings::of(&QueueConfig::default().max_attempts(3));
//! assert_eq!(settings.max_attempts, 3);
//! let delivery = Delivery::new(&b"{}"[..], Verification::new("github"));
//! let job = backend::job("7", "payments", 2, 3, None, std::sync::Arc::new(delivery));
//! assert_eq!((job.id(), job.attempt()), ("7", 2));
//! ```

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::DropGuard;

use crate::{Delivery, Handler, HandlerError, Job, Queue, QueueConfig};

/// A [`QueueConfig`]'s values, read-only.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Settings {
    /// Attempts before an entry is dead (at least 1).
    pub max_attempts: u32,
    /// How long an entry may stay in flight without a heartbeat before another worker takes it.
    pub claim_idle: Duration,
    /// How long an idle worker waits before looking again.
    pub block: Duration,
    /// Handlers run at once by one worker.
    pub concurrency: usize,
    /// Waiting entries beyond which appends are refused.
    pub max_len: usize,
    /// Dead entries kept.
    pub dead_max_len: usize,
    /// The timeout of each backend command.
    pub command_timeout: Duration,
    /// How long in-flight handlers may finish after shutdown.
    pub shutdown_grace: Duration,
}

impl Settings {
    /// The values of `config`.
    ///
    /// ```
    /// let s = webhook_queue::backend::Settings::of(&Default::default());
    /// assert_eq!(s.max_attempts, 8);
    /// ```
    pub fn of(config: &QueueConfig) -> Self {
        Self {
            max_attempts: config.max_attempts,
            claim_idle: config.claim_idle,
            block: config.block,
            concurrency: config.concurrency,
            max_len: config.max_len,
            dead_max_len: config.dead_max_len,
            command_timeout: config.command_timeout,
            shutdown_grace: config.shutdown_grace,
        }
    }
}

/// The delay before the attempt after `failed_attempt`, with its random 0–10 % added.
///
/// ```
/// use std::time::Duration;
/// let config = webhook_queue::QueueConfig::default();
/// assert!(webhook_queue::backend::retry_delay(&config, 1) >= Duration::from_secs(1));
/// ```
pub fn retry_delay(config: &QueueConfig, failed_attempt: u32) -> Duration {
    config.jittered_delay(failed_attempt)
}

/// A [`Job`] for attempt `attempt` of entry `id` in `queue`.
///
/// ```
/// # use webhook_queue::{Delivery, Verification};
/// let d = std::sync::Arc::new(Delivery::new(&b"{}"[..], Verification::new("github")));
/// let job = webhook_queue::backend::job("1", "q", 1, 8, Some("boom".into()), d);
/// assert_eq!(job.last_error(), Some("boom"));
/// ```
pub fn job(
    id: &str,
    queue: &str,
    attempt: u32,
    max_attempts: u32,
    last_error: Option<Arc<str>>,
    delivery: Arc<Delivery>,
) -> Job {
    Job {
        id: Arc::from(id),
        queue: Arc::from(queue),
        attempt,
        max_attempts,
        last_error,
        delivery,
    }
}

/// Runs one attempt as the built-in queues do: in a `webhook_queue.attempt` span, a panic
/// turned into a failure, the attempt counted in the metrics.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use webhook_queue::{Delivery, HandlerError, Job, Verification};
/// let job = Job::new(Delivery::new(&b"{}"[..], Verification::new("github")));
/// let ok = |_job: Job| async { Ok::<_, HandlerError>(()) };
/// assert!(webhook_queue::backend::run_attempt(&ok, job).await.is_ok());
/// # }
/// ```
pub async fn run_attempt(handler: &dyn Handler, job: Job) -> Result<(), HandlerError> {
    crate::attempt::run(handler, job).await
}

/// Counts one entry moved to the dead letters of `queue` in the metrics.
///
/// ```
/// webhook_queue::backend::dead_lettered("payments");
/// ```
pub fn dead_lettered(queue: &str) {
    crate::metrics::dead_lettered(queue);
}

/// Starts sampling `queue`'s counts into the depth gauge, now and every few seconds, until the
/// returned guard is dropped: what a running worker of the built-in queues does.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let sampling = webhook_queue::backend::sample_depth(webhook_queue::MemoryQueue::new("q", Default::default()));
/// drop(sampling); // the worker stopped
/// # }
/// ```
pub fn sample_depth(queue: impl Queue) -> DropGuard {
    crate::metrics::sample_depth(queue)
}

/// A dead letter with id and entry id `id` for `delivery` (no attempts, no error, died now): set
/// its public fields after.
///
/// ```
/// # use webhook_queue::{Delivery, Verification};
/// let mut dead = webhook_queue::backend::dead_letter("9".into(), Delivery::new(&b"{}"[..], Verification::new("github")));
/// dead.attempts = 3;
/// assert_eq!((dead.id.as_str(), dead.entry_id.as_str()), ("9", "9"));
/// ```
pub fn dead_letter(id: String, delivery: Delivery) -> crate::DeadLetter {
    crate::DeadLetter {
        entry_id: id.clone(),
        id,
        delivery,
        attempts: 0,
        last_error: String::new(),
        died_at: std::time::SystemTime::now(),
    }
}

/// A worker's shutdown: waits up to `grace` for the attempts in `tasks` to finish, then aborts
/// the rest and returns what `running` held for them (to put back in the queue, uncounted).
/// `running` maps each task's id to its entry; finished tasks are removed from it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::collections::HashMap;
/// use std::time::Duration;
/// let mut tasks = tokio::task::JoinSet::new();
/// let mut running = HashMap::new();
/// let slow = tasks.spawn(std::future::pending::<()>());
/// running.insert(slow.id(), "entry-1");
/// let left = webhook_queue::backend::finish_within_grace(&mut tasks, &mut running, Duration::from_millis(10)).await;
/// assert_eq!(left, ["entry-1"]);
/// # }
/// ```
pub async fn finish_within_grace<T>(
    tasks: &mut tokio::task::JoinSet<()>,
    running: &mut std::collections::HashMap<tokio::task::Id, T>,
    grace: Duration,
) -> Vec<T> {
    let grace = tokio::time::sleep(grace);
    tokio::pin!(grace);
    loop {
        tokio::select! {
            done = tasks.join_next_with_id() => match done {
                Some(Ok((task, ()))) => { running.remove(&task); }
                Some(Err(_)) => {}
                None => return Vec::new(),
            },
            () = &mut grace => {
                tasks.abort_all();
                while tasks.join_next().await.is_some() {}
                return running.drain().map(|(_, entry)| entry).collect();
            }
        }
    }
}
