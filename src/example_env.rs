//! The environment the runnable receiver examples share: `WEBHOOK_SECRET`, `PORT` and
//! `REDIS_URL`, read once, so the four examples (axum and actix-web, inline and queued) behave
//! alike and each shows only its framework's wiring.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use webhook_toolkit::example_env::ExampleEnv;
//!
//! let env = ExampleEnv::from_env()?; // warns on stderr when WEBHOOK_SECRET is unset
//! let verifier = env.verifier()?;    // hmac-sha256, as in the sender documents
//! let guard = env.guard().await?;    // MemoryStore, or RedisStore when REDIS_URL is set
//! # let _ = (verifier, guard);
//! # Ok(())
//! # }
//! ```
//!
//! `REDIS_URL` takes three forms (read by `RedisStore::connect` and `RedisQueue::connect`,
//! see `webhook_idempotency::redis_target`):
//! - `redis://[:password@]host:port/`: a single Redis node;
//! - the same URL of **any one node of a Redis Cluster**: the cluster is detected
//!   (`CLUSTER INFO`) and its other nodes discovered, so each receiver may name a different node;
//! - comma-separated URLs, `redis://10.0.0.1:7000,redis://10.0.0.2:7000`: cluster seed nodes.

use std::sync::Arc;

use webhook_idempotency::{IdempotencyGuard, MemoryStore, RedisStore, StoreError};
use webhook_queue::{DEFAULT_QUEUE_NAME, MemoryQueue, Queue, QueueConfig, QueueError, RedisQueue};
use webhook_verify::{Scheme, Verifier, VerifyError};

/// The secret used when `WEBHOOK_SECRET` is unset (a warning says so on stderr).
pub const DEV_SECRET: &str = "dev-secret-do-not-use-in-production";

/// The port used when `PORT` is unset.
pub const DEFAULT_PORT: u16 = 3000;

/// What the examples read from the environment.
#[derive(Clone)]
pub struct ExampleEnv {
    secret: String,
    /// `PORT`, default 3000 (`0`: any free port; the examples print the address they bound).
    pub port: u16,
    /// `REDIS_URL`: when set, idempotency keys (and the queue) live in Redis, shared by receivers.
    pub redis_url: Option<String>,
}

impl std::fmt::Debug for ExampleEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExampleEnv")
            .field("secret", &"[REDACTED]")
            .field("port", &self.port)
            .field("redis_url", &self.redis_url.as_ref().map(|_| "[set]"))
            .finish()
    }
}

impl ExampleEnv {
    /// Reads `WEBHOOK_SECRET` (unset: [`DEV_SECRET`], with a warning on stderr), `PORT` and
    /// `REDIS_URL`.
    pub fn from_env() -> Result<Self, std::num::ParseIntError> {
        let secret = std::env::var("WEBHOOK_SECRET").unwrap_or_else(|_| {
            eprintln!(
                "warning: WEBHOOK_SECRET is not set; using the development secret {DEV_SECRET:?}"
            );
            DEV_SECRET.to_owned()
        });
        let port = match std::env::var("PORT") {
            Ok(port) => port.parse()?,
            Err(_) => DEFAULT_PORT,
        };
        let redis_url = std::env::var("REDIS_URL").ok();
        Ok(Self {
            secret,
            port,
            redis_url,
        })
    }

    /// The verifier of the sender documents' scheme: `X-Webhook-Signature: sha256=<hex>`.
    pub fn verifier(&self) -> Result<Verifier, VerifyError> {
        Verifier::new(Scheme::hmac_sha256(), self.secret.as_str())
    }

    /// One process: remember events in memory. Several: share them in Redis, `REDIS_URL`
    /// naming a single node, any node of a Redis Cluster, or comma-separated cluster seeds.
    ///
    /// ```no_run
    /// # async fn demo(env: webhook_toolkit::example_env::ExampleEnv) -> Result<(), webhook_idempotency::StoreError> {
    /// let guard = env.guard().await?; // REDIS_URL=redis://10.0.0.3:7000/ (a cluster node) works too
    /// # drop(guard); Ok(()) }
    /// ```
    pub async fn guard(&self) -> Result<IdempotencyGuard, StoreError> {
        Ok(match &self.redis_url {
            Some(url) => IdempotencyGuard::new(RedisStore::connect(url).await?),
            None => IdempotencyGuard::new(MemoryStore::new()),
        })
    }

    /// The queue accepted deliveries go to: in memory (lost when the process stops), or a
    /// durable Redis stream when `REDIS_URL` is set (a single node, any node of a Redis
    /// Cluster, or comma-separated cluster seeds; the queue's keys share one hash slot).
    ///
    /// ```no_run
    /// # async fn demo(env: webhook_toolkit::example_env::ExampleEnv) -> Result<(), webhook_queue::QueueError> {
    /// let queue = env.queue().await?;
    /// # drop(queue); Ok(()) }
    /// ```
    pub async fn queue(&self) -> Result<Arc<dyn Queue>, QueueError> {
        Ok(match &self.redis_url {
            Some(url) => Arc::new(
                RedisQueue::connect(url, DEFAULT_QUEUE_NAME, QueueConfig::default()).await?,
            ),
            None => Arc::new(MemoryQueue::new(DEFAULT_QUEUE_NAME, QueueConfig::default())),
        })
    }
}
