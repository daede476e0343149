//! What the layer logs: reasons and spans, never signatures; signature headers marked sensitive.
mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::post;
use common::*;
use tower_http::trace::{DefaultMakeSpan, DefaultOnRequest, TraceLayer};
use tracing::Level;
use webhook_axum::VerifyWebhookLayer;
use webhook_verify::{Scheme, Verifier};

/// Captures everything logged on this thread (the tests run on a current-thread runtime, so the
/// server's tasks log here too).
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn install(&self) -> tracing::subscriber::DefaultGuard {
        let logs = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || logs.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn trace_layer()
-> TraceLayer<tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>>
{
    TraceLayer::new_for_http()
        .make_span_with(DefaultMakeSpan::new().include_headers(true))
        .on_request(DefaultOnRequest::new().level(Level::INFO))
}

fn handler() -> axum::routing::MethodRouter {
    post(|| async {
        tracing::info!("handler ran");
        "ok"
    })
}

fn signature_value(headers: &[(String, String)]) -> String {
    headers
        .iter()
        .find(|(name, _)| name == "X-Webhook-Signature")
        .unwrap()
        .1
        .clone()
}

#[tokio::test]
async fn trace_layer_inside_verify_layer_prints_signature_as_sensitive() {
    let logs = Logs::default();
    let _guard = logs.install();
    let verifier = Verifier::new(Scheme::hmac_sha256(), SECRET).unwrap();
    let app = Router::new()
        .route("/webhooks", handler())
        .layer(trace_layer())
        .layer(VerifyWebhookLayer::new(verifier));
    let url = spawn(app).await;
    let headers = sign(b"{}");
    assert_eq!(
        send(&format!("{url}/webhooks"), &headers, "{}").await,
        (200, "ok".into())
    );
    let text = logs.text();
    assert!(
        text.contains(r#""x-webhook-signature": Sensitive"#),
        "{text}"
    );
    assert!(!text.contains(&signature_value(&headers)), "{text}");
}

#[tokio::test]
async fn trace_layer_alone_would_print_the_signature() {
    // Control for the test above: without the verify layer, the signature is logged.
    let logs = Logs::default();
    let _guard = logs.install();
    let app = Router::new()
        .route("/webhooks", handler())
        .layer(trace_layer());
    let url = spawn(app).await;
    let headers = sign(b"{}");
    send(&format!("{url}/webhooks"), &headers, "{}").await;
    assert!(logs.text().contains(&signature_value(&headers)));
}

#[tokio::test]
async fn refusal_logs_the_reason_but_not_the_signature() {
    let logs = Logs::default();
    let _guard = logs.install();
    let verifier = Verifier::new(Scheme::hmac_sha256(), SECRET).unwrap();
    let url = spawn(
        Router::new()
            .route("/webhooks", handler())
            .layer(VerifyWebhookLayer::new(verifier)),
    )
    .await;
    let headers = sign(b"{}");
    assert_eq!(
        send(&format!("{url}/webhooks"), &headers, "{ }").await.0,
        401
    );
    let text = logs.text();
    assert!(text.contains("WARN"), "{text}");
    assert!(
        text.contains(r#"webhook refused status=401 reason="no signature matches the body""#),
        "{text}"
    );
    assert!(!text.contains(&signature_value(&headers)), "{text}");
    assert!(!text.contains(SECRET), "{text}");
    assert!(!text.contains("handler ran"), "{text}");
}

#[tokio::test]
async fn acceptance_runs_the_handler_in_a_span_with_scheme_and_webhook_id() {
    let logs = Logs::default();
    let _guard = logs.install();
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let verifier = Verifier::new(Scheme::standard(), secret).unwrap();
    let url = spawn(
        Router::new()
            .route("/webhooks", handler())
            .layer(VerifyWebhookLayer::new(verifier)),
    )
    .await;
    let headers = sign_at(Scheme::standard(), secret, now(), b"{}");
    assert_eq!(
        send(&format!("{url}/webhooks"), &headers, "{}").await.0,
        200
    );
    let text = logs.text();
    let line = text
        .lines()
        .find(|line| line.contains("handler ran"))
        .unwrap();
    assert!(
        line.contains(r#"webhook{scheme="standard" webhook_id="msg_1" secret_index=0}"#),
        "{text}"
    );
}
