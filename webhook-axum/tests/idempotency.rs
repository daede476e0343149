//! `IdempotencyLayer` behind `VerifyWebhookLayer`, over a real TCP socket, `MemoryStore` guard.
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::post as post_route;
use axum::{Extension, Router};
use common::*;
use tokio::io::AsyncWriteExt;
use tokio::sync::Semaphore;
use webhook_axum::{IdempotencyLayer, idempotency};
use webhook_idempotency::{IdempotencyGuard, IdempotencyKey, MemoryStore};
use webhook_verify::{Scheme, Verifier};

const BODY: &[u8] = br#"{"id":"evt_1","type":"order.completed","data":{}}"#;
const DUPLICATE: &str = r#"{"status":"duplicate"}"#;
const IN_FLIGHT: &str = "this event is being processed by another delivery; retry later";
const CONFLICT: &str = "this event id was already received with a different body";

fn verifier() -> Verifier {
    Verifier::new(Scheme::hmac_sha256(), SECRET).unwrap()
}

fn guard() -> IdempotencyGuard {
    IdempotencyGuard::new(MemoryStore::new())
}

/// Serves `POST /webhooks` through verify + idempotency; returns its URL.
async fn serve<H, T>(guard: IdempotencyGuard, handler: H) -> String
where
    H: axum::handler::Handler<T, ()>,
    T: 'static,
{
    let app: Router = idempotency::router("/webhooks", verifier(), guard, handler);
    format!("{}/webhooks", spawn(app).await)
}

/// A handler counting its runs and answering `processed <key>`.
fn counting(
    calls: &Arc<AtomicUsize>,
) -> impl Fn(Extension<IdempotencyKey>) -> std::future::Ready<String> + Clone + Send + Sync + 'static
{
    let calls = calls.clone();
    move |Extension(key): Extension<IdempotencyKey>| {
        calls.fetch_add(1, SeqCst);
        std::future::ready(format!("processed {key}"))
    }
}

#[tokio::test]
async fn first_delivery_runs_the_handler_and_a_duplicate_gets_200_without_running_it() {
    let calls = Arc::new(AtomicUsize::new(0));
    let url = serve(guard(), counting(&calls)).await;
    let headers = sign(BODY);

    assert_eq!(
        post(&url, &headers, BODY).await,
        answer(200, "processed evt_1")
    );
    assert_eq!(post(&url, &headers, BODY).await, answer(200, DUPLICATE));
    assert_eq!(post(&url, &headers, BODY).await, answer(200, DUPLICATE));
    assert_eq!(calls.load(SeqCst), 1);
}

#[tokio::test]
async fn handler_gets_the_event_key_and_its_storage_key() {
    let guard = IdempotencyGuard::builder().endpoint("orders").build();
    let url = serve(
        guard,
        |Extension(key): Extension<IdempotencyKey>| async move {
            format!("{} {}", key.as_str(), key.storage_key())
        },
    )
    .await;
    assert_eq!(
        post(&url, &sign(BODY), BODY).await,
        answer(200, "evt_1 webhook:orders:evt_1")
    );
    // Without an `id`, the key is the body's SHA-256.
    let body = br#"{"event":"user.created","data":{}}"#;
    let answered = post(&url, &sign(body), body).await;
    assert_eq!(answered.status, 200);
    assert!(answered.body.starts_with("sha256:"), "{answered:?}");
}

#[tokio::test]
async fn duplicate_while_in_flight_gets_409_and_the_handler_runs_once() {
    let calls = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Semaphore::new(0));
    let handler = {
        let (calls, gate) = (calls.clone(), gate.clone());
        move || async move {
            calls.fetch_add(1, SeqCst);
            let _permit = gate.acquire().await.unwrap();
            "processed"
        }
    };
    let url = serve(guard(), handler).await;
    let headers = sign(BODY);

    let first = tokio::spawn({
        let (url, headers) = (url.clone(), headers.clone());
        async move { post(&url, &headers, BODY).await }
    });
    eventually(5, "the first delivery's handler to start", || {
        calls.load(SeqCst) == 1
    })
    .await;

    let duplicates: Vec<_> = (0..8)
        .map(|_| {
            let (url, headers) = (url.clone(), headers.clone());
            tokio::spawn(async move { post(&url, &headers, BODY).await })
        })
        .collect();
    for duplicate in duplicates {
        assert_eq!(
            duplicate.await.unwrap(),
            answer_retry(409, 5, error(IN_FLIGHT))
        );
    }
    assert_eq!(calls.load(SeqCst), 1);

    gate.add_permits(1);
    assert_eq!(first.await.unwrap(), answer(200, "processed"));
    assert_eq!(post(&url, &headers, BODY).await, answer(200, DUPLICATE));
    assert_eq!(calls.load(SeqCst), 1);
}

#[tokio::test]
async fn handler_500_releases_the_key_and_the_retry_runs_it() {
    let calls = Arc::new(AtomicUsize::new(0));
    let handler = {
        let calls = calls.clone();
        move || async move {
            match calls.fetch_add(1, SeqCst) {
                0 => (StatusCode::INTERNAL_SERVER_ERROR, "database down"),
                _ => (StatusCode::OK, "processed"),
            }
        }
    };
    let url = serve(guard(), handler).await;
    let headers = sign(BODY);

    assert_eq!(
        post(&url, &headers, BODY).await,
        answer(500, "database down")
    );
    assert_eq!(post(&url, &headers, BODY).await, answer(200, "processed"));
    assert_eq!(post(&url, &headers, BODY).await, answer(200, DUPLICATE));
    assert_eq!(calls.load(SeqCst), 2);
}

#[tokio::test]
async fn handler_4xx_releases_the_key_too() {
    let calls = Arc::new(AtomicUsize::new(0));
    let handler = {
        let calls = calls.clone();
        move || async move {
            calls.fetch_add(1, SeqCst);
            (StatusCode::BAD_REQUEST, "not yet")
        }
    };
    let url = serve(guard(), handler).await;
    let headers = sign(BODY);
    assert_eq!(post(&url, &headers, BODY).await, answer(400, "not yet"));
    assert_eq!(post(&url, &headers, BODY).await, answer(400, "not yet"));
    assert_eq!(calls.load(SeqCst), 2);
}

#[tokio::test]
async fn panicking_handler_releases_the_key_and_the_retry_runs_it() {
    let calls = Arc::new(AtomicUsize::new(0));
    let handler = {
        let calls = calls.clone();
        move || async move {
            if calls.fetch_add(1, SeqCst) == 0 {
                panic!("handler bug");
            }
            "processed"
        }
    };
    let url = serve(guard(), handler).await;
    let headers = sign(BODY);

    // The panic ends the connection without an answer.
    assert!(try_post(&url, &headers, BODY).await.is_err());
    // Released before the panic went on: the retry runs at once.
    assert_eq!(post(&url, &headers, BODY).await, answer(200, "processed"));
    assert_eq!(post(&url, &headers, BODY).await, answer(200, DUPLICATE));
    assert_eq!(calls.load(SeqCst), 2);
}

/// Sets its flag when dropped: the handler's future was cancelled.
struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, SeqCst);
    }
}

#[tokio::test]
async fn client_disconnecting_mid_handler_releases_the_key() {
    let calls = Arc::new(AtomicUsize::new(0));
    let cancelled = Arc::new(AtomicBool::new(false));
    let handler = {
        let (calls, cancelled) = (calls.clone(), cancelled.clone());
        move || async move {
            if calls.fetch_add(1, SeqCst) == 0 {
                let _flag = SetOnDrop(cancelled);
                std::future::pending::<()>().await;
            }
            "processed"
        }
    };
    let url = serve(guard(), handler).await;
    let headers = sign(BODY);

    let authority = url.trim_start_matches("http://").split('/').next().unwrap();
    let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    let mut request = format!(
        "POST /webhooks HTTP/1.1\r\nhost: localhost\r\ncontent-length: {}\r\n",
        BODY.len()
    );
    for (name, value) in &headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(BODY).await.unwrap();
    eventually(5, "the handler to start", || calls.load(SeqCst) == 1).await;
    drop(stream);
    eventually(5, "the handler's future to be dropped", || {
        cancelled.load(SeqCst)
    })
    .await;

    // The claim is released in the background: the retry runs (409 until it is).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let answered = loop {
        let answered = post(&url, &headers, BODY).await;
        if answered.status != 409 || tokio::time::Instant::now() > deadline {
            break answered;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(answered, answer(200, "processed"));
    assert_eq!(calls.load(SeqCst), 2);
}

#[tokio::test]
async fn same_key_with_a_different_body_gets_422() {
    let calls = Arc::new(AtomicUsize::new(0));
    let url = serve(guard(), counting(&calls)).await;
    let other = br#"{"id":"evt_1","type":"order.completed","data":{"amount":9}}"#;

    assert_eq!(
        post(&url, &sign(BODY), BODY).await,
        answer(200, "processed evt_1")
    );
    assert_eq!(
        post(&url, &sign(other), other).await,
        answer(422, error(CONFLICT))
    );
    assert_eq!(calls.load(SeqCst), 1);
}

#[tokio::test]
async fn a_refused_signature_claims_no_key() {
    let calls = Arc::new(AtomicUsize::new(0));
    let url = serve(guard(), counting(&calls)).await;
    let forged = sign_at(Scheme::hmac_sha256(), "wrong-secret", now(), BODY);

    assert_eq!(
        post(&url, &forged, BODY).await,
        answer(401, error("no signature matches the body"))
    );
    assert_eq!(
        post(&url, &sign(BODY), BODY).await,
        answer(200, "processed evt_1")
    );
    assert_eq!(calls.load(SeqCst), 1);
}

#[tokio::test]
async fn duplicate_replays_the_first_status_when_the_guard_is_so_configured() {
    let guard = IdempotencyGuard::builder().replay_status(true).build();
    let url = serve(guard, || async { (StatusCode::ACCEPTED, "queued") }).await;
    let headers = sign(BODY);
    assert_eq!(post(&url, &headers, BODY).await, answer(202, "queued"));
    assert_eq!(post(&url, &headers, BODY).await, answer(202, DUPLICATE));
}

#[tokio::test]
async fn without_the_verify_layer_it_answers_500_and_runs_nothing() {
    let calls = Arc::new(AtomicUsize::new(0));
    let app = Router::new()
        .route("/webhooks", post_route(counting(&calls)))
        .route_layer(IdempotencyLayer::new(guard()));
    let url = format!("{}/webhooks", spawn(app).await);
    assert_eq!(
        post(&url, &sign(BODY), BODY).await,
        answer(500, error("webhook receiver is misconfigured"))
    );
    assert_eq!(calls.load(SeqCst), 0);
}
