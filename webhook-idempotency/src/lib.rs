//! Process each webhook event exactly once, although senders retry and deliver duplicates: an
//! idempotency guard with an in-memory store (the embedded default) and a Redis store (single
//! node or Cluster) for receivers that share work.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use webhook_idempotency::{IdempotencyGuard, MemoryStore, Ran};
//!
//! let guard = IdempotencyGuard::builder().store(MemoryStore::new()).endpoint("orders").build();
//!
//! // Per delivery, after verifying it: the event's key and the raw body.
//! let body = br#"{"id":"evt_1","type":"order.paid"}"#;
//! let handle = || async { println!("processed evt_1"); Ok::<_, std::io::Error>(()) };
//! match guard.run("evt_1", body, handle).await {
//!     Ran::Handled(()) => { /* 200 */ }
//!     Ran::Failed(err) => { /* 500: the sender's retry will run it again */ }
//!     Ran::Skipped(rejection) => { /* answer rejection.status(): 200, 409, 422 or 503 */ }
//! }
//! # }
//! ```
//!
//! Adapters (`webhook-axum`, `webhook-actix`) and custom servers use the same three steps:
//! [`IdempotencyGuard::begin_delivery`] (or [`begin`](IdempotencyGuard::begin)) returns an
//! [`Outcome`]; on [`Outcome::First`] run the handler and call [`Claim::complete`] with its
//! status; otherwise answer [`Outcome::rejection`].
//!
//! # Guarantees
//! - **Never run twice at once.** The claim is atomic (Redis: one `SET key v NX PX lease GET`),
//!   so of any number of concurrent deliveries of one event exactly one runs its handler.
//! - **Never marked done early.** An event is marked done only after its handler answered 2xx.
//!   A failed, panicking or cancelled handler releases its claim, so the sender's retry runs it.
//! - **Never lost to a crash.** A claim is a lease (default 30 s): if its process dies, the
//!   lease expires and a later delivery takes the event over. A live handler renews its lease
//!   every third of it, so a slow handler is never run a second time meanwhile.
//! - **Only our own claim.** Completing, releasing and renewing act only if the key still holds
//!   this claim's random token (Redis: one Lua script each, one round trip).
//! - **Keys from signed data.** By default the key is the signed `webhook-id`, else the body's
//!   top-level `"id"`, else the body's SHA-256 ([`KeyStrategy`]); the body's fingerprint is
//!   stored with it, and the same key with another body is refused (422), never processed.
//! - **Store failures are explicit.** Every Redis command has a timeout (default 1 s). By
//!   default the guard fails closed (503 + `Retry-After`: the sender retries, nothing is
//!   processed twice); [`FailMode::Open`] runs the handler instead and logs a warning. The Redis
//!   store reconnects by itself.
//! - **A full memory store keeps accepting.** At its capacity, [`MemoryStore`] evicts its oldest
//!   done event to admit a new one (counted and logged; a duplicate of an evicted event runs
//!   again, so size the capacity by memory and your senders' retry window). It never evicts an
//!   in-flight claim: only when every entry is in flight does a new key get
//!   [`StoreError::Full`] (503).
//! - **Logged.** Each outcome emits a `tracing` event (first: debug; duplicate, in flight:
//!   info; conflict, store error, fail-open: warn). Bodies are never logged.
//!
//! # Outcome → answer
//!
//! | outcome                      | handler runs | status | body / headers                                  |
//! |------------------------------|--------------|--------|--------------------------------------------------|
//! | [`Outcome::First`]           | yes          | the handler's | 2xx marks done; anything else releases     |
//! | [`Outcome::Duplicate`]       | no           | 200 (or the stored 2xx with `replay_status`) | `{"status":"duplicate"}` |
//! | [`Outcome::InFlight`]        | no           | 409    | `{"error":"this event is being processed ..."}`, `Retry-After` |
//! | [`Outcome::Conflict`]        | no           | 422    | `{"error":"this event id was already received with a different body"}` |
//! | [`Outcome::Unavailable`]     | no           | 503    | `{"error":"idempotency store unavailable; retry later"}`, `Retry-After` |
//! | [`Outcome::Unguarded`]       | yes (fail-open) | the handler's | nothing recorded                          |
//!
//! # Redis URLs
//! [`RedisStore::connect`] takes what `REDIS_URL` holds: a single node's URL, the URL of any one
//! node of a Redis Cluster (detected; the others are discovered), or comma-separated cluster
//! seeds. [`redis_target`] reads them, for `webhook-queue` and the CLI too.
//!
//! # Features
//! - `tls` (off by default): `rediss://` URLs for [`RedisStore`], over rustls with the `ring`
//!   provider (installed as the process default unless one is). Servers are checked against
//!   the system's root certificates, or only against your own CA with
//!   `RedisStoreBuilder::trust_ca_pem`. Without it, a `rediss://` URL fails with a
//!   [`StoreError::Connect`] saying to enable the feature.
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
