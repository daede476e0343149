#![doc = include_str!("../README.md")]
//! # API entry points
//!
//! [`IdempotencyGuard`] (built by [`GuardBuilder`]): [`IdempotencyGuard::admit`] after
//! verification (what both adapters and the queue's accept step call; it returns the
//! [`Admitted`] key and [`Claim`]), [`IdempotencyGuard::run`] to wrap a handler in a custom
//! server, or the lower-level [`IdempotencyGuard::begin`] and its [`Outcome`]; the stores
//! [`MemoryStore`] and [`RedisStore`] ([`RedisStoreBuilder`]) behind the [`Store`] trait; keys by
//! [`KeyStrategy`]; failures as [`StoreError`] and [`FailMode`]; Redis URLs in [`redis_target`].
#![cfg_attr(
    feature = "tls",
    doc = "With the `tls` feature: your own CA by [`RedisStoreBuilder::trust_ca_pem`]."
)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod claim;
mod delivery_key;
mod error;
mod fingerprint;
mod guard;
mod key;
mod outcome;
pub mod redis_target;
mod renewal;
pub mod store;

pub use claim::Claim;
pub use delivery_key::IdempotencyKey;
pub use error::StoreError;
pub use fingerprint::Fingerprint;
pub use guard::{
    Admitted, DEFAULT_LEASE, DEFAULT_RETENTION, DEFAULT_RETRY_AFTER, FailMode, GuardBuilder,
    IdempotencyGuard,
};
pub use key::{KeyInput, KeyStrategy};
pub use outcome::{Outcome, Ran};
pub use redis_target::RedisTarget;
pub use store::{MemoryStore, Record, RedisStore, RedisStoreBuilder, Store};
