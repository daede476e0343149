//! Answer webhook senders in milliseconds, process their events durably in the background.
//!
//! ```
//! use webhook_queue::{Delivery, HandlerError, Job, MemoryQueue, Queue, QueueConfig, Router, Verification};
//! use webhook_verify::envelope::Envelope;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), webhook_queue::QueueError> {
//! let queue = MemoryQueue::new("payments", QueueConfig::default()); // or RedisQueue::connect(..)
//! // Receiver, after verifying: append the delivery, answer 2xx.
//! queue.enqueue(&Delivery::new(&br#"{"event":"user.created","timestamp":"","data":{}}"#[..], Verification::new("hmac-sha256"))).await?;
//! // Worker: typed handlers per event type, retried with backoff, dead-lettered when out of attempts.
//! let router = Router::new().on("user.created", |event: Envelope, job: Job| async move {
//!     println!("{} (attempt {})", event.event_type(), job.attempt());
//!     Ok::<_, HandlerError>(())
//! });
//! # let shutdown = tokio_util::sync::CancellationToken::new(); shutdown.cancel();
//! queue.run(router, shutdown).await?; // until shutdown is cancelled
//! # Ok(()) }
//! ```
//!
//! # Guarantees
//! With [`RedisQueue`] (single node or Cluster):
//! - **Nothing accepted is lost.** [`Queue::enqueue`] returns only once `XADD` did; when it
//!   fails the receiver answers `503` + `Retry-After` and the sender retries. An accepted event
//!   survives a crash of the receiver and of any worker: a crashed worker's entries are
//!   reclaimed by another worker (`XAUTOCLAIM`) once idle for [`QueueConfig::claim_idle`].
//! - **Retried, then dead-lettered, never dropped.** A failing (or panicking) handler is retried
//!   with exponential backoff up to [`QueueConfig::max_attempts`]; then the entry moves to a
//!   dead-letter stream with its last error, where it can be listed and replayed.
//! - **Bounded.** The stream holds at most [`QueueConfig::max_len`] waiting entries (`MAXLEN ~`);
//!   beyond that appends are refused (`503`), never trimmed away unprocessed.
//! - **At-least-once processing.** A handler may run again for the same event if a worker
//!   dies after the handler succeeded and before `XACK`; the idempotency key travels with the
//!   delivery ([`Delivery::key`]) to make that harmless.
//! - **Raw bytes.** The body is stored as received (a binary field), never re-serialized, so a
//!   handler can re-verify it or replay it byte for byte.
//! - **Graceful shutdown.** Cancelling the worker's token stops reading; in-flight handlers get
//!   [`QueueConfig::shutdown_grace`] to finish, then their entries go back to the queue.
//!
//! [`MemoryQueue`] has the same API and retry semantics in-process, and **loses everything on a
//! crash**: for development and tests.
//!
//! # Features
//! - `tls` (off by default): `rediss://` URLs for [`RedisQueue`] (and, through
//!   `webhook-idempotency/tls`, for its `RedisStore`), over rustls with the `ring` provider.
//!   [`RedisQueue::connect`] checks the server against the system's root certificates;
//!   `RedisQueue::connect_trusting_ca` only against your own CA. Without the feature, a
//!   `rediss://` URL fails with an error saying to enable it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod accept;
mod attempt;
mod config;
mod dead_letter;
mod delivery;
mod dispatch;
mod error;
mod job;
mod memory;
mod queue;
pub mod redis_queue;

pub use accept::{Accepted, Acceptor, DEFAULT_KEPT_HEADERS};
pub use config::QueueConfig;
pub use dead_letter::DeadLetter;
pub use delivery::{Delivery, Verification};
pub use dispatch::Router;
pub use error::{BoxError, HandlerError, QueueError};
pub use job::{Handler, Job};
pub use memory::MemoryQueue;
pub use queue::{Counts, DEFAULT_QUEUE_NAME, Queue};
pub use redis_queue::RedisQueue;
pub use tokio_util::sync::CancellationToken;
