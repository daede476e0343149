//! `paypal` and `sns` through the layer and the extractor with the certificate fetcher (feature
//! `fetch`), against a local HTTPS provider host (`webhook_testkit::ProviderServer`, test CA):
//! the first delivery verifies (the certificate is fetched before verifying, once per URL), and
//! an SNS subscription is confirmed only when enabled, without calling the handler.

mod common;

use axum::Router;
use axum::routing::post;
use bytes::Bytes;
use common::{send, spawn};
use webhook_axum::{VerifyWebhookLayer, Webhook};
use webhook_testkit::{
    CONFIRM_PATH, PAYPAL_CERT_PATH, ProviderServer, SNS_CERT_PATH, SNS_TOPIC, WEBHOOK_ID, sign_now,
    sns_subscription_confirmation,
};
use webhook_verify::{Scheme, Verifier};

/// `/layer` behind `VerifyWebhookLayer`, `/extract` taking `Webhook<Bytes>`; both answer
/// `handler ran`.
async fn receiver(verifier: Verifier) -> String {
    let app = Router::new()
        .route("/layer", post(|| async { "handler ran" }))
        .route_layer(VerifyWebhookLayer::new(verifier.clone()))
        .merge(
            Router::new()
                .route(
                    "/extract",
                    post(|_: Webhook<Bytes>| async { "handler ran" }),
                )
                .with_state(verifier),
        );
    spawn(app).await
}

#[tokio::test]
async fn the_first_delivery_verifies_and_each_certificate_is_fetched_once() {
    let server = ProviderServer::start().await;
    for (scheme, secret, path) in [
        (Scheme::sns(), SNS_TOPIC, SNS_CERT_PATH),
        (Scheme::paypal(), WEBHOOK_ID, PAYPAL_CERT_PATH),
    ] {
        let url = receiver(server.verifier(scheme.clone(), false)).await;
        for (i, route) in ["/layer", "/extract", "/layer", "/extract"]
            .iter()
            .enumerate()
        {
            let (headers, body) = sign_now(scheme.clone(), secret, &format!("msg-{i}"), b"{}");
            let answer = send(&format!("{url}{route}"), &headers, body).await;
            assert_eq!(
                answer,
                (200, "handler ran".into()),
                "{} {route}",
                scheme.name()
            );
        }
        assert_eq!(
            server.requests_for(path),
            1,
            "{}: fetched once",
            scheme.name()
        );
    }
}

#[tokio::test]
async fn an_sns_subscription_is_confirmed_when_enabled_without_the_handler() {
    let server = ProviderServer::start().await;
    let message = sns_subscription_confirmation("t0ken");
    for (confirm, route, confirmations) in [
        (false, "/layer", 0),
        (false, "/extract", 0),
        (true, "/layer", 1),
        (true, "/extract", 2),
    ] {
        let url = receiver(server.verifier(Scheme::sns(), confirm)).await;
        let (headers, body) = sign_now(Scheme::sns(), SNS_TOPIC, "msg-c", message.as_bytes());
        let answer = send(&format!("{url}{route}"), &headers, body).await;
        let received = r#"{"received":"SubscriptionConfirmation"}"#;
        assert_eq!(answer, (200, received.into()), "{route} confirm={confirm}");
        assert_eq!(
            server.requests_for(CONFIRM_PATH),
            confirmations,
            "{route} {confirm}"
        );
    }
}
