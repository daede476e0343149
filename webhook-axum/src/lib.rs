//! Webhook verification for axum, in one line: a tower layer and an extractor over
//! [`webhook_verify`], for every scheme and set of secrets it supports.
//!
//! ```
//! use axum::{Extension, Json, Router, routing::post};
//! use webhook_axum::VerifyWebhookLayer;
//! use webhook_verify::{Scheme, Verified, Verifier, envelope::Envelope};
//!
//! let verifier = Verifier::new(Scheme::hmac_sha256(), "your-webhook-secret")?;
//! let app: Router = Router::new()
//!     .route("/webhooks", post(|Extension(v): Extension<Verified<'static>>, Json(event): Json<Envelope>| async move {
//!         format!("{} via {}", event.event_type(), v.scheme)
//!     }))
//!     .route_layer(VerifyWebhookLayer::new(verifier));
//! # Ok::<(), webhook_verify::VerifyError>(())
//! ```
//!
//! # Guarantees
//! - **Verify before parse.** The layer and the [`Webhook`] extractor verify the raw bytes as
//!   received, then hand the *same* bytes to `Json<T>`, `Bytes`, `String`...
//! - **Bounded reads.** A body is read up to [`Verifier::body_limit`](webhook_verify::Verifier::body_limit)
//!   (2 MiB by default): a `Content-Length` over it is refused with `413` before anything is read,
//!   a streamed body with `413` as soon as it passes the limit, without buffering the rest.
//! - **Same answers everywhere.** Statuses and `{"error": "..."}` bodies come from
//!   [`webhook_verify::Rejection`], shared with `webhook-actix` (table in [`verify`]).
//! - **Nothing leaks.** Errors and `tracing` events name the reason only, never a signature or a
//!   secret; signature headers are marked sensitive so `tower-http` trace layers print `Sensitive`.
//! - **Never panics** on any request; no `unwrap` on input.
//! - **Once per event, or queued.** [`IdempotencyLayer`] behind the verify layer runs a handler
//!   once per event ([`webhook_idempotency`]; table in [`idempotency`]); [`EnqueueWebhook`]
//!   answers by queueing the delivery instead ([`webhook_queue`]; table in [`queue`]).
//! - **Cheap.** `Clone` is two `Arc` increments; per request the layer adds one body buffer
//!   (none when the body arrives in one chunk) and the HMAC, and a body that arrived with its
//!   headers is verified as the service is called, without cloning the inner service.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod behind_verify;
mod body;
mod extract;
pub mod idempotency;
pub mod queue;
mod rejection;
pub mod serve;
pub mod verify;

pub use extract::Webhook;
pub use idempotency::{Idempotency, IdempotencyLayer};
pub use queue::EnqueueWebhook;
pub use rejection::WebhookRejection;
pub use serve::{Serve, bind, serve};
pub use verify::{VerifyWebhook, VerifyWebhookLayer};
