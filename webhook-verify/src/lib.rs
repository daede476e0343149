#![doc = include_str!("../README.md")]
//! # API entry points
//!
//! [`Verifier`] (built by [`VerifierBuilder`]) verifies, [`Signer`] signs, [`Scheme`] picks the
//! sender's scheme, [`Verified`] is what a verification learned, [`VerifyError`] why it failed and
//! [`Rejection`] what to answer; [`Request`] carries the method and URL for the schemes that
//! sign them ([`Scheme::requires_url`]), and each scheme's [`Provider`] says what it needs
//! ([`KEPT_HEADERS`] is their union). [`Verifier::receive`] also answers the providers' endpoint checks ([`handshake`]); [`receiver`] is the framework-free receiver core both
//! adapters use; [`metrics`] holds the table of the toolkit's metrics; [`server`] holds the server limits table
//! ([`ServerLimits`](server::ServerLimits)); [`envelope`] parses the sender documents' payloads.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![allow(
    clippy::ptr_arg,
    reason = "header names are passed as &Cow so errors can clone a borrowed name without allocating"
)]

mod certificate;
mod clock;
pub mod delivery;
pub mod envelope;
mod error;
#[cfg(feature = "fetch")]
pub mod fetch;
pub mod handshake;
mod headers;
mod mac;
pub mod metrics;
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

pub use certificate::{
    Certificate, CertificateSource, GivenCertificate, Prefetch, TEST_CERTIFICATE_PEM,
};
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::VerifyError;
pub use handshake::{Handshake, Received};
pub use headers::HeaderSource;
pub use rejection::Rejection;
pub use request::{PublicUrl, Request};
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
