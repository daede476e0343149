//! The `Webhook<E>` extractor through `actix_web::test`: verify first, then the inner extractor.

mod support;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::TestRequest;
use actix_web::{App, HttpResponse, test, web};
use serde::Deserialize;
use support::*;
use webhook_actix::Webhook;
use webhook_verify::{Scheme, Verifier};

#[derive(Debug, Deserialize)]
struct Notification {
    event: String,
}

async fn json_handler(webhook: Webhook<web::Json<Notification>>) -> HttpResponse {
    with_verified(HttpResponse::Ok(), &webhook.verified).body(webhook.payload.event.clone())
}

async fn bytes_handler(webhook: Webhook<web::Bytes>) -> HttpResponse {
    with_verified(HttpResponse::Ok(), &webhook.verified).body(webhook.payload)
}

async fn string_handler(webhook: Webhook<String>) -> HttpResponse {
    with_verified(HttpResponse::Ok(), &webhook.verified).body(webhook.payload)
}

/// `/json`, `/bytes` and `/string` taking `Webhook<..>`, with `verifier` as `web::Data`.
async fn service(
    verifier: Verifier,
) -> impl Service<
    actix_http::Request,
    Response = ServiceResponse<impl actix_web::body::MessageBody>,
    Error = actix_web::Error,
> {
    test::init_service(
        App::new()
            .app_data(web::Data::new(verifier))
            .route("/json", web::post().to(json_handler))
            .route("/bytes", web::post().to(bytes_handler))
            .route("/string", web::post().to(string_handler)),
    )
    .await
}

fn verifier() -> Verifier {
    Verifier::new(Scheme::hmac_sha256(), SECRET).unwrap()
}

fn signed(uri: &str, body: &[u8]) -> TestRequest {
    post(uri, sign(Scheme::hmac_sha256(), SECRET, body), body)
}

#[actix_web::test]
async fn verified_json_reaches_handler_parsed() {
    let app = service(verifier()).await;
    let res = test::call_service(&app, signed("/json", BODY).to_request()).await;
    assert_eq!(header(&res, "x-scheme"), "hmac-sha256");
    assert_eq!(answer(res).await, (200, "user.created".to_owned()));
}

#[actix_web::test]
async fn verified_bytes_reach_handler_unchanged() {
    let app = service(verifier()).await;
    let body = [0x00, 0xff, 0x7b, 0x80];
    let res = test::call_service(&app, signed("/bytes", &body).to_request()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(test::read_body(res).await, &body[..]);
}

#[actix_web::test]
async fn verified_string_reaches_handler() {
    let app = service(verifier()).await;
    let res = test::call_service(&app, signed("/string", b"hello").to_request()).await;
    assert_eq!(answer(res).await, (200, "hello".to_owned()));
}

#[actix_web::test]
async fn tampered_body_gets_401() {
    let app = service(verifier()).await;
    let headers = sign(Scheme::hmac_sha256(), SECRET, BODY);
    let res = test::call_service(&app, post("/bytes", headers, b"{}").to_request()).await;
    assert_eq!(
        answer(res).await,
        (
            401,
            r#"{"error":"no signature matches the body"}"#.to_owned()
        )
    );
}

#[actix_web::test]
async fn missing_signature_gets_401() {
    let app = service(verifier()).await;
    let res = test::call_service(&app, post("/json", vec![], BODY).to_request()).await;
    assert_eq!(
        answer(res).await,
        (
            401,
            r#"{"error":"missing header X-Webhook-Signature"}"#.to_owned()
        )
    );
}

#[actix_web::test]
async fn unsigned_invalid_json_gets_401_not_a_parse_error() {
    // Verification comes first: the JSON extractor never sees unverified bytes.
    let app = service(verifier()).await;
    let res = test::call_service(&app, post("/json", vec![], b"{not json").to_request()).await;
    assert_eq!(
        answer(res).await,
        (
            401,
            r#"{"error":"missing header X-Webhook-Signature"}"#.to_owned()
        )
    );
}

#[actix_web::test]
async fn signed_invalid_json_gets_the_json_extractors_400() {
    let app = service(verifier()).await;
    let res = test::call_service(&app, signed("/json", b"{not json").to_request()).await;
    assert_eq!(res.status(), 400);
}

#[actix_web::test]
async fn rejects_timestamp_301_seconds_old() {
    let app = service(Verifier::new(Scheme::stripe(), "whsec_test").unwrap()).await;
    let headers = sign_at(Scheme::stripe(), "whsec_test", now() - 301, BODY);
    let res = test::call_service(&app, post("/json", headers, BODY).to_request()).await;
    assert_eq!(
        answer(res).await,
        (
            401,
            r#"{"error":"timestamp is older than the 300 s tolerance"}"#.to_owned()
        )
    );
}

#[actix_web::test]
async fn content_length_over_the_limit_gets_413() {
    let verifier = Verifier::builder(Scheme::hmac_sha256())
        .secret(SECRET)
        .body_limit(16)
        .build()
        .unwrap();
    let app = service(verifier).await;
    let res = test::call_service(&app, signed("/bytes", &[b'x'; 17]).to_request()).await;
    assert_eq!(
        answer(res).await,
        (
            413,
            r#"{"error":"body exceeds the 16-byte limit"}"#.to_owned()
        )
    );
}

#[actix_web::test]
async fn streamed_body_over_the_limit_gets_413() {
    let verifier = Verifier::builder(Scheme::hmac_sha256())
        .secret(SECRET)
        .body_limit(16)
        .build()
        .unwrap();
    let app = service(verifier).await;
    let body = [b'x'; 40];
    let req = post_streamed(
        "/bytes",
        sign(Scheme::hmac_sha256(), SECRET, &body),
        chunks_of(&body, 8),
    );
    let res = test::call_service(&app, req).await;
    assert_eq!(
        answer(res).await,
        (
            413,
            r#"{"error":"body exceeds the 16-byte limit"}"#.to_owned()
        )
    );
}

#[actix_web::test]
async fn chunked_body_is_verified_whole() {
    let app = service(verifier()).await;
    let req = post_streamed(
        "/json",
        sign(Scheme::hmac_sha256(), SECRET, BODY),
        chunks_of(BODY, 5),
    );
    let res = test::call_service(&app, req).await;
    assert_eq!(answer(res).await, (200, "user.created".to_owned()));
}

#[actix_web::test]
async fn second_of_two_secrets_matches_with_secret_index_1() {
    let verifier = Verifier::builder(Scheme::github())
        .secrets(["new-secret", "old-secret"])
        .build()
        .unwrap();
    let app = service(verifier).await;
    let headers = sign(Scheme::github(), "old-secret", BODY);
    let res = test::call_service(&app, post("/json", headers, BODY).to_request()).await;
    assert_eq!(header(&res, "x-secret-index"), "1");
    assert_eq!(answer(res).await, (200, "user.created".to_owned()));
}

#[actix_web::test]
async fn standard_webhooks_id_is_in_verified() {
    let app = service(Verifier::new(Scheme::standard(), STANDARD_SECRET).unwrap()).await;
    let headers = sign(Scheme::standard(), STANDARD_SECRET, BODY);
    let res = test::call_service(&app, post("/json", headers, BODY).to_request()).await;
    assert_eq!(header(&res, "x-webhook-id"), "msg_1");
    assert_eq!(header(&res, "x-scheme"), "standard");
}

#[actix_web::test]
async fn plain_verifier_in_app_data_is_accepted() {
    let app = test::init_service(
        App::new()
            .app_data(verifier())
            .route("/bytes", web::post().to(bytes_handler)),
    )
    .await;
    let res = test::call_service(&app, signed("/bytes", BODY).to_request()).await;
    assert_eq!(res.status(), 200);
}

#[actix_web::test]
async fn missing_verifier_gets_500_without_details() {
    let app = test::init_service(App::new().route("/bytes", web::post().to(bytes_handler))).await;
    let res = test::call_service(&app, signed("/bytes", BODY).to_request()).await;
    assert_eq!(
        answer(res).await,
        (
            500,
            r#"{"error":"webhook receiver is misconfigured"}"#.to_owned()
        )
    );
}
