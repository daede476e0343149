//! Starting and stopping one `redis-server` process.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A fresh scratch directory for one server's files.
pub(crate) fn scratch_dir(tag: &str) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir =
        std::env::temp_dir().join(format!("webhook-testkit-{}-{tag}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("cannot create {}: {e}", dir.display());
    }
    dir
}

/// Spawns `redis-server` on `port` with `extra` arguments, and waits until it answers PING.
/// Returns `None` if the process exited (typically: the port was taken meanwhile).
pub(crate) fn spawn(port: u16, dir: &Path, extra: &[&str]) -> Option<Child> {
    spawn_until(port, dir, extra, || ping(port))
}

/// Like [`spawn`], but waits until `ready` says the server answers (e.g. PING over TLS when the
/// plain port is 0).
pub(crate) fn spawn_until(
    port: u16,
    dir: &Path,
    extra: &[&str],
    ready: impl Fn() -> bool,
) -> Option<Child> {
    let mut command = Command::new("redis-server");
    command
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .args(["--daemonize", "no", "--protected-mode", "no"])
        .arg("--dir")
        .arg(dir)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => panic!(
            "cannot start redis-server ({e}). Redis tests need it: install it \
             (`apt-get install redis-server`) or run `bash scripts/test.sh`, which does"
        ),
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return None;
        }
        if ready() {
            return Some(child);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("redis-server (port {port}, args {extra:?}) did not answer PING within 10 s");
}

/// Sends an inline command and returns the raw reply (one read), or `None` on connection error.
pub(crate) fn command(port: u16, line: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    stream.write_all(format!("{line}\r\n").as_bytes()).ok()?;
    let mut buf = vec![0u8; 64 * 1024];
    let n = stream.read(&mut buf).ok()?;
    Some(String::from_utf8_lossy(&buf[..n]).into_owned())
}

pub(crate) fn ping(port: u16) -> bool {
    command(port, "PING").is_some_and(|reply| reply.starts_with("+PONG"))
}

/// Kills the process by PID (SIGKILL) and reaps it.
pub(crate) fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}
