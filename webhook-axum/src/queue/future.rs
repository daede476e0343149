use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::response::Response;

type Boxed = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

/// Response future of [`EnqueueWebhook`](super::EnqueueWebhook): reads the verified body,
/// accepts it into the queue and answers.
///
/// Dropping it before the append returned releases the idempotency claim (in the
/// background), so the sender's retry is accepted.
pub struct ResponseFuture {
    inner: Boxed,
}

impl ResponseFuture {
    pub(super) fn new(inner: Boxed) -> Self {
        Self { inner }
    }
}

impl Future for ResponseFuture {
    type Output = Result<Response, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
