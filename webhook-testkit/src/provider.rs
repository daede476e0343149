//! [`ProviderServer`]: a local HTTPS server standing in for the certificate providers' hosts.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// The test CA (PEM) that issued [`ProviderServer`]'s TLS certificate: give it to a fetcher
/// (`CertificateFetcherBuilder::root_certificate`) instead of the Mozilla roots.
pub const PROVIDER_CA_PEM: &str = include_str!("../data/test-ca.pem");

/// The host names [`ProviderServer`]'s TLS certificate is issued to: resolve them to
/// [`ProviderServer::addr`] (`CertificateFetcherBuilder::resolve`).
pub const PROVIDER_HOSTS: [&str; 2] = ["sns.us-east-1.amazonaws.com", "api.sandbox.paypal.com"];

/// What `webhook_verify::Signer`'s `sns` deliveries name as their certificate, served here.
pub const SNS_CERT_PATH: &str = "/SimpleNotificationService-webhook-verify-test.pem";
/// What `webhook_verify::Signer`'s `paypal` deliveries name as their certificate, served here.
pub const PAYPAL_CERT_PATH: &str = "/v1/notifications/certs/CERT-webhook-verify-test";
/// An SNS `SubscribeURL`'s path: answered `200` (the subscription is confirmed).
pub const CONFIRM_PATH: &str = "/?Action=ConfirmSubscription";

/// The topic the adapters' SNS tests sign for and accept.
pub const SNS_TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:orders";
/// The webhook id the PayPal tests sign for and accept.
pub const WEBHOOK_ID: &str = "WH-1";

/// An SNS `SubscriptionConfirmation` body for `webhook_verify::Signer` to sign (see the `sns`
/// scheme), its `SubscribeURL` on this server's SNS host with `token`.
///
/// ```
/// let body = webhook_testkit::sns_subscription_confirmation("t0ken");
/// assert!(body.contains("ConfirmSubscription"));
/// ```
pub fn sns_subscription_confirmation(token: &str) -> String {
    let url = format!(
        "https://{}{CONFIRM_PATH}&TopicArn={SNS_TOPIC}&Token={token}",
        PROVIDER_HOSTS[0]
    );
    format!(r#"{{"Type":"SubscriptionConfirmation","Token":"{token}","SubscribeURL":"{url}"}}"#)
}

/// A local HTTPS server (on `127.0.0.1:0`, its certificate from [`PROVIDER_CA_PEM`] for
/// [`PROVIDER_HOSTS`]) serving the test signing certificates (issued to `sns.amazonaws.com` and
/// `api.paypal.com`, with the key of `webhook_verify::TEST_CERTIFICATE_PEM`), answering SNS
/// subscription confirmations, and recording the path of every request it answers. Stops
/// when the tokio runtime it was started on ends.
///
/// ```no_run
/// # async fn run() {
/// let server = webhook_testkit::ProviderServer::start().await;
/// // ... fetch https://sns.us-east-1.amazonaws.com/... resolved to server.addr() ...
/// assert_eq!(server.requests(), 1);
/// # }
/// ```
#[derive(Debug)]
pub struct ProviderServer {
    addr: SocketAddr,
    paths: Arc<Mutex<Vec<String>>>,
}

/// What the server answers for a path: status line and body.
fn answer(path: &str) -> (&'static str, &'static str) {
    match path {
        SNS_CERT_PATH => ("200 OK", include_str!("../data/sns-signing-cert.pem")),
        PAYPAL_CERT_PATH => ("200 OK", include_str!("../data/paypal-signing-cert.pem")),
        "/not-issued-to-sns.pem" => ("200 OK", webhook_verify::TEST_CERTIFICATE_PEM),
        "/moved.pem" => ("302 Found\r\nLocation: https://evil.example/c.pem", ""),
        _ if path.starts_with(CONFIRM_PATH) => ("200 OK", "<ConfirmSubscriptionResponse/>"),
        _ => ("404 Not Found", ""),
    }
}

impl ProviderServer {
    /// Starts the server on the current tokio runtime.
    pub async fn start() -> Self {
        let certs = CertificateDer::pem_slice_iter(include_bytes!("../data/tls-server.pem"))
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_else(|e| panic!("the test TLS certificate does not parse: {e}"));
        let key = PrivateKeyDer::from_pem_slice(include_bytes!("../data/tls-server.key"))
            .unwrap_or_else(|e| panic!("the test TLS key does not parse: {e}"));
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .and_then(|c| c.with_no_client_auth().with_single_cert(certs, key))
        .unwrap_or_else(|e| panic!("the test TLS configuration is refused: {e}"));
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("cannot bind 127.0.0.1:0: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("no local address: {e}"));
        let paths = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&paths);
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, recorded) = (acceptor.clone(), Arc::clone(&recorded));
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n")
                        && tls.read(&mut byte).await.unwrap_or(0) == 1
                    {
                        head.push(byte[0]);
                    }
                    let head = String::from_utf8_lossy(&head);
                    let path = head.split(' ').nth(1).unwrap_or("/").to_owned();
                    let (status, body) = answer(&path);
                    recorded
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(path);
                    let response = format!(
                        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = tls.write_all(response.as_bytes()).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        Self { addr, paths }
    }

    /// A certificate fetcher for `scheme` trusting only [`PROVIDER_CA_PEM`], with
    /// [`PROVIDER_HOSTS`] (and `evil.example`) resolved to this server (feature `fetch`).
    #[cfg(feature = "fetch")]
    pub fn fetcher(
        &self,
        scheme: webhook_verify::Scheme,
    ) -> webhook_verify::fetch::CertificateFetcher {
        let mut builder = webhook_verify::fetch::CertificateFetcher::builder(scheme)
            .root_certificate(PROVIDER_CA_PEM);
        for host in PROVIDER_HOSTS.into_iter().chain(["evil.example"]) {
            builder = builder.resolve(host, self.addr);
        }
        builder
            .build()
            .unwrap_or_else(|e| panic!("the test fetcher is refused: {e}"))
    }

    /// A verifier for `sns` (accepting [`SNS_TOPIC`]) or `paypal` ([`WEBHOOK_ID`]) fetching its
    /// certificates here, confirming SNS subscriptions when `confirm` (feature `fetch`).
    #[cfg(feature = "fetch")]
    pub fn verifier(
        &self,
        scheme: webhook_verify::Scheme,
        confirm: bool,
    ) -> webhook_verify::Verifier {
        let secret = if scheme.name() == "sns" {
            SNS_TOPIC
        } else {
            WEBHOOK_ID
        };
        webhook_verify::Verifier::builder(scheme.clone())
            .secret(secret)
            .certificates(self.fetcher(scheme))
            .confirm_subscriptions(confirm)
            .build()
            .unwrap_or_else(|e| panic!("the test verifier is refused: {e}"))
    }

    /// Where it listens: resolve [`PROVIDER_HOSTS`] here.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many requests it has answered.
    pub fn requests(&self) -> usize {
        self.paths().len()
    }

    /// How many requests for a path starting with `prefix` it has answered.
    pub fn requests_for(&self, prefix: &str) -> usize {
        self.paths()
            .iter()
            .filter(|p| p.starts_with(prefix))
            .count()
    }

    /// The path (and query) of every request answered, in order.
    pub fn paths(&self) -> Vec<String> {
        self.paths
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
