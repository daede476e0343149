//! Raw HTTP over a socket, for tests that must see what a server does with the connection
//! itself: whether and when it closes it, and what it wrote before.

use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt as _;
use tokio::net::TcpStream;

/// What a server wrote on a connection before closing it (or before the wait ended).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UntilClosed {
    /// Everything read, as text (lossy UTF-8).
    pub received: String,
    /// How long after the wait began the server closed the connection; `None` if it was
    /// still open when the wait ended.
    pub closed_after: Option<Duration>,
}

/// Reads `stream` until the server closes it (end of stream or a reset) or `limit` passes.
///
/// ```no_run
/// # async fn run() {
/// use std::time::Duration;
/// let mut stream = tokio::net::TcpStream::connect("127.0.0.1:3000").await.unwrap();
/// let seen = webhook_testkit::read_until_closed(&mut stream, Duration::from_secs(5)).await;
/// assert!(seen.closed_after.is_some(), "the server kept an idle connection open");
/// # }
/// ```
pub async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> UntilClosed {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + limit;
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let closed_after = loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => break None,
            Ok(Ok(0) | Err(_)) => break Some(started.elapsed()),
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    };
    UntilClosed {
        received: String::from_utf8_lossy(&received).into_owned(),
        closed_after,
    }
}
