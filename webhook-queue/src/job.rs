//! What a handler receives ([`Job`]) and what a handler is ([`Handler`]).

use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::{Delivery, HandlerError};

/// One attempt at processing one queued delivery.
///
/// Cheap to clone. The delivery's raw body stays available ([`Job::body`]) so the event can be
/// re-verified, archived or replayed as received.
#[derive(Debug, Clone)]
pub struct Job {
    pub(crate) id: Arc<str>,
    pub(crate) queue: Arc<str>,
    pub(crate) attempt: u32,
    pub(crate) max_attempts: u32,
    pub(crate) last_error: Option<Arc<str>>,
    pub(crate) delivery: Arc<Delivery>,
}

impl Job {
    /// A job outside any queue, for testing handlers: attempt 1 of 1, id `0-0`.
    ///
    /// ```
    /// use webhook_queue::{Delivery, Job, Verification};
    /// let job = Job::new(Delivery::new(&b"{}"[..], Verification::new("github")));
    /// assert_eq!(job.attempt(), 1);
    /// assert_eq!(job.body().as_ref(), b"{}");
    /// ```
    pub fn new(delivery: Delivery) -> Self {
        Self {
            id: Arc::from("0-0"),
            queue: Arc::from(""),
            attempt: 1,
            max_attempts: 1,
            last_error: None,
            delivery: Arc::new(delivery),
        }
    }

    /// The queue entry's id (a stream id such as `1700000000000-0`). A retried entry is
    /// appended again, so the id changes between attempts: identify the event by
    /// [`Delivery::key`] (the idempotency key) instead.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The queue's name.
    pub fn queue(&self) -> &str {
        &self.queue
    }

    /// Which attempt this is, from 1.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The attempts allowed before the entry is dead-lettered.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// `true` on the last attempt: if it fails the entry goes to the dead-letter stream.
    pub fn is_last_attempt(&self) -> bool {
        self.attempt >= self.max_attempts
    }

    /// The error of the previous attempt, if this is a retry.
    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }

    /// The delivery: body, headers, verification, receive time, idempotency key.
    pub fn delivery(&self) -> &Delivery {
        &self.delivery
    }

    /// The body, byte for byte as received.
    pub fn body(&self) -> &bytes::Bytes {
        self.delivery.body()
    }
}

/// Processes jobs: a [`Router`](crate::Router), or any `async fn(Job) -> Result<(), E>`.
///
/// An `Err` (or a panic) fails the attempt: the entry is retried with backoff, then
/// dead-lettered with the error's message.
///
/// ```
/// use webhook_queue::{Handler, HandlerError, Job};
///
/// async fn handle(job: Job) -> Result<(), HandlerError> {
///     println!("{} bytes", job.body().len());
///     Ok(())
/// }
/// fn assert_handler(_: impl Handler) {}
/// assert_handler(handle);
/// ```
pub trait Handler: Send + Sync + 'static {
    /// Runs one attempt.
    fn call(&self, job: Job) -> BoxFuture<'static, Result<(), HandlerError>>;
}

impl<F, Fut, E> Handler for F
where
    F: Fn(Job) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Into<HandlerError>,
{
    fn call(&self, job: Job) -> BoxFuture<'static, Result<(), HandlerError>> {
        let fut = self(job);
        Box::pin(async move { fut.await.map_err(Into::into) })
    }
}
