use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::Request;
use http_body::Body as HttpBody;
use tower_service::Service;
use webhook_idempotency::{Admitted, Claim, IdempotencyGuard};
use webhook_verify::{Rejection, Verified};

use super::{IdempotencyLayer, ResponseFuture};
use crate::behind_verify::{not_verified, read_body};
use crate::body::BoxError;
use crate::rejection::WebhookRejection;

/// Service that calls `S` only for the first delivery of each event; built by
/// [`IdempotencyLayer`].
///
/// Expects a [`Verified<'static>`](Verified) in the request extensions (put there by
/// [`VerifyWebhook`](crate::VerifyWebhook)); calls `S` with an `axum::body::Body` holding the
/// same bytes and the event's [`IdempotencyKey`](webhook_idempotency::IdempotencyKey) added to
/// the extensions.
///
/// ```
/// use axum::body::Body;
/// use http::Request;
/// use tower::{ServiceBuilder, service_fn};
/// use webhook_axum::{IdempotencyLayer, VerifyWebhookLayer};
/// use webhook_idempotency::IdempotencyGuard;
/// use webhook_verify::{Scheme, Verifier};
///
/// let verifier = Verifier::new(Scheme::hmac_sha256(), "secret")?;
/// let service = ServiceBuilder::new()
///     .layer(VerifyWebhookLayer::new(verifier))                  // outer: runs first
///     .layer(IdempotencyLayer::new(IdempotencyGuard::default())) // inner
///     .service(service_fn(|_request: Request<Body>| async {
///         Ok::<_, std::convert::Infallible>("processed")
///     }));
/// # let _ = service;
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Idempotency<S> {
    inner: S,
    guard: IdempotencyGuard,
}

impl<S> Idempotency<S> {
    /// Wraps `inner` so that it runs once per event.
    pub fn new(inner: S, guard: IdempotencyGuard) -> Self {
        Self { inner, guard }
    }

    /// An [`IdempotencyLayer`] building this service.
    pub fn layer(guard: IdempotencyGuard) -> IdempotencyLayer {
        IdempotencyLayer::new(guard)
    }

    /// The guard.
    pub fn guard(&self) -> &IdempotencyGuard {
        &self.guard
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

impl<S, B> Service<Request<B>> for Idempotency<S>
where
    S: Service<Request<Body>> + Clone + Send + 'static,
    S::Response: IntoResponse,
    S::Future: Send,
    S::Error: Send,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // Call the instance that `poll_ready` prepared; keep a fresh clone for the next request.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        ResponseFuture::new(Box::pin(guarded(inner, self.guard.clone(), request)))
    }
}

/// Claims the event, calls `inner` on the first delivery, completes or releases the claim.
///
/// The guard logs every outcome; this adds nothing but the `ERROR` for a missing
/// `VerifyWebhookLayer`.
async fn guarded<S, B>(
    mut inner: S,
    guard: IdempotencyGuard,
    request: Request<B>,
) -> Result<Response, S::Error>
where
    S: Service<Request<Body>>,
    S::Response: IntoResponse,
    B: HttpBody<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let (mut parts, body) = request.into_parts();
    let Some(verified) = parts.extensions.get::<Verified<'static>>() else {
        let rejection = not_verified("webhook_axum::IdempotencyLayer", parts.uri.path());
        return Ok(answer(rejection));
    };
    let body = match read_body(&parts.headers, body).await {
        Ok(body) => body,
        Err(rejection) => return Ok(answer(rejection)),
    };
    let Admitted { key, claim } = match guard.admit(Some(verified), &parts.headers, &body).await {
        Ok(admitted) => admitted,
        Err(rejection) => return Ok(answer(rejection)),
    };

    parts.extensions.insert(key);
    let request = Request::from_parts(parts, Body::from(body));
    // Completed on a 2xx, released otherwise, on an error or a panic; a dropped future (the
    // client went away and hyper dropped the request) drops the claim, released in the background.
    // Called inside the settled future, so that a panic in `call` itself is caught too.
    let call = async move { inner.call(request).await.map(IntoResponse::into_response) };
    Claim::settle(claim, call, |response| response.status().as_u16()).await
}

/// Answers without calling the inner service (the guard already logged why).
fn answer(rejection: Rejection) -> Response {
    WebhookRejection::from(rejection).into_response()
}
