//! Helpers shared by the integration tests: connecting to a test Redis, capturing logs, and
//! watching the commands a Redis server receives.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use webhook_idempotency::RedisStore;
use webhook_testkit::RedisServer;

/// A store on the test's own redis-server, with a timeout generous enough for a loaded machine.
pub async fn redis_store(server: &RedisServer) -> RedisStore {
    RedisStore::builder()
        .command_timeout(Duration::from_secs(5))
        .connect(&server.url())
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test redis-server: {e}"))
}

/// Everything written through `tracing` while installed, as text.
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// Installs a subscriber writing here for the current thread until the guard drops.
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(self.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }
}

impl Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogCapture {
    type Writer = LogCapture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// A `MONITOR` connection: sees every command the server executes, from clients
/// (`[0 127.0.0.1:port]`) and from Lua scripts (`[0 lua]`).
pub struct Monitor(TcpStream);

impl Monitor {
    pub fn start(server: &RedisServer) -> Self {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
        stream.write_all(b"MONITOR\r\n").unwrap();
        let mut ok = [0u8; 5];
        stream.read_exact(&mut ok).unwrap();
        assert_eq!(&ok, b"+OK\r\n");
        stream
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        Self(stream)
    }

    /// The lines received so far, waiting up to 300 ms for more.
    pub fn lines(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        let mut buf = [0u8; 64 * 1024];
        while let Ok(n) = self.0.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&out)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Commands sent by clients (not run inside a script), lower-cased names, without the
    /// test's own `CONFIG` and `INFO`.
    pub fn client_commands(&mut self) -> Vec<String> {
        self.lines()
            .into_iter()
            .filter(|l| !l.contains("[0 lua]"))
            .filter_map(|l| l.split_once("] \"").map(|(_, rest)| rest.to_owned()))
            .map(|rest| rest.split('"').next().unwrap_or("").to_lowercase())
            .filter(|name| name != "config" && name != "info")
            .collect()
    }
}

/// `INFO commandstats` as (command, calls) pairs.
pub fn command_stats(server: &RedisServer) -> Vec<(String, u64)> {
    server
        .command("INFO commandstats")
        .lines()
        .filter_map(|l| l.strip_prefix("cmdstat_"))
        .filter_map(|l| {
            let (name, rest) = l.split_once(':')?;
            let calls = rest
                .strip_prefix("calls=")?
                .split(',')
                .next()?
                .parse()
                .ok()?;
            Some((name.to_owned(), calls))
        })
        .collect()
}
