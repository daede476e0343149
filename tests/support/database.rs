//! A database of the test's own for the examples' `DATABASE_URL`: a fresh PostgreSQL database
//! on the test server, or a SQLite file in a temporary directory; dropped at the end.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::Connection as _;
use webhook_inbox::Inbox;

/// The PostgreSQL server the tests use (`$TEST_POSTGRES_URL`, default the `test` database on
/// `127.0.0.1:5432`, trust authentication): new databases are created on it.
fn server_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A name no other test (or test process) uses.
fn unique(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// What [`TestDatabase`] removes when dropped.
enum Owned {
    Postgres { server: String, name: String },
    Sqlite { dir: PathBuf },
}

/// A database the test owns, named by [`url`](Self::url): `CREATE DATABASE t_<unique>` on the
/// PostgreSQL server (dropped, connections and all, at the end) or a new SQLite file (its
/// directory removed). Creating it fails the test loudly when PostgreSQL cannot be reached.
pub struct TestDatabase {
    url: String,
    owned: Owned,
}

impl TestDatabase {
    /// A fresh PostgreSQL database; panics if the server cannot be reached (never skips).
    pub async fn postgres() -> Self {
        let server = server_url();
        let name = unique("t");
        let mut conn = sqlx::PgConnection::connect(&server)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot reach PostgreSQL at {} (is it running? scripts/test.sh starts it): {e}",
                    webhook_inbox::redact_url(&server)
                )
            });
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
            .unwrap();
        let _ = conn.close().await;
        let base = server
            .rsplit_once('/')
            .map_or(server.as_str(), |(base, _)| base);
        Self {
            url: format!("{base}/{name}"),
            owned: Owned::Postgres { server, name },
        }
    }

    /// A SQLite file (`sqlite:<dir>/inbox.db`, created by whoever connects first) in a new
    /// temporary directory.
    pub fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(unique("webhook_e2e_sqlite"));
        std::fs::create_dir_all(&dir).unwrap();
        Self {
            url: format!("sqlite:{}", dir.join("inbox.db").display()),
            owned: Owned::Sqlite { dir },
        }
    }

    /// The `DATABASE_URL` to give the examples.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The inbox on it, migrated (as the examples do at start), to read the history.
    pub async fn inbox(&self) -> Inbox {
        let inbox = Inbox::connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to the test database: {e}"));
        inbox.migrate().await.unwrap();
        inbox
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.owned {
            Owned::Sqlite { dir } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Owned::Postgres { server, name } => {
                let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                let server = server.clone();
                // Dropped inside a runtime: drop the database on a thread of its own.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    runtime.block_on(async {
                        if let Ok(mut conn) = sqlx::PgConnection::connect(&server).await {
                            let _ = sqlx::query(&drop).execute(&mut conn).await;
                        }
                    });
                })
                .join();
            }
        }
    }
}
