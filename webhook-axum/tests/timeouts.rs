//! Time limits over a real socket: the body timeout of the layer and the extractor (`408`, the
//! connection closed), and `webhook_axum::serve`'s head timeout, connection cap and `Host` rule.
//! Short limits keep each test under a few seconds; `tests/hardening.rs` at the workspace root
//! floods the example with the defaults.
mod common;

use std::time::{Duration, Instant};

use axum::extract::FromRef;
use axum::routing::post;
use axum::{Extension, Router};
use bytes::Bytes;
use common::*;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;
use webhook_axum::{VerifyWebhookLayer, Webhook};
use webhook_verify::server::ServerLimits;
use webhook_verify::{Scheme, Verified, Verifier};

const BODY_TIMEOUT: Duration = Duration::from_millis(300);

fn verifier() -> Verifier {
    Verifier::builder(Scheme::hmac_sha256())
        .secret(SECRET)
        .body_timeout(BODY_TIMEOUT)
        .build()
        .unwrap()
}

#[derive(Clone)]
struct State(Verifier);

impl FromRef<State> for Verifier {
    fn from_ref(state: &State) -> Self {
        state.0.clone()
    }
}

/// `/layer` behind `VerifyWebhookLayer`, `/extract` taking `Webhook<Bytes>`, served by
/// `webhook_axum::serve` with `limits`.
async fn server(limits: ServerLimits) -> String {
    let app = Router::new()
        .route(
            "/layer",
            post(|_: Extension<Verified<'static>>, body: Bytes| async move { body })
                .route_layer(VerifyWebhookLayer::new(verifier())),
        )
        .route(
            "/extract",
            post(|webhook: Webhook<Bytes>| async move { webhook.payload }),
        )
        .with_state(State(verifier()));
    let listener = webhook_axum::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { webhook_axum::serve(listener, app).limits(limits).await });
    format!("http://{addr}")
}

fn limits() -> ServerLimits {
    ServerLimits {
        header_timeout: Duration::from_millis(500),
        ..ServerLimits::detect()
    }
}

fn authority(url: &str) -> &str {
    url.trim_start_matches("http://")
}

/// Reads until the server closes the connection (or 5 s pass); what it sent and when it closed.
async fn until_closed(stream: &mut TcpStream) -> (String, Option<Duration>) {
    let seen = webhook_testkit::read_until_closed(stream, Duration::from_secs(5)).await;
    (seen.received, seen.closed_after)
}

/// A signed head for `body` on `path`, then only the first byte of the body.
async fn stall(url: &str, path: &str, body: &[u8]) -> TcpStream {
    let (name, value) = &sign(body)[0];
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\n{name}: {value}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut stream = TcpStream::connect(authority(url)).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..1]).await.unwrap();
    stream
}

async fn stalled_body_gets_408_and_the_connection_closed(path: &str) {
    let url = server(limits()).await;
    let mut stream = stall(&url, path, br#"{"id":"evt_slow"}"#).await;
    let (answer, closed) = until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(answer.contains("connection: close"), "{answer:?}");
    assert!(
        answer.ends_with(r#"{"error":"request body was not received in time"}"#),
        "{answer:?}"
    );
    let closed = closed.expect("the connection stayed open after the 408");
    assert!(
        closed >= BODY_TIMEOUT - Duration::from_millis(50) && closed < BODY_TIMEOUT * 4,
        "closed after {closed:?}"
    );
}

#[tokio::test]
async fn layer_answers_a_stalled_body_with_408_and_closes() {
    stalled_body_gets_408_and_the_connection_closed("/layer").await;
}

#[tokio::test]
async fn extractor_answers_a_stalled_body_with_408_and_closes() {
    stalled_body_gets_408_and_the_connection_closed("/extract").await;
}

#[tokio::test]
async fn a_body_within_the_timeout_is_verified() {
    let url = server(limits()).await;
    let body = br#"{"id":"evt_in_time"}"#;
    for path in ["/layer", "/extract"] {
        let head = head_for(path, body);
        let answer = raw_late_body(&url, &head, BODY_TIMEOUT / 3, body).await;
        assert_eq!(
            answer,
            (200, String::from_utf8_lossy(body).into_owned()),
            "{path}"
        );
    }
}

fn head_for(path: &str, body: &[u8]) -> Vec<u8> {
    let (name, value) = &sign(body)[0];
    format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\n{name}: {value}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes()
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_the_head_timeout() {
    let url = server(limits()).await;
    let mut silent = TcpStream::connect(authority(&url)).await.unwrap();
    let mut partial = TcpStream::connect(authority(&url)).await.unwrap();
    partial
        .write_all(b"POST /layer HTTP/1.1\r\nHost: te")
        .await
        .unwrap();
    for (what, stream) in [("silent", &mut silent), ("partial head", &mut partial)] {
        let (_, closed) = until_closed(stream).await;
        let closed = closed.unwrap_or_else(|| panic!("a {what} connection stayed open"));
        assert!(
            closed < Duration::from_secs(2),
            "{what}: closed after {closed:?}"
        );
    }
}

#[tokio::test]
async fn a_keep_alive_connection_idle_after_its_answer_is_closed() {
    let url = server(limits()).await;
    let body = br#"{"id":"evt_keep_alive"}"#;
    let mut stream = TcpStream::connect(authority(&url)).await.unwrap();
    stream.write_all(&head_for("/layer", body)).await.unwrap();
    stream.write_all(body).await.unwrap();
    let (answer, closed) = until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    let closed = closed.expect("an idle keep-alive connection stayed open");
    assert!(closed < Duration::from_secs(2), "closed after {closed:?}");
}

#[tokio::test]
async fn connections_past_the_cap_wait_for_a_free_slot() {
    let url = server(ServerLimits {
        max_connections: 1,
        ..limits()
    })
    .await;
    // The one slot is held by a silent connection until the head timeout ends it.
    let _silent = TcpStream::connect(authority(&url)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let body = br#"{"id":"evt_capped"}"#;
    let started = Instant::now();
    let answer = raw(&url, &[head_for("/layer", body), body.to_vec()].concat()).await;
    assert_eq!(answer.0, 200);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(300),
        "served after {waited:?}: the cap of 1 connection was not applied"
    );
}

#[tokio::test]
async fn an_http_1_1_request_without_host_is_400() {
    let url = server(limits()).await;
    let body = br#"{"id":"evt_no_host"}"#;
    let (name, value) = &sign(body)[0];
    let request = format!(
        "POST /layer HTTP/1.1\r\n{name}: {value}\r\nContent-Length: {}\r\n\r\n{}",
        body.len(),
        String::from_utf8_lossy(body)
    );
    let answer = raw(&url, request.as_bytes()).await;
    assert_eq!(
        answer,
        (400, error("HTTP/1.1 request without a Host header"))
    );
    // HTTP/1.0 has no such rule.
    let request = request.replacen("HTTP/1.1", "HTTP/1.0", 1);
    assert_eq!(raw(&url, request.as_bytes()).await.0, 200);
}

#[tokio::test]
async fn graceful_shutdown_stops_accepting() {
    let listener = webhook_axum::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = Router::new().route("/", post(|| async { "ok" }));
    let server = tokio::spawn(async move {
        webhook_axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("serve did not return after the signal")
        .unwrap()
        .unwrap();
    assert!(TcpStream::connect(addr).await.is_err(), "still accepting");
}
