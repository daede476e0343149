//! The checks that must control the connection itself, over raw TCP (plain `http://`): a head
//! announcing a huge body, a body or a head sent one byte a second, idle connections held open.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use super::auth::accepted;
use super::delivery::{Delivery, Tester};
use super::{CheckId, Verdict};

/// The body `oversize` announces: 1 GiB.
const ONE_GIB: u64 = 1 << 30;

/// File descriptors left to the rest of the battery when sizing `idle-connections`.
const SPARE_FILES: u64 = 200;

/// `oversize`: a valid head announcing 1 GiB, and no body; answered 413 within the deadline.
pub async fn oversize(t: &Tester) -> Verdict {
    let event = t.event(CheckId::Oversize)?;
    let delivery = t.sign(&event.id, &event.body)?;
    let mut stream = connect(t).await?;
    let head = head(t, &delivery, Some(ONE_GIB), &[]);
    stream.write_all(&head).await.map_err(|e| e.to_string())?;
    let started = Instant::now();
    match read_answer(&mut stream, t.settings.deadline).await {
        Seen::Status(413) => Ok(format!("413 in {} ms", started.elapsed().as_millis())),
        Seen::Status(status) => Err(format!(
            "answered {status} to a head announcing 1 GiB, not 413"
        )),
        Seen::Closed => Err(
            "closed the connection without an answer: the sender sees a network error and \
             retries"
                .to_owned(),
        ),
        Seen::Nothing => Err(format!(
            "no answer within the deadline ({} s): it waits for the 1 GiB body",
            t.settings.deadline.as_secs_f64()
        )),
    }
}

/// `slow-body`: a valid head, then the body one byte a second; ended (408 or closed) within the
/// slow limit.
pub async fn slow_body(t: &Tester) -> Verdict {
    let event = t.event(CheckId::SlowBody)?;
    // Longer than the limit, so that it cannot arrive whole in time: JSON allows the spaces.
    let mut body = event.body.clone();
    body.resize(
        body.len() + t.settings.slow_limit.as_secs() as usize + 10,
        b' ',
    );
    let delivery = t.sign(&event.id, &body)?;
    let head = head(t, &delivery, Some(delivery.body.len() as u64), &[]);
    trickle(t, &head, &delivery.body, Slow::Body).await
}

/// `slow-headers`: the head itself one byte a second; closed within the slow limit.
pub async fn slow_headers(t: &Tester) -> Verdict {
    let event = t.event(CheckId::SlowHeaders)?;
    let delivery = t.sign(&event.id, &event.body)?;
    let padding = "x".repeat(t.settings.slow_limit.as_secs() as usize + 10);
    let head = head(
        t,
        &delivery,
        Some(delivery.body.len() as u64),
        &[("X-Slow", &padding)],
    );
    trickle(t, &[], &head, Slow::Head).await
}

/// `idle-connections`: N connections open and silent, then a valid delivery on a new one;
/// answered 2xx within the deadline.
pub async fn idle_connections(t: &Arc<Tester>) -> Verdict {
    let files = webhook_verify::server::raise_open_file_limit().unwrap_or(1024);
    let wanted = u64::from(t.settings.idle)
        .min(files.saturating_sub(SPARE_FILES + u64::from(t.settings.concurrency)));
    let mut opening = JoinSet::new();
    for _ in 0..wanted {
        let t = t.clone();
        opening.spawn(async move { connect(&t).await });
    }
    let mut idle = Vec::new();
    while let Some(opened) = opening.join_next().await {
        if let Ok(Ok(stream)) = opened {
            idle.push(stream);
        }
    }
    let event = t.event(CheckId::IdleConnections)?;
    let delivery = t.sign(&event.id, &event.body)?;
    let answer = t
        .post_fresh(&delivery)
        .await
        .map_err(|e| format!("{e} while {} idle connections were open", idle.len()))?;
    accepted(&answer)
        .map_err(|e| format!("{e} while {} idle connections were open", idle.len()))?;
    t.accepted(&event, CheckId::IdleConnections);
    let note = if wanted < u64::from(t.settings.idle) {
        format!(
            " (--idle {} capped by the open-file limit {files})",
            t.settings.idle
        )
    } else {
        String::new()
    };
    Ok(format!(
        "{} while {} idle connections were open{note}",
        answer.describe(),
        idle.len()
    ))
}

/// What the receiver did on a raw connection.
enum Seen {
    /// Sent a response with this status.
    Status(u16),
    /// Closed the connection (or reset it) without a response.
    Closed,
    /// Nothing before the wait ended.
    Nothing,
}

/// What `trickle` sends slowly.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slow {
    /// The head: any answer, or closing, ends it.
    Head,
    /// The body, after the head: 408, or closing, ends it.
    Body,
}

/// Writes `first` at once, then `slowly` one byte a second, until the receiver ends it (a pass)
/// or the slow limit passes (a failure).
async fn trickle(t: &Tester, first: &[u8], slowly: &[u8], what: Slow) -> Verdict {
    let name = if what == Slow::Head { "head" } else { "body" };
    let mut stream = connect(t).await?;
    stream.write_all(first).await.map_err(|e| e.to_string())?;
    let started = Instant::now();
    let limit = tokio::time::Instant::now() + t.settings.slow_limit;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let (mut sent, mut buf) = (0, Vec::new());
    let ended = |how: String| {
        Ok(format!(
            "{how} after {:.1} s",
            started.elapsed().as_secs_f64()
        ))
    };
    loop {
        let mut chunk = [0u8; 1024];
        tokio::select! {
            _ = tokio::time::sleep_until(limit) => {
                return Err(format!(
                    "still open after {} s ({sent} bytes of the {name} sent one a second)",
                    t.settings.slow_limit.as_secs()
                ));
            }
            read = stream.read(&mut chunk) => match read {
                Ok(0) | Err(_) => return ended("closed".to_owned()),
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    match status(&buf) {
                        Some(408) => return ended("408".to_owned()),
                        Some(code) if what == Slow::Head => return ended(format!("{code}")),
                        Some(code) => {
                            return Err(format!("answered {code} to a body still arriving, not 408"));
                        }
                        None => {}
                    }
                }
            },
            _ = tick.tick(), if sent < slowly.len() => {
                if stream.write_all(&slowly[sent..=sent]).await.is_err() {
                    return ended("closed".to_owned());
                }
                sent += 1;
            }
        }
    }
}

async fn connect(t: &Tester) -> Result<TcpStream, String> {
    let addr = address(t)?;
    tokio::time::timeout(t.settings.deadline, TcpStream::connect(addr))
        .await
        .map_err(|_| format!("cannot connect to {addr} within the deadline"))?
        .map_err(|e| format!("cannot connect to {addr}: {e}"))
}

fn address(t: &Tester) -> Result<SocketAddr, String> {
    t.url
        .socket_addrs(|| Some(80))
        .map_err(|e| format!("cannot resolve {}: {e}", t.url))?
        .into_iter()
        .next()
        .ok_or_else(|| format!("{} resolves to no address", t.url))
}

/// A POST head with the delivery's headers and `extra`, `Content-Length: length`.
fn head(t: &Tester, delivery: &Delivery, length: Option<u64>, extra: &[(&str, &str)]) -> Vec<u8> {
    let url = &t.url;
    let mut target = url.path().to_owned();
    if let Some(query) = url.query() {
        target.push('?');
        target.push_str(query);
    }
    let host = match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => String::new(),
    };
    let mut text = format!(
        "POST {target} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         User-Agent: {}\r\n",
        super::delivery::user_agent()
            .to_str()
            .unwrap_or("webhook-cli")
    );
    if let Some(length) = length {
        text.push_str(&format!("Content-Length: {length}\r\n"));
    }
    for (name, value) in delivery
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .chain(extra.iter().copied())
    {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.into_bytes()
}

/// Reads until a response's status line arrives, the connection closes, or `wait` passes.
async fn read_answer(stream: &mut TcpStream, wait: Duration) -> Seen {
    let deadline = tokio::time::Instant::now() + wait;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => return Seen::Nothing,
            Ok(Ok(0) | Err(_)) => return Seen::Closed,
            Ok(Ok(n)) => {
                buf.extend_from_slice(&chunk[..n]);
                if let Some(code) = status(&buf) {
                    return Seen::Status(code);
                }
            }
        }
    }
}

/// The status of the response whose status line `buf` starts with, once the line is complete.
fn status(buf: &[u8]) -> Option<u16> {
    let end = buf.windows(2).position(|w| w == b"\r\n")?;
    let line = std::str::from_utf8(&buf[..end]).ok()?;
    line.split(' ').nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_read_once_the_line_is_complete() {
        assert_eq!(status(b"HTTP/1.1 413 Payload Too Large\r\n"), Some(413));
        assert_eq!(status(b"HTTP/1.1 408 Req"), None);
        assert_eq!(status(b"garbage\r\n"), None);
    }
}
