//! Verify webhook deliveries in actix-web with one line: a middleware for an `App`, `Scope` or
//! `Resource`, or an extractor for a single handler, for every scheme and set of secrets
//! [`webhook_verify`] supports.
//!
//! ```
//! use actix_web::{App, HttpResponse, web};
//! use webhook_actix::VerifyWebhook;
//! use webhook_verify::{Scheme, Verified, Verifier};
//!
//! let verifier = Verifier::new(Scheme::hmac_sha256(), "your-webhook-secret")?;
//! let app = App::new().service(
//!     web::resource("/webhooks")
//!         .wrap(VerifyWebhook::new(verifier)) // the one line
//!         .route(web::post().to(|body: web::Bytes, v: web::ReqData<Verified<'static>>| async move {
//!             HttpResponse::Ok().body(format!("{} verified bytes, secret #{}", body.len(), v.secret_index))
//!         })),
//! );
//! # Ok::<(), webhook_verify::VerifyError>(())
//! ```
//!
//! Without the middleware, take a [`Webhook<web::Json<T>>`](Webhook) or `Webhook<web::Bytes>` in
//! the handler and put the verifier in the app data (`.app_data(web::Data::new(verifier))`).
//!
//! Behind the middleware, [`Idempotency`] runs the handler once per event however often the
//! sender delivers it (over [`webhook_idempotency`]; see [`idempotency`]), and
//! [`EnqueueWebhook`] answers `202` by queueing the delivery for background workers instead
//! (over [`webhook_queue`]; see [`queue`]).
//!
//! # Guarantees
//! - **Verify before parse.** The handler's `web::Json<T>`, `web::Bytes` or `String` only ever
//!   sees bytes that were verified, exactly as received (never decoded or re-serialized).
//! - **Bounded reads.** A body over the verifier's [`body_limit`](webhook_verify::Verifier::body_limit)
//!   (2 MiB by default) is refused with `413`: before reading anything when `Content-Length` says
//!   so, otherwise as soon as the limit is passed, without buffering the rest.
//! - **Same answers as `webhook-axum`.** Status codes and `{"error": "..."}` bodies come from
//!   [`webhook_verify::Rejection`]: `401` for a missing, invalid or stale signature, `413` for an
//!   oversize body, `400` for an unreadable one (table in [`verify`]).
//! - **Nothing leaks.** No message, log line or `Debug` output contains a secret or the expected
//!   signature; behind the middleware the signature headers are marked sensitive, so a `Debug`
//!   of the request prints `Sensitive` in their place.
//! - **What verification learned** ([`Verified<'static>`](webhook_verify::Verified): scheme,
//!   webhook id, timestamp, index of the matching secret) is in the request extensions
//!   (`web::ReqData<Verified<'static>>`) or in [`Webhook::verified`].
//! - **Constant time, no panics.** Verification is `webhook-verify`'s; this crate adds no
//!   `unsafe` and no `unwrap` on input.
//! - **Once per event.** Behind [`Idempotency`], a duplicate of a processed event is answered
//!   `200` without running the handler and a concurrent one `409`; an event is marked done only
//!   when the handler answered 2xx (an error, a panic or a cancelled request releases it).
//!   [`EnqueueWebhook`] queues an event once and answers `503` when it could not be queued.
//! - **Tracing.** A refusal emits a `WARN` event with the reason; an accepted delivery runs inside
//!   an `INFO` span `webhook` with its scheme, id and secret index.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod behind_verify;
mod body;
mod extract;
mod headers;
pub mod idempotency;
pub mod queue;
mod rejection;
pub mod server;
pub mod verify;

pub use extract::Webhook;
pub use headers::ActixHeaders;
pub use idempotency::{Idempotency, IdempotencyMiddleware};
pub use queue::EnqueueWebhook;
pub use rejection::WebhookRejection;
pub use server::ReceiverServer;
pub use verify::{VerifyWebhook, VerifyWebhookMiddleware};
/// The verification crate this adapter builds on, re-exported for convenience.
pub use webhook_verify;
