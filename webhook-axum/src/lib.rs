#![doc = include_str!("../README.md")]
//! # API entry points
//!
//! Verification: [`VerifyWebhookLayer`] (the [`VerifyWebhook`] service) and the [`Webhook`]
//! extractor, refusing with a [`WebhookRejection`] (answers in [`verify`]). Once per event:
//! [`IdempotencyLayer`] ([`idempotency`], with [`idempotency::router`]). Queued:
//! [`EnqueueWebhook`] ([`queue`], with [`queue::router`]). Serving: [`serve()`] and [`bind`]
//! ([`serve`](mod@serve) module; the limits table is in [`webhook_verify::server`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod behind_verify;
mod body;
#[cfg(feature = "dashboard")]
pub mod dashboard;
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
/// The caching certificate fetcher for `paypal` and `sns` (feature `fetch`): webhook-verify's.
#[cfg(feature = "fetch")]
pub use webhook_verify::fetch;
