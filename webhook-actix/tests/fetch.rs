//! `paypal` and `sns` through the middleware and the extractor with the certificate fetcher
//! (feature `fetch`), on a real `HttpServer` against a local HTTPS provider host
//! (`webhook_testkit::ProviderServer`, test CA): the first delivery verifies (the certificate is
//! fetched before verifying, once per URL), and an SNS subscription is confirmed only when
//! enabled, without calling the handler.

use actix_web::{App, HttpServer, web};
use webhook_actix::{VerifyWebhook, Webhook};
use webhook_testkit::{
    CONFIRM_PATH, PAYPAL_CERT_PATH, ProviderServer, SNS_CERT_PATH, SNS_TOPIC, WEBHOOK_ID, sign_now,
    sns_subscription_confirmation,
};
use webhook_verify::{Scheme, Verifier};

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

#[actix_web::test]
async fn the_first_delivery_verifies_and_each_certificate_is_fetched_once() {
    let server = ProviderServer::start().await;
    for (scheme, secret, path) in [
        (Scheme::sns(), SNS_TOPIC, SNS_CERT_PATH),
        (Scheme::paypal(), WEBHOOK_ID, PAYPAL_CERT_PATH),
    ] {
        let url = receiver(server.verifier(scheme.clone(), false));
        for (i, route) in ["/middleware", "/extract", "/middleware", "/extract"]
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

#[actix_web::test]
async fn an_sns_subscription_is_confirmed_when_enabled_without_the_handler() {
    let server = ProviderServer::start().await;
    let message = sns_subscription_confirmation("t0ken");
    for (confirm, route, confirmations) in [
        (false, "/middleware", 0),
        (false, "/extract", 0),
        (true, "/middleware", 1),
        (true, "/extract", 2),
    ] {
        let url = receiver(server.verifier(Scheme::sns(), confirm));
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
