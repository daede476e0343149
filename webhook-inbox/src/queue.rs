//! The durable [`Queue`] on the deliveries table.
//!
//! A queued delivery is a row with `queue` set: `queued`, `processing` (a worker holds it, with a
//! lease it renews), `failed` (waiting for `next_attempt_at`), `done` or `dead`. PostgreSQL
//! workers take rows with `FOR UPDATE SKIP LOCKED`; SQLite has one writer connection, so every
//! take is serialized with the same semantics. A row whose lease ran out (its worker died) is
//! taken again; one that ran out of attempts that way is dead. A replay is a new attempt of the
//! same row, never a second row.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, UNIX_EPOCH};

use futures_util::future::{BoxFuture, FutureExt as _};
use sqlx::Row as _;
use sqlx::any::AnyRow;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use webhook_idempotency::Fingerprint;
use webhook_queue::backend::{self, Settings};
use webhook_queue::{
    Appended, Counts, DeadLetter, Delivery, Handler, Queue, QueueConfig, QueueError, Verification,
};

use crate::db::{ms, now_ms, statement};
use crate::{Backend, Inbox, InboxError};

/// Headers never written to the table, whatever the caller kept.
const NEVER_KEPT: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// The inbox as a durable queue shared by receivers and worker processes.
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use webhook_queue::{Delivery, Queue, QueueConfig, Verification};
///
/// let inbox = webhook_inbox::Inbox::connect("sqlite:deliveries.db").await?;
/// inbox.migrate().await?;
/// let queue = inbox.queue("webhooks", QueueConfig::default());
/// queue.enqueue(&Delivery::new(&b"{}"[..], Verification::new("stripe"))).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SqlQueue {
    shared: Arc<QueueShared>,
}

struct QueueShared {
    inbox: Inbox,
    name: String,
    config: QueueConfig,
    settings: Settings,
    notify: Notify,
    backlog: Mutex<Backlog>,
}

/// The enqueue and accept steps' view of how many rows wait: counted at most every
/// [`BACKLOG_CHECK_EVERY`], not per delivery (a count per insert grows with the queue).
#[derive(Default)]
struct Backlog {
    checked: Option<Instant>,
    waiting: u64,
}

impl std::fmt::Debug for SqlQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlQueue")
            .field("name", &self.shared.name)
            .field("inbox", &self.shared.inbox)
            .finish_non_exhaustive()
    }
}

impl Inbox {
    /// The queue named `name` on this inbox's table.
    ///
    /// ```no_run
    /// # async fn f(inbox: webhook_inbox::Inbox) {
    /// let queue = inbox.queue("webhooks", Default::default());
    /// # let _ = queue; }
    /// ```
    pub fn queue(&self, name: impl Into<String>, config: QueueConfig) -> SqlQueue {
        SqlQueue {
            shared: Arc::new(QueueShared {
                inbox: self.clone(),
                name: name.into(),
                settings: Settings::of(&config),
                config,
                notify: Notify::new(),
                backlog: Mutex::new(Backlog::default()),
            }),
        }
    }
}

const SELECT_COLUMNS: &str = "id, attempts, last_error, body, headers, scheme, webhook_id, \
    delivery_key, secret_index, signed_at, received_at, dead_at";

const ENQUEUE: &str = "INSERT INTO webhook_deliveries (queue, received_at, scheme, webhook_id, \
        delivery_key, body_sha256, body, headers, secret_index, signed_at, event_type, status, \
        attempts, next_attempt_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'queued', 0, $12) \
    RETURNING id";

/// The accept step's one statement: the claim of `idem_key`, the queue entry and the audit record
/// in one row, committed before the sender's answer. An expired guard claim (a row without a
/// queue) is taken over; any other row with the key is left alone and read after.
const ACCEPT: &str = "INSERT INTO webhook_deliveries (queue, idem_key, received_at, scheme, \
        webhook_id, delivery_key, body_sha256, body, headers, secret_index, signed_at, \
        event_type, status, attempts, next_attempt_at, answered_status) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'queued', 0, $13, $14) \
    ON CONFLICT (idem_key) DO UPDATE SET queue = excluded.queue, \
        received_at = excluded.received_at, scheme = excluded.scheme, \
        webhook_id = excluded.webhook_id, delivery_key = excluded.delivery_key, \
        body_sha256 = excluded.body_sha256, body = excluded.body, headers = excluded.headers, \
        secret_index = excluded.secret_index, signed_at = excluded.signed_at, \
        event_type = excluded.event_type, status = 'queued', attempts = 0, \
        next_attempt_at = excluded.next_attempt_at, answered_status = excluded.answered_status, \
        lease_until = NULL, claim_token = NULL, expires_at = NULL, processed_at = NULL, \
        last_error = NULL, dead_at = NULL \
    WHERE webhook_deliveries.queue IS NULL AND ( \
        (webhook_deliveries.answered_status IS NULL AND webhook_deliveries.lease_until <= $13) \
        OR (webhook_deliveries.answered_status IS NOT NULL AND webhook_deliveries.expires_at <= $13)) \
    RETURNING id";

/// The row holding a key the accept step found taken.
const HOLDER: &str = "SELECT body_sha256, queue, answered_status FROM webhook_deliveries \
    WHERE idem_key = $1";

/// How old the waiting count checked against `max_len` by enqueue and accept may be.
const BACKLOG_CHECK_EVERY: Duration = Duration::from_secs(1);

/// Rows whose worker died during their last allowed attempt: dead without a further run.
const BURY_CRASHED: &str = "UPDATE webhook_deliveries SET status = 'dead', dead_at = $2, \
        lease_until = NULL, claim_token = NULL, last_error = $4 \
    WHERE queue = $1 AND status = 'processing' AND lease_until <= $2 AND attempts >= $3";

/// The next rows to take: ready (`queued`, or `failed` and due) or whose lease expired, oldest
/// first, at most `$5`. One index-served branch per status (`webhook_deliveries_work`: queue,
/// status, next_attempt_at), each at most `$5` rows, merged: an `OR` of the three would make the
/// database read and sort every waiting row on every take, so a backlog of N rows would cost
/// O(N) per take. `$lock` ends each branch: PostgreSQL locks its rows (`FOR UPDATE SKIP
/// LOCKED`, which a `UNION` does not allow, hence the CTEs) so that concurrent workers never take
/// the same row; SQLite has one writer and no row locks.
macro_rules! next_rows {
    ($lock:literal) => {
        concat!(
            "WITH q AS (SELECT id, next_attempt_at FROM webhook_deliveries \
                WHERE queue = $1 AND status = 'queued' AND next_attempt_at <= $2 \
                ORDER BY next_attempt_at, id LIMIT $5",
            $lock,
            "), f AS (SELECT id, next_attempt_at FROM webhook_deliveries \
                WHERE queue = $1 AND status = 'failed' AND next_attempt_at <= $2 \
                ORDER BY next_attempt_at, id LIMIT $5",
            $lock,
            "), p AS (SELECT id, next_attempt_at FROM webhook_deliveries \
                WHERE queue = $1 AND status = 'processing' AND lease_until <= $2 \
                ORDER BY next_attempt_at, id LIMIT $5",
            $lock,
            ") SELECT id FROM (SELECT * FROM q UNION ALL SELECT * FROM f UNION ALL SELECT * FROM p) \
                ready ORDER BY next_attempt_at, id LIMIT $5"
        )
    };
}

const NEXT_SQLITE: &str = next_rows!("");
const NEXT_POSTGRES: &str = next_rows!(" FOR UPDATE SKIP LOCKED");

const HEARTBEAT: &str =
    "UPDATE webhook_deliveries SET lease_until = $3 WHERE id = $1 AND claim_token = $2";

const DONE: &str = "UPDATE webhook_deliveries SET status = 'done', processed_at = $3, \
        lease_until = NULL, claim_token = NULL \
    WHERE id = $1 AND claim_token = $2";

const FAILED: &str = "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = $3, \
        last_error = $4, lease_until = NULL, claim_token = NULL \
    WHERE id = $1 AND claim_token = $2";

const DEAD: &str = "UPDATE webhook_deliveries SET status = 'dead', dead_at = $3, \
        last_error = $4, lease_until = NULL, claim_token = NULL \
    WHERE id = $1 AND claim_token = $2";

/// A graceful shutdown cut the attempt short: it does not count.
const RETURN: &str = "UPDATE webhook_deliveries SET status = 'queued', next_attempt_at = $3, \
        attempts = attempts - 1, lease_until = NULL, claim_token = NULL \
    WHERE id = $1 AND claim_token = $2";

/// A taken row: the delivery and what the queue knows about it.
struct Taken {
    id: i64,
    token: String,
    attempt: u32,
    last_error: Option<Arc<str>>,
    delivery: Arc<Delivery>,
}

fn decode_delivery(row: &AnyRow) -> Result<(Delivery, u32, Option<String>), sqlx::Error> {
    let attempts: i32 = row.try_get("attempts")?;
    let last_error: Option<String> = row.try_get("last_error")?;
    let body: Option<Vec<u8>> = row.try_get("body")?;
    let headers: Option<String> = row.try_get("headers")?;
    let scheme: Option<String> = row.try_get("scheme")?;
    let webhook_id: Option<String> = row.try_get("webhook_id")?;
    let key: Option<String> = row.try_get("delivery_key")?;
    let secret_index: Option<i32> = row.try_get("secret_index")?;
    let signed_at: Option<i64> = row.try_get("signed_at")?;
    let received_at: i64 = row.try_get("received_at")?;
    let mut verification = Verification::new(scheme.unwrap_or_default())
        .secret_index(usize::try_from(secret_index.unwrap_or(0)).unwrap_or(0));
    if let Some(id) = webhook_id {
        verification = verification.webhook_id(id);
    }
    if let Some(ts) = signed_at {
        verification = verification.timestamp(ts);
    }
    let mut delivery = Delivery::new(body.unwrap_or_default(), verification)
        .received_at(UNIX_EPOCH + Duration::from_millis(u64::try_from(received_at).unwrap_or(0)));
    let pairs: Vec<(String, String)> = headers
        .as_deref()
        .and_then(|h| serde_json::from_str(h).ok())
        .unwrap_or_default();
    for (name, value) in pairs {
        delivery = delivery.header(name, value);
    }
    if let Some(key) = key {
        delivery = delivery.idempotency_key(key);
    }
    Ok((delivery, u32::try_from(attempts).unwrap_or(0), last_error))
}

/// The kept headers as a JSON array of `[name, value]`, without credentials.
pub(crate) fn headers_json(delivery: &Delivery) -> String {
    let pairs: Vec<(&str, String)> = delivery
        .headers()
        .iter()
        .filter(|(name, _)| !NEVER_KEPT.contains(&name.as_str()))
        .map(|(name, value)| {
            (
                name.as_str(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    serde_json::to_string(&pairs).unwrap_or_else(|_| "[]".to_owned())
}

/// The event type of a JSON body's top-level `type` (or `event`) field.
pub(crate) fn event_type_of(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    ["type", "event", "event_type"]
        .iter()
        .find_map(|f| value.get(f)?.as_str().map(str::to_owned))
}

impl SqlQueue {
    fn inbox(&self) -> &Inbox {
        &self.shared.inbox
    }

    fn lease(&self) -> i64 {
        ms(self.shared.settings.claim_idle)
    }

    /// Takes up to `limit` ready rows (or ones whose worker died) in one statement, marking
    /// them in flight for us: one scan of the ready rows serves a batch, not one row.
    async fn take(&self, limit: usize) -> Result<Vec<Taken>, InboxError> {
        let inbox = self.inbox();
        let now = now_ms();
        let max = i32::try_from(self.shared.settings.max_attempts).unwrap_or(i32::MAX);
        let crashed = format!(
            "the worker handling it stopped without finishing (crash, kill) on attempt {max}"
        );
        statement!(inbox, |conn| sqlx::query(BURY_CRASHED)
            .bind(&self.shared.name)
            .bind(now)
            .bind(max)
            .bind(&crashed)
            .execute(conn))
        .await?;
        let token = format!("{:032x}", rand::random::<u128>());
        let next = match inbox.backend() {
            Backend::Sqlite => NEXT_SQLITE,
            Backend::Postgres => NEXT_POSTGRES,
        };
        let take = format!(
            "UPDATE webhook_deliveries SET status = 'processing', attempts = attempts + 1, \
                lease_until = $3, claim_token = $4 \
             WHERE id IN ({next}) RETURNING {SELECT_COLUMNS}"
        );
        let rows = statement!(inbox, |conn| sqlx::query(&take)
            .bind(&self.shared.name)
            .bind(now)
            .bind(now.saturating_add(self.lease()))
            .bind(&token)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(conn))
        .await?;
        rows.iter()
            .map(|row| {
                let id: i64 = row.try_get("id").map_err(|e| inbox.database_error(&e))?;
                let (delivery, attempt, last_error) =
                    decode_delivery(row).map_err(|e| inbox.database_error(&e))?;
                Ok(Taken {
                    id,
                    token: token.clone(),
                    attempt,
                    last_error: last_error.map(Arc::from),
                    delivery: Arc::new(delivery),
                })
            })
            .collect()
    }

    async fn step(&self, sql: &str, taken: &Taken, at: i64, error: Option<&str>) {
        let inbox = self.inbox();
        let mut query = sqlx::query(sql).bind(taken.id).bind(&taken.token).bind(at);
        if let Some(error) = error {
            query = query.bind(error);
        }
        // A failed write leaves the row in flight: its lease runs out and it is taken again.
        if let Err(error) = statement!(inbox, |conn| query.execute(conn)).await {
            tracing::warn!(queue = %self.shared.name, id = taken.id, %error, "inbox queue: could not record an attempt's end");
        }
    }

    async fn finish(&self, taken: &Taken, result: Result<(), webhook_queue::HandlerError>) {
        let now = now_ms();
        match result {
            Ok(()) => self.step(DONE, taken, now, None).await,
            Err(err) if taken.attempt >= self.shared.settings.max_attempts => {
                self.step(DEAD, taken, now, Some(err.message())).await;
                backend::dead_lettered(&self.shared.name);
            }
            Err(err) => {
                let due = now
                    .saturating_add(ms(backend::retry_delay(&self.shared.config, taken.attempt)));
                self.step(FAILED, taken, due, Some(err.message())).await;
            }
        }
        self.shared.notify.notify_one();
    }

    /// Runs one attempt, renewing the row's lease while the handler runs.
    async fn attempt(&self, handler: Arc<dyn Handler>, taken: Arc<Taken>) {
        let job = backend::job(
            &taken.id.to_string(),
            &self.shared.name,
            taken.attempt,
            self.shared.settings.max_attempts,
            taken.last_error.clone(),
            taken.delivery.clone(),
        );
        let every = (self.shared.settings.claim_idle / 3).max(Duration::from_millis(10));
        let run = backend::run_attempt(&*handler, job);
        tokio::pin!(run);
        let result = loop {
            tokio::select! {
                result = &mut run => break result,
                () = tokio::time::sleep(every) => {
                    let at = now_ms().saturating_add(self.lease());
                    self.step(HEARTBEAT, &taken, at, None).await;
                }
            }
        };
        self.finish(&taken, result).await;
    }

    async fn work_inner(
        &self,
        handler: Arc<dyn Handler>,
        shutdown: CancellationToken,
    ) -> Result<(), QueueError> {
        let settings = &self.shared.settings;
        let permits = Arc::new(Semaphore::new(settings.concurrency));
        let mut tasks: JoinSet<()> = JoinSet::new();
        let mut running: HashMap<tokio::task::Id, Arc<Taken>> = HashMap::new();
        let _sampling = backend::sample_depth(self.clone());
        'work: loop {
            while let Some(done) = tasks.try_join_next_with_id() {
                if let Ok((task, ())) = done {
                    running.remove(&task);
                }
            }
            let permit = tokio::select! {
                biased;
                () = shutdown.cancelled() => break 'work,
                permit = permits.clone().acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break 'work,
                },
            };
            // Every free handler slot is filled by the same take.
            let mut held = vec![permit];
            while let Ok(permit) = permits.clone().try_acquire_owned() {
                held.push(permit);
            }
            let batch = loop {
                match self.take(held.len()).await {
                    Ok(batch) if !batch.is_empty() => break batch,
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(queue = %self.shared.name, %error, "inbox queue: cannot take work, retrying");
                    }
                }
                tokio::select! {
                    biased;
                    () = shutdown.cancelled() => break 'work,
                    () = self.shared.notify.notified() => {}
                    () = tokio::time::sleep(settings.block) => {}
                }
            };
            // Slots the batch did not fill are dropped here, free again.
            for (taken, permit) in batch.into_iter().zip(held) {
                let taken = Arc::new(taken);
                let (queue, handler, attempt) = (self.clone(), handler.clone(), taken.clone());
                let task = tasks.spawn(async move {
                    queue.attempt(handler, attempt).await;
                    drop(permit);
                });
                running.insert(task.id(), taken);
            }
        }
        // Shutdown: in-flight attempts may finish within the grace period; the rest go back.
        let left =
            backend::finish_within_grace(&mut tasks, &mut running, settings.shutdown_grace).await;
        for taken in left {
            self.step(RETURN, &taken, now_ms(), None).await;
        }
        self.shared.notify.notify_one();
        Ok(())
    }

    async fn enqueue_inner(&self, delivery: &Delivery) -> Result<String, QueueError> {
        if !self.has_room().await? {
            return Err(QueueError::Full {
                max_len: self.shared.settings.max_len,
            });
        }
        let inbox = self.inbox();
        let now = now_ms();
        let v = delivery.verification();
        let row = statement!(inbox, |conn| sqlx::query(ENQUEUE)
            .bind(&self.shared.name)
            .bind(crate::db::millis_since_epoch(delivery.received()))
            .bind(v.scheme.as_str())
            .bind(v.webhook_id.as_deref())
            .bind(delivery.key())
            .bind(Fingerprint::of(delivery.body()).as_str().to_owned())
            .bind(delivery.body().to_vec())
            .bind(headers_json(delivery))
            .bind(i32::try_from(v.secret_index).unwrap_or(i32::MAX))
            .bind(v.timestamp)
            .bind(event_type_of(delivery.body()))
            .bind(now)
            .fetch_one(conn))
        .await?;
        let id: i64 = row.try_get(0).map_err(|e| inbox.database_error(&e))?;
        self.shared.notify.notify_one();
        Ok(id.to_string())
    }

    /// The accept step on one row: claim, entry and record in one statement (see [`ACCEPT`]);
    /// only a taken key costs a second statement, to answer it.
    async fn enqueue_once_inner(
        &self,
        storage_key: &str,
        delivery: &Delivery,
    ) -> Result<Appended, QueueError> {
        if !self.has_room().await? {
            return Err(QueueError::Full {
                max_len: self.shared.settings.max_len,
            });
        }
        let inbox = self.inbox();
        let v = delivery.verification();
        let fingerprint = Fingerprint::of(delivery.body());
        let received = crate::db::millis_since_epoch(delivery.received());
        let headers = headers_json(delivery);
        let event_type = event_type_of(delivery.body());
        let decode = |e: sqlx::Error| QueueError::from(inbox.database_error(&e));
        // A holder released between the two statements frees the key: claim it again.
        for _ in 0..3 {
            let row = statement!(inbox, |conn| sqlx::query(ACCEPT)
                .bind(&self.shared.name)
                .bind(storage_key)
                .bind(received)
                .bind(v.scheme.as_str())
                .bind(v.webhook_id.as_deref())
                .bind(delivery.key())
                .bind(fingerprint.as_str())
                .bind(delivery.body().as_ref())
                .bind(headers.as_str())
                .bind(i32::try_from(v.secret_index).unwrap_or(i32::MAX))
                .bind(v.timestamp)
                .bind(event_type.as_deref())
                .bind(now_ms())
                .bind(202_i32)
                .fetch_optional(conn))
            .await?;
            if let Some(row) = row {
                let id: i64 = row.try_get(0).map_err(decode)?;
                self.shared.notify.notify_one();
                return Ok(Appended::New(id.to_string()));
            }
            let holder = statement!(inbox, |conn| sqlx::query(HOLDER)
                .bind(storage_key)
                .fetch_optional(conn))
            .await?;
            let Some(holder) = holder else { continue };
            let stored: Option<String> = holder.try_get(0).map_err(decode)?;
            let queue: Option<String> = holder.try_get(1).map_err(decode)?;
            let answered: Option<i32> = holder.try_get(2).map_err(decode)?;
            return Ok(if stored.as_deref() != Some(fingerprint.as_str()) {
                Appended::Conflict
            } else if queue.is_some() || answered.is_some() {
                Appended::Duplicate
            } else {
                Appended::InFlight
            });
        }
        Err(QueueError::from(InboxError::Database {
            backend: inbox.backend().name(),
            reason: format!("key {storage_key} kept changing while it was accepted"),
        }))
    }

    /// Whether the queue holds fewer than `max_len` waiting rows, by a count at most
    /// [`BACKLOG_CHECK_EVERY`] old (one enqueue or accept recounts; the others use the last count).
    async fn has_room(&self) -> Result<bool, InboxError> {
        let max = u64::try_from(self.shared.settings.max_len).unwrap_or(u64::MAX);
        {
            let mut backlog = self
                .shared
                .backlog
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let fresh = backlog
                .checked
                .is_some_and(|at| at.elapsed() < BACKLOG_CHECK_EVERY);
            if fresh {
                return Ok(backlog.waiting < max);
            }
            backlog.checked = Some(Instant::now());
        }
        let inbox = self.inbox();
        let counted = statement!(inbox, |conn| sqlx::query(
            "SELECT COUNT(*) FROM webhook_deliveries \
                     WHERE queue = $1 AND status IN ('queued', 'processing')",
        )
        .bind(&self.shared.name)
        .fetch_one(conn))
        .await;
        let waiting: i64 = match counted {
            Ok(row) => row.try_get(0).map_err(|e| inbox.database_error(&e))?,
            Err(err) => {
                // Count again on the next accept.
                self.shared
                    .backlog
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .checked = None;
                return Err(err);
            }
        };
        let waiting = u64::try_from(waiting).unwrap_or(0);
        self.shared
            .backlog
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .waiting = waiting;
        Ok(waiting < max)
    }

    async fn counts_inner(&self) -> Result<Counts, QueueError> {
        let inbox = self.inbox();
        let rows = statement!(inbox, |conn| sqlx::query(
            "SELECT status, COUNT(*) FROM webhook_deliveries WHERE queue = $1 GROUP BY status",
        )
        .bind(&self.shared.name)
        .fetch_all(conn))
        .await?;
        let mut counts = Counts::default();
        for row in rows {
            let status: String = row.try_get(0).map_err(|e| inbox.database_error(&e))?;
            let n: i64 = row.try_get(1).map_err(|e| inbox.database_error(&e))?;
            let n = u64::try_from(n).unwrap_or(0);
            match status.as_str() {
                "queued" => counts.pending += n,
                "processing" => {
                    counts.pending += n;
                    counts.in_flight += n;
                }
                "failed" => counts.retrying += n,
                "dead" => counts.dead += n,
                _ => {}
            }
        }
        Ok(counts)
    }

    async fn dead_inner(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, QueueError> {
        let inbox = self.inbox();
        let after: i64 = after.and_then(|a| a.parse().ok()).unwrap_or(0);
        let sql = format!(
            "SELECT {SELECT_COLUMNS} FROM webhook_deliveries \
             WHERE queue = $1 AND status = 'dead' AND id > $2 ORDER BY id LIMIT $3"
        );
        let rows = statement!(inbox, |conn| sqlx::query(&sql)
            .bind(&self.shared.name)
            .bind(after)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(conn))
        .await?;
        let mut list = Vec::with_capacity(rows.len());
        for row in rows {
            let decode = |e: sqlx::Error| QueueError::from(inbox.database_error(&e));
            let id: i64 = row.try_get("id").map_err(decode)?;
            let dead_at: Option<i64> = row.try_get("dead_at").map_err(decode)?;
            let (delivery, attempts, last_error) = decode_delivery(&row).map_err(decode)?;
            list.push(dead_letter(id, delivery, attempts, last_error, dead_at));
        }
        Ok(list)
    }

    async fn replay_inner(&self, dead_id: &str) -> Result<Option<String>, QueueError> {
        let Ok(id) = dead_id.parse::<i64>() else {
            return Ok(None);
        };
        let inbox = self.inbox();
        let result = statement!(inbox, |conn| sqlx::query(
            "UPDATE webhook_deliveries SET status = 'queued', attempts = 0, \
                        next_attempt_at = $3, dead_at = NULL \
                     WHERE id = $1 AND queue = $2 AND status = 'dead'",
        )
        .bind(id)
        .bind(&self.shared.name)
        .bind(now_ms())
        .execute(conn))
        .await?;
        self.shared.notify.notify_one();
        Ok((result.rows_affected() == 1).then(|| id.to_string()))
    }

    async fn discard_inner(&self, dead_id: &str) -> Result<bool, QueueError> {
        let Ok(id) = dead_id.parse::<i64>() else {
            return Ok(false);
        };
        let inbox = self.inbox();
        let result = statement!(inbox, |conn| sqlx::query(
            "DELETE FROM webhook_deliveries WHERE id = $1 AND queue = $2 AND status = 'dead'",
        )
        .bind(id)
        .bind(&self.shared.name)
        .execute(conn))
        .await?;
        Ok(result.rows_affected() == 1)
    }
}

fn dead_letter(
    id: i64,
    delivery: Delivery,
    attempts: u32,
    last_error: Option<String>,
    dead_at: Option<i64>,
) -> DeadLetter {
    // DeadLetter is non-exhaustive: start from a value the queue crate builds.
    let mut dead = webhook_queue::backend::dead_letter(id.to_string(), delivery);
    dead.attempts = attempts;
    dead.last_error = last_error.unwrap_or_default();
    dead.died_at =
        UNIX_EPOCH + Duration::from_millis(u64::try_from(dead_at.unwrap_or(0)).unwrap_or(0));
    dead
}

impl Queue for SqlQueue {
    fn name(&self) -> &str {
        &self.shared.name
    }

    fn enqueue<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<String, QueueError>> {
        self.enqueue_inner(delivery).boxed()
    }

    fn work(
        &self,
        handler: Arc<dyn Handler>,
        shutdown: CancellationToken,
    ) -> BoxFuture<'_, Result<(), QueueError>> {
        self.work_inner(handler, shutdown).boxed()
    }

    fn counts(&self) -> BoxFuture<'_, Result<Counts, QueueError>> {
        self.counts_inner().boxed()
    }

    fn dead_letters<'a>(
        &'a self,
        after: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<DeadLetter>, QueueError>> {
        self.dead_inner(after, limit).boxed()
    }

    fn replay<'a>(&'a self, dead_id: &'a str) -> BoxFuture<'a, Result<Option<String>, QueueError>> {
        self.replay_inner(dead_id).boxed()
    }

    fn discard<'a>(&'a self, dead_id: &'a str) -> BoxFuture<'a, Result<bool, QueueError>> {
        self.discard_inner(dead_id).boxed()
    }

    fn enqueue_once<'a>(
        &'a self,
        storage_key: &'a str,
        delivery: &'a Delivery,
    ) -> Option<BoxFuture<'a, Result<Appended, QueueError>>> {
        Some(self.enqueue_once_inner(storage_key, delivery).boxed())
    }
}
