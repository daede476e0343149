//! `--exec`: the receiver started by the tester, so that it can see what was processed
//! (`processed-once`, from the receiver's stdout lines).

use std::net::{SocketAddr, TcpListener};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Url;
use tokio::io::{AsyncBufReadExt as _, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use webhook_verify::Secret;

use super::auth::accepted;
use super::delivery::{Expect, Tester};
use super::{CheckId, Verdict};
use crate::error::CliError;

/// How long the receiver may take to answer on its port (it may be compiling: `cargo run`).
const START_TIMEOUT: Duration = Duration::from_secs(300);

/// How long the receiver gets to exit after SIGTERM before its process group is killed.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// Stderr lines kept to explain a receiver that did not start.
const STDERR_TAIL: usize = 20;

/// A receiver process started with `sh -c CMD` in its own process group, its stdout lines
/// collected.
pub struct Receiver {
    child: Child,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    /// Starts `command` with `PORT` (the URL's port; port 0: a free one, written into `url`)
    /// and `WEBHOOK_SECRET` (the first secret), and waits until the port accepts connections.
    pub async fn start(command: &str, url: &mut Url, secrets: &[Secret]) -> Result<Self, CliError> {
        let failed = |message: String| CliError::Failed(format!("error: --exec: {message}"));
        if url.port_or_known_default() == Some(0) {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(|e| failed(format!("cannot find a free port: {e}")))?
                .port();
            url.set_port(Some(port))
                .map_err(|()| CliError::usage("this URL cannot take a port"))?;
        }
        let port = url.port_or_known_default().unwrap_or(80);
        let addr: SocketAddr = url
            .socket_addrs(|| Some(port))
            .ok()
            .and_then(|addrs| addrs.into_iter().next())
            .ok_or_else(|| failed(format!("cannot resolve {url}")))?;
        let secret = secrets.first().map_or("", |s| s.expose());
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(command)
            .env("PORT", port.to_string())
            .env("WEBHOOK_SECRET", secret)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| failed(format!("cannot run sh -c {command:?}: {e}")))?;
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        if let Some(out) = child.stdout.take() {
            tokio::spawn(collect(out, stdout.clone(), usize::MAX));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(collect(err, stderr.clone(), STDERR_TAIL));
        }
        let mut receiver = Self {
            child,
            stdout,
            stderr,
        };
        if let Err(message) = receiver.wait_for_port(addr).await {
            let tail = receiver
                .stderr
                .lock()
                .map(|l| l.join("\n"))
                .unwrap_or_default();
            receiver.stop().await;
            return Err(failed(format!("{message}; its stderr ends with:\n{tail}")));
        }
        Ok(receiver)
    }

    async fn wait_for_port(&mut self, addr: SocketAddr) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "the receiver exited ({status}) before listening on {addr}"
                ));
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(format!(
                    "nothing listens on {addr} after {} s",
                    START_TIMEOUT.as_secs()
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// How many stdout lines so far match `pattern` for event `id`.
    pub fn count(&self, pattern: &str, id: &str) -> usize {
        let wanted = pattern.replace("{id}", id);
        self.stdout.lock().map_or(0, |lines| {
            lines.iter().filter(|line| matches(line, &wanted)).count()
        })
    }

    /// SIGTERM to its process group, then SIGKILL after a grace period.
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            signal_group("-TERM", pid).await;
            if tokio::time::timeout(STOP_GRACE, self.child.wait())
                .await
                .is_err()
            {
                let _ = self.child.start_kill();
            }
            // What the shell started (`cargo run` and its child) is in the same group.
            signal_group("-KILL", pid).await;
        }
        let _ = self.child.wait().await;
    }
}

async fn signal_group(signal: &str, pgid: u32) {
    let _ = Command::new("kill")
        .arg(signal)
        .arg("--")
        .arg(format!("-{pgid}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await;
}

/// Does `line` hold `wanted` not followed by more of an id (`evt_ab` is not `evt_a`)?
fn matches(line: &str, wanted: &str) -> bool {
    line.match_indices(wanted).any(|(at, _)| {
        line[at + wanted.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '-'))
    })
}

async fn collect(pipe: impl AsyncRead + Unpin, into: Arc<Mutex<Vec<String>>>, keep: usize) {
    let mut lines = BufReader::new(pipe).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Ok(mut into) = into.lock() {
            if into.len() == keep {
                into.remove(0);
            }
            into.push(line);
        }
    }
}

/// `processed-once`: after every other check, waits (up to the deadline) for each accepted
/// event's line, then sends one more event and waits for its line (the stdout of a process
/// arrives in order, so later lines of earlier events have arrived too), then counts: each
/// accepted event exactly once, each refused one never.
pub async fn processed_once(t: &Tester, receiver: &Receiver, pattern: &str) -> Verdict {
    let deadline = t.settings.deadline;
    let ledger = t.ledger();
    let wait_all = Instant::now();
    while wait_all.elapsed() < deadline
        && ledger
            .iter()
            .any(|(id, _, e)| *e == Expect::Once && receiver.count(pattern, id) == 0)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let last = t.event(CheckId::ProcessedOnce)?;
    let answer = t.post(&t.sign(&last.id, &last.body)?).await?;
    accepted(&answer).map_err(|e| format!("the last event {e}"))?;
    let waited = Instant::now();
    while receiver.count(pattern, &last.id) == 0 {
        if waited.elapsed() > deadline {
            return Err(format!(
                "no stdout line matching {:?} within {} s of a 2xx: is --processed-pattern \
                 what the receiver prints?",
                pattern.replace("{id}", &last.id),
                deadline.as_secs_f64()
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut wrong = Vec::new();
    let mut once = 1;
    for (id, check, expect) in &ledger {
        let n = receiver.count(pattern, id);
        match (expect, n) {
            (Expect::Once, 1) => once += 1,
            (Expect::Never, 0) => {}
            (Expect::Once, n) => wrong.push(format!("{} ({id}) processed {n} times", check.name())),
            (Expect::Never, n) => wrong.push(format!(
                "{} ({id}) processed {n} time{}, though it should have been refused",
                check.name(),
                if n == 1 { "" } else { "s" }
            )),
        }
    }
    wrong.sort();
    if wrong.is_empty() {
        let refused = ledger
            .iter()
            .filter(|(_, _, e)| *e == Expect::Never)
            .count();
        Ok(format!(
            "{once} accepted events processed once each, {refused} refused never"
        ))
    } else {
        Err(wrong.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_matches_only_whole() {
        assert!(matches(
            "processed evt_ab resource.created",
            "processed evt_ab"
        ));
        assert!(matches("processed evt_ab", "processed evt_ab"));
        assert!(!matches(
            "processed evt_abc resource.created",
            "processed evt_ab"
        ));
        assert!(!matches("processed evt_a", "processed evt_ab"));
    }
}
