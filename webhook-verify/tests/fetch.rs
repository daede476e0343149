//! The certificate fetcher (`fetch` feature) against a local HTTPS server with a test CA: the
//! provider's host names resolve to it, so nothing reaches the internet.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use webhook_verify::fetch::CertificateFetcher;
use webhook_verify::{
    CertificateSource as _, Rejection, Scheme, Signer, TEST_CERTIFICATE_PEM, Verifier, VerifyError,
};

const CA: &str = include_str!("data/test-ca.pem");
const SNS_HOST: &str = "sns.us-east-1.amazonaws.com";
const PAYPAL_HOST: &str = "api.sandbox.paypal.com";
const SNS_URL: &str =
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-webhook-verify-test.pem";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:orders";

/// A local HTTPS server for the provider hosts (certificate from the test CA); counts the
/// requests it answers.
struct Server {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
}

/// What the server answers for a path: status line and body.
fn answer(path: &str) -> (&'static str, &'static str) {
    match path {
        "/SimpleNotificationService-webhook-verify-test.pem" => {
            ("200 OK", include_str!("data/sns-signing-cert.pem"))
        }
        "/v1/notifications/certs/CERT-webhook-verify-test" => {
            ("200 OK", include_str!("data/paypal-signing-cert.pem"))
        }
        "/not-issued-to-sns.pem" => ("200 OK", TEST_CERTIFICATE_PEM),
        "/moved.pem" => ("302 Found\r\nLocation: https://evil.example/c.pem", ""),
        _ => ("404 Not Found", ""),
    }
}

async fn start() -> Server {
    let certs = CertificateDer::pem_slice_iter(include_bytes!("data/tls-server.pem"))
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(include_bytes!("data/tls-server.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&requests);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, counted) = (acceptor.clone(), Arc::clone(&counted));
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && tls.read(&mut byte).await.unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head);
                let path = head.split(' ').nth(1).unwrap_or("/");
                counted.fetch_add(1, Ordering::SeqCst);
                let (status, body) = answer(path);
                let response = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    Server { addr, requests }
}

impl Server {
    fn fetcher(&self, scheme: Scheme) -> CertificateFetcher {
        CertificateFetcher::builder(scheme)
            .root_certificate(CA)
            .resolve(SNS_HOST, self.addr)
            .resolve(PAYPAL_HOST, self.addr)
            .resolve("evil.example", self.addr)
            .build()
            .unwrap()
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

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
    let server = start().await;
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
    let server = start().await;
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
    let server = start().await;
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
    let server = start().await;
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
    let server = start().await;
    // The built-in roots do not include the test CA: the TLS handshake fails.
    let fetcher = CertificateFetcher::builder(Scheme::sns())
        .resolve(SNS_HOST, server.addr)
        .build()
        .unwrap();
    assert!(fetcher.fetch(SNS_URL).await.is_err());
    assert_eq!(server.requests(), 0);
}

#[tokio::test]
async fn an_expired_cache_entry_is_fetched_again() {
    let server = start().await;
    let fetcher = CertificateFetcher::builder(Scheme::sns())
        .root_certificate(CA)
        .resolve(SNS_HOST, server.addr)
        .ttl(Duration::ZERO)
        .build()
        .unwrap();
    fetcher.fetch(SNS_URL).await.unwrap();
    fetcher.fetch(SNS_URL).await.unwrap();
    assert_eq!(server.requests(), 2);
    assert!(fetcher.certificate(SNS_URL).is_none());
}
