//! Time limits over a real socket: the body timeout of the middleware and the extractor (`408`,
//! the connection closed), and `ReceiverServer`'s head and keep-alive timeouts. Short limits keep
//! each test under a few seconds; `tests/hardening.rs` at the workspace root floods the example
//! with the defaults.
mod support;

use std::net::SocketAddr;
use std::time::Duration;

use actix_web::{App, HttpServer, web};
use support::*;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;
use webhook_actix::{ReceiverServer as _, VerifyWebhook, Webhook};
use webhook_verify::server::ServerLimits;
use webhook_verify::{Scheme, Verifier};

const SECRET: &str = "timeout-secret";
const BODY_TIMEOUT: Duration = Duration::from_millis(300);

fn verifier() -> Verifier {
    Verifier::builder(Scheme::hmac_sha256())
        .secret(SECRET)
        .body_timeout(BODY_TIMEOUT)
        .build()
        .unwrap()
}

/// `/layer` behind the middleware and `/extract` taking `Webhook<Bytes>`, with receiver limits
/// whose head and keep-alive timeouts are 500 ms.
fn server() -> SocketAddr {
    let limits = ServerLimits {
        header_timeout: Duration::from_millis(500),
        keep_alive: Duration::from_millis(500),
        ..ServerLimits::detect()
    };
    let data = web::Data::new(verifier());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .service(
                web::resource("/layer")
                    .wrap(VerifyWebhook::new(verifier()))
                    .route(web::post().to(|body: web::Bytes| async move { body })),
            )
            .route(
                "/extract",
                web::post().to(|webhook: Webhook<web::Bytes>| async move { webhook.payload }),
            )
    })
    .receiver_limits(limits)
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = server.addrs()[0];
    actix_web::rt::spawn(server.run());
    addr
}

fn head_for(path: &str, body: &[u8]) -> String {
    let (name, value) = &sign(Scheme::hmac_sha256(), SECRET, body)[0];
    format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\n{name}: {value}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
}

/// Reads until the server closes the connection (or 5 s pass); what it sent and when it closed.
async fn until_closed(stream: &mut TcpStream) -> (String, Option<Duration>) {
    let seen = webhook_testkit::read_until_closed(stream, Duration::from_secs(5)).await;
    (seen.received, seen.closed_after)
}

async fn stalled_body_gets_408_and_the_connection_closed(path: &str) {
    let addr = server();
    let body = br#"{"id":"evt_slow"}"#;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(head_for(path, body).as_bytes())
        .await
        .unwrap();
    stream.write_all(&body[..1]).await.unwrap();
    let (answer, closed) = until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer:?}");
    assert!(answer.contains("connection: close"), "{path}: {answer:?}");
    assert!(
        answer.ends_with(r#"{"error":"request body was not received in time"}"#),
        "{path}: {answer:?}"
    );
    let closed = closed.unwrap_or_else(|| panic!("{path}: the connection stayed open"));
    assert!(
        closed >= BODY_TIMEOUT - Duration::from_millis(50) && closed < BODY_TIMEOUT * 4,
        "{path}: closed after {closed:?}"
    );
}

#[actix_web::test]
async fn middleware_answers_a_stalled_body_with_408_and_closes() {
    stalled_body_gets_408_and_the_connection_closed("/layer").await;
}

#[actix_web::test]
async fn extractor_answers_a_stalled_body_with_408_and_closes() {
    stalled_body_gets_408_and_the_connection_closed("/extract").await;
}

#[actix_web::test]
async fn a_body_within_the_timeout_is_verified() {
    let addr = server();
    let body = br#"{"id":"evt_in_time"}"#;
    for path in ["/layer", "/extract"] {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(head_for(path, body).as_bytes())
            .await
            .unwrap();
        tokio::time::sleep(BODY_TIMEOUT / 3).await;
        stream.write_all(body).await.unwrap();
        let (answer, _) = until_closed(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{path}: {answer:?}");
        assert!(
            answer.ends_with(r#"{"id":"evt_in_time"}"#),
            "{path}: {answer:?}"
        );
    }
}

#[actix_web::test]
async fn idle_and_slow_heads_are_closed_after_the_head_timeout() {
    let addr = server();
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut partial = TcpStream::connect(addr).await.unwrap();
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

#[actix_web::test]
async fn a_keep_alive_connection_idle_after_its_answer_is_closed() {
    let addr = server();
    let body = br#"{"id":"evt_keep_alive"}"#;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(head_for("/layer", body).as_bytes())
        .await
        .unwrap();
    stream.write_all(body).await.unwrap();
    let (answer, closed) = until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    let closed = closed.expect("an idle keep-alive connection stayed open");
    assert!(closed < Duration::from_secs(2), "closed after {closed:?}");
}
