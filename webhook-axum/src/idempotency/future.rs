use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::response::Response;

type Boxed<E> = Pin<Box<dyn Future<Output = Result<Response, E>> + Send>>;

/// Response future of [`Idempotency`](super::Idempotency): reads the verified body, claims the
/// event, runs the inner service on the first delivery, then completes or releases the claim.
///
/// Dropping it releases a claim it holds (in the background), so a cancelled request is
/// retried by the sender.
pub struct ResponseFuture<E> {
    inner: Boxed<E>,
}

impl<E> ResponseFuture<E> {
    pub(super) fn new(inner: Boxed<E>) -> Self {
        Self { inner }
    }
}

impl<E> Future for ResponseFuture<E> {
    type Output = Result<Response, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl<E> fmt::Debug for ResponseFuture<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
