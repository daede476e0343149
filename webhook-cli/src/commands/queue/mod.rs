//! `webhook queue`: inspect and operate a `webhook-queue` Redis queue (counts, dead letters,
//! replay).
//!
//! Every subcommand connects with [`Target`] (`--redis`, default `$REDIS_URL`; `--queue`,
//! default [`DEFAULT_QUEUE_NAME`]; `--group`). `--redis` is a single node, any node of a Redis
//! Cluster (detected), or comma-separated cluster seeds, as `RedisQueue::connect` reads it. A
//! Redis that cannot be reached is exit 1 with the URL (password masked) and the cause.

mod dead;
mod stats;

use clap::{Args, Subcommand};
use webhook_idempotency::redis_target::ConnectErrorKind;
use webhook_queue::{DEFAULT_QUEUE_NAME, QueueConfig, QueueError, RedisQueue};

use crate::error::CliError;
use crate::redact::RedisUrl;

/// Options of `webhook queue`.
#[derive(Args)]
pub struct QueueArgs {
    #[command(subcommand)]
    command: QueueCommand,
}

/// The subcommands of `webhook queue`.
#[derive(Subcommand)]
enum QueueCommand {
    /// Print how many entries are pending, in flight, retrying and dead, one `name: n` per line.
    Stats(stats::StatsArgs),
    /// List or replay dead letters (entries that ran out of attempts).
    Dead(dead::DeadArgs),
}

/// Runs the subcommand.
pub fn run(args: QueueArgs) -> Result<(), CliError> {
    match args.command {
        QueueCommand::Stats(args) => stats::run(args),
        QueueCommand::Dead(args) => dead::run(args),
    }
}

/// Which queue: `--redis`, `--queue`, `--group`. Not `Debug`: the URL may hold a password.
#[derive(Args)]
pub struct Target {
    /// The queue's Redis, `redis://[:PASSWORD@]HOST[:PORT][/DB]`: a single node, or any node of a
    /// Redis Cluster (detected; the other nodes are found), or comma-separated cluster seeds
    /// (redis://10.0.0.1:7000,redis://10.0.0.2:7000). A password is never printed.
    #[arg(long, value_name = "URL", env = "REDIS_URL", hide_env_values = true)]
    redis: String,
    /// The queue's name.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_QUEUE_NAME)]
    queue: String,
    /// The workers' consumer group (for the in-flight count).
    #[arg(long, value_name = "GROUP", default_value = "workers")]
    group: String,
}

/// A queue connection and how to describe it in messages.
pub struct Connected {
    /// The queue.
    pub queue: RedisQueue,
    /// Its Redis URL, printable.
    pub url: RedisUrl,
}

impl Connected {
    /// A [`CliError::Failed`] for a queue operation that failed.
    pub fn failed(&self, what: &str, err: &QueueError) -> CliError {
        CliError::Failed(format!(
            "error: {what} (queue {:?} at {}): {}",
            self.queue_name(),
            self.url.shown(),
            self.url.scrub(&err.to_string())
        ))
    }

    fn queue_name(&self) -> &str {
        webhook_queue::Queue::name(&self.queue)
    }
}

impl Target {
    /// Connects to the queue to change it (creating its stream and consumer group if absent,
    /// as workers do).
    pub async fn connect(self) -> Result<Connected, CliError> {
        self.open(true).await
    }

    /// Connects to the queue to read it, creating nothing: a queue that does not exist reads as
    /// empty.
    pub async fn inspect(self) -> Result<Connected, CliError> {
        self.open(false).await
    }

    async fn open(self, to_change: bool) -> Result<Connected, CliError> {
        let url = RedisUrl::new(self.redis);
        if self.queue.is_empty() || self.queue.contains(['{', '}']) {
            return Err(CliError::usage(format!(
                "--queue {:?}: a queue name must be non-empty and contain no braces",
                self.queue
            )));
        }
        let config = QueueConfig::default().group(self.group);
        let opened = if to_change {
            RedisQueue::connect(url.secret(), &self.queue, config).await
        } else {
            RedisQueue::inspect(url.secret(), &self.queue, config).await
        };
        match opened {
            Ok(queue) => Ok(Connected { queue, url }),
            Err(QueueError::Connect(err)) if err.kind() == ConnectErrorKind::InvalidUrl => {
                Err(CliError::usage(format!(
                    "--redis {}: not a Redis URL (redis://[:PASSWORD@]HOST[:PORT][/DB], or \
                     comma-separated cluster nodes): {}",
                    url.shown(),
                    err.reason(),
                )))
            }
            // Already shows the URL with its password masked, and a scrubbed reason.
            Err(QueueError::Connect(err)) => Err(CliError::Failed(format!("error: {err}"))),
            Err(err) => Err(CliError::Failed(format!(
                "error: cannot connect to Redis at {}: {}",
                url.shown(),
                url.scrub(&err.to_string())
            ))),
        }
    }
}
