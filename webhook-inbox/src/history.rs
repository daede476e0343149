//! The history: list and filter deliveries, show one with its raw body and kept headers, counts
//! per status, replay, retention.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::db::{millis_since_epoch, ms, now_ms, statement, time_of};
use crate::{Inbox, InboxError};

/// The statuses a delivery row can have, in their life's order.
///
/// ```
/// assert_eq!(webhook_inbox::STATUSES[0], "queued");
/// ```
pub const STATUSES: &[&str] = &["queued", "processing", "done", "failed", "dead"];

/// One delivery as listed (no body).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryRow {
    /// The row's id (also its queue entry id).
    pub id: i64,
    /// The sender's webhook id, when the scheme has one.
    pub webhook_id: Option<String>,
    /// The idempotency key.
    pub key: Option<String>,
    /// The event type read from the body, when it has one.
    pub event_type: Option<String>,
    /// `queued`, `processing`, `done`, `failed` or `dead`.
    pub status: String,
    /// Attempts made so far.
    pub attempts: u32,
    /// When it was received.
    pub received_at: SystemTime,
    /// The last attempt's error.
    pub last_error: Option<String>,
}

/// One delivery in full: its row, the kept headers and the raw body, byte for byte.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DeliveryDetail {
    /// What the list shows.
    pub row: DeliveryRow,
    /// The kept headers (never `Authorization` or cookies).
    pub headers: Vec<(String, String)>,
    /// The body as received.
    pub body: Vec<u8>,
}

/// Which deliveries [`Inbox::list`] returns; every field left `None` matches everything.
///
/// ```
/// let filter = webhook_inbox::ListFilter { status: Some("dead".into()), ..Default::default() };
/// assert_eq!(filter.limit, None);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this status.
    pub status: Option<String>,
    /// Only this event type.
    pub event_type: Option<String>,
    /// Only this webhook id.
    pub webhook_id: Option<String>,
    /// Only this idempotency key.
    pub key: Option<String>,
    /// Received at or after.
    pub since: Option<SystemTime>,
    /// Received before.
    pub until: Option<SystemTime>,
    /// At most this many, newest first (default 100).
    pub limit: Option<usize>,
}

const ROW_COLUMNS: &str = "id, webhook_id, COALESCE(delivery_key, idem_key) AS k, event_type, \
    status, attempts, received_at, last_error";

fn decode_row(row: &AnyRow) -> Result<DeliveryRow, sqlx::Error> {
    let attempts: i32 = row.try_get("attempts")?;
    Ok(DeliveryRow {
        id: row.try_get("id")?,
        webhook_id: row.try_get("webhook_id")?,
        key: row.try_get("k")?,
        event_type: row.try_get("event_type")?,
        status: row.try_get("status")?,
        attempts: u32::try_from(attempts).unwrap_or(0),
        received_at: time_of(row.try_get("received_at")?),
        last_error: row.try_get("last_error")?,
    })
}

impl Inbox {
    /// Deliveries matching `filter`, newest first.
    ///
    /// ```no_run
    /// # async fn f(inbox: webhook_inbox::Inbox) -> Result<(), webhook_inbox::InboxError> {
    /// for row in inbox.list(&Default::default()).await? {
    ///     println!("{} {} {}", row.id, row.status, row.event_type.unwrap_or_default());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list(&self, filter: &ListFilter) -> Result<Vec<DeliveryRow>, InboxError> {
        let mut sql =
            format!("SELECT {ROW_COLUMNS} FROM webhook_deliveries WHERE queue IS NOT NULL");
        let mut texts: Vec<String> = Vec::new();
        let mut n = 0;
        let mut text_condition = |sql: &mut String, column: &str, value: &Option<String>| {
            if let Some(value) = value {
                n += 1;
                sql.push_str(&format!(" AND {column} = ${n}"));
                texts.push(value.clone());
            }
        };
        text_condition(&mut sql, "status", &filter.status);
        text_condition(&mut sql, "event_type", &filter.event_type);
        text_condition(&mut sql, "webhook_id", &filter.webhook_id);
        text_condition(&mut sql, "COALESCE(delivery_key, idem_key)", &filter.key);
        let mut times = Vec::new();
        for (op, at) in [(">=", filter.since), ("<", filter.until)] {
            if let Some(at) = at {
                n += 1;
                sql.push_str(&format!(" AND received_at {op} ${n}"));
                times.push(millis_since_epoch(at));
            }
        }
        n += 1;
        sql.push_str(&format!(" ORDER BY id DESC LIMIT ${n}"));
        let limit = i64::try_from(filter.limit.unwrap_or(100)).unwrap_or(i64::MAX);
        let mut query = sqlx::query(&sql);
        for text in &texts {
            query = query.bind(text.as_str());
        }
        for at in times {
            query = query.bind(at);
        }
        let rows = statement!(self, |conn| query.bind(limit).fetch_all(conn)).await?;
        rows.iter()
            .map(|r| decode_row(r).map_err(|e| self.database_error(&e)))
            .collect()
    }

    /// One delivery with its kept headers and raw body; `None` when no row has that id.
    ///
    /// ```no_run
    /// # async fn f(inbox: webhook_inbox::Inbox) -> Result<(), webhook_inbox::InboxError> {
    /// if let Some(d) = inbox.show(7).await? {
    ///     println!("{} bytes, {} headers", d.body.len(), d.headers.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn show(&self, id: i64) -> Result<Option<DeliveryDetail>, InboxError> {
        let sql = format!(
            "SELECT {ROW_COLUMNS}, headers, body FROM webhook_deliveries \
             WHERE id = $1 AND queue IS NOT NULL"
        );
        let row = statement!(self, |conn| sqlx::query(&sql).bind(id).fetch_optional(conn)).await?;
        let Some(row) = row else { return Ok(None) };
        let decode = |e: sqlx::Error| self.database_error(&e);
        let headers: Option<String> = row.try_get("headers").map_err(decode)?;
        let body: Option<Vec<u8>> = row.try_get("body").map_err(decode)?;
        Ok(Some(DeliveryDetail {
            row: decode_row(&row).map_err(decode)?,
            headers: headers
                .as_deref()
                .and_then(|h| serde_json::from_str(h).ok())
                .unwrap_or_default(),
            body: body.unwrap_or_default(),
        }))
    }

    /// How many deliveries have each status (every status present, zero included).
    ///
    /// ```no_run
    /// # async fn f(inbox: webhook_inbox::Inbox) -> Result<(), webhook_inbox::InboxError> {
    /// let counts = inbox.status_counts().await?;
    /// println!("{} done, {} dead", counts["done"], counts["dead"]);
    /// # Ok(()) }
    /// ```
    pub async fn status_counts(&self) -> Result<BTreeMap<String, u64>, InboxError> {
        let rows = statement!(self, |conn| sqlx::query(
            "SELECT status, COUNT(*) FROM webhook_deliveries \
                     WHERE queue IS NOT NULL GROUP BY status",
        )
        .fetch_all(conn))
        .await?;
        let mut counts: BTreeMap<String, u64> =
            STATUSES.iter().map(|s| ((*s).to_owned(), 0)).collect();
        for row in rows {
            let decode = |e: sqlx::Error| self.database_error(&e);
            let status: String = row.try_get(0).map_err(decode)?;
            let n: i64 = row.try_get(1).map_err(decode)?;
            counts.insert(status, u64::try_from(n).unwrap_or(0));
        }
        Ok(counts)
    }

    /// Queues delivery `id` again as a new attempt of the same row (its attempts go on counting;
    /// never a second row): for a dead one, or a done one to process it again. `false` when no
    /// row has that id or it is in flight right now.
    ///
    /// ```no_run
    /// # async fn f(inbox: webhook_inbox::Inbox) -> Result<(), webhook_inbox::InboxError> {
    /// assert!(inbox.replay(7).await?);
    /// # Ok(()) }
    /// ```
    pub async fn replay(&self, id: i64) -> Result<bool, InboxError> {
        let result = statement!(self, |conn| sqlx::query(
            "UPDATE webhook_deliveries SET status = 'queued', next_attempt_at = $2, \
                        dead_at = NULL \
                     WHERE id = $1 AND queue IS NOT NULL AND status <> 'processing'",
        )
        .bind(id)
        .bind(now_ms())
        .execute(conn))
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Retention: deletes done deliveries processed more than `older_than` ago (and expired
    /// guard claims); dead rows stay until discarded. Returns how many rows went.
    ///
    /// ```no_run
    /// # async fn f(inbox: webhook_inbox::Inbox) -> Result<(), webhook_inbox::InboxError> {
    /// let deleted = inbox.prune(std::time::Duration::from_secs(30 * 86_400)).await?;
    /// # let _ = deleted; Ok(()) }
    /// ```
    pub async fn prune(&self, older_than: Duration) -> Result<u64, InboxError> {
        let now = now_ms();
        let result = statement!(self, |conn| sqlx::query(
            "DELETE FROM webhook_deliveries WHERE \
                     (queue IS NOT NULL AND status = 'done' AND processed_at < $1) \
                     OR (queue IS NULL AND answered_status IS NOT NULL AND expires_at <= $2)",
        )
        .bind(now.saturating_sub(ms(older_than)))
        .bind(now)
        .execute(conn))
        .await?;
        Ok(result.rows_affected())
    }
}
