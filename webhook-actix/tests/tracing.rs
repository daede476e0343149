//! What the middleware and the extractor tell `tracing`: refusals with their reason (never a
//! secret or a signature), accepted deliveries with scheme, id and secret index. A test binary of
//! its own, so that other tests do not race these for tracing's per-callsite interest cache.

mod support;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::{App, HttpResponse, test, web};
use support::*;
use webhook_actix::{VerifyWebhook, Webhook};
use webhook_verify::{Scheme, Verifier};

/// `/webhooks` behind the middleware (its handler logs `handling`), `/extract` with the extractor.
async fn service(
    scheme: Scheme,
    secret: &str,
) -> impl Service<
    actix_http::Request,
    Response = ServiceResponse<impl actix_web::body::MessageBody>,
    Error = actix_web::Error,
> {
    let verifier = Verifier::new(scheme, secret).unwrap();
    test::init_service(
        App::new()
            .app_data(web::Data::new(verifier.clone()))
            .service(
                web::resource("/webhooks")
                    .wrap(VerifyWebhook::new(verifier))
                    .route(web::post().to(|| async {
                        tracing::info!("handling");
                        HttpResponse::Ok().finish()
                    })),
            )
            .route(
                "/extract",
                web::post().to(|webhook: Webhook<web::Bytes>| async move { webhook.payload }),
            ),
    )
    .await
}

#[actix_web::test]
async fn rejection_is_logged_with_its_reason_and_no_secret_or_signature() {
    let logs = CapturedLogs::start();
    let app = service(Scheme::hmac_sha256(), SECRET).await;
    let forged = sign(Scheme::hmac_sha256(), "forger-secret", BODY);
    let expected = sign(Scheme::hmac_sha256(), SECRET, BODY);
    for path in ["/webhooks", "/extract"] {
        let req = post(path, forged.clone(), BODY).to_request();
        assert_eq!(test::call_service(&app, req).await.status(), 401);
    }
    let text = logs.text();
    let rejected: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("webhook refused"))
        .collect();
    assert_eq!(rejected.len(), 2, "{text}");
    for line in rejected {
        assert!(line.contains("WARN"), "{line}");
        assert!(line.contains("status=401"), "{line}");
        assert!(line.contains("no signature matches the body"), "{line}");
    }
    assert!(!text.contains(SECRET), "secret logged: {text}");
    assert!(
        !text.contains(&expected[0].1),
        "expected signature logged: {text}"
    );
    assert!(
        !text.contains(&forged[0].1),
        "sent signature logged: {text}"
    );
}

#[actix_web::test]
async fn accepted_delivery_runs_the_handler_inside_a_webhook_span() {
    let logs = CapturedLogs::start();
    let app = service(Scheme::standard(), STANDARD_SECRET).await;
    let headers = sign(Scheme::standard(), STANDARD_SECRET, BODY);
    let res = test::call_service(&app, post("/webhooks", headers, BODY).to_request()).await;
    assert_eq!(res.status(), 200);
    let text = logs.text();
    let line = text
        .lines()
        .find(|line| line.contains("handling"))
        .unwrap_or_else(|| panic!("no handler event: {text}"));
    assert!(
        line.contains(r#"webhook{scheme="standard" webhook_id="msg_1" secret_index=0}"#),
        "{line}"
    );
}

#[actix_web::test]
async fn extractor_logs_the_accepted_delivery() {
    let logs = CapturedLogs::start();
    let app = service(Scheme::standard(), STANDARD_SECRET).await;
    let headers = sign(Scheme::standard(), STANDARD_SECRET, BODY);
    let res = test::call_service(&app, post("/extract", headers, BODY).to_request()).await;
    assert_eq!(res.status(), 200);
    let text = logs.text();
    let line = text
        .lines()
        .find(|line| line.contains("webhook verified"))
        .unwrap_or_else(|| panic!("no acceptance event: {text}"));
    assert!(
        line.contains(r#"webhook{scheme="standard" webhook_id="msg_1" secret_index=0}"#),
        "{line}"
    );
}

#[actix_web::test]
async fn signature_header_is_sensitive_inside_the_middleware() {
    // Every test here holds the capture: the binary shares one subscriber.
    let _logs = CapturedLogs::start();
    let app = test::init_service(
        App::new().service(
            web::resource("/webhooks")
                .wrap(VerifyWebhook::new(
                    Verifier::new(Scheme::hmac_sha256(), SECRET).unwrap(),
                ))
                .route(web::post().to(|req: actix_web::HttpRequest| async move {
                    format!("{:?}", req.headers())
                })),
        ),
    )
    .await;
    let headers = sign(Scheme::hmac_sha256(), SECRET, BODY);
    let res = test::call_service(&app, post("/webhooks", headers.clone(), BODY).to_request()).await;
    let (status, shown) = answer(res).await;
    assert_eq!(status, 200);
    assert!(shown.contains("Sensitive"), "{shown}");
    assert!(!shown.contains(&headers[0].1), "signature shown: {shown}");
}

#[actix_web::test]
async fn every_value_of_a_repeated_signature_header_is_sensitive() {
    // Every test here holds the capture: the binary shares one subscriber.
    let _logs = CapturedLogs::start();
    let app = test::init_service(
        App::new().service(
            web::resource("/webhooks")
                .wrap(VerifyWebhook::new(
                    Verifier::new(Scheme::hmac_sha256(), SECRET).unwrap(),
                ))
                .route(web::post().to(|req: actix_web::HttpRequest| async move {
                    format!("{:?}", req.headers())
                })),
        ),
    )
    .await;
    let headers = sign(Scheme::hmac_sha256(), SECRET, BODY);
    // The same signature twice is not ambiguous: accepted, and both copies hidden.
    let mut req = post("/webhooks", headers.clone(), BODY).to_request();
    req.headers_mut().append(
        actix_web::http::header::HeaderName::from_static("x-webhook-signature"),
        actix_web::http::header::HeaderValue::from_str(&headers[0].1).unwrap(),
    );
    let (status, shown) = answer(test::call_service(&app, req).await).await;
    assert_eq!(status, 200);
    assert_eq!(shown.matches("Sensitive").count(), 2, "{shown}");
    assert!(!shown.contains(&headers[0].1), "signature shown: {shown}");
}
