use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::Request;
use http_body::Body as HttpBody;
use tower_service::Service;
use webhook_verify::Verifier;

use super::{ResponseFuture, Shared, VerifyWebhookLayer, mark_sensitive};
use crate::body::{BoxError, ReadBody};

/// Service that verifies each request before calling `S`; built by [`VerifyWebhookLayer`].
///
/// Accepts any request body (`axum::body::Body`, `hyper::body::Incoming`, ...) and calls `S`
/// with an `axum::body::Body` holding the same bytes.
///
/// ```
/// use axum::body::Body;
/// use http::Request;
/// use tower::{ServiceBuilder, service_fn};
/// use webhook_axum::VerifyWebhookLayer;
/// use webhook_verify::{Scheme, Verifier};
///
/// let verifier = Verifier::new(Scheme::hmac_sha256(), "secret")?;
/// let service = ServiceBuilder::new()
///     .layer(VerifyWebhookLayer::new(verifier))
///     .service(service_fn(|_request: Request<Body>| async {
///         Ok::<_, std::convert::Infallible>("accepted")
///     }));
/// # let _ = service;
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
#[derive(Clone, Debug)]
pub struct VerifyWebhook<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> VerifyWebhook<S> {
    /// Wraps `inner` so that only verified requests reach it.
    pub fn new(inner: S, verifier: Verifier) -> Self {
        Self::from_shared(inner, Shared::new(verifier))
    }

    pub(super) fn from_shared(inner: S, shared: Arc<Shared>) -> Self {
        Self { inner, shared }
    }

    /// A [`VerifyWebhookLayer`] building this service.
    pub fn layer(verifier: Verifier) -> VerifyWebhookLayer {
        VerifyWebhookLayer::new(verifier)
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, B> Service<Request<B>> for VerifyWebhook<S>
where
    S: Service<Request<Body>> + Clone,
    S::Response: IntoResponse,
    B: HttpBody<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = ResponseFuture<S, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let (mut parts, body) = request.into_parts();
        mark_sensitive(&mut parts.headers, &self.shared.sensitive);
        let read = ReadBody::new(&parts.headers, body, self.shared.verifier.body_limit());
        // Call the instance that `poll_ready` prepared; keep a fresh clone for the next request.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        ResponseFuture::new(read, parts, inner, self.shared.clone())
    }
}
