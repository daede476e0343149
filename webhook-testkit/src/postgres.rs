//! A PostgreSQL cluster of a test's own: `initdb` in a scratch directory, a free port, started
//! with `pg_ctl` and stopped by the PID in its `postmaster.pid`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::scratch_dir;

/// A PostgreSQL server of the test's own, for tests that stop and restart the database (trust
/// authentication, user `postgres`). When the tests run as root, `initdb` and the server run as
/// the `postgres` user (initdb refuses root). Stopped by PID when dropped, its files removed.
///
/// Panics (never skips) if PostgreSQL is not installed under `/usr/lib/postgresql/*/bin`
/// (`scripts/test.sh` installs it).
///
/// ```no_run
/// let pg = webhook_testkit::PostgresCluster::start();
/// let url = pg.url(); // postgres://postgres@127.0.0.1:<free port>/postgres
/// pg.stop(); // the database goes away...
/// pg.restart(); // ...and comes back, same port, same data
/// # drop(url);
/// ```
pub struct PostgresCluster {
    dir: PathBuf,
    port: u16,
    bin: PathBuf,
}

impl std::fmt::Debug for PostgresCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresCluster")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` that has `initdb`.
fn pg_bin() -> PathBuf {
    let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") else {
        panic!("PostgreSQL is not installed under /usr/lib/postgresql (see scripts/test.sh)");
    };
    let mut versions: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    match versions.pop() {
        Some(bin) => bin,
        None => panic!("no initdb under /usr/lib/postgresql/*/bin (see scripts/test.sh)"),
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

/// `program`, as the `postgres` user when this process is root.
fn as_postgres(program: &Path) -> Command {
    if running_as_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn run(mut command: Command, what: &str) {
    match command.stdout(Stdio::null()).status() {
        Ok(status) if status.success() => {}
        Ok(status) => panic!("{what} failed ({status})"),
        Err(e) => panic!("cannot run {what}: {e}"),
    }
}

impl PostgresCluster {
    /// Creates a cluster in a fresh scratch directory and starts it on a free port.
    pub fn start() -> Self {
        let dir = scratch_dir("postgres");
        if running_as_root() {
            let mut chown = Command::new("chown");
            chown.arg("postgres:postgres").arg(&dir);
            run(chown, "chown postgres:postgres");
        }
        let bin = pg_bin();
        let mut initdb = as_postgres(&bin.join("initdb"));
        initdb
            .args(["-A", "trust", "-U", "postgres", "-D"])
            .arg(dir.join("data"));
        run(initdb, "initdb");
        let cluster = Self {
            dir,
            port: crate::free_port(),
            bin,
        };
        cluster.restart();
        cluster
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres`.
    ///
    /// ```no_run
    /// # let pg = webhook_testkit::PostgresCluster::start();
    /// assert!(pg.url().starts_with("postgres://postgres@127.0.0.1:"));
    /// ```
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server (again) on the same port and data; returns once it accepts
    /// connections (`pg_ctl -w`).
    ///
    /// ```no_run
    /// # let pg = webhook_testkit::PostgresCluster::start();
    /// pg.stop();
    /// pg.restart();
    /// ```
    pub fn restart(&self) {
        let mut pg_ctl = as_postgres(&self.bin.join("pg_ctl"));
        pg_ctl
            .arg("-D")
            .arg(self.dir.join("data"))
            .arg("-o")
            .arg(format!(
                "-p {} -h 127.0.0.1 -k {}",
                self.port,
                self.dir.display()
            ))
            .args(["-w", "-l"])
            .arg(self.dir.join("log"))
            .arg("start");
        run(pg_ctl, "pg_ctl start");
    }

    /// The postmaster's PID while it runs.
    ///
    /// ```no_run
    /// # let pg = webhook_testkit::PostgresCluster::start();
    /// assert!(pg.pid().is_some());
    /// ```
    pub fn pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.dir.join("data/postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// Stops the server by its PID (`SIGINT`: fast shutdown, open connections cut) and waits
    /// until it is gone.
    ///
    /// ```no_run
    /// # let pg = webhook_testkit::PostgresCluster::start();
    /// pg.stop();
    /// assert!(pg.pid().is_none());
    /// ```
    pub fn stop(&self) {
        let Some(pid) = self.pid() else { return };
        let _ = Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Path::new(&format!("/proc/{pid}")).exists() {
            assert!(Instant::now() < deadline, "postgres {pid} did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for PostgresCluster {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
