//! The middleware through `actix_web::test`: what is accepted, what is refused with which status
//! and error body, and what the handler receives.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::dev::{Service, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{App, HttpMessage as _, HttpResponse, test, web};
use serde::Deserialize;
use support::*;
use webhook_actix::VerifyWebhook;
use webhook_verify::{Scheme, Verified, Verifier};

fn verifier() -> Verifier {
    Verifier::new(Scheme::hmac_sha256(), SECRET).unwrap()
}

/// `POST /webhooks` behind the middleware (on the resource), echoing the verified bytes.
async fn service(
    verifier: Verifier,
) -> impl Service<
    actix_http::Request,
    Response = ServiceResponse<impl actix_web::body::MessageBody>,
    Error = actix_web::Error,
> {
    test::init_service(
        App::new().service(
            web::resource("/webhooks")
                .wrap(VerifyWebhook::new(verifier))
                .route(web::post().to(echo)),
        ),
    )
    .await
}

/// Like [`service`], counting the handler's calls.
async fn counting_service(
    verifier: Verifier,
    calls: Arc<AtomicUsize>,
) -> impl Service<
    actix_http::Request,
    Response = ServiceResponse<impl actix_web::body::MessageBody>,
    Error = actix_web::Error,
> {
    test::init_service(
        App::new().app_data(web::Data::from(calls)).service(
            web::resource("/webhooks")
                .wrap(VerifyWebhook::new(verifier))
                .route(web::post().to(
                    |calls: web::Data<AtomicUsize>, body: web::Bytes| async move {
                        calls.fetch_add(1, Ordering::SeqCst);
                        HttpResponse::Ok().body(body)
                    },
                )),
        ),
    )
    .await
}

#[actix_web::test]
async fn valid_delivery_reaches_handler_with_the_same_bytes() {
    let app = service(verifier()).await;
    let req = post("/webhooks", sign(Scheme::hmac_sha256(), SECRET, BODY), BODY);
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(header(&res, "x-scheme"), "hmac-sha256");
    assert_eq!(header(&res, "x-secret-index"), "0");
    assert_eq!(
        answer(res).await,
        (200, String::from_utf8(BODY.to_vec()).unwrap())
    );
}

#[actix_web::test]
async fn tampered_body_gets_401_and_never_reaches_handler() {
    let calls = Arc::new(AtomicUsize::new(0));
    let app = counting_service(verifier(), Arc::clone(&calls)).await;
    let headers = sign(Scheme::hmac_sha256(), SECRET, BODY);
    let tampered = BODY
        .to_vec()
        .into_iter()
        .map(|b| if b == b'1' { b'2' } else { b })
        .collect::<Vec<_>>();
    let res = test::call_service(&app, post("/webhooks", headers, &tampered).to_request()).await;
    assert_eq!(
        answer(res).await,
        (
            401,
            r#"{"error":"no signature matches the body"}"#.to_owned()
        )
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[actix_web::test]
async fn signature_from_another_secret_gets_401() {
    let app = service(verifier()).await;
    let req = post(
        "/webhooks",
        sign(Scheme::hmac_sha256(), "not-the-secret", BODY),
        BODY,
    );
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(
        answer(res).await,
        (
            401,
            r#"{"error":"no signature matches the body"}"#.to_owned()
        )
    );
}

#[actix_web::test]
async fn missing_signature_header_gets_401_naming_the_header() {
    let app = service(verifier()).await;
    let res = test::call_service(&app, post("/webhooks", vec![], BODY).to_request()).await;
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "application/json"
    );
    assert_eq!(
        answer(res).await,
        (
            401,
            r#"{"error":"missing header X-Webhook-Signature"}"#.to_owned()
        )
    );
}

#[actix_web::test]
async fn malformed_signature_gets_401() {
    let app = service(verifier()).await;
    let headers = vec![("X-Webhook-Signature".to_owned(), "sha256=zz".to_owned())];
    let res = test::call_service(&app, post("/webhooks", headers, BODY).to_request()).await;
    let (status, body) = answer(res).await;
    assert_eq!(status, 401);
    assert!(body.starts_with(r#"{"error":""#), "{body}");
    assert!(body.contains("X-Webhook-Signature"), "{body}");
}

#[actix_web::test]
async fn rejects_timestamp_301_seconds_old() {
    let verifier = Verifier::new(Scheme::standard(), STANDARD_SECRET).unwrap();
    let app = service(verifier).await;
    let headers = sign_at(Scheme::standard(), STANDARD_SECRET, now() - 301, BODY);
    let res = test::call_service(&app, post("/webhooks", headers, BODY).to_request()).await;
    assert_eq!(
        answer(res).await,
        (
            401,
            r#"{"error":"timestamp is older than the 300 s tolerance"}"#.to_owned()
        )
    );
}

#[actix_web::test]
async fn content_length_over_the_limit_gets_413_without_calling_handler() {
    let calls = Arc::new(AtomicUsize::new(0));
    let verifier = Verifier::builder(Scheme::hmac_sha256())
        .secret(SECRET)
        .body_limit(64)
        .build()
        .unwrap();
    let app = counting_service(verifier, Arc::clone(&calls)).await;
    let body = vec![b'x'; 65];
    let req = post(
        "/webhooks",
        sign(Scheme::hmac_sha256(), SECRET, &body),
        &body,
    );
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(
        answer(res).await,
        (
            413,
            r#"{"error":"body exceeds the 64-byte limit"}"#.to_owned()
        )
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[actix_web::test]
async fn content_length_over_the_limit_is_refused_on_the_header_alone() {
    // The body itself is small and correctly signed: only the declared length can refuse it.
    let verifier = Verifier::builder(Scheme::hmac_sha256())
        .secret(SECRET)
        .body_limit(64)
        .build()
        .unwrap();
    let app = service(verifier).await;
    let req = post(
        "/webhooks",
        sign(Scheme::hmac_sha256(), SECRET, b"{}"),
        b"{}",
    )
    .insert_header(("content-length", "10485760"));
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(
        answer(res).await,
        (
            413,
            r#"{"error":"body exceeds the 64-byte limit"}"#.to_owned()
        )
    );
}

#[actix_web::test]
async fn streamed_body_over_the_limit_gets_413_without_content_length() {
    let calls = Arc::new(AtomicUsize::new(0));
    let verifier = Verifier::builder(Scheme::hmac_sha256())
        .secret(SECRET)
        .body_limit(64)
        .build()
        .unwrap();
    let app = counting_service(verifier, Arc::clone(&calls)).await;
    let body = vec![b'x'; 100];
    let req = post_streamed(
        "/webhooks",
        sign(Scheme::hmac_sha256(), SECRET, &body),
        chunks_of(&body, 10),
    );
    assert!(req.headers().get("content-length").is_none());
    let res = test::call_service(&app, req).await;
    assert_eq!(
        answer(res).await,
        (
            413,
            r#"{"error":"body exceeds the 64-byte limit"}"#.to_owned()
        )
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[actix_web::test]
async fn body_exactly_at_the_limit_is_accepted() {
    let verifier = Verifier::builder(Scheme::hmac_sha256())
        .secret(SECRET)
        .body_limit(64)
        .build()
        .unwrap();
    let app = service(verifier).await;
    let body = vec![b'x'; 64];
    let req = post(
        "/webhooks",
        sign(Scheme::hmac_sha256(), SECRET, &body),
        &body,
    );
    let (status, echoed) = answer(test::call_service(&app, req.to_request()).await).await;
    assert_eq!((status, echoed.len()), (200, 64));
}

#[actix_web::test]
async fn body_in_many_chunks_is_verified_whole_and_handed_on() {
    let app = service(verifier()).await;
    let req = post_streamed(
        "/webhooks",
        sign(Scheme::hmac_sha256(), SECRET, BODY),
        chunks_of(BODY, 7),
    );
    let res = test::call_service(&app, req).await;
    assert_eq!(
        answer(res).await,
        (200, String::from_utf8(BODY.to_vec()).unwrap())
    );
}

#[actix_web::test]
async fn body_that_fails_mid_stream_gets_400() {
    let calls = Arc::new(AtomicUsize::new(0));
    let app = counting_service(verifier(), Arc::clone(&calls)).await;
    let mut chunks = chunks_of(BODY, 10);
    chunks.truncate(2);
    chunks.push(Err(PayloadError::Incomplete(None)));
    let req = post_streamed(
        "/webhooks",
        sign(Scheme::hmac_sha256(), SECRET, BODY),
        chunks,
    );
    let res = test::call_service(&app, req).await;
    assert_eq!(
        answer(res).await,
        (
            400,
            r#"{"error":"request body could not be read"}"#.to_owned()
        )
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[actix_web::test]
async fn signed_empty_body_is_accepted_and_handed_on_empty() {
    let app = service(verifier()).await;
    let req = post("/webhooks", sign(Scheme::hmac_sha256(), SECRET, b""), b"");
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(answer(res).await, (200, String::new()));
}

#[actix_web::test]
async fn unsigned_empty_body_gets_401() {
    let app = service(verifier()).await;
    let res = test::call_service(&app, post("/webhooks", vec![], b"").to_request()).await;
    assert_eq!(
        answer(res).await,
        (
            401,
            r#"{"error":"missing header X-Webhook-Signature"}"#.to_owned()
        )
    );
}

#[actix_web::test]
async fn non_utf8_body_is_verified_over_its_raw_bytes() {
    let app = service(verifier()).await;
    let body = [0xff, 0xfe, 0x00, 0x80, b'{', 0xc3];
    let req = post(
        "/webhooks",
        sign(Scheme::hmac_sha256(), SECRET, &body),
        &body,
    );
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(test::read_body(res).await, &body[..]);
}

#[actix_web::test]
async fn second_of_two_secrets_matches_with_secret_index_1() {
    let verifier = Verifier::builder(Scheme::hmac_sha256())
        .secrets(["new-secret", "old-secret"])
        .build()
        .unwrap();
    let app = service(verifier).await;
    let req = post(
        "/webhooks",
        sign(Scheme::hmac_sha256(), "old-secret", BODY),
        BODY,
    );
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "x-secret-index"), "1");
}

#[actix_web::test]
async fn header_repeated_with_different_values_gets_401() {
    let app = service(verifier()).await;
    let mut req = post("/webhooks", sign(Scheme::hmac_sha256(), SECRET, BODY), BODY).to_request();
    req.headers_mut().append(
        HeaderName::from_static("x-webhook-signature"),
        HeaderValue::from_str(&format!("sha256={}", "0".repeat(64))).unwrap(),
    );
    let res = test::call_service(&app, req).await;
    assert_eq!(
        answer(res).await,
        (
            401,
            r#"{"error":"header X-Webhook-Signature appears more than once with different values"}"#
                .to_owned()
        )
    );
}

/// Each scheme's delivery, signed now with `secret`, goes through; the answer carries the
/// scheme's name and id.
async fn accepts(scheme: Scheme, secret: &str) -> (String, String, String) {
    let name = scheme.name().to_owned();
    let app = service(Verifier::new(scheme.clone(), secret).unwrap()).await;
    let req = post("/webhooks", sign(scheme, secret, BODY), BODY);
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(res.status(), 200, "{name}");
    (
        header(&res, "x-scheme"),
        header(&res, "x-webhook-id"),
        header(&res, "x-timestamp"),
    )
}

#[actix_web::test]
async fn accepts_hmac_sha256_delivery() {
    let (scheme, _, _) = accepts(Scheme::hmac_sha256(), SECRET).await;
    assert_eq!(scheme, "hmac-sha256");
}

#[actix_web::test]
async fn accepts_standard_webhooks_delivery_with_its_id_and_timestamp() {
    let (scheme, id, timestamp) = accepts(Scheme::standard(), STANDARD_SECRET).await;
    assert_eq!((scheme.as_str(), id.as_str()), ("standard", "msg_1"));
    let timestamp: i64 = timestamp.parse().unwrap();
    assert!((now() - timestamp).abs() < 60);
}

#[actix_web::test]
async fn accepts_stripe_delivery_with_its_timestamp() {
    let (scheme, _, timestamp) = accepts(Scheme::stripe(), "whsec_test_secret").await;
    assert_eq!(scheme, "stripe");
    assert_ne!(timestamp, "-");
}

#[actix_web::test]
async fn accepts_github_delivery() {
    let (scheme, _, _) = accepts(Scheme::github(), "It's a Secret to Everybody").await;
    assert_eq!(scheme, "github");
}

#[actix_web::test]
async fn accepts_slack_delivery() {
    let (scheme, _, _) = accepts(Scheme::slack(), "8f742231b10e8888abcd99yyyzzz85a5").await;
    assert_eq!(scheme, "slack");
}

#[actix_web::test]
async fn accepts_shopify_delivery() {
    let (scheme, _, _) = accepts(Scheme::shopify(), "shopify-secret").await;
    assert_eq!(scheme, "shopify");
}

#[derive(Deserialize)]
struct Notification {
    event: String,
    data: serde_json::Value,
}

#[actix_web::test]
async fn json_handler_gets_the_verified_body_parsed() {
    let app = test::init_service(
        App::new().service(
            web::resource("/webhooks")
                .wrap(VerifyWebhook::new(verifier()))
                .route(web::post().to(|n: web::Json<Notification>| async move {
                    HttpResponse::Ok().body(format!("{} {}", n.event, n.data["id"]))
                })),
        ),
    )
    .await;
    let req = post("/webhooks", sign(Scheme::hmac_sha256(), SECRET, BODY), BODY);
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(
        answer(res).await,
        (200, r#"user.created "user_123""#.to_owned())
    );
}

#[actix_web::test]
async fn string_handler_gets_the_verified_body_as_text() {
    let app = test::init_service(
        App::new().service(
            web::resource("/webhooks")
                .wrap(VerifyWebhook::new(verifier()))
                .route(web::post().to(|text: String| async move { text.to_uppercase() })),
        ),
    )
    .await;
    let req = post(
        "/webhooks",
        sign(Scheme::hmac_sha256(), SECRET, b"hello"),
        b"hello",
    );
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(answer(res).await, (200, "HELLO".to_owned()));
}

#[actix_web::test]
async fn string_handler_refuses_verified_non_utf8_body_after_verification() {
    let app = test::init_service(
        App::new().service(
            web::resource("/webhooks")
                .wrap(VerifyWebhook::new(verifier()))
                .route(web::post().to(|text: String| async move { text })),
        ),
    )
    .await;
    let body = [0xff, 0xfe];
    // Unsigned: refused by the middleware (401) before the extractor looks at the text.
    let res = test::call_service(&app, post("/webhooks", vec![], &body).to_request()).await;
    assert_eq!(res.status(), 401);
    // Signed: verified, then the `String` extractor refuses it as actix-web does (400).
    let req = post(
        "/webhooks",
        sign(Scheme::hmac_sha256(), SECRET, &body),
        &body,
    );
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(res.status(), 400);
}

#[actix_web::test]
async fn verified_body_over_actix_default_extractor_limit_reaches_bytes_handler() {
    // actix-web's `web::Bytes` refuses bodies over 256 KiB by default; the verifier allows 2 MiB.
    let app = service(verifier()).await;
    let body = vec![b'a'; 300 * 1024];
    let req = post(
        "/webhooks",
        sign(Scheme::hmac_sha256(), SECRET, &body),
        &body,
    );
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(test::read_body(res).await.len(), body.len());
}

#[actix_web::test]
async fn payload_config_set_by_the_app_is_left_alone() {
    let app = test::init_service(
        App::new().app_data(web::PayloadConfig::new(1024)).service(
            web::resource("/webhooks")
                .wrap(VerifyWebhook::new(verifier()))
                .route(web::post().to(echo)),
        ),
    )
    .await;
    let body = vec![b'a'; 300 * 1024];
    let req = post(
        "/webhooks",
        sign(Scheme::hmac_sha256(), SECRET, &body),
        &body,
    );
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(
        res.status(),
        413,
        "the app's own 1 KiB PayloadConfig applies"
    );
}

#[actix_web::test]
async fn wrap_on_app_verifies_every_route() {
    let app = test::init_service(
        App::new()
            .wrap(VerifyWebhook::new(verifier()))
            .route("/webhooks", web::post().to(echo))
            .route("/other", web::post().to(echo)),
    )
    .await;
    for uri in ["/webhooks", "/other"] {
        let res = test::call_service(&app, post(uri, vec![], BODY).to_request()).await;
        assert_eq!(res.status(), 401, "{uri}");
        let req = post(uri, sign(Scheme::hmac_sha256(), SECRET, BODY), BODY);
        let res = test::call_service(&app, req.to_request()).await;
        assert_eq!(res.status(), 200, "{uri}");
    }
}

#[actix_web::test]
async fn wrap_on_scope_verifies_only_the_scope() {
    let app = test::init_service(
        App::new()
            .service(
                web::scope("/webhooks")
                    .wrap(VerifyWebhook::new(verifier()))
                    .route("/orders", web::post().to(echo)),
            )
            .route("/health", web::post().to(|| async { "ok" })),
    )
    .await;
    let res = test::call_service(&app, post("/webhooks/orders", vec![], BODY).to_request()).await;
    assert_eq!(
        answer(res).await,
        (
            401,
            r#"{"error":"missing header X-Webhook-Signature"}"#.to_owned()
        )
    );
    let req = post(
        "/webhooks/orders",
        sign(Scheme::hmac_sha256(), SECRET, BODY),
        BODY,
    );
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(res.status(), 200);
    let res = test::call_service(&app, post("/health", vec![], b"").to_request()).await;
    assert_eq!(answer(res).await, (200, "ok".to_owned()));
}

#[actix_web::test]
async fn wrap_on_resource_verifies_only_the_resource() {
    let app = test::init_service(
        App::new()
            .service(
                web::resource("/webhooks")
                    .wrap(VerifyWebhook::new(verifier()))
                    .route(web::post().to(echo)),
            )
            .route(
                "/unverified",
                web::post().to(|body: web::Bytes| async move { body }),
            ),
    )
    .await;
    let res = test::call_service(&app, post("/webhooks", vec![], BODY).to_request()).await;
    assert_eq!(res.status(), 401);
    let res = test::call_service(&app, post("/unverified", vec![], BODY).to_request()).await;
    assert_eq!(res.status(), 200);
}

#[actix_web::test]
async fn verified_is_in_request_extensions_for_req_data() {
    let app = test::init_service(
        App::new().service(
            web::resource("/webhooks")
                .wrap(VerifyWebhook::new(
                    Verifier::new(Scheme::standard(), STANDARD_SECRET).unwrap(),
                ))
                .route(
                    web::post().to(|v: web::ReqData<Verified<'static>>| async move {
                        format!("{} {:?} {}", v.scheme, v.webhook_id, v.secret_index)
                    }),
                ),
        ),
    )
    .await;
    let req = post(
        "/webhooks",
        sign(Scheme::standard(), STANDARD_SECRET, BODY),
        BODY,
    );
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(
        answer(res).await,
        (200, r#"standard Some("msg_1") 0"#.to_owned())
    );
}
