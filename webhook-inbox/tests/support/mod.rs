//! Real databases for the tests: a fresh SQLite file in its own temporary directory, and a
//! fresh schema on the PostgreSQL server (`$TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`). Nothing skips: a missing server fails the test.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use webhook_inbox::Inbox;

/// The PostgreSQL server the tests use.
pub fn postgres_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

fn unique(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A temporary directory, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(unique("webhook_inbox"));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A database the test owns: a SQLite file or a PostgreSQL schema, dropped at the end.
pub struct TestDb {
    pub url: String,
    pub schema: Option<String>,
    _dir: Option<TempDir>,
}

impl TestDb {
    /// A new SQLite file (not yet created: connecting creates it).
    pub fn sqlite() -> Self {
        let dir = TempDir::new();
        let url = format!("sqlite:{}", dir.file("inbox.db").display());
        Self {
            url,
            schema: None,
            _dir: Some(dir),
        }
    }

    /// A new schema on the test PostgreSQL server (created by `migrate`).
    pub fn postgres() -> Self {
        Self {
            url: postgres_url(),
            schema: Some(unique("inbox_test")),
            _dir: None,
        }
    }

    /// Connects and migrates; panics (never skips) if the database cannot be reached.
    pub async fn inbox(&self) -> Inbox {
        let mut builder = Inbox::builder();
        if let Some(schema) = &self.schema {
            builder = builder.schema(schema.clone());
        }
        let inbox = builder.connect(&self.url).await.unwrap_or_else(|e| {
            panic!(
                "cannot reach the test database (is PostgreSQL running? see scripts/test.sh): {e}"
            )
        });
        inbox.migrate().await.unwrap();
        inbox
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(schema) = self.schema.take() else {
            return;
        };
        let url = self.url.clone();
        // Dropped inside a runtime: drop the schema on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                use sqlx::Connection as _;
                if let Ok(mut conn) = sqlx::PgConnection::connect(&url).await {
                    let drop = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
                    let _ = sqlx::query(&drop).execute(&mut conn).await;
                }
            });
        })
        .join();
    }
}

/// A PostgreSQL cluster of the test's own (initdb in a temporary directory, a free port), for
/// tests that stop the server. Run as the `postgres` user when the tests run as root (initdb
/// refuses root); stopped by the PID in its `postmaster.pid`.
pub struct PgCluster {
    dir: TempDir,
    port: u16,
    bin: PathBuf,
}

fn pg_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is not installed under /usr/lib/postgresql (see scripts/test.sh)")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .expect("no initdb under /usr/lib/postgresql/*/bin")
}

fn as_postgres(program: &std::path::Path) -> std::process::Command {
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false);
    if root {
        let mut cmd = std::process::Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        std::process::Command::new(program)
    }
}

impl PgCluster {
    pub fn start() -> Self {
        let dir = TempDir::new();
        let data = dir.file("data");
        let _ = std::process::Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&dir.0)
            .status();
        let bin = pg_bin();
        let status = as_postgres(&bin.join("initdb"))
            .args(["-A", "trust", "-U", "postgres", "-D"])
            .arg(&data)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("cannot run initdb");
        assert!(status.success(), "initdb failed");
        let cluster = Self {
            dir,
            port: webhook_testkit::free_port(),
            bin,
        };
        cluster.restart();
        cluster
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server (again) on the same port and data.
    pub fn restart(&self) {
        let status = as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.file("data"))
            .arg("-o")
            .arg(format!(
                "-p {} -h 127.0.0.1 -k {}",
                self.port,
                self.dir.0.display()
            ))
            .args(["-w", "-l"])
            .arg(self.dir.file("log"))
            .arg("start")
            .stdout(std::process::Stdio::null())
            .status()
            .expect("cannot run pg_ctl");
        assert!(status.success(), "pg_ctl start failed");
    }

    /// The postmaster's PID.
    pub fn pid(&self) -> Option<i32> {
        let text = std::fs::read_to_string(self.dir.file("data/postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// Stops the server by its PID (fast shutdown) and waits until it is gone.
    pub fn stop(&self) {
        let Some(pid) = self.pid() else { return };
        let _ = std::process::Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status();
        for _ in 0..200 {
            if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("postgres {pid} did not stop");
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        self.stop();
    }
}
