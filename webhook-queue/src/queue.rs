//! The [`Queue`] trait: what every backend offers (durable Redis, in-process memory).

use std::sync::Arc;

use futures_util::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use crate::{DeadLetter, Delivery, Handler, QueueError};

/// The queue name to use when there is no reason to pick another: what tools such as the
/// `webhook queue` CLI address when given no `--queue`.
///
/// ```
/// assert_eq!(webhook_queue::DEFAULT_QUEUE_NAME, "webhooks");
/// ```
pub const DEFAULT_QUEUE_NAME: &str = "webhooks";

/// A queue of verified deliveries: append, work, inspect, replay.
///
/// Implemented by [`RedisQueue`](crate::RedisQueue) (durable, shared by worker processes) and
/// [`MemoryQueue`](crate::MemoryQueue) (in-process, lost on crash). Object safe, so receivers
/// can hold an `Arc<dyn Queue>` and not care which.
///
/// ```
/// use std::sync::Arc;
/// use webhook_queue::{Delivery, MemoryQueue, Queue, Verification};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), webhook_queue::QueueError> {
/// let queue: Arc<dyn Queue> = Arc::new(MemoryQueue::new("payments", Default::default()));
/// let id = queue.enqueue(&Delivery::new(&b"{}"[..], Verification::new("stripe"))).await?;
/// assert_eq!(queue.counts().await?.pending, 1);
/// # let _ = id; Ok(()) }
/// ```
pub trait Queue: Send + Sync + 'static {
    /// The queue's name.
    fn name(&self) -> &str;

    /// Appends a delivery durably (for Redis: `XADD` returned) and returns its entry id.
    ///
    /// Fails with [`QueueError::Full`] rather than trimming unprocessed entries, and with a
    /// Redis or timeout error when the append is not known to have happened: the caller answers
    /// `503` and the sender retries.
    fn enqueue<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<String, QueueError>>;

    /// Runs a worker until `shutdown` is cancelled: handles entries with `handler` (several at
    /// once), retries failures with backoff, dead-letters entries out of attempts, reclaims
    /// entries of crashed workers. On shutdown, in-flight handlers get the configured grace
    /// period to finish; entries still running after it are returned to the queue.
    fn work(
        &self,
        handler: Arc<dyn Handler>,
        shutdown: CancellationToken,
    ) -> BoxFuture<'_, Result<(), QueueError>>;

    /// How many entries are pending, in flight, waiting for a retry, and dead.
    fn counts(&self) -> BoxFuture<'_, Result<Counts, QueueError>>;

    /// Up to `limit` dead letters, oldest first, starting after the dead-letter id `after`.
    fn dead_letters<'a>(
        &'a self,
        after: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<DeadLetter>, QueueError>>;

    /// Moves a dead letter back into the queue with its attempts reset; returns the new entry
    /// id, or `None` when no dead letter has that id.
    fn replay<'a>(&'a self, dead_id: &'a str) -> BoxFuture<'a, Result<Option<String>, QueueError>>;

    /// Deletes a dead letter for good; `false` when no dead letter has that id.
    fn discard<'a>(&'a self, dead_id: &'a str) -> BoxFuture<'a, Result<bool, QueueError>>;

    /// For a backend that holds idempotency keys in its own entries (`webhook-inbox`'s SQL
    /// queue): appends `delivery` unless an entry already holds `storage_key` (the guard's
    /// `<prefix>:<endpoint>:<key>`), the claim, the entry and its record written in one commit.
    /// `None`, the default: the backend cannot, and the [`Acceptor`](crate::Acceptor) claims
    /// the key with its guard's store, appends, then marks the key done.
    ///
    /// ```
    /// use webhook_queue::{Delivery, MemoryQueue, Queue, Verification};
    /// let queue = MemoryQueue::new("q", Default::default());
    /// let delivery = Delivery::new(&b"{}"[..], Verification::new("stripe"));
    /// assert!(queue.enqueue_once("webhook:default:evt_1", &delivery).is_none());
    /// ```
    fn enqueue_once<'a>(
        &'a self,
        storage_key: &'a str,
        delivery: &'a Delivery,
    ) -> Option<BoxFuture<'a, Result<Appended, QueueError>>> {
        let _ = (storage_key, delivery);
        None
    }
}

/// What [`Queue::enqueue_once`] did with a delivery.
///
/// ```
/// let first = webhook_queue::Appended::New("7".into());
/// assert_ne!(first, webhook_queue::Appended::Duplicate);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Appended {
    /// The key's first delivery: appended, and the key held, in one commit; the entry id.
    New(String),
    /// The key is held by an accepted delivery with the same body: nothing appended (answer
    /// `200`).
    Duplicate,
    /// The key is claimed by a delivery still being handled elsewhere (a guard's claim whose
    /// lease runs): nothing appended (answer `409`).
    InFlight,
    /// The key is held by a delivery with another body: nothing appended (answer `422`).
    Conflict,
}

/// A snapshot of a queue's entries by state.
///
/// ```
/// let counts = webhook_queue::Counts::default();
/// assert_eq!(counts.pending + counts.retrying + counts.dead, 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counts {
    /// Accepted and not yet processed successfully, not waiting for a retry (in flight included).
    pub pending: u64,
    /// Of `pending`, those a worker is handling right now (or held by a crashed worker until
    /// they are reclaimed).
    pub in_flight: u64,
    /// Failed at least once and waiting for their next attempt.
    pub retrying: u64,
    /// Out of attempts, in the dead-letter stream.
    pub dead: u64,
}

impl Counts {
    /// `true` when nothing is pending or waiting for a retry.
    ///
    /// ```
    /// assert!(webhook_queue::Counts::default().is_drained());
    /// ```
    pub fn is_drained(&self) -> bool {
        self.pending == 0 && self.retrying == 0
    }
}
