use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Request, StatusCode};
use http_body::Body as HttpBody;
use tower_service::Service;
use webhook_queue::Acceptor;
use webhook_verify::{Rejection, Verified};

use super::ResponseFuture;
use crate::behind_verify::{not_verified, read_body};
use crate::body::BoxError;
use crate::rejection::WebhookRejection;

/// Service that answers a verified delivery by queueing it with a [`webhook_queue::Acceptor`]
/// (claim the idempotency key, append durably, answer) instead of running a handler inline.
///
/// Route it with `axum::routing::post_service` behind a
/// [`VerifyWebhookLayer`](crate::VerifyWebhookLayer); it reads the
/// [`Verified<'static>`](Verified) that layer leaves in the extensions and never fails (errors
/// are answered, see the table in [`queue`](crate::queue)).
///
/// ```
/// use axum::{Router, routing::post_service};
/// use webhook_axum::{EnqueueWebhook, VerifyWebhookLayer};
/// use webhook_idempotency::IdempotencyGuard;
/// use webhook_queue::{Acceptor, MemoryQueue, QueueConfig};
/// use webhook_verify::{Scheme, Verifier};
///
/// let verifier = Verifier::new(Scheme::hmac_sha256(), "your-webhook-secret")?;
/// let acceptor = Acceptor::new(MemoryQueue::new("orders", QueueConfig::default()), IdempotencyGuard::default());
/// let app: Router = Router::new()
///     .route("/webhooks", post_service(EnqueueWebhook::new(acceptor)))
///     .route_layer(VerifyWebhookLayer::new(verifier));
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
#[derive(Clone, Debug)]
pub struct EnqueueWebhook {
    acceptor: Acceptor,
}

impl EnqueueWebhook {
    /// A service queueing each verified delivery with `acceptor`.
    pub fn new(acceptor: Acceptor) -> Self {
        Self { acceptor }
    }

    /// The acceptor deliveries are handed to.
    pub fn acceptor(&self) -> &Acceptor {
        &self.acceptor
    }
}

impl<B> Service<Request<B>> for EnqueueWebhook
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        ResponseFuture::new(Box::pin(enqueue(self.acceptor.clone(), request)))
    }
}

/// Accepts the delivery and turns the acceptor's answer into a response.
///
/// The guard logs duplicates, conflicts and store errors, the acceptor a failed append; this
/// adds nothing but the `ERROR` for a missing `VerifyWebhookLayer`.
async fn enqueue<B>(acceptor: Acceptor, request: Request<B>) -> Result<Response, Infallible>
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let (parts, body) = request.into_parts();
    let Some(verified) = parts.extensions.get::<Verified<'static>>() else {
        let rejection = not_verified("webhook_axum::EnqueueWebhook", parts.uri.path());
        return Ok(answer(rejection));
    };
    let body = match read_body(&parts.headers, body).await {
        Ok(body) => body,
        Err(rejection) => return Ok(answer(rejection)),
    };
    Ok(
        match acceptor.accept(verified, &parts.headers, body).await {
            Ok(accepted) => {
                let status = StatusCode::from_u16(accepted.status).unwrap_or(StatusCode::ACCEPTED);
                let json = [(CONTENT_TYPE, HeaderValue::from_static("application/json"))];
                (status, json, accepted.json_body()).into_response()
            }
            Err(rejection) => answer(rejection),
        },
    )
}

fn answer(rejection: Rejection) -> Response {
    WebhookRejection::from(rejection).into_response()
}
