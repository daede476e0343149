//! What `Idempotency` tells `tracing`: the guard's one event per outcome, inside the `webhook`
//! span of `VerifyWebhook`, never logged twice. A test binary of its own, so that other tests do
//! not race it for tracing's per-callsite interest cache.

mod receiver;

use std::io::Write;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, test};
use receiver::{SECRET, event, verifier};
use webhook_actix::idempotency::resource;
use webhook_idempotency::{IdempotencyGuard, MemoryStore};
use webhook_verify::{Scheme, Signer};

/// Everything `tracing` writes on this thread while the guard lives.
fn capture() -> (Arc<Mutex<Vec<u8>>>, tracing::subscriber::DefaultGuard) {
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || Buffer(writer.clone()))
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();
    (buffer, guard)
}

struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[actix_web::test]
async fn each_outcome_is_logged_once_inside_the_webhook_span() {
    let (buffer, _guard) = capture();
    let app = test::init_service(App::new().service(resource(
        "/webhooks",
        verifier(),
        IdempotencyGuard::new(MemoryStore::new()),
        || async { HttpResponse::Ok().finish() },
    )))
    .await;
    let body = event("evt_1", "order.completed");
    let signed = Signer::new(Scheme::hmac_sha256(), SECRET)
        .unwrap()
        .sign("", 0, &body)
        .unwrap();
    for expected in [200, 200] {
        let req = signed
            .iter()
            .cloned()
            .fold(
                test::TestRequest::post()
                    .uri("/webhooks")
                    .set_payload(body.clone()),
                |req, header| req.insert_header(header),
            )
            .to_request();
        assert_eq!(test::call_service(&app, req).await.status(), expected);
    }

    let text = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
    let first: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("first delivery"))
        .collect();
    let duplicate: Vec<&str> = text.lines().filter(|l| l.contains("duplicate")).collect();
    assert_eq!(first.len(), 1, "{text}");
    assert_eq!(duplicate.len(), 1, "{text}");
    assert!(duplicate[0].contains("INFO"), "{text}");
    assert!(
        duplicate[0].contains("webhook{scheme=\"hmac-sha256\""),
        "inside the webhook span: {text}"
    );
    assert!(
        duplicate[0].contains("webhook:default:evt_1"),
        "names the key: {text}"
    );
}
