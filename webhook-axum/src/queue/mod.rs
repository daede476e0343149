//! Answer in milliseconds, process in the background: [`EnqueueWebhook`] hands each verified
//! delivery to a [`webhook_queue::Acceptor`] instead of running a handler inline.
//!
//! ```
//! use std::time::Duration;
//! use axum::{Router, routing::post_service};
//! use tower::ServiceExt;
//! use webhook_axum::{EnqueueWebhook, VerifyWebhookLayer};
//! use webhook_idempotency::IdempotencyGuard;
//! use webhook_queue::{Acceptor, CancellationToken, HandlerError, Job, MemoryQueue, Queue, QueueConfig};
//! use webhook_verify::{Scheme, Signer, Verifier};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::new(Scheme::hmac_sha256(), "your-webhook-secret")?;
//! let queue = MemoryQueue::new("orders", QueueConfig::default()); // or RedisQueue::connect(..)
//! let acceptor = Acceptor::new(queue.clone(), IdempotencyGuard::default());
//! let app: Router = Router::new()
//!     .route("/webhooks", post_service(EnqueueWebhook::new(acceptor)))
//!     .route_layer(VerifyWebhookLayer::new(verifier));
//!
//! // A worker, here in the same process.
//! let shutdown = CancellationToken::new();
//! let worker = tokio::spawn({
//!     let (queue, shutdown) = (queue.clone(), shutdown.clone());
//!     async move {
//!         let handle = |job: Job| async move {
//!             println!("processed {:?}", job.delivery().key());
//!             Ok::<_, HandlerError>(())
//!         };
//!         queue.run(handle, shutdown).await
//!     }
//! });
//!
//! let body = br#"{"id":"evt_1","type":"order.completed","data":{}}"#;
//! let signed = Signer::new(Scheme::hmac_sha256(), "your-webhook-secret")?.sign("", 0, body)?;
//! let delivery = || {
//!     let mut request = http::Request::post("/webhooks");
//!     for (name, value) in &signed {
//!         request = request.header(name, value);
//!     }
//!     request.body(axum::body::Body::from(&body[..]))
//! };
//! let response = app.clone().oneshot(delivery()?).await?;
//! assert_eq!(response.status(), 202); // {"id":"<entry id>","status":"accepted"}
//! let response = app.clone().oneshot(delivery()?).await?;
//! assert_eq!(response.status(), 200); // a duplicate: not queued again
//!
//! while !queue.counts().await?.is_drained() {
//!     tokio::time::sleep(Duration::from_millis(5)).await;
//! }
//! shutdown.cancel();
//! worker.await??;
//! # Ok(())
//! # }
//! ```
//!
//! # Responses
//!
//! What [`Acceptor::accept`](webhook_queue::Acceptor::accept) returns, as `application/json`:
//!
//! | the accept step                                      | status | JSON body / headers |
//! |------------------------------------------------------|--------|---------------------|
//! | first delivery, appended                             | `202` (the acceptor's `accepted_status`) | `{"id":"<entry id>","status":"accepted"}`; key marked done |
//! | first delivery, append failed (Redis down, full)     | `503`  | `{"error":"the delivery could not be queued; retry later"}`, `Retry-After: 5`; key released |
//! | duplicate of an accepted event                       | `200`  | `{"status":"duplicate"}`; nothing appended |
//! | duplicate while another delivery is being accepted   | `409`  | `{"error":"this event is being processed by another delivery; retry later"}`, `Retry-After` |
//! | same key, different body                             | `422`  | `{"error":"this event id was already received with a different body"}` |
//! | idempotency store unavailable (fail-closed)          | `503`  | `{"error":"idempotency store unavailable; retry later"}`, `Retry-After` |
//! | no `VerifyWebhookLayer` in front (misconfigured)     | `500`  | `{"error":"webhook receiver is misconfigured"}`, logged at `ERROR` |
//!
//! The worker side (typed handlers, retries, dead letters) is [`webhook_queue::Router`] and
//! [`Queue::run`](webhook_queue::RedisQueue::run); with a `RedisQueue` workers can also run as
//! separate processes.

mod future;
mod service;

pub use future::ResponseFuture;
pub use service::EnqueueWebhook;

use axum::Router;
use axum::routing::post_service;
use webhook_queue::Acceptor;
use webhook_verify::Verifier;

use crate::VerifyWebhookLayer;

/// A router whose `POST path` queues each authentic delivery with `acceptor`.
///
/// The same as `Router::new().route(path, post_service(EnqueueWebhook::new(acceptor))).route_layer(VerifyWebhookLayer::new(verifier))`.
///
/// ```
/// use axum::Router;
/// use webhook_idempotency::IdempotencyGuard;
/// use webhook_queue::{Acceptor, MemoryQueue, QueueConfig};
/// use webhook_verify::{Scheme, Verifier};
///
/// let verifier = Verifier::new(Scheme::hmac_sha256(), "your-webhook-secret")?;
/// let queue = MemoryQueue::new("orders", QueueConfig::default());
/// let app: Router = webhook_axum::queue::router("/webhooks", verifier, Acceptor::new(queue, IdempotencyGuard::default()));
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
pub fn router<S>(path: &str, verifier: Verifier, acceptor: Acceptor) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route(path, post_service(EnqueueWebhook::new(acceptor)))
        .route_layer(VerifyWebhookLayer::new(verifier))
}
