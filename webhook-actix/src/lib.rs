#![doc = include_str!("../README.md")]
//! # API entry points
//!
//! Verification: [`VerifyWebhook`] (the [`VerifyWebhookMiddleware`]) and the [`Webhook`]
//! extractor, refusing with a [`WebhookRejection`] (answers in [`verify`]). Once per event:
//! [`Idempotency`] ([`idempotency`], with [`idempotency::resource`]). Queued: [`EnqueueWebhook`]
//! ([`queue`], with [`queue::resource`]). Serving: [`ReceiverServer`] ([`server`]; the limits
//! table is in [`webhook_verify::server`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod behind_verify;
mod body;
#[cfg(feature = "dashboard")]
pub mod dashboard;
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
/// The caching certificate fetcher for `paypal` and `sns` (feature `fetch`): webhook-verify's.
#[cfg(feature = "fetch")]
pub use webhook_verify::fetch;
