#![doc = include_str!("../README.md")]
//! # API entry points
//!
//! [`Inbox`] (connected by [`Inbox::connect`] or [`InboxBuilder`], tables made by
//! [`Inbox::migrate`]) on a [`Backend`]; [`Inbox::store`] is the idempotency store
//! ([`SqlStore`]), [`Inbox::queue`] the durable queue ([`SqlQueue`]); the history ([`Inbox::list`] with a [`ListFilter`], [`Inbox::show`], [`Inbox::status_counts`],
//! [`Inbox::replay`], [`Inbox::prune`]); refused deliveries counted with a bounded sample
//! ([`Inbox::refusal_log`], a [`RefusalLog`] of [`Refusal`]s, read back by
//! [`Inbox::refusal_counts`] and [`Inbox::refusal_samples`]); failures as [`InboxError`]; [`redact_url`] for printing URLs.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod connections;
mod db;
mod error;
mod history;
mod queue;
mod refusals;
mod store;

pub use db::{Backend, DEFAULT_STATEMENT_TIMEOUT, Inbox, InboxBuilder, redact_url};
pub use error::InboxError;
pub use history::{DeliveryDetail, DeliveryRow, ListFilter, STATUSES};
pub use queue::SqlQueue;
pub use refusals::{DEFAULT_REFUSAL_SAMPLES, FLUSH_EVERY, Refusal, RefusalCount, RefusalLog};
pub use store::SqlStore;
