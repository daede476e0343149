//! Process each event once: [`Idempotency`] (the actix-web [`Transform`]) and
//! [`IdempotencyMiddleware`] (the [`Service`] it wraps around your handlers), over
//! [`webhook_idempotency::IdempotencyGuard`].
//!
//! Senders retry and deliver duplicates. Behind [`VerifyWebhook`], this
//! middleware claims each authentic delivery's event in the guard's store (a `MemoryStore` in
//! one process, a `RedisStore` shared by every receiver) and runs the handler only for the
//! event's first delivery; the event is marked done only once the handler answered 2xx.
//!
//! ```
//! use actix_web::{App, HttpResponse, test, web};
//! use webhook_actix::{Idempotency, VerifyWebhook};
//! use webhook_idempotency::{IdempotencyGuard, IdempotencyKey, MemoryStore};
//! use webhook_verify::{Scheme, Signer, Verifier};
//!
//! async fn receive(key: web::ReqData<IdempotencyKey>) -> HttpResponse {
//!     println!("processed {}", key.as_str()); // runs once per event
//!     HttpResponse::Ok().body("processed")
//! }
//!
//! # #[actix_web::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::new(Scheme::hmac_sha256(), "your-webhook-secret")?;
//! let guard = IdempotencyGuard::builder().store(MemoryStore::new()).endpoint("orders").build();
//! let app = test::init_service(
//!     App::new().service(
//!         web::resource("/webhooks")
//!             .wrap(Idempotency::new(guard))      // runs second
//!             .wrap(VerifyWebhook::new(verifier)) // runs first (the last `wrap` is outermost)
//!             .route(web::post().to(receive)),
//!     ),
//! )
//! .await;
//!
//! let body = br#"{"id":"evt_1","type":"order.completed","data":{}}"#;
//! let signed = Signer::new(Scheme::hmac_sha256(), "your-webhook-secret")?.sign("", 0, body)?;
//! let delivery = || {
//!     signed.iter().cloned().fold(
//!         test::TestRequest::post().uri("/webhooks").set_payload(&body[..]),
//!         |req, header| req.insert_header(header),
//!     )
//! };
//!
//! // The first delivery runs the handler...
//! let res = test::call_service(&app, delivery().to_request()).await;
//! assert_eq!((res.status().as_u16(), test::read_body(res).await), (200, "processed".into()));
//!
//! // ...the sender's retry is answered 200 without running it.
//! let res = test::call_service(&app, delivery().to_request()).await;
//! assert_eq!(res.status(), 200);
//! assert_eq!(
//!     test::read_body(res).await,
//!     r#"{"status":"duplicate"}"#
//! );
//! # Ok(())
//! # }
//! ```
//!
//! For tests and small apps, [`resource`] builds the same resource from a verifier, a guard and
//! a handler.
//!
//! # Responses
//!
//! The answers come from the guard's [`Outcome::rejection`](webhook_idempotency::Outcome::rejection)
//! (a [`webhook_verify::Rejection`], shared with `webhook-axum`), sent as `application/json`.
//!
//! | outcome of the claim                         | handler | status | JSON body / headers |
//! |----------------------------------------------|---------|--------|---------------------|
//! | first delivery of the event                  | runs    | the handler's | a 2xx marks the event done; any other status, an error, a panic or a cancelled request releases it, so the sender's retry runs it |
//! | duplicate of a processed event               | not run | `200` (or the stored 2xx with `replay_status(true)`) | `{"status":"duplicate"}` |
//! | duplicate while the first is being processed | not run | `409`  | `{"error":"this event is being processed by another delivery; retry later"}`, `Retry-After: 5` |
//! | same key, different body                     | not run | `422`  | `{"error":"this event id was already received with a different body"}` |
//! | store down or full, fail-closed (default)    | not run | `503`  | `{"error":"idempotency store unavailable; retry later"}`, `Retry-After: 5` |
//! | store down, [`FailMode::Open`](webhook_idempotency::FailMode::Open) | runs | the handler's | nothing recorded (at-least-once), logged at `WARN` |
//! | no `VerifyWebhook` in front (misconfigured)  | not run | `500`  | `{"error":"webhook receiver is misconfigured"}`, logged at `ERROR` |
//!
//! # What handlers get
//!
//! Everything [`VerifyWebhook`] gives (the verified bytes as the payload,
//! `web::ReqData<Verified<'static>>`), plus the event's
//! [`IdempotencyKey`](webhook_idempotency::IdempotencyKey) as `web::ReqData<IdempotencyKey>`:
//! by default the signed `webhook-id`, else the body's top-level `"id"`, else
//! `sha256:<hex of the body>` (the guard's [`KeyStrategy`](webhook_idempotency::KeyStrategy)).
//!
//! # Cancellation and panics
//!
//! - A handler that panics: the claim is released, then the panic goes on (actix-web drops the
//!   connection). The sender's retry runs the handler again.
//! - A request whose future is dropped (the connection closed and actix-web cancels the
//!   handler, e.g. with `HttpServer::h1_allow_half_closed(false)`): the claim is released in
//!   the background. With actix-web's default (half-closed connections allowed) a handler keeps
//!   running after the client left, and its answer counts as usual.
//! - The process dies: the claim's lease expires (30 s by default) and a later delivery runs.
//!
//! # Tracing
//!
//! The guard emits one event per outcome (first: `DEBUG`; duplicate, in flight: `INFO`;
//! conflict, store error, fail-open: `WARN`), inside the `webhook` span of `VerifyWebhook`.
//! This middleware adds nothing but the `ERROR` for a missing `VerifyWebhook`.
//!
//! [`Transform`]: actix_web::dev::Transform
//! [`Service`]: actix_web::dev::Service

mod middleware;
mod transform;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{Error, FromRequest, Handler, Resource, Responder, web};
use webhook_idempotency::IdempotencyGuard;
use webhook_verify::Verifier;

pub use middleware::IdempotencyMiddleware;
pub use transform::Idempotency;

use crate::VerifyWebhook;

/// A resource at `path` whose `POST` runs `handler` once per authentic event: verified by
/// `verifier`, deduplicated by `guard`.
///
/// The same as `web::resource(path).wrap(Idempotency::new(guard)).wrap(VerifyWebhook::new(verifier)).route(web::post().to(handler))`,
/// with the middleware in the right order.
///
/// ```
/// use actix_web::{App, HttpResponse};
/// use webhook_idempotency::IdempotencyGuard;
/// use webhook_verify::{Scheme, Verifier};
///
/// let verifier = Verifier::new(Scheme::hmac_sha256(), "your-webhook-secret")?;
/// let app = App::new().service(webhook_actix::idempotency::resource(
///     "/webhooks",
///     verifier,
///     IdempotencyGuard::default(),
///     |body: String| async move { HttpResponse::Ok() },
/// ));
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
pub fn resource<F, Args>(
    path: &str,
    verifier: Verifier,
    guard: IdempotencyGuard,
    handler: F,
) -> Resource<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
>
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .wrap(Idempotency::new(guard))
        .wrap(VerifyWebhook::new(verifier))
        .route(web::post().to(handler))
}
