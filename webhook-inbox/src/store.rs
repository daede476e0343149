//! The idempotency [`Store`] on the deliveries table.
//!
//! A claim is a row keyed by `idem_key` (the guard's storage key, so unique per prefix and
//! endpoint): in flight while `answered_status` is null (with `claim_token` and
//! `lease_until`), done once it holds the status answered. Each operation is one statement,
//! conditional on the caller's token, so a late or lost claim never overwrites another's.

use std::time::Duration;

use sqlx::Row as _;
use webhook_idempotency::store::BoxFuture;
use webhook_idempotency::{Fingerprint, Record, Store, StoreError};

use crate::db::{ms, now_ms, statement};
use crate::{Inbox, InboxError};

/// The inbox as an idempotency store: give it to `IdempotencyGuard::builder().store(...)`.
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), webhook_inbox::InboxError> {
/// use webhook_idempotency::IdempotencyGuard;
///
/// let inbox = webhook_inbox::Inbox::connect("sqlite:deliveries.db").await?;
/// inbox.migrate().await?;
/// let guard = IdempotencyGuard::builder().store(inbox.store()).endpoint("stripe").build();
/// # let _ = guard; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SqlStore {
    inbox: Inbox,
}

impl Inbox {
    /// This inbox as an idempotency [`Store`].
    ///
    /// ```no_run
    /// # async fn f(inbox: webhook_inbox::Inbox) { let _store = inbox.store(); }
    /// ```
    pub fn store(&self) -> SqlStore {
        SqlStore {
            inbox: self.clone(),
        }
    }
}

const CLAIM: &str = "INSERT INTO webhook_deliveries \
        (idem_key, received_at, body_sha256, status, claim_token, lease_until) \
    VALUES ($1, $2, $3, 'processing', $4, $5) \
    ON CONFLICT (idem_key) DO UPDATE SET \
        received_at = excluded.received_at, body_sha256 = excluded.body_sha256, \
        status = 'processing', claim_token = excluded.claim_token, \
        lease_until = excluded.lease_until, expires_at = NULL, answered_status = NULL \
    WHERE webhook_deliveries.queue IS NULL AND ( \
        (webhook_deliveries.answered_status IS NULL AND webhook_deliveries.lease_until <= $2) \
        OR (webhook_deliveries.answered_status IS NOT NULL AND webhook_deliveries.expires_at <= $2)) \
    RETURNING id";

const CURRENT: &str = "SELECT claim_token, body_sha256, answered_status, lease_until, expires_at \
    FROM webhook_deliveries WHERE idem_key = $1";

const COMPLETE: &str = "UPDATE webhook_deliveries \
    SET status = 'done', answered_status = $3, expires_at = $4, processed_at = $5, lease_until = NULL \
    WHERE idem_key = $1 AND claim_token = $2 AND answered_status IS NULL AND lease_until > $5";

const RELEASE: &str = "DELETE FROM webhook_deliveries \
    WHERE idem_key = $1 AND claim_token = $2 AND answered_status IS NULL AND queue IS NULL \
    AND lease_until > $3";

const RENEW: &str = "UPDATE webhook_deliveries SET lease_until = $3 \
    WHERE idem_key = $1 AND claim_token = $2 AND answered_status IS NULL AND lease_until > $4";

impl SqlStore {
    async fn claim_once(
        &self,
        key: &str,
        token: &str,
        fingerprint: &Fingerprint,
        lease: Duration,
    ) -> Result<Option<Record>, InboxError> {
        let now = now_ms();
        let inserted = statement!(&self.inbox, |conn| sqlx::query(CLAIM)
            .bind(key)
            .bind(now)
            .bind(fingerprint.as_str())
            .bind(token)
            .bind(now.saturating_add(ms(lease)))
            .fetch_optional(conn))
        .await?;
        if inserted.is_some() {
            return Ok(None);
        }
        for _ in 0..3 {
            let row = statement!(&self.inbox, |conn| sqlx::query(CURRENT)
                .bind(key)
                .fetch_optional(conn))
            .await?;
            let Some(row) = row else {
                // Released between the two statements: claim again.
                let again = statement!(&self.inbox, |conn| sqlx::query(CLAIM)
                    .bind(key)
                    .bind(now_ms())
                    .bind(fingerprint.as_str())
                    .bind(token)
                    .bind(now_ms().saturating_add(ms(lease)))
                    .fetch_optional(conn))
                .await?;
                if again.is_some() {
                    return Ok(None);
                }
                continue;
            };
            let decode = |e: sqlx::Error| self.inbox.database_error(&e);
            let token: Option<String> = row.try_get(0).map_err(decode)?;
            let stored: Option<String> = row.try_get(1).map_err(decode)?;
            let status: Option<i32> = row.try_get(2).map_err(decode)?;
            let fingerprint = stored
                .as_deref()
                .and_then(Fingerprint::parse)
                .ok_or_else(|| InboxError::Database {
                    backend: self.inbox.backend().name(),
                    reason: format!("row for key {key} holds no body fingerprint"),
                })?;
            return Ok(Some(match status {
                Some(status) => Record::Done {
                    status: u16::try_from(status).unwrap_or(200),
                    fingerprint,
                },
                None => Record::InFlight {
                    token: token.unwrap_or_default(),
                    fingerprint,
                },
            }));
        }
        Err(InboxError::Database {
            backend: self.inbox.backend().name(),
            reason: format!("key {key} kept changing while it was claimed"),
        })
    }
}

fn token_of(record: &Record) -> Option<&str> {
    match record {
        Record::InFlight { token, .. } => Some(token),
        Record::Done { .. } => None,
    }
}

impl Store for SqlStore {
    fn claim<'a>(
        &'a self,
        key: &'a str,
        claim: &'a Record,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Option<Record>, StoreError>> {
        Box::pin(async move {
            let Some(token) = token_of(claim) else {
                return Err(StoreError::Corrupt {
                    key: key.to_owned(),
                });
            };
            Ok(self
                .claim_once(key, token, claim.fingerprint(), lease)
                .await?)
        })
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        claim: &'a Record,
        done: &'a Record,
        retention: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let (Some(token), Record::Done { status, .. }) = (token_of(claim), done) else {
                return Ok(false);
            };
            let now = now_ms();
            let result = statement!(&self.inbox, |conn| sqlx::query(COMPLETE)
                .bind(key)
                .bind(token)
                .bind(i32::from(*status))
                .bind(now.saturating_add(ms(retention)))
                .bind(now)
                .execute(conn))
            .await?;
            Ok(result.rows_affected() == 1)
        })
    }

    fn release<'a>(
        &'a self,
        key: &'a str,
        claim: &'a Record,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let Some(token) = token_of(claim) else {
                return Ok(false);
            };
            let result = statement!(&self.inbox, |conn| sqlx::query(RELEASE)
                .bind(key)
                .bind(token)
                .bind(now_ms())
                .execute(conn))
            .await?;
            Ok(result.rows_affected() == 1)
        })
    }

    fn renew<'a>(
        &'a self,
        key: &'a str,
        claim: &'a Record,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let Some(token) = token_of(claim) else {
                return Ok(false);
            };
            let now = now_ms();
            let result = statement!(&self.inbox, |conn| sqlx::query(RENEW)
                .bind(key)
                .bind(token)
                .bind(now.saturating_add(ms(lease)))
                .bind(now)
                .execute(conn))
            .await?;
            Ok(result.rows_affected() == 1)
        })
    }
}
