//! The dashboard router over a real socket, fed by the verify and idempotency layers.

mod common;

use axum::Router;
use axum::routing::post;
use common::{SECRET, post as deliver, sign, spawn};
use webhook_axum::{IdempotencyLayer, VerifyWebhookLayer};
use webhook_dashboard::{Dashboard, DeliveryLog};
use webhook_idempotency::IdempotencyGuard;
use webhook_verify::{Scheme, Verifier};

const TOKEN: &str = "dash-token-123";

async fn app() -> String {
    let log = DeliveryLog::new(100);
    let verifier = Verifier::builder(Scheme::hmac_sha256())
        .secret(SECRET)
        .recorder(log.clone())
        .build()
        .unwrap();
    let app = Router::new()
        .route("/webhooks", post(|| async { "ok" }))
        .route_layer(IdempotencyLayer::new(IdempotencyGuard::default()))
        .route_layer(VerifyWebhookLayer::new(verifier))
        .nest_service(
            "/_webhooks",
            webhook_axum::dashboard::router(Dashboard::new(log, TOKEN).unwrap()),
        );
    spawn(app).await
}

async fn get(url: &str, auth: Option<&str>) -> (u16, String) {
    let mut request = reqwest::Client::new().get(url);
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn refuses_without_or_with_a_wrong_token() {
    let base = app().await;
    let url = format!("{base}/_webhooks/");
    assert_eq!(get(&url, None).await.0, 401);
    assert_eq!(get(&url, Some("Bearer dash-token-12")).await.0, 401);
    assert_eq!(get(&url, Some("Basic dTp3cm9uZw==")).await.0, 401); // u:wrong
    let response = reqwest::get(&url).await.unwrap();
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    assert_eq!(get(&url, Some(&format!("Bearer {TOKEN}"))).await.0, 200);
    let basic = reqwest::Client::new()
        .get(&url)
        .basic_auth("anyone", Some(TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 200);
}

#[tokio::test]
async fn shows_accepted_duplicate_and_refused_deliveries_escaped() {
    let base = app().await;
    let hook = format!("{base}/webhooks");
    let body = br#"{"type":"user.created","name":"<script>alert(1)</script>"}"#;
    let headers = sign(body);
    assert_eq!(deliver(&hook, &headers, body).await.status, 200);
    assert_eq!(deliver(&hook, &headers, body).await.status, 200); // duplicate
    let forged = vec![(
        "x-webhook-signature".to_owned(),
        format!("sha256={}", "0".repeat(64)),
    )];
    assert_eq!(
        deliver(&hook, &forged, b"<script>x</script>").await.status,
        401
    );

    let bearer = format!("Bearer {TOKEN}");
    let (status, index) = get(&format!("{base}/_webhooks/"), Some(&bearer)).await;
    assert_eq!(status, 200);
    assert!(index.contains("<li id=accepted>1 accepted"), "{index}");
    assert!(index.contains("<li id=duplicate>1 duplicate"), "{index}");
    assert!(index.contains("<li id=refused>1 refused"), "{index}");
    assert!(index.contains("refused (signature)"), "{index}");
    assert!(!index.contains("<script>"), "{index}");

    // Newest first: 3 is the forgery, 1 the first delivery.
    let (status, page) = get(&format!("{base}/_webhooks/deliveries/1"), Some(&bearer)).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(
        page.contains("&quot;type&quot;: &quot;user.created&quot;"),
        "pretty JSON: {page}"
    );
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("x-webhook-signature"), "{page}");
    assert!(!page.contains(SECRET), "{page}");
    let (_, forged_page) = get(&format!("{base}/_webhooks/deliveries/3"), Some(&bearer)).await;
    assert!(
        forged_page.contains("no signature matches the body"),
        "{forged_page}"
    );
    assert!(
        forged_page.contains("&lt;script&gt;x&lt;/script&gt;"),
        "{forged_page}"
    );
    assert_eq!(
        get(&format!("{base}/_webhooks/deliveries/99"), Some(&bearer))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn a_body_that_is_not_utf8_is_shown_in_hex() {
    let base = app().await;
    let body = [0xff, 0x00, 0x3c];
    assert_eq!(
        deliver(&format!("{base}/webhooks"), &sign(&body), &body)
            .await
            .status,
        200
    );
    let (_, page) = get(
        &format!("{base}/_webhooks/deliveries/1"),
        Some(&format!("Bearer {TOKEN}")),
    )
    .await;
    assert!(page.contains("00000000  ff 00 3c"), "{page}");
}
