//! The durable queue: Redis Streams with a consumer group, a retry schedule and a dead-letter
//! stream, on one node or a Cluster.
//!
//! # Data model
//! All keys of a queue named `q` share the hash tag `{q}` (one Cluster slot):
//!
//! | key                          | type       | holds                                              |
//! |------------------------------|------------|----------------------------------------------------|
//! | `webhook-queue:{q}:stream`     | stream     | entries waiting or in flight (group `workers`)   |
//! | `webhook-queue:{q}:retry`      | sorted set | failed entries by due time of their next attempt |
//! | `webhook-queue:{q}:retry-data` | hash       | the fields of those entries                      |
//! | `webhook-queue:{q}:dead`       | stream     | dead letters, with `last_error` and `attempts`   |
//!
//! # Life of an entry
//! 1. **Accept**: `enqueue.lua` appends the delivery (`XADD … MAXLEN ~ N *`), refusing when `N`
//!    entries already wait, so trimming never drops unprocessed work.
//! 2. **Read**: a worker reads it with `XREADGROUP` (it is now pending for that worker) and runs
//!    the handler, heartbeating (`heartbeat.lua`, an `XCLAIM … JUSTID` of its own entries)
//!    every third of the claim-idle time.
//! 3. **Success**: `ack.lua` does `XACK` and `XDEL`.
//! 4. **Failure**: `retry.lua` moves the entry atomically from the stream to the retry schedule,
//!    due after the exponential backoff; any worker's `promote.lua` re-adds due entries to the
//!    stream. Out of attempts, `dead.lua` moves it to the dead-letter stream with the last
//!    error. Due times use the Redis server's clock, so worker clocks may disagree.
//! 5. **Crash**: the entry stays pending for the dead worker; once idle for the claim-idle time
//!    (no heartbeat), another worker takes it with `XAUTOCLAIM` and runs it.
//!
//! 6. **Housekeeping**: consumers that hold nothing and were idle for ten times the claim-idle
//!    time (10 min by default) are deleted from the group (`forget.lua`).
//!
//! Every step is one script or command, so an entry is always in exactly one place: the stream,
//! the retry schedule, or the dead-letter stream. Processing is at-least-once: an entry whose
//! handler succeeded but whose `XACK` did not reach Redis runs again; handlers get the
//! idempotency key to make that harmless.

mod conn;
mod keys;
mod worker;

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use futures_util::future::{BoxFuture, FutureExt as _};
use redis::streams::{StreamPendingReply, StreamRangeReply};
use redis::{FromRedisValue, Script, Value};
use tokio_util::sync::CancellationToken;

use crate::delivery::Stored;
use crate::{Counts, DeadLetter, Delivery, Handler, Queue, QueueConfig, QueueError};
use conn::{Conn, timed};
use keys::Keys;
use webhook_idempotency::redis_target::RedisTarget;

/// A durable queue on Redis Streams, shared by any number of receiver and worker processes.
///
/// Cheap to clone. See the [module docs](self) for the data model and guarantees.
///
/// ```no_run
/// use webhook_queue::{Delivery, HandlerError, Job, Queue, QueueConfig, RedisQueue, Verification};
/// use tokio_util::sync::CancellationToken;
///
/// # async fn run() -> Result<(), webhook_queue::QueueError> {
/// let queue = RedisQueue::connect("redis://127.0.0.1:6379/", "payments", QueueConfig::default()).await?;
///
/// // In the receiver, after verification:
/// queue.enqueue(&Delivery::new(&b"{}"[..], Verification::new("stripe"))).await?;
///
/// // In each worker process:
/// let shutdown = CancellationToken::new();
/// queue.run(|job: Job| async move { Ok::<_, HandlerError>(()) }, shutdown).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisQueue {
    inner: Arc<Inner>,
}

struct Inner {
    name: Arc<str>,
    keys: Keys,
    config: QueueConfig,
    target: RedisTarget,
    conn: Conn,
    scripts: Scripts,
    /// Creates the stream and consumer group when missing (`false` for [`RedisQueue::inspect`]).
    creates: bool,
}

struct Scripts {
    enqueue: Script,
    ack: Script,
    retry: Script,
    promote: Script,
    dead: Script,
    replay: Script,
    heartbeat: Script,
    forget: Script,
}

impl Scripts {
    fn new() -> Self {
        Self {
            enqueue: Script::new(include_str!("scripts/enqueue.lua")),
            ack: Script::new(include_str!("scripts/ack.lua")),
            retry: Script::new(include_str!("scripts/retry.lua")),
            promote: Script::new(include_str!("scripts/promote.lua")),
            dead: Script::new(include_str!("scripts/dead.lua")),
            replay: Script::new(include_str!("scripts/replay.lua")),
            heartbeat: Script::new(include_str!("scripts/heartbeat.lua")),
            forget: Script::new(include_str!("scripts/forget.lua")),
        }
    }
}

impl RedisQueue {
    /// Connects to the Redis `url` names and creates the stream and its consumer group if they
    /// do not exist. `url` is read as `REDIS_URL` is
    /// ([`redis_target`](webhook_idempotency::redis_target)):
    ///
    /// - one URL, `redis://[[user]:password@]host[:port][/db]` (or `rediss://` for TLS with the
    ///   `tls` feature, checked against the system's root certificates): a standalone Redis, or
    ///   **any node of a Redis Cluster**, detected (`CLUSTER INFO`) and used as the seed of a
    ///   cluster connection that finds the other nodes;
    /// - comma-separated URLs (`redis://10.0.0.1:7000,redis://10.0.0.2:7000`): a Redis Cluster
    ///   with these seeds.
    ///
    /// A queue's keys share one hash slot, so the same queue name works on a single node and on
    /// a cluster.
    ///
    /// ```no_run
    /// use webhook_queue::{QueueConfig, RedisQueue};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let url = std::env::var("REDIS_URL")?; // e.g. redis://10.0.0.3:7000/, a cluster node
    /// let queue = RedisQueue::connect(&url, "payments", QueueConfig::default()).await?;
    /// # drop(queue); Ok(()) }
    /// ```
    pub async fn connect(url: &str, name: &str, config: QueueConfig) -> Result<Self, QueueError> {
        Self::open(RedisTarget::new(url), name, config).await
    }

    /// Like [`connect`](Self::connect), to a [`RedisTarget`] built by hand (e.g. a cluster whose
    /// nodes have certificates from a private CA).
    ///
    /// ```no_run
    /// use webhook_idempotency::redis_target::RedisTarget;
    /// use webhook_queue::{QueueConfig, RedisQueue};
    ///
    /// # async fn run() -> Result<(), webhook_queue::QueueError> {
    /// let target = RedisTarget::cluster(["redis://10.0.0.1:7000/", "redis://10.0.0.2:7000/"]);
    /// let queue = RedisQueue::connect_target(target, "payments", QueueConfig::default()).await?;
    /// # drop(queue); Ok(()) }
    /// ```
    pub async fn connect_target(
        target: RedisTarget,
        name: &str,
        config: QueueConfig,
    ) -> Result<Self, QueueError> {
        Self::open(target, name, config).await
    }

    /// Connects like [`connect`](Self::connect) but creates nothing: for looking at a queue that
    /// may not exist (its counts are then all zero and it has no dead letters) without leaving
    /// an empty stream behind, as `webhook queue stats` and `webhook queue dead list` do.
    /// Enqueueing and working are unaffected: a worker creates its consumer group when it
    /// starts.
    ///
    /// ```no_run
    /// use webhook_queue::{Queue as _, QueueConfig, RedisQueue};
    ///
    /// # async fn run() -> Result<(), webhook_queue::QueueError> {
    /// let queue = RedisQueue::inspect("redis://127.0.0.1/", "payments", QueueConfig::default()).await?;
    /// println!("{} dead", queue.counts().await?.dead);
    /// # Ok(()) }
    /// ```
    pub async fn inspect(url: &str, name: &str, config: QueueConfig) -> Result<Self, QueueError> {
        Self::open_with(RedisTarget::new(url), name, config, false).await
    }

    /// Like [`connect`](Self::connect) for a `rediss://` URL, trusting only the CA in `ca_pem`
    /// (PEM, one or more certificates) instead of the system's roots: for a Redis whose
    /// certificate comes from a private CA. Needs the `tls` feature.
    ///
    /// ```no_run
    /// use webhook_queue::{QueueConfig, RedisQueue};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let ca = std::fs::read("/etc/redis/tls/ca.crt")?;
    /// let queue =
    ///     RedisQueue::connect_trusting_ca("rediss://redis.internal:6380/", &ca, "payments", QueueConfig::default())
    ///         .await?;
    /// # drop(queue); Ok(()) }
    /// ```
    #[cfg(feature = "tls")]
    pub async fn connect_trusting_ca(
        url: &str,
        ca_pem: &[u8],
        name: &str,
        config: QueueConfig,
    ) -> Result<Self, QueueError> {
        let target = RedisTarget::new(url).trust_ca_pem(ca_pem);
        Self::open(target, name, config).await
    }

    /// Connects to a Redis Cluster given the URLs of some of its nodes, without asking whether
    /// it is one.
    ///
    /// ```no_run
    /// use webhook_queue::{QueueConfig, RedisQueue};
    ///
    /// # async fn run() -> Result<(), webhook_queue::QueueError> {
    /// let seeds = ["redis://10.0.0.1:7000/", "redis://10.0.0.2:7000/"];
    /// let queue = RedisQueue::connect_cluster(&seeds, "payments", QueueConfig::default()).await?;
    /// # drop(queue); Ok(()) }
    /// ```
    pub async fn connect_cluster<S: AsRef<str>>(
        urls: &[S],
        name: &str,
        config: QueueConfig,
    ) -> Result<Self, QueueError> {
        Self::open(RedisTarget::cluster(urls), name, config).await
    }

    async fn open(
        target: RedisTarget,
        name: &str,
        config: QueueConfig,
    ) -> Result<Self, QueueError> {
        Self::open_with(target, name, config, true).await
    }

    async fn open_with(
        target: RedisTarget,
        name: &str,
        config: QueueConfig,
        creates: bool,
    ) -> Result<Self, QueueError> {
        let keys = Keys::new(name)?;
        let conn = conn::connect(&target, config.command_timeout).await?;
        let queue = Self {
            inner: Arc::new(Inner {
                name: Arc::from(name),
                keys,
                config,
                target,
                conn,
                scripts: Scripts::new(),
                creates,
            }),
        };
        if creates {
            queue.ensure_group().await?;
        }
        Ok(queue)
    }

    /// Runs a worker with `handler` until `shutdown` is cancelled ([`Queue::work`] with any
    /// handler type).
    pub async fn run(
        &self,
        handler: impl Handler,
        shutdown: CancellationToken,
    ) -> Result<(), QueueError> {
        worker::run(self.clone(), Arc::new(handler), shutdown).await
    }

    /// The configuration this queue runs with.
    pub fn config(&self) -> &QueueConfig {
        &self.inner.config
    }

    /// Moves up to `limit` dead letters back into the queue; returns their new entry ids.
    pub async fn replay_all(&self, limit: usize) -> Result<Vec<String>, QueueError> {
        let mut ids = Vec::new();
        for dead in self.list_dead(None, limit).await? {
            if let Some(id) = self.replay_one(&dead.id).await? {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    async fn ensure_group(&self) -> Result<(), QueueError> {
        let mut cmd = redis::cmd("XGROUP");
        cmd.arg("CREATE")
            .arg(&self.inner.keys.stream)
            .arg(&self.inner.config.group)
            .arg("0")
            .arg("MKSTREAM");
        match self.query::<Value>(&cmd).await {
            Ok(_) => Ok(()),
            Err(QueueError::Redis(err)) if err.code() == Some("BUSYGROUP") => Ok(()),
            Err(err) => Err(err),
        }
    }

    async fn query<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, QueueError> {
        let mut conn = self.inner.conn.clone();
        timed(
            self.inner.config.command_timeout,
            cmd.query_async(&mut conn),
        )
        .await
    }

    async fn invoke<T: FromRedisValue>(
        &self,
        invocation: redis::ScriptInvocation<'_>,
    ) -> Result<T, QueueError> {
        let mut conn = self.inner.conn.clone();
        // A script may need loading first (NOSCRIPT, then SCRIPT LOAD): allow two round trips.
        let limit = self.inner.config.command_timeout * 2;
        timed(limit, invocation.invoke_async(&mut conn)).await
    }

    async fn enqueue_fields(&self, fields: Vec<(Vec<u8>, Vec<u8>)>) -> Result<String, QueueError> {
        let max_len = self.inner.config.max_len;
        let mut invocation = self.inner.scripts.enqueue.key(&self.inner.keys.stream);
        invocation.arg(max_len);
        for (name, value) in &fields {
            invocation.arg(name.as_slice()).arg(value.as_slice());
        }
        let id: Option<String> = self.invoke(invocation).await?;
        id.ok_or(QueueError::Full { max_len })
    }

    async fn counts_inner(&self) -> Result<Counts, QueueError> {
        match self.counts_once().await {
            Err(err) if is_nogroup(&err) && !self.inner.creates => {
                self.counts_without_group().await
            }
            Err(err) if is_nogroup(&err) => {
                self.ensure_group().await?;
                self.counts_once().await
            }
            other => other,
        }
    }

    async fn counts_once(&self) -> Result<Counts, QueueError> {
        let group = &self.inner.config.group;
        let (pending, retrying, dead, in_flight): (u64, u64, u64, StreamPendingReply) = self
            .counts_and(|pipe| {
                pipe.cmd("XPENDING").arg(&self.inner.keys.stream).arg(group);
            })
            .await?;
        Ok(Counts {
            pending,
            in_flight: in_flight.count() as u64,
            retrying,
            dead,
        })
    }

    /// The counts when the consumer group does not exist: nothing is in flight.
    async fn counts_without_group(&self) -> Result<Counts, QueueError> {
        let (pending, retrying, dead): (u64, u64, u64) = self.counts_and(|_| {}).await?;
        Ok(Counts {
            pending,
            in_flight: 0,
            retrying,
            dead,
        })
    }

    /// In one round trip: the stream's length, the retry set's size, the dead stream's length,
    /// then the replies of whatever `more` adds to the pipeline.
    async fn counts_and<T: FromRedisValue>(
        &self,
        more: impl FnOnce(&mut redis::Pipeline),
    ) -> Result<T, QueueError> {
        let keys = &self.inner.keys;
        let mut pipe = redis::pipe();
        pipe.cmd("XLEN").arg(&keys.stream);
        pipe.cmd("ZCARD").arg(&keys.retry);
        pipe.cmd("XLEN").arg(&keys.dead);
        more(&mut pipe);
        let mut conn = self.inner.conn.clone();
        timed(
            self.inner.config.command_timeout,
            pipe.query_async(&mut conn),
        )
        .await
    }

    async fn list_dead(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, QueueError> {
        let start = after.map_or_else(|| "-".to_owned(), |id| format!("({id}"));
        let mut cmd = redis::cmd("XRANGE");
        cmd.arg(&self.inner.keys.dead)
            .arg(start)
            .arg("+")
            .arg("COUNT")
            .arg(limit);
        let reply: StreamRangeReply = self.query(&cmd).await?;
        reply
            .ids
            .into_iter()
            .map(|entry| {
                let fields = worker::byte_fields(&entry.map);
                let Stored {
                    delivery,
                    attempts,
                    last_error,
                } = Delivery::from_fields(&entry.id, fields.iter().map(|(n, v)| (*n, *v)))?;
                let text = |name: &str| -> String {
                    fields
                        .iter()
                        .find(|(n, _)| *n == name.as_bytes())
                        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
                        .unwrap_or_default()
                };
                let died_ms: u64 = text("died_ms").parse().unwrap_or(0);
                Ok(DeadLetter {
                    entry_id: text("entry_id"),
                    id: entry.id,
                    delivery,
                    attempts,
                    last_error: last_error.unwrap_or_default(),
                    died_at: UNIX_EPOCH + Duration::from_millis(died_ms),
                })
            })
            .collect()
    }

    async fn replay_one(&self, dead_id: &str) -> Result<Option<String>, QueueError> {
        let mut invocation = self.inner.scripts.replay.key(&self.inner.keys.dead);
        invocation.key(&self.inner.keys.stream).arg(dead_id);
        self.invoke(invocation).await
    }

    async fn discard_one(&self, dead_id: &str) -> Result<bool, QueueError> {
        let mut cmd = redis::cmd("XDEL");
        cmd.arg(&self.inner.keys.dead).arg(dead_id);
        let removed: u64 = self.query(&cmd).await?;
        Ok(removed > 0)
    }
}

/// `true` when the stream or its consumer group is missing (e.g. a Redis restarted without
/// persistence): the group is created again.
pub(crate) fn is_nogroup(err: &QueueError) -> bool {
    matches!(err, QueueError::Redis(e) if e.code() == Some("NOGROUP") || e.to_string().contains("NOGROUP"))
}

impl Queue for RedisQueue {
    fn name(&self) -> &str {
        &self.inner.name
    }

    fn enqueue<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<String, QueueError>> {
        self.enqueue_fields(delivery.to_fields(0)).boxed()
    }

    fn work(
        &self,
        handler: Arc<dyn Handler>,
        shutdown: CancellationToken,
    ) -> BoxFuture<'_, Result<(), QueueError>> {
        worker::run(self.clone(), handler, shutdown).boxed()
    }

    fn counts(&self) -> BoxFuture<'_, Result<Counts, QueueError>> {
        self.counts_inner().boxed()
    }

    fn dead_letters<'a>(
        &'a self,
        after: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<DeadLetter>, QueueError>> {
        self.list_dead(after, limit).boxed()
    }

    fn replay<'a>(&'a self, dead_id: &'a str) -> BoxFuture<'a, Result<Option<String>, QueueError>> {
        self.replay_one(dead_id).boxed()
    }

    fn discard<'a>(&'a self, dead_id: &'a str) -> BoxFuture<'a, Result<bool, QueueError>> {
        self.discard_one(dead_id).boxed()
    }
}

impl std::fmt::Debug for RedisQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisQueue")
            .field("name", &self.inner.name)
            .field("stream", &self.inner.keys.stream)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}
