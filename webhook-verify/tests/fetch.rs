//! The certificate fetcher (`fetch` feature) against a local HTTPS server with a test CA: the
//! provider's host names resolve to it, so nothing reaches the internet.

use std::time::Duration;

use webhook_testkit::{CONFIRM_PATH, PROVIDER_CA_PEM, ProviderServer};
use webhook_verify::fetch::CertificateFetcher;
use webhook_verify::{
    CertificateSource as _, Received, Rejection, Scheme, Signer, Verifier, VerifyError,
};

const SNS_HOST: &str = "sns.us-east-1.amazonaws.com";
const SNS_URL: &str =
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-webhook-verify-test.pem";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:orders";

fn sns_delivery(id: &str) -> (Vec<(String, String)>, Vec<u8>) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let signed = Signer::new(Scheme::sns(), TOPIC)
        .unwrap()
        .sign_delivery(None, id, now, br#"{"order":42}"#)
        .unwrap();
    (signed.headers, signed.body)
}

#[tokio::test]
async fn an_sns_delivery_verifies_after_prepare_and_its_certificate_is_fetched_once() {
    let server = ProviderServer::start().await;
    let fetcher = server.fetcher(Scheme::sns());
    let verifier = Verifier::builder(Scheme::sns())
        .secret(TOPIC)
        .certificates(fetcher)
        .build()
        .unwrap();
    let (headers, body) = sns_delivery("msg-1");
    let before = verifier.verify(&headers, &body).unwrap_err();
    assert_eq!(before, VerifyError::CertificateUnavailable);
    let rejection = Rejection::from(before);
    assert_eq!(
        (rejection.status(), rejection.retry_after_secs()),
        (503, Some(10))
    );
    assert_eq!(server.requests(), 0, "verify itself fetches nothing");

    verifier.prepare(&headers, &body).await;
    let verified = verifier.verify(&headers, &body).unwrap();
    assert_eq!(verified.webhook_id.as_deref(), Some("msg-1"));
    for i in 2..5 {
        let (headers, body) = sns_delivery(&format!("msg-{i}"));
        verifier.prepare(&headers, &body).await;
        assert!(verifier.verify(&headers, &body).is_ok());
    }
    assert_eq!(server.requests(), 1, "fetched once while cached");
}

#[tokio::test]
async fn a_paypal_delivery_verifies_with_the_fetched_certificate() {
    let server = ProviderServer::start().await;
    let verifier = Verifier::builder(Scheme::paypal())
        .secret("WH-1")
        .certificates(server.fetcher(Scheme::paypal()))
        .allow_any_timestamp()
        .build()
        .unwrap();
    let headers = Signer::new(Scheme::paypal(), "WH-1")
        .unwrap()
        .sign("tx-1", 1_700_000_000, b"{}")
        .unwrap();
    verifier.prepare(&headers, b"{}").await;
    assert_eq!(verifier.verify(&headers, b"{}").unwrap().secret_index, 0);
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn urls_off_the_provider_hosts_are_refused_before_any_connection() {
    let server = ProviderServer::start().await;
    let fetcher = server.fetcher(Scheme::sns());
    for url in [
        "https://evil.example/SimpleNotificationService-webhook-verify-test.pem",
        "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-webhook-verify-test.pem",
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-webhook-verify-test.txt",
        "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-webhook-verify-test",
    ] {
        assert_eq!(
            fetcher.fetch(url).await.unwrap_err(),
            VerifyError::CertificateUnavailable,
            "{url}"
        );
    }
    assert_eq!(server.requests(), 0);
}

#[tokio::test]
async fn a_certificate_not_issued_to_the_provider_a_404_and_a_redirect_are_refused() {
    let server = ProviderServer::start().await;
    let fetcher = server.fetcher(Scheme::sns());
    for path in ["not-issued-to-sns.pem", "missing.pem", "moved.pem"] {
        let url = format!("https://{SNS_HOST}/{path}");
        assert!(fetcher.fetch(&url).await.is_err(), "{path}");
        assert!(fetcher.certificate(&url).is_none(), "{path}: not cached");
    }
    assert_eq!(server.requests(), 3, "the redirect was not followed");
}

#[tokio::test]
async fn a_server_outside_the_trusted_roots_is_refused() {
    let server = ProviderServer::start().await;
    // The built-in roots do not include the test CA: the TLS handshake fails.
    let fetcher = CertificateFetcher::builder(Scheme::sns())
        .resolve(SNS_HOST, server.addr())
        .build()
        .unwrap();
    assert!(fetcher.fetch(SNS_URL).await.is_err());
    assert_eq!(server.requests(), 0);
}

#[tokio::test]
async fn an_expired_cache_entry_is_fetched_again() {
    let server = ProviderServer::start().await;
    let fetcher = CertificateFetcher::builder(Scheme::sns())
        .root_certificate(PROVIDER_CA_PEM)
        .resolve(SNS_HOST, server.addr())
        .ttl(Duration::ZERO)
        .build()
        .unwrap();
    fetcher.fetch(SNS_URL).await.unwrap();
    fetcher.fetch(SNS_URL).await.unwrap();
    assert_eq!(server.requests(), 2);
    assert!(fetcher.certificate(SNS_URL).is_none());
}

/// An authentic SNS `kind` (a confirmation) whose `SubscribeURL` is `subscribe_url`.
fn sns_confirmation(kind: &str, subscribe_url: &str) -> (Vec<(String, String)>, Vec<u8>) {
    let message = serde_json::json!({
        "Type": kind,
        "Token": "2336412f37-secret-token",
        "SubscribeURL": subscribe_url,
    });
    let now = webhook_testkit::now();
    let signed = Signer::new(Scheme::sns(), TOPIC)
        .unwrap()
        .sign_delivery(None, "msg-c", now, message.to_string().as_bytes())
        .unwrap();
    (signed.headers, signed.body)
}

const SUBSCRIBE_URL: &str = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:123456789012:orders&Token=2336412f37-secret-token";

fn sns_verifier(server: &ProviderServer, confirm: bool) -> Verifier {
    server.verifier(Scheme::sns(), confirm)
}

fn is_handshake(received: Result<Received<'_>, VerifyError>) -> bool {
    let Ok(Received::Handshake(answer)) = received else {
        return false;
    };
    let bodies = [
        r#"{"received":"SubscriptionConfirmation"}"#,
        r#"{"received":"UnsubscribeConfirmation"}"#,
    ];
    answer.status == 200 && bodies.contains(&answer.body.as_str())
}

#[tokio::test]
async fn an_authentic_subscription_confirmation_is_confirmed_once_when_enabled() {
    let server = ProviderServer::start().await;
    let verifier = sns_verifier(&server, true);
    let (headers, body) = sns_confirmation("SubscriptionConfirmation", SUBSCRIBE_URL);
    verifier.prepare(&headers, &body).await;
    assert_eq!(server.requests_for(CONFIRM_PATH), 1, "{:?}", server.paths());
    assert_eq!(
        server.paths()[1],
        &SUBSCRIBE_URL["https://sns.us-east-1.amazonaws.com".len()..]
    );
    assert!(is_handshake(
        verifier.receive("POST", "/sns", &headers, &body)
    ));
}

#[tokio::test]
async fn a_subscription_is_not_confirmed_unless_enabled() {
    let server = ProviderServer::start().await;
    let verifier = sns_verifier(&server, false);
    let (headers, body) = sns_confirmation("SubscriptionConfirmation", SUBSCRIBE_URL);
    verifier.prepare(&headers, &body).await;
    // Answered 200 without the handler all the same; only the certificate was fetched.
    assert!(is_handshake(
        verifier.receive("POST", "/sns", &headers, &body)
    ));
    assert_eq!(server.paths(), [webhook_testkit::SNS_CERT_PATH]);
}

#[tokio::test]
async fn forged_off_host_and_unsubscribe_confirmations_are_not_followed() {
    let server = ProviderServer::start().await;
    let verifier = sns_verifier(&server, true);
    // Forged: the token changed after signing.
    let (headers, body) = sns_confirmation("SubscriptionConfirmation", SUBSCRIBE_URL);
    let forged = String::from_utf8(body)
        .unwrap()
        .replace("2336412f37", "2336412f38");
    verifier.prepare(&headers, forged.as_bytes()).await;
    assert_eq!(
        verifier
            .receive("POST", "/sns", &headers, forged.as_bytes())
            .unwrap_err(),
        VerifyError::NoMatchingSignature
    );
    // Authentic, but the SubscribeURL is not on an SNS host (or not https).
    for url in [
        "https://evil.example/?Action=ConfirmSubscription&Token=t",
        "http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=t",
    ] {
        let (headers, body) = sns_confirmation("SubscriptionConfirmation", url);
        verifier.prepare(&headers, &body).await;
        assert!(
            is_handshake(verifier.receive("POST", "/sns", &headers, &body)),
            "{url}"
        );
    }
    // An UnsubscribeConfirmation: 200, never followed.
    let (headers, body) = sns_confirmation("UnsubscribeConfirmation", SUBSCRIBE_URL);
    verifier.prepare(&headers, &body).await;
    assert!(is_handshake(
        verifier.receive("POST", "/sns", &headers, &body)
    ));
    assert_eq!(
        server.paths(),
        [webhook_testkit::SNS_CERT_PATH],
        "only the certificate"
    );
}

#[tokio::test]
async fn the_fetcher_confirms_only_on_sns_hosts() {
    let server = ProviderServer::start().await;
    let fetcher = server.fetcher(Scheme::sns());
    assert_eq!(
        fetcher
            .confirm("https://evil.example/?Action=ConfirmSubscription")
            .await,
        Err(VerifyError::SubscriptionNotConfirmed)
    );
    assert_eq!(server.requests(), 0);
    fetcher.confirm(SUBSCRIBE_URL).await.unwrap();
    assert_eq!(server.requests_for(CONFIRM_PATH), 1);
}
