//! What the idempotency layer logs: the guard's one event per outcome, inside the verify
//! layer's `webhook` span, and nothing twice.
mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::Router;
use common::*;
use tracing::Level;
use webhook_axum::idempotency;
use webhook_idempotency::IdempotencyGuard;
use webhook_verify::{Scheme, Verifier};

const BODY: &[u8] = br#"{"id":"evt_1","type":"order.completed","data":{}}"#;

/// Captures everything logged on this thread (current-thread runtime: the server logs here).
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

    fn lines(&self) -> Vec<String> {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        text.lines().map(str::to_owned).collect()
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

async fn server() -> String {
    let verifier = Verifier::new(Scheme::hmac_sha256(), SECRET).unwrap();
    let app: Router = idempotency::router(
        "/webhooks",
        verifier,
        IdempotencyGuard::default(),
        || async { "ok" },
    );
    format!("{}/webhooks", spawn(app).await)
}

#[tokio::test(flavor = "current_thread")]
async fn each_outcome_is_logged_once_inside_the_webhook_span() {
    let logs = Logs::default();
    let _guard = logs.install();
    let url = server().await;
    let headers = sign(BODY);

    assert_eq!(post(&url, &headers, BODY).await.status, 200);
    assert_eq!(post(&url, &headers, BODY).await.status, 200);

    let lines = logs.lines();
    let first: Vec<_> = lines
        .iter()
        .filter(|l| l.contains("first delivery, processing"))
        .collect();
    let duplicate: Vec<_> = lines
        .iter()
        .filter(|l| l.contains("duplicate of a processed event"))
        .collect();
    assert_eq!((first.len(), duplicate.len()), (1, 1), "{lines:#?}");
    assert!(duplicate[0].contains("INFO"), "{duplicate:?}");
    assert!(
        duplicate[0].contains("webhook{scheme=\"hmac-sha256\""),
        "{duplicate:?}"
    );
    assert!(
        duplicate[0].contains("key=webhook:default:evt_1"),
        "{duplicate:?}"
    );
    // The layer answers the guard's refusal without a second "webhook refused" event.
    assert!(
        !lines.iter().any(|l| l.contains("webhook refused")),
        "{lines:#?}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_missing_verify_layer_is_logged_as_an_error() {
    let logs = Logs::default();
    let _guard = logs.install();
    let app = Router::new()
        .route("/webhooks", axum::routing::post(|| async { "ok" }))
        .route_layer(webhook_axum::IdempotencyLayer::new(
            IdempotencyGuard::default(),
        ));
    let url = format!("{}/webhooks", spawn(app).await);

    assert_eq!(post(&url, &sign(BODY), BODY).await.status, 500);
    let lines = logs.lines();
    assert!(
        lines.iter().any(|l| l.contains("ERROR")
            && l.contains("found no webhook_verify::Verified")
            && l.contains("path=\"/webhooks\"")),
        "{lines:#?}"
    );
}
