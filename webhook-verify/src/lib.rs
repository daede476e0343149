//! Verify that a webhook delivery really came from its sender — constant time, over the raw
//! bytes, with timestamp tolerance and secret rotation — for Standard Webhooks (and Svix, Clerk,
//! Resend), Stripe, GitHub, Slack, Shopify, Zoom, Paddle, Twitch, Linear, Dropbox, Meta, GitLab,
//! Mailgun, Twilio, Square, HubSpot and any plain HMAC-SHA256 sender (see [`Scheme`]'s table). No web framework, no async runtime:
//! call it from any server, or use `webhook-axum` / `webhook-actix` for one-line integration.
//!
//! ```
//! use webhook_verify::{Scheme, Signer, Verifier};
//!
//! let verifier = Verifier::new(Scheme::hmac_sha256(), "your-webhook-secret")?;
//!
//! // In a real server: the request's headers and its body bytes exactly as received.
//! let body = br#"{"event":"user.created","data":{"id":"user_123"}}"#;
//! let headers = Signer::new(Scheme::hmac_sha256(), "your-webhook-secret")?.sign("", 0, body)?;
//!
//! match verifier.verify(&headers, body) {
//!     Ok(verified) => println!("authentic {} delivery", verified.scheme),
//!     Err(err) => eprintln!("refused: {err}"), // answer 401; see `Rejection`
//! }
//! # verifier.verify(&headers, body)?;
//! # Ok::<(), webhook_verify::VerifyError>(())
//! ```
//!
//! # Guarantees
//! - **Raw bytes.** The MAC runs over the body exactly as received: never decoded to text, never
//!   re-serialized. Bodies need not be UTF-8.
//! - **Constant time.** Signatures are compared with `subtle`; every configured secret and every
//!   candidate signature is tried whatever matched first, so timing does not depend on secrets.
//! - **No copies, no allocation.** The signed content (`{id}.{timestamp}.` then the body) is
//!   streamed into the MAC; each secret's keyed HMAC state is computed once, when the
//!   [`Verifier`] is built. [`Verifier::verify`] performs no heap allocation for the schemes
//!   signed in headers (a test proves it under a counting allocator); Mailgun's and Linear's
//!   bodies and Twilio's form parameters are parsed, which allocates.
//! - **Nothing leaks.** No error message, `Debug` output or log line contains a secret or the
//!   expected signature. [`Secret`]s and keyed MAC states are zeroized on drop.
//! - **Strict headers.** Header names match case-insensitively; a header repeated with
//!   different values is refused as ambiguous; a `webhook-id` or timestamp containing `.` is
//!   refused, as Standard Webhooks requires.
//! - **Timestamps.** Timestamped schemes refuse deliveries more than 300 s (or the provider's
//!   documented tolerance; configurable) away from now in either direction; [`VerifierBuilder::allow_any_timestamp`] opts out.
//! - **Never panics** on any input (fuzzed: `fuzz/fuzz_targets/verify.rs`).
//!
//! Body size limits are the adapters' job (they refuse a body over the limit before reading it
//! all); this crate verifies the bytes it is given.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![allow(
    clippy::ptr_arg,
    reason = "header names are passed as &Cow so errors can clone a borrowed name without allocating"
)]

mod clock;
pub mod envelope;
mod error;
mod headers;
mod mac;
pub mod receiver;
mod rejection;
mod request;
mod scheme;
mod secret;
pub mod server;
mod signer;
mod timestamp;
mod verified;
mod verifier;

pub use clock::{Clock, FixedClock, SystemClock};
pub use error::VerifyError;
pub use headers::HeaderSource;
pub use rejection::Rejection;
pub use request::Request;
pub use scheme::{Encoding, HmacSha256, KEPT_HEADERS, Provider, Scheme, UnknownScheme};
pub use secret::Secret;
pub use signer::{SignedDelivery, Signer};
pub use timestamp::DEFAULT_TOLERANCE;
pub use verified::Verified;
pub use verifier::{Verifier, VerifierBuilder};

/// The default limit on a request body that adapters read before verifying: 2 MiB, like axum's
/// `DefaultBodyLimit`.
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// How long adapters wait for a body once the request's head has arrived: 30 s. A sender posts
/// a delivery in well under a second; a client still sending after this is refused with `408`.
///
/// ```
/// assert_eq!(webhook_verify::DEFAULT_BODY_TIMEOUT.as_secs(), 30);
/// ```
pub const DEFAULT_BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
