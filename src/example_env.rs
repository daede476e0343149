//! The environment the runnable receiver examples share: `WEBHOOK_SECRET`, `PORT`, `REDIS_URL`
//! and `DATABASE_URL`, read once, so the four examples (axum and actix-web, inline and queued)
//! behave alike and each shows only its framework's wiring.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use webhook_toolkit::example_env::ExampleEnv;
//!
//! let env = ExampleEnv::from_env()?; // warns on stderr when WEBHOOK_SECRET is unset
//! let verifier = env.verifier().await?;  // hmac-sha256, as in the sender documents
//! let guard = env.guard().await?;    // memory, Redis (REDIS_URL) or the inbox (DATABASE_URL)
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
//!
//! `DATABASE_URL` (`sqlite:PATH`, the file created when missing, or `postgres://user@host/db`)
//! keeps every delivery in the `webhook-inbox` table: the migrations run at start, the
//! idempotency keys and the queue live in that table (several receivers sharing one PostgreSQL
//! process each event once), and it wins over `REDIS_URL` when both are set.

use std::io::IsTerminal as _;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use metrics_exporter_prometheus::{BuildError, PrometheusBuilder, PrometheusHandle};
use tokio::sync::OnceCell;
use webhook_dashboard::{Dashboard, DeliveryLog};
use webhook_idempotency::{IdempotencyGuard, MemoryStore, RedisStore, StoreError};
use webhook_inbox::{DEFAULT_REFUSAL_SAMPLES, Inbox, InboxError};
use webhook_queue::{DEFAULT_QUEUE_NAME, MemoryQueue, Queue, QueueConfig, QueueError, RedisQueue};
use webhook_verify::{Scheme, Verifier};

/// The secret used when `WEBHOOK_SECRET` is unset (a warning says so on stderr).
pub const DEV_SECRET: &str = "dev-secret-do-not-use-in-production";

/// How many deliveries the examples' dashboard keeps in memory.
pub const DASHBOARD_LOG_LEN: usize = 1000;

/// The port used when `PORT` is unset.
pub const DEFAULT_PORT: u16 = 3000;

/// Why the examples' environment cannot be used; the examples print it and exit with status 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvError {
    /// `WEBHOOK_SECRET` is set but empty (or blank): anyone could sign with it.
    EmptySecret,
    /// `WEBHOOK_SECRET` is unset and the receiver would listen beyond this machine.
    DevSecretOffLoopback(IpAddr),
    /// `PORT` is not a port number.
    BadPort(String),
    /// `HOST` is not an IP address.
    BadHost(String),
    /// `DASHBOARD_TOKEN` is set but empty (or blank): anyone could log in.
    EmptyDashboardToken,
}

impl std::fmt::Display for EnvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::EmptySecret => f.write_str(
                "WEBHOOK_SECRET is set but empty: anyone could sign deliveries with an empty \
                 secret; set it to your sender's secret (or unset it for the development secret)",
            ),
            Self::DevSecretOffLoopback(host) => write!(
                f,
                "WEBHOOK_SECRET is not set: the development secret is for loopback only, and \
                 HOST is {host}; set WEBHOOK_SECRET to your sender's secret"
            ),
            Self::BadPort(port) => write!(f, "PORT={port:?} is not a port number (0 to 65535)"),
            Self::BadHost(host) => write!(f, "HOST={host:?} is not an IP address"),
            Self::EmptyDashboardToken => f.write_str(
                "DASHBOARD_TOKEN is empty; set it to a long random string, or unset it to serve no dashboard",
            ),
        }
    }
}

impl std::error::Error for EnvError {}

/// Installs the Prometheus recorder every component's metrics go to (the table is in
/// [`webhook_verify::metrics`]) and returns the handle whose
/// [`render`](PrometheusHandle::render) is the examples' `GET /metrics` page.
///
/// ```
/// let metrics = webhook_toolkit::example_env::install_metrics()?;
/// assert!(metrics.render().is_empty() || metrics.render().contains("webhook_"));
/// # Ok::<(), metrics_exporter_prometheus::BuildError>(())
/// ```
pub fn install_metrics() -> Result<PrometheusHandle, BuildError> {
    let handle = PrometheusBuilder::new().install_recorder()?;
    webhook_verify::metrics::describe();
    Ok(handle)
}

/// Logs to stderr (`RUST_LOG` filters, default `info`), in colour only when stderr is a terminal:
/// a log file or a pipe gets no ANSI escape codes.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(filter)
        .init();
}

/// What the examples read from the environment.
#[derive(Clone)]
pub struct ExampleEnv {
    secret: String,
    /// `HOST`, default 127.0.0.1 (only this machine can send).
    pub host: IpAddr,
    /// `PORT`, default 3000 (`0`: any free port; the examples print the address they bound).
    pub port: u16,
    /// `REDIS_URL`: when set, idempotency keys (and the queue) live in Redis, shared by receivers.
    pub redis_url: Option<String>,
    /// `DATABASE_URL` (`sqlite:` or `postgres:`): when set, every delivery is kept in the inbox
    /// table, which holds the idempotency keys and the queue (and wins over `REDIS_URL`).
    pub database_url: Option<String>,
    /// The inbox, connected and migrated once, shared by [`guard`](Self::guard) and
    /// [`queue`](Self::queue).
    inbox: Arc<OnceCell<Inbox>>,
    /// `DASHBOARD_TOKEN`: when set, the dashboard is served at `/_webhooks/` to requests that
    /// carry it, and the verifier records each delivery into `log`.
    dashboard_token: Option<String>,
    log: DeliveryLog,
}

impl std::fmt::Debug for ExampleEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExampleEnv")
            .field("secret", &"[REDACTED]")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("redis_url", &self.redis_url.as_ref().map(|_| "[set]"))
            .field("database_url", &self.database_url.as_ref().map(|_| "[set]"))
            .field(
                "dashboard_token",
                &self.dashboard_token.as_ref().map(|_| "[set]"),
            )
            .finish_non_exhaustive()
    }
}

impl ExampleEnv {
    /// Reads `WEBHOOK_SECRET`, `HOST`, `PORT`, `REDIS_URL`, `DATABASE_URL` and
    /// `DASHBOARD_TOKEN`. An empty `WEBHOOK_SECRET` or `DASHBOARD_TOKEN` is an error; an unset one means [`DEV_SECRET`], with a warning on
    /// stderr, and only on a loopback `HOST`.
    pub fn from_env() -> Result<Self, EnvError> {
        let host = match std::env::var("HOST") {
            Ok(host) => host.parse().map_err(|_| EnvError::BadHost(host))?,
            Err(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        };
        let secret = match std::env::var("WEBHOOK_SECRET") {
            Ok(secret) if secret.trim().is_empty() => return Err(EnvError::EmptySecret),
            Ok(secret) => secret,
            Err(_) if !host.is_loopback() => return Err(EnvError::DevSecretOffLoopback(host)),
            Err(_) => {
                eprintln!(
                    "warning: WEBHOOK_SECRET is not set; using the development secret \
                     {DEV_SECRET:?} (loopback only)"
                );
                DEV_SECRET.to_owned()
            }
        };
        let dashboard_token = match std::env::var("DASHBOARD_TOKEN") {
            Ok(token) if token.trim().is_empty() => return Err(EnvError::EmptyDashboardToken),
            Ok(token) => Some(token),
            Err(_) => None,
        };
        let port = match std::env::var("PORT") {
            Ok(port) => port.parse().map_err(|_| EnvError::BadPort(port))?,
            Err(_) => DEFAULT_PORT,
        };
        Ok(Self {
            secret,
            host,
            port,
            redis_url: std::env::var("REDIS_URL").ok(),
            database_url: std::env::var("DATABASE_URL").ok(),
            inbox: Arc::default(),
            dashboard_token,
            log: DeliveryLog::new(DASHBOARD_LOG_LEN),
        })
    }

    /// [`from_env`](Self::from_env), or the error on stderr and exit status 2 (a usage error:
    /// the receiver does not start).
    pub fn from_env_or_exit() -> Self {
        Self::from_env().unwrap_or_else(|err| {
            eprintln!("error: {err}");
            std::process::exit(2)
        })
    }

    /// The verifier of the sender documents' scheme: `X-Webhook-Signature: sha256=<hex>`.
    /// With an inbox (`DATABASE_URL`) it also keeps the refused deliveries there, counted per
    /// reason with a bounded sample of the latest (see [`webhook_inbox::RefusalLog`]).
    ///
    /// ```no_run
    /// # async fn demo(env: webhook_toolkit::example_env::ExampleEnv) -> Result<(), Box<dyn std::error::Error>> {
    /// let verifier = env.verifier().await?;
    /// # drop(verifier); Ok(()) }
    /// ```
    pub async fn verifier(&self) -> Result<Verifier, Box<dyn std::error::Error>> {
        let mut builder = Verifier::builder(Scheme::hmac_sha256()).secret(self.secret.as_str());
        if let Some(inbox) = self.inbox().await? {
            builder = builder.recorder(inbox.refusal_log(DEFAULT_REFUSAL_SAMPLES));
        }
        if self.dashboard_token.is_some() {
            builder = builder.recorder(self.log.clone());
        }
        Ok(builder.build()?)
    }

    /// The dashboard (`webhook-dashboard`) when `DASHBOARD_TOKEN` is set: the deliveries the
    /// [`verifier`](Self::verifier) recorded, `queue`'s depth and dead letters when given, and
    /// the inbox's kept deliveries with `DATABASE_URL`. The examples mount it at `/_webhooks/`.
    ///
    /// ```no_run
    /// # async fn demo(env: webhook_toolkit::example_env::ExampleEnv) -> Result<(), webhook_inbox::InboxError> {
    /// if let Some(dashboard) = env.dashboard(None).await? {
    ///     # let _ = dashboard;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn dashboard(
        &self,
        queue: Option<Arc<dyn Queue>>,
    ) -> Result<Option<Dashboard>, InboxError> {
        let Some(token) = &self.dashboard_token else {
            return Ok(None);
        };
        let Ok(mut dashboard) = Dashboard::new(self.log.clone(), token.as_str()) else {
            return Ok(None); // unreachable: `from_env` refuses an empty token
        };
        if let Some(queue) = queue {
            dashboard = dashboard.queue(queue);
        }
        if let Some(inbox) = self.inbox().await? {
            dashboard = dashboard.inbox(inbox.clone());
        }
        Ok(Some(dashboard))
    }

    /// One process: remember events in memory. Several: share them in Redis, `REDIS_URL`
    /// naming a single node, any node of a Redis Cluster, or comma-separated cluster seeds; or
    /// in the inbox table (`DATABASE_URL`), where every delivery is kept.
    ///
    /// ```no_run
    /// # async fn demo(env: webhook_toolkit::example_env::ExampleEnv) -> Result<(), webhook_idempotency::StoreError> {
    /// let guard = env.guard().await?; // REDIS_URL=redis://10.0.0.3:7000/ (a cluster node) works too
    /// # drop(guard); Ok(()) }
    /// ```
    pub async fn guard(&self) -> Result<IdempotencyGuard, StoreError> {
        if let Some(inbox) = self.inbox().await? {
            return Ok(IdempotencyGuard::new(inbox.store()));
        }
        Ok(match &self.redis_url {
            Some(url) => IdempotencyGuard::new(RedisStore::connect(url).await?),
            None => IdempotencyGuard::new(MemoryStore::new()),
        })
    }

    /// The queue accepted deliveries go to: in memory (lost when the process stops), or a
    /// durable Redis stream when `REDIS_URL` is set (a single node, any node of a Redis
    /// Cluster, or comma-separated cluster seeds; the queue's keys share one hash slot), or the
    /// inbox table when `DATABASE_URL` is set (each row kept, `done` once handled).
    ///
    /// ```no_run
    /// # async fn demo(env: webhook_toolkit::example_env::ExampleEnv) -> Result<(), webhook_queue::QueueError> {
    /// let queue = env.queue().await?;
    /// # drop(queue); Ok(()) }
    /// ```
    pub async fn queue(&self) -> Result<Arc<dyn Queue>, QueueError> {
        if let Some(inbox) = self.inbox().await? {
            return Ok(Arc::new(
                inbox.queue(DEFAULT_QUEUE_NAME, QueueConfig::default()),
            ));
        }
        Ok(match &self.redis_url {
            Some(url) => Arc::new(
                RedisQueue::connect(url, DEFAULT_QUEUE_NAME, QueueConfig::default()).await?,
            ),
            None => Arc::new(MemoryQueue::new(DEFAULT_QUEUE_NAME, QueueConfig::default())),
        })
    }

    /// The inbox named by `DATABASE_URL`, connected and migrated on first use (the migrations
    /// ship with `webhook-inbox`); `None` when `DATABASE_URL` is unset.
    ///
    /// ```no_run
    /// # async fn demo(env: webhook_toolkit::example_env::ExampleEnv) -> Result<(), webhook_inbox::InboxError> {
    /// if let Some(inbox) = env.inbox().await? {
    ///     println!("deliveries kept in {}", inbox.url()); // the password shown as ***
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn inbox(&self) -> Result<Option<&Inbox>, InboxError> {
        let Some(url) = &self.database_url else {
            return Ok(None);
        };
        let inbox = self
            .inbox
            .get_or_try_init(|| async {
                let inbox = Inbox::connect(url).await?;
                inbox.migrate().await?;
                Ok::<_, InboxError>(inbox)
            })
            .await?;
        Ok(Some(inbox))
    }
}
