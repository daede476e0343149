#![doc = include_str!("../README.md")]
//! # API entry points
//!
//! [`Acceptor`] (the accept step, answering [`Accepted`] or a rejection); the queues
//! [`RedisQueue`] and [`MemoryQueue`] behind the [`Queue`] trait, configured by [`QueueConfig`];
//! workers dispatch a [`Job`] through a [`Router`] (or any [`Handler`]) and fail with
//! [`HandlerError`]; [`DeadLetter`]s and [`Counts`] for operations; a queued [`Delivery`] carries
//! its [`Verification`] and [`Delivery::key`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod accept;
mod attempt;
pub mod backend;
mod config;
mod dead_letter;
mod delivery;
mod dispatch;
mod error;
mod job;
mod memory;
mod metrics;
mod queue;
pub mod redis_queue;

pub use accept::{Accepted, Acceptor, DEFAULT_KEPT_HEADERS};
pub use config::QueueConfig;
pub use dead_letter::DeadLetter;
pub use delivery::{Delivery, Verification};
pub use dispatch::Router;
pub use error::{BoxError, HandlerError, QueueError};
pub use job::{Handler, Job};
pub use memory::MemoryQueue;
pub use queue::{Appended, Counts, DEFAULT_QUEUE_NAME, Queue};
pub use redis_queue::RedisQueue;
pub use tokio_util::sync::CancellationToken;
