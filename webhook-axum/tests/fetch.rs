//! `paypal` and `sns` through the layer and the extractor with the certificate fetcher (feature
//! `fetch`), against a local HTTPS provider host (`webhook_testkit::ProviderServer`, test CA):
//! the first delivery verifies (the certificate is fetched before verifying, once per URL), and
//! an SNS subscription is confirmed only when enabled, without calling the handler.

mod common;

use axum::Router;
use axum::routing::post;
use bytes::Bytes;
use common::{now, send, spawn};
use webhook_axum::fetch::CertificateFetcher;
use webhook_axum::{VerifyWebhookLayer, Webhook};
use webhook_testkit::{
    CONFIRM_PATH, PAYPAL_CERT_PATH, PROVIDER_CA_PEM, PROVIDER_HOSTS, ProviderServer, SNS_CERT_PATH,
};
use webhook_verify::{Scheme, Signer, Verifier};

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:orders";
const WEBHOOK_ID: &str = "WH-1";

fn verifier(server: &ProviderServer, scheme: Scheme, confirm: bool) -> Verifier {
    let mut fetcher = CertificateFetcher::builder(scheme.clone()).root_certificate(PROVIDER_CA_PEM);
    for host in PROVIDER_HOSTS {
        fetcher = fetcher.resolve(host, server.addr());
    }
    let secret = if scheme.name() == "sns" {
        TOPIC
    } else {
        WEBHOOK_ID
    };
    Verifier::builder(scheme)
        .secret(secret)
        .certificates(fetcher.build().unwrap())
        .confirm_subscriptions(confirm)
        .build()
        .unwrap()
}

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

fn signed(scheme: Scheme, secret: &str, id: &str, body: &[u8]) -> (Vec<(String, String)>, Vec<u8>) {
    let signed = Signer::new(scheme, secret)
        .unwrap()
        .sign_delivery(None, id, now(), body)
        .unwrap();
    (signed.headers, signed.body)
}

#[tokio::test]
async fn the_first_delivery_verifies_and_each_certificate_is_fetched_once() {
    let server = ProviderServer::start().await;
    for (scheme, secret, path) in [
        (Scheme::sns(), TOPIC, SNS_CERT_PATH),
        (Scheme::paypal(), WEBHOOK_ID, PAYPAL_CERT_PATH),
    ] {
        let url = receiver(verifier(&server, scheme.clone(), false)).await;
        for (i, route) in ["/layer", "/extract", "/layer", "/extract"]
            .iter()
            .enumerate()
        {
            let (headers, body) = signed(scheme.clone(), secret, &format!("msg-{i}"), b"{}");
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
    let subscribe_url = format!(
        "https://{}{CONFIRM_PATH}&TopicArn={TOPIC}&Token=t0ken",
        PROVIDER_HOSTS[0]
    );
    let message = serde_json::json!({
        "Type": "SubscriptionConfirmation",
        "Token": "t0ken",
        "SubscribeURL": subscribe_url,
    })
    .to_string();
    for (confirm, route, confirmations) in [
        (false, "/layer", 0),
        (false, "/extract", 0),
        (true, "/layer", 1),
        (true, "/extract", 2),
    ] {
        let url = receiver(verifier(&server, Scheme::sns(), confirm)).await;
        let (headers, body) = signed(Scheme::sns(), TOPIC, "msg-c", message.as_bytes());
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
