use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::Request;
use http_body::Body as HttpBody;
use tower_service::Service;
use webhook_verify::Verifier;

use super::refused;
use super::{ResponseFuture, Shared, VerifyWebhookLayer, mark_sensitive};
use crate::body::{BoxError, ReadBody};

/// Service that verifies each request before calling `S`; built by [`VerifyWebhookLayer`].
///
/// Accepts any `Send + 'static` request body (`axum::body::Body`, `hyper::body::Incoming`, ...)
/// and calls `S` with an `axum::body::Body` holding the same bytes. When the whole body is
/// already there as the service is called (the usual case: hyper reads a small body together
/// with the headers), it is verified at once and `S` is called right away, without cloning `S`;
/// otherwise the [`ResponseFuture`] reads the rest first.
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
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = ResponseFuture<S>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // `Body::new` costs nothing for axum's own body (what `Router::layer` passes) and makes
        // any other body `Unpin`, so that it can be polled here.
        let mut request = request.map(Body::new);
        mark_sensitive(request.headers_mut(), &self.shared.sensitive);
        let body = std::mem::take(request.body_mut());
        let verifier = &self.shared.verifier;
        let limit = verifier.body_limit();
        let timeout = Some(verifier.body_timeout());
        let mut read = ReadBody::new(request.headers(), body, limit, timeout);
        // A delivery usually arrives whole with its headers (hyper has read the body into the
        // request before the service's future first runs): then verify at once and call the
        // instance that `poll_ready` prepared, without cloning it or keeping the request.
        match read.poll_now() {
            Poll::Ready(Ok(body)) => match verifier.preparation(request.headers(), &body) {
                None => ResponseFuture::read(&self.shared, request, body, &mut self.inner),
                // A certificate to fetch first (`paypal`, `sns`): the future calls the prepared
                // instance once it is done; a fresh clone stays for the next request.
                Some(preparation) => {
                    let clone = self.inner.clone();
                    let inner = std::mem::replace(&mut self.inner, clone);
                    let pending = (request, body, inner, self.shared.clone());
                    ResponseFuture::preparing(preparation, pending)
                }
            },
            Poll::Ready(Err(rejection)) => {
                let path = request.uri().path();
                let verifier = &self.shared.verifier;
                let peer = super::peer(request.extensions());
                let refusal = refused(verifier, rejection, path, request.headers(), peer);
                ResponseFuture::refused(refusal)
            }
            Poll::Pending => {
                // The rest is still on its way: read it in the future, which calls the instance
                // that `poll_ready` prepared; a fresh clone stays for the next request.
                let clone = self.inner.clone();
                let inner = std::mem::replace(&mut self.inner, clone);
                ResponseFuture::reading(read, request, inner, self.shared.clone())
            }
        }
    }
}
