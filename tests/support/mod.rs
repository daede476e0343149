//! The end-to-end harness: one small helper per thing a test starts (a signer, an axum receiver,
//! an actix receiver on its own thread, a redis-server, an example process), and one to send
//! deliveries over the socket.
#![allow(
    dead_code,
    unused_imports,
    reason = "each test file uses its own subset"
)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use sha2::{Digest, Sha256};
use webhook_actix::ReceiverServer as _;
use webhook_verify::{Scheme, Signer, Verifier};

pub use webhook_testkit::RedisServer;

mod database;
pub use database::TestDatabase;
mod dashboard;
pub use dashboard::{DeadLetterQueue, receiver_app, recording_verifier};

/// The secret every receiver here verifies with.
pub const SECRET: &str = "e2e-webhook-secret";

/// The answer to a duplicate of a processed event.
pub const DUPLICATE: &str = r#"{"status":"duplicate"}"#;

// ---------------------------------------------------------------------------------------------
// Signing

/// The `hmac-sha256` verifier every receiver uses.
pub fn verifier() -> Verifier {
    Verifier::new(Scheme::hmac_sha256(), SECRET).unwrap()
}

/// The headers a sender sends with `body` (`X-Webhook-Signature: sha256=<hex>`), signed with
/// `secret`.
pub fn sign_with(secret: &str, body: &[u8]) -> Vec<(String, String)> {
    sign_at(Scheme::hmac_sha256(), secret, now(), body)
}

/// [`sign_with`] the receivers' [`SECRET`].
pub fn sign(body: &[u8]) -> Vec<(String, String)> {
    sign_with(SECRET, body)
}

pub use webhook_testkit::{now, sign_at};

/// An `{id, type, created_at, data: {object}}` event: its idempotency key is `id`.
pub fn event(id: &str, event_type: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": id,
        "type": event_type,
        "created_at": "2025-02-18T10:30:00Z",
        "data": { "object": { "id": format!("obj_{id}") } },
    }))
    .unwrap()
}

/// A `{event, timestamp, data}` notification, as the `user.*` sender documents send: no id, so
/// its idempotency key is `sha256:<hex of the body>` ([`body_key`]).
pub fn notification(event_type: &str, user_id: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "event": event_type,
        "timestamp": "2023-06-20T14:15:30Z",
        "data": { "id": user_id, "email": format!("{user_id}@example.com") },
    }))
    .unwrap()
}

/// The key of a delivery that carries no id: `sha256:<hex of the body>`.
pub fn body_key(body: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(body)))
}

// ---------------------------------------------------------------------------------------------
// Sending

/// What a receiver answered: status, `Retry-After` (if any) and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: String,
}

/// A pooled HTTP client, as a sender would keep.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(256)
        .build()
        .unwrap()
}

/// POSTs `body` with `headers` to `url`. Panics if no answer comes.
pub async fn post(
    client: &reqwest::Client,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Answer {
    let request = headers.iter().fold(
        client
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_vec()),
        |request, (name, value)| request.header(name, value),
    );
    let response = match request.send().await {
        Ok(response) => response,
        Err(e) => panic!("no answer from {url}: {e}"),
    };
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    Answer {
        status,
        retry_after,
        body: response.text().await.unwrap(),
    }
}

/// Polls `condition` every 20 ms until it holds; panics with `what` after `timeout`.
pub async fn wait_until(timeout: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Receivers in this process

/// Serves `app` on 127.0.0.1 and a free port, on the current tokio runtime; returns
/// `http://127.0.0.1:<port>/webhooks`.
pub async fn axum_receiver(app: axum::Router) -> String {
    let listener = webhook_axum::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { webhook_axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/webhooks")
}

/// An actix-web server with the receiver defaults on 127.0.0.1 and a free port, on its own
/// thread and actix system (two workers), serving what `configure` adds. Stopped when dropped.
pub struct ActixReceiver {
    addr: SocketAddr,
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
}

impl ActixReceiver {
    pub fn start<F>(configure: F) -> Self
    where
        F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
    {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || App::new().configure(configure.clone()))
                    .receiver_defaults()
                    .workers(2)
                    .disable_signals()
                    .bind(("127.0.0.1", 0))
                    .unwrap();
                let addr = server.addrs()[0];
                let server = server.run();
                tx.send((addr, server.handle())).unwrap();
                server.await.unwrap();
            });
        });
        let (addr, handle) = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the actix receiver did not start within 30 s");
        Self {
            addr,
            handle,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>/webhooks`.
    pub fn url(&self) -> String {
        format!("http://{}/webhooks", self.addr)
    }
}

impl Drop for ActixReceiver {
    fn drop(&mut self) {
        // Sends the stop command now; the server's thread ends on its own.
        drop(self.handle.stop(false));
        drop(self.thread.take());
    }
}

// ---------------------------------------------------------------------------------------------
// Example processes

/// The path of a built example of the root package: `target/<profile>/examples/<name>`, next to
/// this test binary's `deps/`. `cargo test` (and `--all-targets`) builds the examples before
/// running tests; panics, saying how to build them, if it is absent.
pub fn example_path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary lives in target/<profile>/deps");
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "example binary {} is missing: run the tests with `cargo test --workspace --all-targets` \
         (or build it first: `cargo build -p webhook-toolkit --example {name}`)",
        path.display()
    );
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("examples/{name}.rs"));
    let modified = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(built), Some(edited)) = (modified(&path), modified(&source)) {
        assert!(
            built >= edited,
            "example binary {} is older than {}: rebuild it (`cargo build -p webhook-toolkit \
             --examples`, or run the tests with `cargo test --workspace --all-targets`)",
            path.display(),
            source.display()
        );
    }
    path
}

/// The path of the built `webhook` binary (`target/<profile>/webhook`), which `cargo test
/// --workspace --all-targets` builds with the tests; panics, saying how to build it, if absent.
pub fn webhook_path() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary lives in target/<profile>/deps");
    let path = profile_dir.join(format!("webhook{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "the webhook binary {} is missing: run the tests with `cargo test --workspace \
         --all-targets` (or build it first: `cargo build -p webhook-cli`)",
        path.display()
    );
    path
}

/// What an example prints on stderr, followed by its URL, once it accepts connections.
const LISTENING: &str = "listening on ";

/// A running example (`examples/<name>.rs`) bound to `PORT=0` (a free port the OS picks), its
/// stdout and stderr collected line by line. Killed by PID when dropped.
pub struct ExampleProcess {
    name: String,
    child: Child,
    url: String,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
    readers: Vec<JoinHandle<()>>,
}

impl ExampleProcess {
    /// Starts the example with `WEBHOOK_SECRET=SECRET`, `PORT=0` and `env`, and waits (up to
    /// 60 s) for its `listening on http://<addr>/webhooks` line on stderr.
    pub fn start(name: &str, env: &[(&str, &str)]) -> Self {
        Self::start_command(name, Command::new(example_path(name)), env, LISTENING)
    }

    /// This test binary started again as a child process running only the `#[ignore]`d test
    /// `test` (`--exact --ignored --nocapture`) with `env`, once it printed `ready` on stderr:
    /// a process of the test's own (a worker to SIGKILL), stdout read line by line like an
    /// example's. Its [`url`](Self::url) is what followed `ready` on that line.
    pub fn start_test_child(test: &str, env: &[(&str, &str)], ready: &str) -> Self {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command.args([
            "--exact",
            test,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ]);
        Self::start_command(test, command, env, ready)
    }

    /// [`start`](Self::start), with the process's open-file limit (soft and hard) set to
    /// `files` by the shell that execs it (so that its PID is the example's).
    pub fn start_with_file_limit(name: &str, env: &[(&str, &str)], files: u32) -> Self {
        let mut command = Command::new("sh");
        command
            .args(["-c", r#"ulimit -n "$0" && exec "$1""#])
            .arg(files.to_string())
            .arg(example_path(name));
        Self::start_command(name, command, env, LISTENING)
    }

    fn start_command(name: &str, mut command: Command, env: &[(&str, &str)], ready: &str) -> Self {
        command
            .env_remove("REDIS_URL")
            .env_remove("DATABASE_URL")
            .env_remove("WORKER")
            .env("WEBHOOK_SECRET", SECRET)
            .env("PORT", "0")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start example {name}: {e}"));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let readers = vec![
            collect_lines(child.stdout.take().unwrap(), stdout.clone()),
            collect_lines(child.stderr.take().unwrap(), stderr.clone()),
        ];
        let mut process = Self {
            name: name.to_owned(),
            child,
            url: String::new(),
            stdout,
            stderr,
            readers,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let listening = process
                .stderr
                .lock()
                .unwrap()
                .iter()
                .find_map(|line| line.split(ready).nth(1).map(|url| url.trim().to_owned()));
            if let Some(url) = listening {
                process.url = url;
                return process;
            }
            if let Ok(Some(status)) = process.child.try_wait() {
                panic!(
                    "example {name} exited ({status}) before listening; stderr:\n{}",
                    process.stderr()
                );
            }
            assert!(
                Instant::now() < deadline,
                "example {name} did not start listening within 60 s; stderr:\n{}",
                process.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Its `http://127.0.0.1:<port>/webhooks`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The stdout lines read so far.
    pub fn lines(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    /// How many stdout lines read so far satisfy `matches`.
    pub fn count_lines(&self, matches: impl Fn(&str) -> bool) -> usize {
        self.stdout
            .lock()
            .unwrap()
            .iter()
            .filter(|l| matches(l))
            .count()
    }

    /// Everything it wrote on stderr so far (for failure messages).
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    /// Waits (up to `timeout`) until its stdout holds `line`. Lines arrive in the order the
    /// process wrote them, so every line written before `line` has been read too.
    pub async fn wait_for_line(&self, line: &str, timeout: Duration) {
        let what = format!("{} never printed {line:?}", self.name);
        wait_until(timeout, &what, || {
            self.stdout.lock().unwrap().iter().any(|l| l == line)
        })
        .await;
    }

    /// Kills it by PID and returns all its stdout lines, read to the end.
    pub fn kill(mut self) -> Vec<String> {
        self.stop();
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        self.lines()
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ExampleProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

fn collect_lines(
    pipe: impl std::io::Read + Send + 'static,
    into: Arc<Mutex<Vec<String>>>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            match line {
                Ok(line) => into.lock().unwrap().push(line),
                Err(_) => return,
            }
        }
    })
}

/// `processed <key> <type>` lines (what the receiver examples print per event) counted by key.
pub fn processed_by_key<'a>(lines: impl IntoIterator<Item = &'a String>) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for line in lines {
        if let Some(rest) = line.strip_prefix("processed ") {
            let key = rest.split(' ').next().unwrap_or_default().to_owned();
            *counts.entry(key).or_default() += 1;
        }
    }
    counts
}
