#![doc = include_str!("../README.md")]
//! [`DeliveryLog`] records what the receiver answered, [`Dashboard`] reads it (and a queue and
//! an inbox when given), authenticates and answers each [`Request`]; [`html`] escapes.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod auth;
mod csrf;
mod dashboard;
pub mod html;
mod log;
mod pages;
mod request;

pub use auth::{Access, TokenError};
pub use dashboard::Dashboard;
pub use log::{DeliveryLog, Entry};
pub use request::{Answer, FORM_LIMIT, Request};
