//! Facade over the `webhook-*` crates, and home of the runnable receiver examples
//! (`cargo run --example axum_receiver`, see README.md and the crate READMEs).
//!
//! ```
//! use webhook_toolkit::verify::{Scheme, Verifier};
//! let verifier = Verifier::new(Scheme::hmac_sha256(), "your-webhook-secret")?;
//! # Ok::<(), webhook_toolkit::verify::VerifyError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

/// The runnable examples' shared environment (`WEBHOOK_SECRET`, `HOST`, `PORT`, `REDIS_URL`):
/// support for `examples/`, not part of the toolkit's API.
#[doc(hidden)]
pub mod example_env;

pub use webhook_idempotency as idempotency;
pub use webhook_queue as queue;
pub use webhook_verify as verify;
