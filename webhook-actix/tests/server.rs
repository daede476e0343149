//! The middleware and the extractor on a real bound server (`HttpServer` on 127.0.0.1:0), called
//! over the socket with `reqwest`: chunked bodies and a `Content-Length` over the limit included.

mod support;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use bytes::Bytes;
use futures_util::{StreamExt as _, stream};
use support::*;
use webhook_actix::{VerifyWebhook, Webhook};
use webhook_verify::{Scheme, Verifier};

/// A server on a free port: `POST /webhooks` behind the middleware echoing the verified bytes,
/// and `POST /extract` taking `Webhook<web::Bytes>`. Stopped by [`Running::stop`].
struct Running {
    addr: SocketAddr,
    handle: ServerHandle,
}

impl Running {
    async fn start(verifier: Verifier) -> Self {
        let data = web::Data::new(verifier.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .service(
                    web::resource("/webhooks")
                        .wrap(VerifyWebhook::new(verifier.clone()))
                        .route(web::post().to(echo)),
                )
                .route(
                    "/extract",
                    web::post().to(|webhook: Webhook<web::Bytes>| async move { webhook.payload }),
                )
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .unwrap();
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Self { addr, handle }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn stop(self) {
        self.handle.stop(false).await;
    }
}

fn limited(limit: usize) -> Verifier {
    Verifier::builder(Scheme::hmac_sha256())
        .secret(SECRET)
        .body_limit(limit)
        .build()
        .unwrap()
}

fn request(url: String, headers: Vec<(String, String)>) -> reqwest::RequestBuilder {
    headers.into_iter().fold(
        reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json"),
        |req, (name, value)| req.header(name, value),
    )
}

async fn status_and_body(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

#[actix_web::test]
async fn valid_delivery_over_a_socket_is_accepted_and_echoed() {
    let server = Running::start(limited(4096)).await;
    let headers = sign(Scheme::hmac_sha256(), SECRET, BODY);
    let res = request(server.url("/webhooks"), headers)
        .body(BODY)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-scheme"], "hmac-sha256");
    assert_eq!(
        status_and_body(res).await,
        (200, String::from_utf8(BODY.to_vec()).unwrap())
    );
    server.stop().await;
}

#[actix_web::test]
async fn tampered_delivery_over_a_socket_gets_401_json() {
    let server = Running::start(limited(4096)).await;
    let headers = sign(Scheme::hmac_sha256(), SECRET, BODY);
    let res = request(server.url("/webhooks"), headers)
        .body(&b"{\"event\":\"user.deleted\"}"[..])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(
        status_and_body(res).await,
        (
            401,
            r#"{"error":"no signature matches the body"}"#.to_owned()
        )
    );
    server.stop().await;
}

#[actix_web::test]
async fn chunked_delivery_is_verified_whole_and_echoed() {
    let server = Running::start(limited(4096)).await;
    let headers = sign(Scheme::hmac_sha256(), SECRET, BODY);
    let chunks: Vec<Result<Bytes, Infallible>> = BODY
        .chunks(9)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    for path in ["/webhooks", "/extract"] {
        let res = request(server.url(path), headers.clone())
            .body(reqwest::Body::wrap_stream(stream::iter(chunks.clone())))
            .send()
            .await
            .unwrap();
        assert_eq!(
            status_and_body(res).await,
            (200, String::from_utf8(BODY.to_vec()).unwrap()),
            "{path}"
        );
    }
    server.stop().await;
}

#[actix_web::test]
async fn chunked_delivery_over_the_limit_gets_413() {
    let server = Running::start(limited(1024)).await;
    let body = vec![b'x'; 4096];
    let headers = sign(Scheme::hmac_sha256(), SECRET, &body);
    for path in ["/webhooks", "/extract"] {
        let chunks: Vec<Result<Bytes, Infallible>> = body
            .chunks(512)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let res = request(server.url(path), headers.clone())
            .body(reqwest::Body::wrap_stream(stream::iter(chunks)))
            .send()
            .await
            .unwrap();
        assert_eq!(
            status_and_body(res).await,
            (
                413,
                r#"{"error":"body exceeds the 1024-byte limit"}"#.to_owned()
            ),
            "{path}"
        );
    }
    server.stop().await;
}

#[actix_web::test]
async fn content_length_over_the_limit_gets_413_before_the_body_is_sent() {
    let server = Running::start(limited(1024)).await;
    for path in ["/webhooks", "/extract"] {
        // Declares 10 MiB, sends 1 KiB, then never sends more: only an answer given without
        // reading the body can arrive.
        let first: Vec<Result<Bytes, Infallible>> = vec![Ok(Bytes::from(vec![b'x'; 1024]))];
        let stalled = stream::iter(first).chain(stream::pending());
        let headers = vec![
            ("content-length".to_owned(), (10 * 1024 * 1024).to_string()),
            (
                "X-Webhook-Signature".to_owned(),
                format!("sha256={}", "0".repeat(64)),
            ),
        ];
        let sent = request(server.url(path), headers)
            .body(reqwest::Body::wrap_stream(stalled))
            .send();
        let res = tokio::time::timeout(Duration::from_secs(10), sent)
            .await
            .expect("no answer while the body was still pending")
            .unwrap();
        assert_eq!(
            status_and_body(res).await,
            (
                413,
                r#"{"error":"body exceeds the 1024-byte limit"}"#.to_owned()
            ),
            "{path}"
        );
    }
    server.stop().await;
}

#[actix_web::test]
async fn standard_webhooks_delivery_over_a_socket_reports_its_id() {
    let verifier = Verifier::new(Scheme::standard(), STANDARD_SECRET).unwrap();
    let server = Running::start(verifier).await;
    let headers = sign(Scheme::standard(), STANDARD_SECRET, BODY);
    let res = request(server.url("/webhooks"), headers)
        .body(BODY)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-webhook-id"], "msg_1");
    server.stop().await;
}
