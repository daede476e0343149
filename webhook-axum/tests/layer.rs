//! `VerifyWebhookLayer` over a real TCP socket.
mod common;

use std::convert::Infallible;

use axum::body::Body;
use axum::routing::post;
use axum::{Extension, Json, Router};
use bytes::Bytes;
use common::*;
use webhook_axum::{VerifyWebhook, VerifyWebhookLayer};
use webhook_verify::envelope::Envelope;
use webhook_verify::{Scheme, Verified, Verifier};

const LIMIT: usize = 1024;

fn verifier(scheme: Scheme, secrets: &[&str]) -> Verifier {
    Verifier::builder(scheme)
        .secrets(secrets.iter().copied())
        .body_limit(LIMIT)
        .build()
        .unwrap()
}

/// Echoes what reached the handler: scheme, which secret matched, and the body's bytes.
async fn echo(Extension(v): Extension<Verified<'static>>, body: Bytes) -> String {
    format!("{} #{} {:?}", v.scheme, v.secret_index, body.as_ref())
}

fn expected(scheme: &str, index: usize, body: &[u8]) -> String {
    format!("{scheme} #{index} {body:?}")
}

async fn server(scheme: Scheme, secrets: &[&str]) -> String {
    let app = Router::new()
        .route("/webhooks", post(echo))
        .layer(VerifyWebhookLayer::new(verifier(scheme, secrets)));
    format!("{}/webhooks", spawn(app).await)
}

async fn hmac_server() -> String {
    server(Scheme::hmac_sha256(), &[SECRET]).await
}

#[tokio::test]
async fn valid_signature_reaches_handler_with_same_bytes() {
    let url = hmac_server().await;
    let body = br#"{"id":"evt_abc123","type":"resource.created"}"#;
    assert_eq!(
        send(&url, &sign(body), &body[..]).await,
        (200, expected("hmac-sha256", 0, body))
    );
}

#[tokio::test]
async fn tampered_body_gets_401() {
    let url = hmac_server().await;
    let headers = sign(br#"{"amount":1}"#);
    assert_eq!(
        send(&url, &headers, r#"{"amount":9}"#).await,
        (401, error("no signature matches the body"))
    );
}

#[tokio::test]
async fn wrong_secret_gets_401() {
    let url = hmac_server().await;
    let headers = sign_at(Scheme::hmac_sha256(), "other-secret", now(), b"{}");
    assert_eq!(
        send(&url, &headers, "{}").await,
        (401, error("no signature matches the body"))
    );
}

#[tokio::test]
async fn missing_signature_header_gets_401() {
    let url = hmac_server().await;
    assert_eq!(
        send(&url, &[], "{}").await,
        (401, error("missing header X-Webhook-Signature"))
    );
}

#[tokio::test]
async fn timestamp_301_seconds_old_gets_401() {
    let url = server(Scheme::stripe(), &["whsec_stripe"]).await;
    let headers = sign_at(Scheme::stripe(), "whsec_stripe", now() - 301, b"{}");
    assert_eq!(
        send(&url, &headers, "{}").await,
        (401, error("timestamp is older than the 300 s tolerance"))
    );
}

#[tokio::test]
async fn body_of_exactly_the_limit_is_accepted() {
    let url = hmac_server().await;
    let body = vec![b'x'; LIMIT];
    assert_eq!(
        send(&url, &sign(&body), body.clone()).await,
        (200, expected("hmac-sha256", 0, &body))
    );
}

#[tokio::test]
async fn content_length_over_limit_gets_413_before_the_body_is_sent() {
    let url = hmac_server().await;
    // Only the head: the server must answer without waiting for a single body byte.
    let head = format!(
        "POST /webhooks HTTP/1.1\r\nhost: localhost\r\ncontent-length: {}\r\n\r\n",
        LIMIT + 1
    );
    assert_eq!(
        raw(&url, head.as_bytes()).await,
        (413, error("body exceeds the 1024-byte limit"))
    );
}

#[tokio::test]
async fn content_length_over_limit_with_body_gets_413() {
    let url = hmac_server().await;
    let body = vec![b'x'; LIMIT + 1];
    assert_eq!(
        send(&url, &sign(&body), body).await,
        (413, error("body exceeds the 1024-byte limit"))
    );
}

#[tokio::test]
async fn chunked_body_is_verified_over_all_chunks() {
    let url = hmac_server().await;
    let body = vec![b'y'; 700];
    let mut request = chunked_head(&sign(&body));
    request.extend(chunks(&body, 100, true));
    assert_eq!(
        raw(&url, &request).await,
        (200, expected("hmac-sha256", 0, &body))
    );
}

/// A raw `POST /webhooks` head with a `Content-Length` for `body`, `headers`, and `extra` lines.
fn head_for(body: &[u8], headers: &[(String, String)], extra: &str) -> Vec<u8> {
    let mut head = format!(
        "POST /webhooks HTTP/1.1\r\nhost: localhost\r\ncontent-length: {}\r\n{extra}",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

#[tokio::test]
async fn body_arriving_after_the_head_is_waited_for_then_verified() {
    // The layer finds no body when it is called, so it reads it in its future.
    let url = hmac_server().await;
    let body = br#"{"id":"evt_late"}"#;
    let pause = std::time::Duration::from_millis(150);
    assert_eq!(
        raw_late_body(&url, &head_for(body, &sign(body), ""), pause, body).await,
        (200, expected("hmac-sha256", 0, body))
    );
    let forged = br#"{"id":"evt_lat3"}"#;
    assert_eq!(
        raw_late_body(&url, &head_for(forged, &sign(body), ""), pause, forged).await,
        (401, error("no signature matches the body"))
    );
}

#[tokio::test]
async fn body_sent_after_100_continue_is_verified() {
    // hyper answers `100 Continue` only once the body is first polled: the layer must poll it
    // (and not wait for it to arrive by itself) for the delivery to go on.
    let url = hmac_server().await;
    let body = br#"{"id":"evt_continue"}"#;
    let head = head_for(body, &sign(body), "expect: 100-continue\r\n");
    assert_eq!(
        raw_expect_continue(&url, &head, body).await,
        (200, expected("hmac-sha256", 0, body))
    );
}

#[tokio::test]
async fn chunked_body_passing_limit_gets_413_without_waiting_for_the_rest() {
    let url = hmac_server().await;
    // No Content-Length; LIMIT + 1 bytes sent and the body left unfinished.
    let mut request = chunked_head(&sign(b"whatever"));
    request.extend(chunks(&vec![b'z'; LIMIT + 1], 100, false));
    assert_eq!(
        raw(&url, &request).await,
        (413, error("body exceeds the 1024-byte limit"))
    );
}

#[tokio::test]
async fn broken_chunked_encoding_gets_400() {
    let url = hmac_server().await;
    let mut request = chunked_head(&sign(b"{}"));
    request.extend_from_slice(b"zz\r\nnot a chunk\r\n");
    assert_eq!(
        raw(&url, &request).await,
        (400, error("request body could not be read"))
    );
}

#[tokio::test]
async fn signed_empty_body_is_accepted() {
    let url = hmac_server().await;
    assert_eq!(
        send(&url, &sign(b""), "").await,
        (200, expected("hmac-sha256", 0, b""))
    );
}

#[tokio::test]
async fn unsigned_empty_body_gets_401() {
    let url = hmac_server().await;
    assert_eq!(
        send(&url, &[], "").await,
        (401, error("missing header X-Webhook-Signature"))
    );
}

#[tokio::test]
async fn non_utf8_body_is_verified_as_raw_bytes() {
    let url = hmac_server().await;
    let body = [0xff, 0xfe, 0x00, 0xc3, 0x28];
    assert_eq!(
        send(&url, &sign(&body), body.to_vec()).await,
        (200, expected("hmac-sha256", 0, &body))
    );
}

#[tokio::test]
async fn second_of_two_secrets_matches_and_handler_sees_index_1() {
    let url = server(Scheme::hmac_sha256(), &["new-secret", "old-secret"]).await;
    let headers = sign_at(Scheme::hmac_sha256(), "old-secret", now(), b"{}");
    assert_eq!(
        send(&url, &headers, "{}").await,
        (200, expected("hmac-sha256", 1, b"{}"))
    );
    let headers = sign_at(Scheme::hmac_sha256(), "new-secret", now(), b"{}");
    assert_eq!(
        send(&url, &headers, "{}").await,
        (200, expected("hmac-sha256", 0, b"{}"))
    );
}

macro_rules! scheme_accepts_signed_and_refuses_tampered {
    ($($test:ident: $scheme:expr, $secret:expr;)*) => {$(
        #[tokio::test]
        async fn $test() {
            let url = server($scheme, &[$secret]).await;
            let body = br#"{"event":"user.created"}"#;
            let headers = sign_at($scheme, $secret, now(), body);
            assert_eq!(send(&url, &headers, &body[..]).await, (200, expected($scheme.name(), 0, body)));
            let (status, error) = send(&url, &headers, r#"{"event":"user.deleted"}"#).await;
            assert_eq!((status, error.as_str()), (401, r#"{"error":"no signature matches the body"}"#));
        }
    )*};
}

scheme_accepts_signed_and_refuses_tampered! {
    hmac_sha256_scheme_works: Scheme::hmac_sha256(), "hmac-secret";
    standard_scheme_works: Scheme::standard(), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    stripe_scheme_works: Scheme::stripe(), "whsec_stripe_secret";
    github_scheme_works: Scheme::github(), "It's a Secret to Everybody";
    slack_scheme_works: Scheme::slack(), "8f742231b10e8888abcd99yyyzzz85a5";
    shopify_scheme_works: Scheme::shopify(), "shopify-secret";
}

#[tokio::test]
async fn json_handler_behind_layer_parses_the_verified_body() {
    async fn handler(Json(event): Json<Envelope>) -> String {
        format!("{} {}", event.id().unwrap_or("-"), event.event_type())
    }
    let app = Router::new()
        .route("/webhooks", post(handler))
        .layer(VerifyWebhookLayer::new(verifier(
            Scheme::hmac_sha256(),
            &[SECRET],
        )));
    let url = format!("{}/webhooks", spawn(app).await);
    let body = br#"{"id":"evt_abc123","type":"resource.created","created_at":"2025-02-18T10:30:00Z","data":{"object":{}}}"#;
    let headers = [
        sign(body),
        vec![("content-type".into(), "application/json".into())],
    ]
    .concat();
    assert_eq!(
        send(&url, &headers, &body[..]).await,
        (200, "evt_abc123 resource.created".into())
    );
    // An unsigned body never reaches the JSON parser.
    assert_eq!(
        send(&url, &headers[1..], &body[..]).await,
        (401, error("missing header X-Webhook-Signature"))
    );
}

#[tokio::test]
async fn string_handler_behind_layer_gets_text_and_axum_refuses_signed_non_utf8() {
    let app = Router::new()
        .route("/webhooks", post(|body: String| async move { body }))
        .layer(VerifyWebhookLayer::new(verifier(
            Scheme::hmac_sha256(),
            &[SECRET],
        )));
    let url = format!("{}/webhooks", spawn(app).await);
    assert_eq!(
        send(&url, &sign(b"hello"), "hello").await,
        (200, "hello".into())
    );
    let (status, _) = send(&url, &sign(&[0xff]), vec![0xff]).await;
    assert_eq!(status, 400, "String's own rejection, after verification");
}

#[tokio::test]
async fn layer_verifies_unmatched_routes_but_route_layer_does_not() {
    let layer = VerifyWebhookLayer::new(verifier(Scheme::hmac_sha256(), &[SECRET]));
    let with_layer = spawn(
        Router::new()
            .route("/webhooks", post(echo))
            .layer(layer.clone()),
    )
    .await;
    let with_route_layer = spawn(
        Router::new()
            .route("/webhooks", post(echo))
            .route_layer(layer),
    )
    .await;
    let missing = (401, error("missing header X-Webhook-Signature"));
    assert_eq!(
        send(&format!("{with_layer}/other"), &[], "{}").await,
        missing
    );
    assert_eq!(
        send(&format!("{with_route_layer}/other"), &[], "{}").await,
        (404, String::new())
    );
    // Both verify the routed path.
    assert_eq!(
        send(&format!("{with_route_layer}/webhooks"), &[], "{}").await,
        missing
    );
    let ok = (200, expected("hmac-sha256", 0, b"{}"));
    assert_eq!(
        send(&format!("{with_route_layer}/webhooks"), &sign(b"{}"), "{}").await,
        ok
    );
}

async fn bare(request: http::Request<Body>) -> Result<String, Infallible> {
    let verified = request.extensions().get::<Verified<'static>>().cloned();
    let body = axum::body::to_bytes(request.into_body(), usize::MAX)
        .await
        .unwrap();
    Ok(format!(
        "{} {:?}",
        verified.map_or("unverified", |v| v.scheme),
        body.as_ref()
    ))
}

#[tokio::test]
async fn bare_tower_service_is_verified() {
    use axum::ServiceExt;
    let service = tower::ServiceBuilder::new()
        .layer(VerifyWebhookLayer::new(verifier(
            Scheme::hmac_sha256(),
            &[SECRET],
        )))
        .service_fn(bare);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            ServiceExt::<http::Request<Body>>::into_make_service(service),
        )
        .await
        .unwrap()
    });
    assert_eq!(
        send(&url, &sign(b"{}"), "{}").await,
        (200, "hmac-sha256 [123, 125]".into())
    );
    assert_eq!(
        send(&url, &[], "{}").await,
        (401, error("missing header X-Webhook-Signature"))
    );
}

#[tokio::test]
async fn bare_hyper_service_with_incoming_body_is_verified() {
    use hyper_util::rt::TokioIo;
    use hyper_util::service::TowerToHyperService;
    let service = VerifyWebhook::new(
        tower::service_fn(bare),
        verifier(Scheme::hmac_sha256(), &[SECRET]),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let service = TowerToHyperService::new(service.clone());
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service),
            );
        }
    });
    assert_eq!(
        send(&url, &sign(b"{}"), "{}").await,
        (200, "hmac-sha256 [123, 125]".into())
    );
    assert_eq!(
        send(&url, &sign(b"{}"), "{ }").await,
        (401, error("no signature matches the body"))
    );
    let body = vec![b'x'; LIMIT + 1];
    assert_eq!(
        send(&url, &sign(&body), body).await,
        (413, error("body exceeds the 1024-byte limit"))
    );
}

/// An inner service that counts its clones and checks tower's contract: the instance called is
/// the one `poll_ready` prepared (a clone starts unprepared).
struct Contract {
    clones: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    ready: bool,
}

impl Clone for Contract {
    fn clone(&self) -> Self {
        self.clones
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Self {
            clones: self.clones.clone(),
            ready: false,
        }
    }
}

impl tower::Service<http::Request<Body>> for Contract {
    type Response = String;
    type Error = Infallible;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<String, Infallible>> + Send>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        self.ready = true;
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        assert!(
            self.ready,
            "called an instance that poll_ready did not prepare"
        );
        self.ready = false;
        Box::pin(bare(request))
    }
}

/// A body that is not there at the first poll (it wakes the task at once), then is `data` in
/// one frame.
struct Late {
    data: Option<Bytes>,
    waited: bool,
}

impl Late {
    fn new(data: &'static [u8]) -> Self {
        Self {
            data: Some(Bytes::from_static(data)),
            waited: false,
        }
    }
}

impl http_body::Body for Late {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        if !self.waited {
            self.waited = true;
            cx.waker().wake_by_ref();
            return std::task::Poll::Pending;
        }
        std::task::Poll::Ready(
            self.data
                .take()
                .map(|data| Ok(http_body::Frame::data(data))),
        )
    }
}

/// Sends one signed request with `body` through the layer around a [`Contract`] service; the
/// response and how many times the inner service was cloned.
async fn through_contract<B>(body: B, signed: &[u8]) -> (http::StatusCode, String, usize)
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    use tower::ServiceExt;
    let clones = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let inner = Contract {
        clones: clones.clone(),
        ready: false,
    };
    let service = VerifyWebhook::new(inner, verifier(Scheme::hmac_sha256(), &[SECRET]));
    let mut request = http::Request::post("/webhooks").body(body).unwrap();
    for (name, value) in sign(signed) {
        request.headers_mut().insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    let response = service.oneshot(request).await.unwrap();
    let status = response.status();
    let text = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        String::from_utf8(text.to_vec()).unwrap(),
        clones.load(std::sync::atomic::Ordering::SeqCst),
    )
}

#[tokio::test]
async fn complete_body_calls_the_prepared_inner_service_without_cloning_it() {
    let (status, text, clones) = through_contract(Body::from("{}"), b"{}").await;
    assert_eq!(
        (status, text.as_str()),
        (http::StatusCode::OK, "hmac-sha256 [123, 125]")
    );
    assert_eq!(clones, 0);
}

#[tokio::test]
async fn late_body_calls_the_prepared_inner_service_after_reading() {
    let (status, text, clones) = through_contract(Late::new(b"{}"), b"{}").await;
    assert_eq!(
        (status, text.as_str()),
        (http::StatusCode::OK, "hmac-sha256 [123, 125]")
    );
    // The prepared instance goes into the future; one clone stays in the service.
    assert_eq!(clones, 1);
}

#[tokio::test]
async fn late_forged_body_is_refused_without_calling_the_inner_service() {
    let (status, text, _) = through_contract(Late::new(b"{ }"), b"{}").await;
    assert_eq!(
        (status, text),
        (
            http::StatusCode::UNAUTHORIZED,
            error("no signature matches the body")
        )
    );
}
