//! Process each event once: [`IdempotencyLayer`] and [`Idempotency`], over
//! [`webhook_idempotency::IdempotencyGuard`].
//!
//! Senders retry and deliver duplicates. Behind [`VerifyWebhookLayer`],
//! this layer claims each authentic delivery's event in the guard's store (a `MemoryStore` in
//! one process, a `RedisStore` shared by every receiver) and runs the handler only for the
//! event's first delivery; the event is marked done only once the handler answered 2xx.
//!
//! ```
//! use axum::{Extension, Router, routing::post};
//! use webhook_axum::{IdempotencyLayer, VerifyWebhookLayer};
//! use webhook_idempotency::{IdempotencyGuard, IdempotencyKey, MemoryStore};
//! use webhook_verify::{Scheme, Signer, Verifier};
//! use tower::ServiceExt;
//!
//! async fn receive(Extension(key): Extension<IdempotencyKey>) -> &'static str {
//!     println!("processed {key}"); // runs once per event
//!     "processed"
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::new(Scheme::hmac_sha256(), "your-webhook-secret")?;
//! let guard = IdempotencyGuard::builder().store(MemoryStore::new()).endpoint("orders").build();
//! let app: Router = Router::new()
//!     .route("/webhooks", post(receive))
//!     .route_layer(IdempotencyLayer::new(guard))      // runs second
//!     .route_layer(VerifyWebhookLayer::new(verifier)); // runs first (the last layer is outermost)
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
//!
//! // The first delivery runs the handler...
//! let response = app.clone().oneshot(delivery()?).await?;
//! assert_eq!(response.status(), 200);
//! // ...the sender's retry is answered 200 without running it.
//! let response = app.clone().oneshot(delivery()?).await?;
//! assert_eq!(response.status(), 200);
//! let bytes = axum::body::to_bytes(response.into_body(), 1024).await?;
//! assert_eq!(bytes, r#"{"status":"duplicate"}"#);
//! # Ok(())
//! # }
//! ```
//!
//! For tests and small apps, [`router`] builds the same route from a path, a verifier, a guard
//! and a handler.
//!
//! # Responses
//!
//! The answers come from the guard's [`Outcome::rejection`](webhook_idempotency::Outcome::rejection)
//! (a [`webhook_verify::Rejection`], shared with `webhook-actix`), sent as `application/json`.
//!
//! | outcome of the claim                         | handler | status | JSON body / headers |
//! |----------------------------------------------|---------|--------|---------------------|
//! | first delivery of the event                  | runs    | the handler's | a 2xx marks the event done; any other status, an error, a panic or a cancelled request releases it, so the sender's retry runs it |
//! | duplicate of a processed event               | not run | `200` (or the stored 2xx with `replay_status(true)`) | `{"status":"duplicate"}` |
//! | duplicate while the first is being processed | not run | `409`  | `{"error":"this event is being processed by another delivery; retry later"}`, `Retry-After: 5` |
//! | same key, different body                     | not run | `422`  | `{"error":"this event id was already received with a different body"}` |
//! | store down or full, fail-closed (default)    | not run | `503`  | `{"error":"idempotency store unavailable; retry later"}`, `Retry-After: 5` |
//! | store down, [`FailMode::Open`](webhook_idempotency::FailMode::Open) | runs | the handler's | nothing recorded (at-least-once), logged at `WARN` |
//! | no `VerifyWebhookLayer` in front (misconfigured) | not run | `500` | `{"error":"webhook receiver is misconfigured"}`, logged at `ERROR` |
//!
//! # What handlers get
//!
//! Everything [`VerifyWebhookLayer`] gives (the verified bytes as
//! the body, `Extension<Verified<'static>>`), plus the event's
//! [`IdempotencyKey`](webhook_idempotency::IdempotencyKey) as `Extension<IdempotencyKey>`: by
//! default the signed `webhook-id`, else the body's top-level `"id"`, else
//! `sha256:<hex of the body>` (the guard's [`KeyStrategy`](webhook_idempotency::KeyStrategy)).
//!
//! # Cancellation and panics
//!
//! - A handler that panics: the claim is released, then the panic goes on (hyper drops the
//!   connection; or `tower_http::catch_panic` answers 500). The sender's retry runs it again.
//! - A client that disconnects mid-handler: hyper drops the response future, which drops the
//!   claim and releases it in the background.
//! - The process dies: the claim's lease expires (30 s by default) and a later delivery runs.
//!
//! # Tracing
//!
//! The guard emits one event per outcome (first: `DEBUG`; duplicate, in flight: `INFO`;
//! conflict, store error, fail-open: `WARN`), inside the `webhook` span of the verify layer.
//! This layer adds nothing but the `ERROR` for a missing `VerifyWebhookLayer`.

mod future;
mod layer;
mod service;

pub use future::ResponseFuture;
pub use layer::IdempotencyLayer;
pub use service::Idempotency;

use axum::Router;
use axum::handler::Handler;
use axum::routing::post;
use webhook_idempotency::IdempotencyGuard;
use webhook_verify::Verifier;

use crate::VerifyWebhookLayer;

/// A router whose `POST path` runs `handler` once per authentic event: verified by
/// `verifier`, deduplicated by `guard`.
///
/// The same as `Router::new().route(path, post(handler)).route_layer(IdempotencyLayer::new(guard)).route_layer(VerifyWebhookLayer::new(verifier))`,
/// with the layers in the right order. Merge it into your app with `Router::merge`.
///
/// ```
/// use axum::Router;
/// use webhook_idempotency::IdempotencyGuard;
/// use webhook_verify::{Scheme, Verifier};
///
/// let verifier = Verifier::new(Scheme::hmac_sha256(), "your-webhook-secret")?;
/// let app: Router = webhook_axum::idempotency::router(
///     "/webhooks",
///     verifier,
///     IdempotencyGuard::default(),
///     |body: String| async move { format!("{} bytes processed", body.len()) },
/// );
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
pub fn router<H, T, S>(
    path: &str,
    verifier: Verifier,
    guard: IdempotencyGuard,
    handler: H,
) -> Router<S>
where
    H: Handler<T, S>,
    T: 'static,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route(path, post(handler))
        .route_layer(IdempotencyLayer::new(guard))
        .route_layer(VerifyWebhookLayer::new(verifier))
}
