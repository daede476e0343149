//! The `Webhook<E>` extractor over a real TCP socket: verifies first, then runs `E`.
mod common;

use axum::extract::FromRef;
use axum::routing::post;
use axum::{Json, Router};
use bytes::Bytes;
use common::*;
use serde::Deserialize;
use webhook_axum::Webhook;
use webhook_verify::{Scheme, Verifier};

const LIMIT: usize = 1024;

#[derive(Clone)]
struct AppState {
    verifier: Verifier,
}

impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}

#[derive(Deserialize)]
struct UserCreated {
    event: String,
    data: User,
}

#[derive(Deserialize)]
struct User {
    id: String,
}

async fn json(
    Webhook {
        payload: Json(event),
        verified,
    }: Webhook<Json<UserCreated>>,
) -> String {
    format!(
        "{} {} {} #{}",
        event.event, event.data.id, verified.scheme, verified.secret_index
    )
}

async fn bytes(Webhook { payload, verified }: Webhook<Bytes>) -> String {
    format!("{} {:?}", verified.scheme, payload.as_ref())
}

async fn text(Webhook { payload, .. }: Webhook<String>) -> String {
    payload
}

/// Routes `/json`, `/bytes` and `/text`, each verifying with the `Verifier` in the state.
async fn server(scheme: Scheme, secrets: &[&str]) -> String {
    let verifier = Verifier::builder(scheme)
        .secrets(secrets.iter().copied())
        .body_limit(LIMIT)
        .build()
        .unwrap();
    let app = Router::new()
        .route("/json", post(json))
        .route("/bytes", post(bytes))
        .route("/text", post(text))
        .with_state(AppState { verifier });
    spawn(app).await
}

const USER_CREATED: &[u8] =
    br#"{"event":"user.created","timestamp":"2023-06-20T14:15:30Z","data":{"id":"user_123"}}"#;

#[tokio::test]
async fn json_extractor_gets_verified_payload() {
    let url = server(Scheme::hmac_sha256(), &[SECRET]).await;
    let headers = [
        sign(USER_CREATED),
        vec![("content-type".into(), "application/json".into())],
    ]
    .concat();
    let reply = send(&format!("{url}/json"), &headers, USER_CREATED).await;
    assert_eq!(reply, (200, "user.created user_123 hmac-sha256 #0".into()));
}

#[tokio::test]
async fn bytes_extractor_gets_same_non_utf8_bytes() {
    let url = server(Scheme::hmac_sha256(), &[SECRET]).await;
    let body = [0xff, 0x00, 0xfe];
    let reply = send(&format!("{url}/bytes"), &sign(&body), body.to_vec()).await;
    assert_eq!(reply, (200, format!("hmac-sha256 {:?}", &body[..])));
}

#[tokio::test]
async fn string_extractor_gets_text() {
    let url = server(Scheme::hmac_sha256(), &[SECRET]).await;
    assert_eq!(
        send(&format!("{url}/text"), &sign(b"hello"), "hello").await,
        (200, "hello".into())
    );
}

#[tokio::test]
async fn extractor_reports_which_secret_matched() {
    let url = server(Scheme::github(), &["new", "old"]).await;
    let headers = [
        sign_at(Scheme::github(), "old", now(), USER_CREATED),
        vec![("content-type".into(), "application/json".into())],
    ]
    .concat();
    let reply = send(&format!("{url}/json"), &headers, USER_CREATED).await;
    assert_eq!(reply, (200, "user.created user_123 github #1".into()));
}

#[tokio::test]
async fn extractor_refuses_missing_header_with_401() {
    let url = server(Scheme::hmac_sha256(), &[SECRET]).await;
    let reply = send(&format!("{url}/bytes"), &[], "{}").await;
    assert_eq!(reply, (401, error("missing header X-Webhook-Signature")));
}

#[tokio::test]
async fn extractor_refuses_tampered_body_with_401_before_parsing_it() {
    let url = server(Scheme::hmac_sha256(), &[SECRET]).await;
    // Not even JSON: a parse-first extractor would answer 400/415, a verify-first one 401.
    let reply = send(&format!("{url}/json"), &sign(USER_CREATED), "not json").await;
    assert_eq!(reply, (401, error("no signature matches the body")));
}

#[tokio::test]
async fn extractor_refuses_wrong_secret_with_401() {
    let url = server(Scheme::hmac_sha256(), &[SECRET]).await;
    let headers = sign_at(Scheme::hmac_sha256(), "wrong", now(), b"{}");
    assert_eq!(
        send(&format!("{url}/bytes"), &headers, "{}").await,
        (401, error("no signature matches the body"))
    );
}

#[tokio::test]
async fn extractor_refuses_timestamp_301_seconds_old_with_401() {
    let url = server(Scheme::slack(), &["slack-secret"]).await;
    let headers = sign_at(Scheme::slack(), "slack-secret", now() - 301, b"{}");
    let reply = send(&format!("{url}/bytes"), &headers, "{}").await;
    assert_eq!(
        reply,
        (401, error("timestamp is older than the 300 s tolerance"))
    );
}

#[tokio::test]
async fn extractor_refuses_content_length_over_limit_with_413_before_reading() {
    let url = server(Scheme::hmac_sha256(), &[SECRET]).await;
    let head = format!(
        "POST /bytes HTTP/1.1\r\nhost: localhost\r\ncontent-length: {}\r\n\r\n",
        LIMIT + 1
    );
    assert_eq!(
        raw(&url, head.as_bytes()).await,
        (413, error("body exceeds the 1024-byte limit"))
    );
}

#[tokio::test]
async fn extractor_refuses_chunked_body_passing_limit_with_413() {
    let url = server(Scheme::hmac_sha256(), &[SECRET]).await;
    let mut request = chunked_head(&sign(b"x")).replace_path("/bytes");
    request.extend(chunks(&vec![b'z'; LIMIT + 1], 100, false));
    assert_eq!(
        raw(&url, &request).await,
        (413, error("body exceeds the 1024-byte limit"))
    );
}

#[tokio::test]
async fn extractor_accepts_valid_chunked_body() {
    let url = server(Scheme::hmac_sha256(), &[SECRET]).await;
    let body = vec![b'c'; 300];
    let mut request = chunked_head(&sign(&body)).replace_path("/bytes");
    request.extend(chunks(&body, 64, true));
    assert_eq!(
        raw(&url, &request).await,
        (200, format!("hmac-sha256 {body:?}"))
    );
}

#[tokio::test]
async fn extractor_refuses_broken_chunked_encoding_with_400() {
    let url = server(Scheme::hmac_sha256(), &[SECRET]).await;
    let mut request = chunked_head(&sign(b"{}")).replace_path("/bytes");
    request.extend_from_slice(b"zz\r\n");
    assert_eq!(
        raw(&url, &request).await,
        (400, error("request body could not be read"))
    );
}

#[tokio::test]
async fn extractor_accepts_signed_empty_body() {
    let url = server(Scheme::hmac_sha256(), &[SECRET]).await;
    assert_eq!(
        send(&format!("{url}/bytes"), &sign(b""), "").await,
        (200, "hmac-sha256 []".into())
    );
}

#[tokio::test]
async fn authentic_but_invalid_json_gets_the_json_extractors_rejection() {
    let url = server(Scheme::hmac_sha256(), &[SECRET]).await;
    let headers = [
        sign(b"{\"event\":1}"),
        vec![("content-type".into(), "application/json".into())],
    ]
    .concat();
    let (status, body) = send(&format!("{url}/json"), &headers, "{\"event\":1}").await;
    assert_eq!(status, 422);
    assert!(
        body.starts_with("Failed to deserialize the JSON body"),
        "{body}"
    );
}

#[tokio::test]
async fn authentic_non_utf8_body_gets_the_string_extractors_rejection() {
    let url = server(Scheme::hmac_sha256(), &[SECRET]).await;
    let (status, body) = send(&format!("{url}/text"), &sign(&[0xff]), vec![0xff]).await;
    assert_eq!(
        (status, body.as_str()),
        (
            400,
            "Request body didn't contain valid UTF-8: invalid utf-8 sequence of 1 bytes from index 0"
        )
    );
}

/// Rewrites the request line of a raw head built by `chunked_head`.
trait ReplacePath {
    fn replace_path(self, path: &str) -> Vec<u8>;
}

impl ReplacePath for Vec<u8> {
    fn replace_path(self, path: &str) -> Vec<u8> {
        String::from_utf8(self)
            .unwrap()
            .replacen("/webhooks", path, 1)
            .into_bytes()
    }
}
