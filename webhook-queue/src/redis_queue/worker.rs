//! The worker loop: read, handle, acknowledge or retry, reclaim, heartbeat, shut down.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use redis::Value;
use redis::streams::{StreamAutoClaimReply, StreamId, StreamPendingCountReply, StreamReadReply};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::RedisQueue;
use super::conn::{Conn, timed};
use crate::{Delivery, Handler, Job, QueueError};

/// The entries this worker holds, with the attempts each had when read (to return them as they
/// were if shutdown interrupts their handler).
type Holding = Arc<Mutex<HashMap<String, u32>>>;

/// The field/value pairs of an entry as bytes.
pub(super) fn byte_fields(map: &HashMap<String, Value>) -> Vec<(&[u8], &[u8])> {
    map.iter()
        .filter_map(|(name, value)| match value {
            Value::BulkString(bytes) => Some((name.as_bytes(), bytes.as_slice())),
            Value::SimpleString(s) => Some((name.as_bytes(), s.as_bytes())),
            _ => None,
        })
        .collect()
}

fn consumer_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".to_owned());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos();
    format!("{host}-{}-{nanos:08x}", std::process::id())
}

struct Worker {
    queue: RedisQueue,
    consumer: Arc<str>,
    handler: Arc<dyn Handler>,
    holding: Holding,
}

pub(super) async fn run(
    queue: RedisQueue,
    handler: Arc<dyn Handler>,
    shutdown: CancellationToken,
) -> Result<(), QueueError> {
    let config = queue.inner.config.clone();
    queue.ensure_group().await?;
    // Blocking reads get their own connection: on a shared multiplexed connection they would
    // hold up every other command behind them.
    let mut reader =
        super::conn::connect(&queue.inner.target, config.block + config.command_timeout).await?;
    let worker = Arc::new(Worker {
        queue: queue.clone(),
        consumer: Arc::from(consumer_name()),
        handler,
        holding: Arc::default(),
    });
    tracing::info!(queue = %queue.inner.name, consumer = %worker.consumer, "worker started");

    let heartbeat_stop = CancellationToken::new();
    let heartbeat = tokio::spawn(worker.clone().heartbeat(heartbeat_stop.clone()));
    // If this future is dropped instead of shut down, the heartbeat stops too: the entries it
    // held are then reclaimed like a crashed worker's.
    let _heartbeat_guard = heartbeat_stop.clone().drop_guard();
    let _sampling = crate::metrics::sample_depth(queue.clone());

    let permits = Arc::new(Semaphore::new(config.concurrency));
    let mut tasks: JoinSet<()> = JoinSet::new();
    let maintenance_every = (config.claim_idle.min(config.backoff_base) / 2)
        .clamp(Duration::from_millis(10), Duration::from_secs(1));
    let mut maintenance_at = Instant::now();
    let mut claim_cursor = "0-0".to_owned();
    let forget_idle = config.claim_idle * 10;
    let mut forget_at = Instant::now() + forget_idle / 10;
    let mut error_pause = Duration::from_millis(50);

    loop {
        while tasks.try_join_next().is_some() {}
        if shutdown.is_cancelled() {
            break;
        }
        let free = permits.available_permits();
        if free == 0 {
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = tasks.join_next() => continue,
            }
        }
        let mut batch = Vec::new();
        if Instant::now() >= forget_at {
            forget_at = Instant::now() + forget_idle / 10;
            worker.forget_stopped_consumers(forget_idle).await;
        }
        if Instant::now() >= maintenance_at {
            maintenance_at = Instant::now() + maintenance_every;
            match worker.maintain(&mut claim_cursor, free).await {
                Ok(claimed) => batch = claimed,
                Err(err) => worker.recover(&err, "queue maintenance failed").await,
            }
        }
        if batch.is_empty() {
            let block = config
                .block
                .min(maintenance_at.saturating_duration_since(Instant::now()))
                .max(Duration::from_millis(1));
            match worker.read(&mut reader, free, block).await {
                Ok(entries) => {
                    batch = entries.into_iter().map(|entry| (entry, 0)).collect();
                    error_pause = Duration::from_millis(50);
                }
                Err(err) => {
                    worker
                        .recover(&err, "reading the queue failed; retrying")
                        .await;
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = tokio::time::sleep(error_pause) => {}
                    }
                    error_pause = (error_pause * 2).min(Duration::from_secs(5));
                    continue;
                }
            }
        }
        for (entry, crashed) in batch {
            if shutdown.is_cancelled() {
                // Read just as shutdown began: give it straight back, attempt not counted.
                worker.give_back_unread(entry).await;
                continue;
            }
            let Ok(permit) = permits.clone().try_acquire_owned() else {
                worker.give_back_unread(entry).await;
                continue;
            };
            let worker = worker.clone();
            tasks.spawn(async move {
                worker.handle(entry, crashed).await;
                drop(permit);
            });
        }
    }

    // Shutdown: in-flight handlers get the grace period, then their entries go back.
    let finished = timed::<(), QueueError>(config.shutdown_grace, async {
        while tasks.join_next().await.is_some() {}
        Ok(())
    })
    .await;
    if finished.is_err() {
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
        let interrupted: Vec<(String, u32)> = worker
            .holding
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain()
            .collect();
        for (id, attempts) in interrupted {
            worker.give_back(&id, attempts).await;
        }
    }
    heartbeat_stop.cancel();
    let _ = heartbeat.await;
    tracing::info!(queue = %queue.inner.name, consumer = %worker.consumer, "worker stopped");
    Ok(())
}

impl Worker {
    /// Logs a failed read or maintenance step; re-creates the consumer group if it is gone.
    async fn recover(&self, err: &QueueError, what: &str) {
        tracing::warn!(error = %err, "{what}");
        if super::is_nogroup(err)
            && let Err(err) = self.queue.ensure_group().await
        {
            tracing::warn!(error = %err, "could not re-create the consumer group");
        }
    }

    /// New entries for this consumer (`XREADGROUP … >`), blocking up to `block`.
    async fn read(
        &self,
        reader: &mut Conn,
        count: usize,
        block: Duration,
    ) -> Result<Vec<StreamId>, QueueError> {
        let inner = &self.queue.inner;
        let mut cmd = redis::cmd("XREADGROUP");
        cmd.arg("GROUP")
            .arg(&inner.config.group)
            .arg(&*self.consumer)
            .arg("COUNT")
            .arg(count)
            .arg("BLOCK")
            .arg(block.as_millis().max(1) as u64)
            .arg("STREAMS")
            .arg(&inner.keys.stream)
            .arg(">");
        let limit = block + inner.config.command_timeout;
        let reply: Option<StreamReadReply> = timed(limit, cmd.query_async(reader)).await?;
        Ok(reply
            .map(|r| r.keys.into_iter().flat_map(|k| k.ids).collect())
            .unwrap_or_default())
    }

    /// Promotes due retries and reclaims up to `count` entries of crashed workers, each with
    /// the number of attempts that crashed (deliveries before this one).
    async fn maintain(
        &self,
        cursor: &mut String,
        count: usize,
    ) -> Result<Vec<(StreamId, u32)>, QueueError> {
        let inner = &self.queue.inner;
        let mut promote = inner.scripts.promote.key(&inner.keys.stream);
        promote
            .key(&inner.keys.retry)
            .key(&inner.keys.retry_data)
            .arg(1000);
        let promoted: u64 = self.queue.invoke(promote).await?;
        if promoted > 0 {
            tracing::debug!(promoted, "retries due moved back into the stream");
        }
        let mut cmd = redis::cmd("XAUTOCLAIM");
        cmd.arg(&inner.keys.stream)
            .arg(&inner.config.group)
            .arg(&*self.consumer)
            .arg(inner.config.claim_idle.as_millis() as u64)
            .arg(&*cursor)
            .arg("COUNT")
            .arg(count);
        let reply: StreamAutoClaimReply = self.queue.query(&cmd).await?;
        *cursor = reply.next_stream_id;
        if reply.claimed.is_empty() {
            return Ok(Vec::new());
        }
        tracing::info!(
            reclaimed = reply.claimed.len(),
            "reclaimed entries of a worker that stopped"
        );
        // How often each was delivered (XAUTOCLAIM counted this delivery too).
        let mut pipe = redis::pipe();
        for entry in &reply.claimed {
            pipe.cmd("XPENDING")
                .arg(&inner.keys.stream)
                .arg(&inner.config.group)
                .arg(&entry.id)
                .arg(&entry.id)
                .arg(1);
        }
        let mut conn = inner.conn.clone();
        let delivered: Vec<StreamPendingCountReply> =
            timed(inner.config.command_timeout, pipe.query_async(&mut conn)).await?;
        Ok(reply
            .claimed
            .into_iter()
            .zip(delivered)
            .map(|(entry, pending)| {
                let times = pending.ids.first().map_or(1, |p| p.times_delivered);
                let crashed = u32::try_from(times.saturating_sub(1)).unwrap_or(u32::MAX);
                (entry, crashed)
            })
            .collect())
    }

    /// Runs one attempt on one entry and records the outcome in Redis. `crashed` attempts of
    /// crashed workers count, so an event that kills every worker still ends dead-lettered.
    async fn handle(&self, entry: StreamId, crashed: u32) {
        let inner = &self.queue.inner;
        let fields = byte_fields(&entry.map);
        let stored = match Delivery::from_fields(&entry.id, fields.iter().map(|(n, v)| (*n, *v))) {
            Ok(stored) => stored,
            Err(err) => {
                tracing::error!(entry = %entry.id, error = %err, "undecodable entry: dead-lettered");
                self.finish_dead(&entry.id, 0, &err.to_string()).await;
                return;
            }
        };
        let made = stored.attempts.saturating_add(crashed);
        if made >= inner.config.max_attempts {
            let error = format!(
                "the worker handling it stopped without finishing (crash, kill) {crashed} time(s)"
            );
            tracing::error!(entry = %entry.id, attempts = made, "{error}: dead-lettered");
            self.finish_dead(&entry.id, made, &error).await;
            return;
        }
        let attempt = made + 1;
        self.hold(&entry.id, Some(made));
        let job = Job {
            id: Arc::from(entry.id.as_str()),
            queue: inner.name.clone(),
            attempt,
            max_attempts: inner.config.max_attempts,
            last_error: stored.last_error.map(Arc::from),
            delivery: Arc::new(stored.delivery),
        };
        let result = crate::attempt::run(&*self.handler, job).await;
        match result {
            Ok(()) => self.finish_ok(&entry.id).await,
            Err(err) if attempt >= inner.config.max_attempts => {
                self.finish_dead(&entry.id, attempt, err.message()).await;
            }
            Err(err) => {
                let delay = inner.config.jittered_delay(attempt);
                self.finish_retry(&entry.id, delay, attempt, err.message())
                    .await;
            }
        }
        self.hold(&entry.id, None);
    }

    fn hold(&self, id: &str, attempts: Option<u32>) {
        let mut holding = self.holding.lock().unwrap_or_else(PoisonError::into_inner);
        match attempts {
            Some(attempts) => holding.insert(id.to_owned(), attempts),
            None => holding.remove(id),
        };
    }

    async fn finish_ok(&self, id: &str) {
        let inner = &self.queue.inner;
        let outcome = with_retries(|| {
            let mut invocation = inner.scripts.ack.key(&inner.keys.stream);
            invocation.arg(&inner.config.group).arg(id);
            self.queue.invoke::<i64>(invocation)
        })
        .await;
        if let Err(err) = outcome {
            tracing::error!(entry = %id, error = %err, "handled, but XACK failed: it will run again after the claim-idle time");
        }
    }

    async fn finish_retry(&self, id: &str, delay: Duration, attempts: u32, error: &str) {
        let inner = &self.queue.inner;
        let outcome = with_retries(|| {
            let mut invocation = inner.scripts.retry.key(&inner.keys.stream);
            invocation
                .key(&inner.keys.retry)
                .key(&inner.keys.retry_data)
                .arg(&inner.config.group)
                .arg(&*self.consumer)
                .arg(id)
                .arg(delay.as_millis() as u64)
                .arg(attempts)
                .arg(error);
            self.queue.invoke::<i64>(invocation)
        })
        .await;
        match outcome {
            Ok(1) => {
                tracing::debug!(entry = %id, attempts, delay_ms = delay.as_millis() as u64, "retry scheduled")
            }
            Ok(_) => tracing::warn!(entry = %id, "entry was reclaimed by another worker meanwhile"),
            Err(err) => {
                tracing::error!(entry = %id, error = %err, "could not schedule the retry: the entry will be reclaimed after the claim-idle time")
            }
        }
    }

    async fn finish_dead(&self, id: &str, attempts: u32, error: &str) {
        let inner = &self.queue.inner;
        let outcome = with_retries(|| {
            let mut invocation = inner.scripts.dead.key(&inner.keys.stream);
            invocation
                .key(&inner.keys.dead)
                .arg(&inner.config.group)
                .arg(&*self.consumer)
                .arg(id)
                .arg(attempts)
                .arg(error)
                .arg(inner.config.dead_max_len);
            self.queue.invoke::<Option<String>>(invocation)
        })
        .await;
        match outcome {
            Ok(Some(dead_id)) => {
                crate::metrics::dead_lettered(&inner.name);
                tracing::warn!(entry = %id, dead_letter = %dead_id, attempts, error, "out of attempts: dead-lettered");
            }
            Ok(None) => {
                tracing::warn!(entry = %id, "entry was reclaimed by another worker meanwhile")
            }
            Err(err) => {
                tracing::error!(entry = %id, error = %err, "could not dead-letter: the entry will be reclaimed after the claim-idle time")
            }
        }
    }

    /// Returns an entry to the queue at once, with `attempts` as they were before this worker
    /// took it.
    async fn give_back(&self, id: &str, attempts: u32) {
        self.finish_retry(id, Duration::ZERO, attempts, "").await;
    }

    async fn give_back_unread(&self, entry: StreamId) {
        let fields = byte_fields(&entry.map);
        let attempts = Delivery::from_fields(&entry.id, fields.iter().map(|(n, v)| (*n, *v)))
            .map_or(0, |stored| stored.attempts);
        self.give_back(&entry.id, attempts).await;
    }

    /// Deletes consumers that hold nothing and were idle for `idle` (stopped workers).
    async fn forget_stopped_consumers(&self, idle: Duration) {
        let inner = &self.queue.inner;
        let mut invocation = inner.scripts.forget.key(&inner.keys.stream);
        invocation
            .arg(&inner.config.group)
            .arg(idle.as_millis() as u64)
            .arg(&*self.consumer);
        match self.queue.invoke::<u64>(invocation).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "forgot consumers of stopped workers"),
            Err(err) => tracing::debug!(error = %err, "could not clean up consumers"),
        }
    }

    /// Every third of the claim-idle time, resets the idle time of the entries being handled.
    async fn heartbeat(self: Arc<Self>, stop: CancellationToken) {
        let inner = &self.queue.inner;
        let every = inner.config.claim_idle / 3;
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
            let ids: HashSet<String> = self
                .holding
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .keys()
                .cloned()
                .collect();
            if ids.is_empty() {
                continue;
            }
            let mut invocation = inner.scripts.heartbeat.key(&inner.keys.stream);
            invocation.arg(&inner.config.group).arg(&*self.consumer);
            for id in &ids {
                invocation.arg(id);
            }
            if let Err(err) = self.queue.invoke::<i64>(invocation).await {
                tracing::warn!(error = %err, "heartbeat failed");
            }
        }
    }
}

/// Runs `op` up to three times while it fails with a retryable error.
async fn with_retries<T, F, Fut>(mut op: F) -> Result<T, QueueError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, QueueError>>,
{
    let mut pause = Duration::from_millis(50);
    let mut tries = 0;
    loop {
        match op().await {
            Err(err) if err.is_retryable() && tries < 2 => {
                tries += 1;
                tokio::time::sleep(pause).await;
                pause *= 4;
            }
            other => return other,
        }
    }
}
