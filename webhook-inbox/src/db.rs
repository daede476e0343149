//! Connecting to SQLite or PostgreSQL, timeouts, and the migrations shipped with the crate.

use std::borrow::Cow;
use std::future::Future;
use std::str::FromStr as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Executor as _};

use crate::InboxError;
use crate::connections::{Checkout, Shelf, is_live};

/// The default limit on every statement (also PostgreSQL's `statement_timeout`).
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

/// Which database an [`Inbox`] is on.
///
/// ```
/// assert_eq!(webhook_inbox::Backend::Sqlite.name(), "sqlite");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One SQLite file (WAL mode), one writer connection.
    Sqlite,
    /// A PostgreSQL server, shared by several receivers and workers.
    Postgres,
}

impl Backend {
    /// `"sqlite"` or `"postgres"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// A connection pool to the deliveries table: hand out its [`store`](Inbox::store). Cheap to
/// clone.
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), webhook_inbox::InboxError> {
/// let inbox = webhook_inbox::Inbox::connect("sqlite:deliveries.db").await?;
/// inbox.migrate().await?; // only when asked: never on connect
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Inbox {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pub(crate) pool: AnyPool,
    /// Connections kept between statements (see [`crate::connections`]).
    shelf: Shelf,
    pub(crate) backend: Backend,
    pub(crate) timeout: Duration,
    pub(crate) url: String,
    pub(crate) schema: Option<String>,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbox")
            .field("url", &self.shared.url)
            .field("backend", &self.shared.backend)
            .finish_non_exhaustive()
    }
}

/// Options for [`Inbox::connect`]: the statement timeout, the pool size, a PostgreSQL schema.
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), webhook_inbox::InboxError> {
/// use std::time::Duration;
/// let inbox = webhook_inbox::Inbox::builder()
///     .statement_timeout(Duration::from_secs(2))
///     .schema("receiver_a")
///     .connect("postgres://postgres@127.0.0.1/test")
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct InboxBuilder {
    timeout: Duration,
    max_connections: u32,
    schema: Option<String>,
}

impl Default for InboxBuilder {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_STATEMENT_TIMEOUT,
            max_connections: 16,
            schema: None,
        }
    }
}

impl InboxBuilder {
    /// How long each statement may take (default 5 s): past it the operation fails with
    /// [`InboxError::Timeout`] (a 503 for the sender). Also connecting's limit.
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// PostgreSQL connections in the pool (default 16). SQLite always uses one writer.
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// PostgreSQL: keep the tables in this schema (created by [`Inbox::migrate`]) instead of
    /// the connection's default. Ignored on SQLite.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// Connects to `url`: `sqlite:PATH` or `sqlite://PATH` (the file is created when missing),
    /// or `postgres://` / `postgresql://`. Runs no migration.
    pub async fn connect(self, url: &str) -> Result<Inbox, InboxError> {
        sqlx::any::install_default_drivers();
        let shown = redact_url(url);
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(InboxError::UnsupportedUrl(shown));
        };
        let connect_url = match backend {
            Backend::Sqlite => sqlite_url(url),
            Backend::Postgres => url.to_owned(),
        };
        let options =
            AnyConnectOptions::from_str(&connect_url).map_err(|e| InboxError::Connect {
                url: shown.clone(),
                reason: redact_message(&e.to_string(), url),
            })?;
        let timeout_ms = self.timeout.as_millis();
        let schema = self.schema.clone().filter(|_| backend == Backend::Postgres);
        let after = schema.clone();
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 1,
                Backend::Postgres => self.max_connections,
            })
            .acquire_timeout(self.timeout)
            // sqlx's default pings every connection as it leaves the pool, a round trip per
            // statement: one used within the last `PING_IF_IDLE_FOR` is taken as live (`is_live`) (should it
            // have died since, its statement fails and is answered 503); an older one is pinged,
            // and replaced if the ping fails. The ping on release: see `connections`.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move { Ok(is_live(conn, meta.idle_for).await) })
            })
            .after_connect(move |conn, _meta| {
                let schema = after.clone();
                Box::pin(async move {
                    match backend {
                        Backend::Sqlite => {
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = NORMAL").await?;
                            conn.execute(&*format!("PRAGMA busy_timeout = {timeout_ms}"))
                                .await?;
                        }
                        Backend::Postgres => {
                            conn.execute(&*format!("SET statement_timeout = {timeout_ms}"))
                                .await?;
                            if let Some(schema) = schema {
                                conn.execute(&*format!("SET search_path TO {}", quote(&schema)))
                                    .await?;
                            }
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|e| InboxError::Connect {
                url: shown.clone(),
                reason: redact_message(&e.to_string(), url),
            })?;
        Ok(Inbox {
            shared: Arc::new(Shared {
                pool,
                shelf: Shelf::default(),
                backend,
                timeout: self.timeout,
                url: shown,
                schema,
            }),
        })
    }
}

impl Inbox {
    /// Connects with the default options ([`InboxBuilder`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let err = webhook_inbox::Inbox::connect("mysql://root:hunter2@db/x").await.unwrap_err();
    /// assert!(!err.to_string().contains("hunter2"));
    /// # }
    /// ```
    pub async fn connect(url: &str) -> Result<Self, InboxError> {
        InboxBuilder::default().connect(url).await
    }

    /// Options before connecting.
    ///
    /// ```
    /// let builder = webhook_inbox::Inbox::builder().max_connections(4);
    /// # let _ = builder;
    /// ```
    pub fn builder() -> InboxBuilder {
        InboxBuilder::default()
    }

    /// Which database this is.
    ///
    /// ```no_run
    /// # async fn f(inbox: webhook_inbox::Inbox) { let _ = inbox.backend().name(); }
    /// ```
    pub fn backend(&self) -> Backend {
        self.shared.backend
    }

    /// The URL connected to, without its password.
    ///
    /// ```no_run
    /// # async fn f(inbox: webhook_inbox::Inbox) { println!("{}", inbox.url()); }
    /// ```
    pub fn url(&self) -> &str {
        &self.shared.url
    }

    /// Creates or updates the tables with the migrations shipped in this crate (for the
    /// PostgreSQL schema named in [`InboxBuilder::schema`], creating it first). Safe to run
    /// again; runs only when called.
    ///
    /// ```no_run
    /// # async fn f(inbox: webhook_inbox::Inbox) -> Result<(), webhook_inbox::InboxError> {
    /// inbox.migrate().await?;
    /// # Ok(()) }
    /// ```
    pub async fn migrate(&self) -> Result<(), InboxError> {
        if let Some(schema) = &self.shared.schema {
            let create = format!("CREATE SCHEMA IF NOT EXISTS {}", quote(schema));
            statement!(self, |conn| conn.execute(&*create)).await?;
        }
        let sql = match self.shared.backend {
            Backend::Sqlite => MIGRATIONS_SQLITE,
            Backend::Postgres => MIGRATIONS_POSTGRES,
        };
        let migrator = Migrator {
            migrations: Cow::Owned(
                sql.iter()
                    .map(|(version, description, sql)| {
                        Migration::new(
                            *version,
                            Cow::Borrowed(*description),
                            MigrationType::Simple,
                            Cow::Borrowed(*sql),
                            false,
                        )
                    })
                    .collect(),
            ),
            ..Migrator::DEFAULT
        };
        let mut conn = self.run(self.checkout()).await?;
        migrator
            .run(&mut *conn)
            .await
            .map_err(|e| InboxError::Migrate(redact_message(&e.to_string(), &self.shared.url)))?;
        conn.keep();
        Ok(())
    }

    /// Closes the pool: waits for connections in use to be returned.
    ///
    /// ```no_run
    /// # async fn f(inbox: webhook_inbox::Inbox) { inbox.close().await; }
    /// ```
    pub async fn close(&self) {
        let closing = self.shared.pool.close();
        self.shared.shelf.clear();
        closing.await;
    }

    /// Runs one database step under the statement timeout, mapping its error.
    pub(crate) async fn run<T>(
        &self,
        step: impl Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, InboxError> {
        match tokio::time::timeout(self.shared.timeout, step).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(sqlx::Error::PoolTimedOut)) | Err(_) => {
                Err(InboxError::Timeout(self.shared.timeout))
            }
            Ok(Err(e)) => Err(self.database_error(&e)),
        }
    }

    pub(crate) fn database_error(&self, e: &sqlx::Error) -> InboxError {
        let reason = e.to_string();
        if reason.contains("canceling statement due to statement timeout") {
            return InboxError::Timeout(self.shared.timeout);
        }
        InboxError::Database {
            backend: self.shared.backend.name(),
            reason: redact_message(&reason, &self.shared.url),
        }
    }

    /// A connection for one statement; see [`statement!`].
    pub(crate) async fn checkout(&self) -> Result<Checkout<'_>, sqlx::Error> {
        self.shared.shelf.take(&self.shared.pool).await
    }
}

/// Runs one statement on a checked-out connection (`conn` in `step`), taking the connection and
/// running the statement under one statement timeout ([`Inbox::run`]), and keeps the connection
/// for the next statement if it succeeded:
/// `statement!(inbox, |conn| sqlx::query(SQL).bind(x).execute(conn)).await?`.
macro_rules! statement {
    ($inbox:expr, |$conn:ident| $step:expr) => {
        async {
            let inbox: &$crate::Inbox = $inbox;
            inbox
                .run(async {
                    let mut checkout = inbox.checkout().await?;
                    let $conn = &mut *checkout;
                    let value = $step.await?;
                    checkout.keep();
                    Ok(value)
                })
                .await
        }
    };
}
pub(crate) use statement;

/// The migrations, (version, description, SQL), per backend.
const MIGRATIONS_SQLITE: &[(i64, &str, &str)] = &[
    (
        1,
        "deliveries",
        include_str!("../migrations/sqlite/0001_deliveries.sql"),
    ),
    (
        2,
        "refusals",
        include_str!("../migrations/sqlite/0002_refusals.sql"),
    ),
];
const MIGRATIONS_POSTGRES: &[(i64, &str, &str)] = &[
    (
        1,
        "deliveries",
        include_str!("../migrations/postgres/0001_deliveries.sql"),
    ),
    (
        2,
        "refusals",
        include_str!("../migrations/postgres/0002_refusals.sql"),
    ),
];

/// `sqlite:PATH` and `sqlite://PATH` alike, the file created when missing.
fn sqlite_url(url: &str) -> String {
    let rest = url.trim_start_matches("sqlite:");
    let path = rest.strip_prefix("//").unwrap_or(rest);
    if path.contains("mode=") {
        format!("sqlite://{path}")
    } else if path.contains('?') {
        format!("sqlite://{path}&mode=rwc")
    } else {
        format!("sqlite://{path}?mode=rwc")
    }
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// `url` with the password of its user-info part replaced by `***`.
///
/// ```
/// assert_eq!(
///     webhook_inbox::redact_url("postgres://app:s3cret@db:5432/inbox"),
///     "postgres://app:***@db:5432/inbox"
/// );
/// assert_eq!(webhook_inbox::redact_url("sqlite:inbox.db"), "sqlite:inbox.db");
/// ```
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{path}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// A driver message with the password of `url` (if any) removed.
fn redact_message(message: &str, url: &str) -> String {
    let Some((_, rest)) = url.split_once("://") else {
        return message.to_owned();
    };
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    match authority
        .rsplit_once('@')
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
    {
        Some((_, password)) if !password.is_empty() => message.replace(password, "***"),
        _ => message.to_owned(),
    }
}

/// Now, in Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    millis_since_epoch(SystemTime::now())
}

pub(crate) fn millis_since_epoch(at: SystemTime) -> i64 {
    i64::try_from(
        at.duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis(),
    )
    .unwrap_or(i64::MAX)
}

/// A time stored as Unix milliseconds.
pub(crate) fn time_of(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

pub(crate) fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sqlite_url_forms_create_the_file() {
        assert_eq!(sqlite_url("sqlite:a.db"), "sqlite://a.db?mode=rwc");
        assert_eq!(sqlite_url("sqlite://a.db"), "sqlite://a.db?mode=rwc");
        assert_eq!(
            sqlite_url("sqlite:///tmp/a.db"),
            "sqlite:///tmp/a.db?mode=rwc"
        );
    }

    #[test]
    fn passwords_are_removed_from_messages() {
        let url = "postgres://u:pw123@h/db";
        assert_eq!(redact_message("auth pw123 failed", url), "auth *** failed");
        assert_eq!(redact_url(url), "postgres://u:***@h/db");
    }
}
