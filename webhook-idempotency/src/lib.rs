#![doc = include_str!("../README.md")]
//! # API entry points
//!
//! [`IdempotencyGuard`] (built by [`GuardBuilder`]) with [`IdempotencyGuard::run`], or step by step
//! [`IdempotencyGuard::delivery_key`], [`IdempotencyGuard::begin`] (what the adapters call) and
//! [`IdempotencyGuard::begin_delivery`]; the [`Outcome`] and its [`Claim`]; the stores
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
    DEFAULT_LEASE, DEFAULT_RETENTION, DEFAULT_RETRY_AFTER, FailMode, GuardBuilder, IdempotencyGuard,
};
pub use key::{KeyInput, KeyStrategy};
pub use outcome::{Outcome, Ran};
pub use redis_target::RedisTarget;
pub use store::{MemoryStore, Record, RedisStore, RedisStoreBuilder, Store};
