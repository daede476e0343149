//! `paypal` and `sns` through the middleware and the extractor with the certificate fetcher
//! (feature `fetch`), on a real `HttpServer` against a local HTTPS provider host
//! (`webhook_testkit::ProviderServer`, test CA): the first delivery verifies (the certificate is
//! fetched before verifying, once per URL), and an SNS subscription is confirmed only when
//! enabled, without calling the handler.

use actix_web::{App, HttpServer, web};
use webhook_actix::fetch::CertificateFetcher;
use webhook_actix::{VerifyWebhook, Webhook};
use webhook_testkit::{
    CONFIRM_PATH, PAYPAL_CERT_PATH, PROVIDER_CA_PEM, PROVIDER_HOSTS, ProviderServer, SNS_CERT_PATH,
    now,
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

/// A server on 127.0.0.1:0: `/middleware` behind `VerifyWebhook`, `/extract` taking
/// `Webhook<web::Bytes>`; both answer `handler ran`. Returns its base URL.
fn receiver(verifier: Verifier) -> String {
    let data = web::Data::new(verifier.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .service(
                web::resource("/middleware")
                    .wrap(VerifyWebhook::new(verifier.clone()))
                    .route(web::post().to(|| async { "handler ran" })),
            )
            .route(
                "/extract",
                web::post().to(|_: Webhook<web::Bytes>| async { "handler ran" }),
            )
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = server.addrs()[0];
    actix_web::rt::spawn(server.run());
    format!("http://{addr}")
}

async fn send(url: &str, headers: &[(String, String)], body: Vec<u8>) -> (u16, String) {
    let mut request = reqwest::Client::new().post(url).body(body);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

fn signed(scheme: Scheme, secret: &str, id: &str, body: &[u8]) -> (Vec<(String, String)>, Vec<u8>) {
    let signed = Signer::new(scheme, secret)
        .unwrap()
        .sign_delivery(None, id, now(), body)
        .unwrap();
    (signed.headers, signed.body)
}

#[actix_web::test]
async fn the_first_delivery_verifies_and_each_certificate_is_fetched_once() {
    let server = ProviderServer::start().await;
    for (scheme, secret, path) in [
        (Scheme::sns(), TOPIC, SNS_CERT_PATH),
        (Scheme::paypal(), WEBHOOK_ID, PAYPAL_CERT_PATH),
    ] {
        let url = receiver(verifier(&server, scheme.clone(), false));
        for (i, route) in ["/middleware", "/extract", "/middleware", "/extract"]
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

#[actix_web::test]
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
        (false, "/middleware", 0),
        (false, "/extract", 0),
        (true, "/middleware", 1),
        (true, "/extract", 2),
    ] {
        let url = receiver(verifier(&server, Scheme::sns(), confirm));
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
