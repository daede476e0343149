//! A single-node `redis-server` owned by one test.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::{process, tls};

/// A `redis-server` on a free port, killed by PID when stopped or dropped.
///
/// ```no_run
/// let mut redis = webhook_testkit::RedisServer::start();
/// redis.stop();    // kill -9 <pid>: clients see the connection drop
/// redis.restart(); // same port, empty data set
/// ```
pub struct RedisServer {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
    /// For a TLS-only server: the CA certificate that signed its certificate.
    tls_ca: Option<PathBuf>,
}

impl RedisServer {
    /// Starts a server on a free port and waits until it answers `PING`.
    ///
    /// Panics (never skips) if `redis-server` cannot be started.
    pub fn start() -> Self {
        for _ in 0..5 {
            let port = crate::free_port();
            let dir = process::scratch_dir("redis");
            if let Some(child) = process::spawn(port, &dir, &[]) {
                return Self {
                    port,
                    dir,
                    child: Some(child),
                    tls_ca: None,
                };
            }
        }
        panic!("redis-server failed to start on 5 free ports in a row");
    }

    /// Starts a TLS-only server (`--port 0 --tls-port <free port>`, clients not asked for a
    /// certificate) whose certificate, for `127.0.0.1` and `localhost`, is signed by a throwaway
    /// CA made with the `openssl` command line in the server's scratch directory.
    ///
    /// Panics (never skips) if `redis-server` or `openssl` cannot be run.
    ///
    /// ```no_run
    /// let redis = webhook_testkit::RedisServer::start_tls();
    /// let url = redis.tls_url(); // rediss://127.0.0.1:<port>/
    /// let ca = std::fs::read(redis.tls_ca_path().unwrap()).unwrap(); // PEM to trust
    /// # drop((url, ca));
    /// ```
    pub fn start_tls() -> Self {
        let dir = process::scratch_dir("redis-tls");
        let ca = tls::make_server_files(&dir);
        for _ in 0..5 {
            let port = crate::free_port();
            if let Some(child) = spawn_tls(port, &dir, &ca) {
                return Self {
                    port,
                    dir,
                    child: Some(child),
                    tls_ca: Some(ca),
                };
            }
        }
        panic!("redis-server with TLS failed to start on 5 free ports in a row");
    }

    /// `redis://127.0.0.1:<port>/`, or for a [`start_tls`](Self::start_tls) server (which has no
    /// plain port) its [`tls_url`](Self::tls_url).
    pub fn url(&self) -> String {
        if self.tls_ca.is_some() {
            return self.tls_url();
        }
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// `rediss://127.0.0.1:<tls port>/` of a [`start_tls`](Self::start_tls) server.
    ///
    /// Panics if the server was started without TLS.
    pub fn tls_url(&self) -> String {
        assert!(
            self.tls_ca.is_some(),
            "tls_url(): this redis-server was started without TLS (use RedisServer::start_tls)"
        );
        format!("rediss://127.0.0.1:{}/", self.port)
    }

    /// The PEM file of the CA that signed a [`start_tls`](Self::start_tls) server's
    /// certificate; `None` for a plain server.
    pub fn tls_ca_path(&self) -> Option<&Path> {
        self.tls_ca.as_deref()
    }

    /// The TCP port (the TLS port for a [`start_tls`](Self::start_tls) server).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The process id while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// `true` while the server answers `PING`.
    pub fn is_up(&self) -> bool {
        match &self.tls_ca {
            Some(ca) => tls::ping_tls(self.port, ca),
            None => process::ping(self.port),
        }
    }

    /// Sends one inline command (e.g. `"INFO commandstats"`) and returns the raw RESP reply
    /// (for a TLS server: `redis-cli --tls`'s output).
    pub fn command(&self, line: &str) -> String {
        if let Some(ca) = &self.tls_ca {
            let out = Command::new("redis-cli")
                .args([
                    "--tls",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &self.port.to_string(),
                    "--cacert",
                ])
                .arg(ca)
                .args(line.split_whitespace())
                .stdin(Stdio::null())
                .output();
            return match out {
                Ok(out) if out.status.success() => {
                    String::from_utf8_lossy(&out.stdout).into_owned()
                }
                other => panic!(
                    "redis-cli --tls on port {} failed for {line:?}: {other:?}",
                    self.port
                ),
            };
        }
        match process::command(self.port, line) {
            Some(reply) => reply,
            None => panic!("redis on port {} did not answer {line:?}", self.port),
        }
    }

    /// Kills the server by PID (SIGKILL). Its data is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            process::kill(&mut child);
        }
    }

    /// Starts the server again on the same port, empty.
    pub fn restart(&mut self) {
        self.stop();
        for _ in 0..50 {
            let child = match &self.tls_ca {
                Some(ca) => spawn_tls(self.port, &self.dir, ca),
                None => process::spawn(self.port, &self.dir, &[]),
            };
            if let Some(child) = child {
                self.child = Some(child);
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("redis-server could not be restarted on port {}", self.port);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts a TLS-only `redis-server` on `port` with the files `tls::make_server_files` wrote in
/// `dir`, and waits until it answers PING over TLS.
fn spawn_tls(port: u16, dir: &Path, ca: &Path) -> Option<Child> {
    let port_arg = port.to_string();
    let (cert, key) = (dir.join("server.crt"), dir.join("server.key"));
    let (cert, key, ca_arg) = (
        cert.to_string_lossy(),
        key.to_string_lossy(),
        ca.to_string_lossy(),
    );
    let extra = [
        "--port",
        "0",
        "--tls-port",
        &port_arg,
        "--tls-cert-file",
        &cert,
        "--tls-key-file",
        &key,
        "--tls-ca-cert-file",
        &ca_arg,
        "--tls-auth-clients",
        "no",
    ];
    process::spawn_until(0, dir, &extra, || tls::ping_tls(port, ca))
}
