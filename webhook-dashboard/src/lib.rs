#![doc = include_str!("../README.md")]
//! [`DeliveryLog`] records, [`Source`] is what pages read (the log is the embedded default),
//! [`Dashboard`] authenticates and answers, [`html`] escapes.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod auth;
pub mod html;
mod log;
mod pages;

pub use auth::{Access, TokenError};
pub use log::{DeliveryLog, Entry, Source};
pub use pages::{Answer, Dashboard};
