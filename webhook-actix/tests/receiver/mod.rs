//! Helpers of the idempotency and queue tests: a real server on a free port, signed deliveries
//! sent over the socket with `reqwest`, and counters for handlers.
#![allow(dead_code, reason = "each test file uses its own subset")]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use webhook_verify::{Scheme, Signer, Verifier};

pub const SECRET: &str = "your-webhook-secret";

/// The hmac-sha256 verifier every test uses.
pub fn verifier() -> Verifier {
    Verifier::new(Scheme::hmac_sha256(), SECRET).unwrap()
}

/// An `{id, type, data}` event body (its key is `id`: the scheme signs no id).
pub fn event(id: &str, event_type: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": id,
        "type": event_type,
        "created_at": "2025-02-18T10:30:00Z",
        "data": { "object": { "id": "order_1" } },
    }))
    .unwrap()
}

/// A server on 127.0.0.1 and a free port, running the routes `configure` adds.
pub struct Server {
    addr: SocketAddr,
    handle: ServerHandle,
}

impl Server {
    pub fn start<F>(configure: F) -> Self
    where
        F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
    {
        Self::bind(configure, true)
    }

    /// Like [`Server::start`], with `h1_allow_half_closed(false)`: a client that closes its
    /// connection cancels its request (the handler's future is dropped).
    pub fn start_cancelling<F>(configure: F) -> Self
    where
        F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
    {
        Self::bind(configure, false)
    }

    fn bind<F>(configure: F, half_closed: bool) -> Self
    where
        F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
    {
        let server = HttpServer::new(move || App::new().configure(configure.clone()))
            .workers(2)
            .h1_allow_half_closed(half_closed)
            .bind(("127.0.0.1", 0))
            .unwrap();
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Self { addr, handle }
    }

    pub fn url(&self) -> String {
        format!("http://{}/webhooks", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

/// An answer: status, `Retry-After` if any, body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
}

impl Answer {
    /// Asserts a JSON refusal: `status`, `body`, and `Retry-After` when `retry_after` is set.
    #[track_caller]
    pub fn assert_refusal(&self, status: u16, body: &str, retry_after: Option<&str>) {
        assert_eq!(
            (self.status, self.body.as_str(), self.retry_after.as_deref()),
            (status, body, retry_after),
            "{self:?}"
        );
        assert_eq!(self.content_type.as_deref(), Some("application/json"));
    }
}

/// POSTs `body`, signed with [`SECRET`], to `url`.
pub async fn deliver(url: &str, body: &[u8]) -> Answer {
    let headers = Signer::new(Scheme::hmac_sha256(), SECRET)
        .unwrap()
        .sign("", 0, body)
        .unwrap();
    send(url, headers, body).await.unwrap()
}

/// POSTs `body` with `headers`; `Err` when no answer came (connection closed).
pub async fn send(
    url: &str,
    headers: Vec<(String, String)>,
    body: &[u8],
) -> Result<Answer, reqwest::Error> {
    let request = headers.into_iter().fold(
        reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json"),
        |req, (name, value)| req.header(name, value),
    );
    let res = request.body(body.to_vec()).send().await?;
    let status = res.status().as_u16();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (retry_after, content_type) = (header("retry-after"), header("content-type"));
    Ok(Answer {
        status,
        retry_after,
        content_type,
        body: res.text().await?,
    })
}

/// Delivers `body` until the answer is not `409` (a claim released in the background), for at
/// most 5 s.
pub async fn deliver_until_not_in_flight(url: &str, body: &[u8]) -> Answer {
    for _ in 0..100 {
        let answer = deliver(url, body).await;
        if answer.status != 409 {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("still 409 after 5 s: the claim was never released");
}

/// How many times a handler ran.
#[derive(Debug, Clone, Default)]
pub struct Runs(Arc<AtomicUsize>);

impl Runs {
    /// Counts one run; returns which run this is, from 1.
    pub fn record(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }

    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// Waits until at least `n` runs started, for at most 5 s.
    pub async fn wait_for(&self, n: usize) {
        for _ in 0..500 {
            if self.count() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the handler ran {} times, expected {n}", self.count());
    }
}

pub const DUPLICATE: &str = r#"{"status":"duplicate"}"#;
pub const IN_FLIGHT: &str =
    r#"{"error":"this event is being processed by another delivery; retry later"}"#;
pub const CONFLICT: &str =
    r#"{"error":"this event id was already received with a different body"}"#;
pub const STORE_DOWN: &str = r#"{"error":"idempotency store unavailable; retry later"}"#;
pub const MISCONFIGURED: &str = r#"{"error":"webhook receiver is misconfigured"}"#;
