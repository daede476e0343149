//! One helper to start a real server and talk to it over TCP.
#![allow(dead_code, reason = "each test file uses part of the helpers")]

use std::time::Duration;

use axum::Router;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use webhook_verify::Scheme;

/// The secret most tests sign with.
pub const SECRET: &str = "test-secret";

/// Serves `app` on 127.0.0.1 on a free port; returns `http://127.0.0.1:<port>`.
pub async fn spawn(app: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

pub use webhook_testkit::{now, sign_at};

/// `sign_at` now with the `hmac-sha256` scheme and [`SECRET`].
pub fn sign(body: &[u8]) -> Vec<(String, String)> {
    sign_at(Scheme::hmac_sha256(), SECRET, now(), body)
}

/// POSTs `body` with `headers` to `url`; returns the status and the response body.
pub async fn send(
    url: &str,
    headers: &[(String, String)],
    body: impl Into<reqwest::Body>,
) -> (u16, String) {
    let mut request = reqwest::Client::new().post(url).body(body);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The JSON error body the layer and the extractor answer with.
pub fn error(message: &str) -> String {
    serde_json::json!({ "error": message }).to_string()
}

/// Writes `request` as raw bytes on a new connection, keeps the connection open, and reads one
/// response (status and body). Fails if no response arrives within 5 s.
pub async fn raw(url: &str, request: &[u8]) -> (u16, String) {
    let authority = url.trim_start_matches("http://").split('/').next().unwrap();
    let mut stream = TcpStream::connect(authority).await.unwrap();
    stream.write_all(request).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), read_response(&mut stream))
        .await
        .expect("no response within 5 s: the server waited for the rest of the body")
}

async fn read_response(stream: &mut TcpStream) -> (u16, String) {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(
            n > 0,
            "connection closed before a response: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).unwrap();
    let status = head[9..12].parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed mid-body");
        buf.extend_from_slice(&chunk[..n]);
    }
    (
        status,
        String::from_utf8_lossy(&buf[head_end..head_end + length]).into_owned(),
    )
}

/// A raw `POST /webhooks` head with `headers` and chunked transfer encoding.
pub fn chunked_head(headers: &[(String, String)]) -> Vec<u8> {
    let mut head = String::from(
        "POST /webhooks HTTP/1.1\r\nhost: localhost\r\ntransfer-encoding: chunked\r\n",
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// `body` as HTTP/1.1 chunks of `size` bytes; with the terminating chunk if `finish`.
pub fn chunks(body: &[u8], size: usize, finish: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in body.chunks(size) {
        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    if finish {
        out.extend_from_slice(b"0\r\n\r\n");
    }
    out
}

/// An HTTP answer: status, `Retry-After` (if any) and body.
#[derive(Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: String,
}

/// POSTs `body` with `headers` to `url`; `Err` when the connection broke without an answer.
pub async fn try_post(
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Answer, reqwest::Error> {
    let mut request = reqwest::Client::new().post(url).body(body.to_vec());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    Ok(Answer {
        status,
        retry_after,
        body: response.text().await?,
    })
}

/// [`try_post`] that panics on a broken connection.
pub async fn post(url: &str, headers: &[(String, String)], body: &[u8]) -> Answer {
    try_post(url, headers, body).await.unwrap()
}

/// An answer with no `Retry-After`.
pub fn answer(status: u16, body: impl Into<String>) -> Answer {
    Answer {
        status,
        retry_after: None,
        body: body.into(),
    }
}

/// An answer with `Retry-After: <secs>`.
pub fn answer_retry(status: u16, secs: u64, body: impl Into<String>) -> Answer {
    Answer {
        status,
        retry_after: Some(secs.to_string()),
        body: body.into(),
    }
}

/// Polls `check` every 20 ms until it is true; panics after `secs` seconds.
pub async fn eventually<F: FnMut() -> bool>(secs: u64, what: &str, mut check: F) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {secs} s waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Like [`raw`], but sends `head`, waits `pause`, then sends `body`: the body is not there yet
/// when the server first sees the request.
pub async fn raw_late_body(url: &str, head: &[u8], pause: Duration, body: &[u8]) -> (u16, String) {
    let authority = url.trim_start_matches("http://").split('/').next().unwrap();
    let mut stream = TcpStream::connect(authority).await.unwrap();
    stream.write_all(head).await.unwrap();
    tokio::time::sleep(pause).await;
    stream.write_all(body).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), read_response(&mut stream))
        .await
        .expect("no response within 5 s")
}

/// Sends `head` (which carries `Expect: 100-continue`), waits for `100 Continue`, then sends
/// `body` and reads the final response.
pub async fn raw_expect_continue(url: &str, head: &[u8], body: &[u8]) -> (u16, String) {
    let authority = url.trim_start_matches("http://").split('/').next().unwrap();
    let mut stream = TcpStream::connect(authority).await.unwrap();
    stream.write_all(head).await.unwrap();
    let interim = tokio::time::timeout(Duration::from_secs(5), read_response(&mut stream))
        .await
        .expect("no 100 Continue within 5 s");
    assert_eq!(interim, (100, String::new()), "interim response");
    stream.write_all(body).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), read_response(&mut stream))
        .await
        .expect("no response within 5 s")
}
