//! What `IdempotencyLayer` adds to a verified request, side by side in one run: a router with
//! `VerifyWebhookLayer` only (the baseline), and the same router with `IdempotencyLayer` on a
//! `MemoryStore` guard, for first deliveries (a fresh event each iteration: claim + complete)
//! and for duplicates (one event: a refused claim, the handler not run), and on a `RedisStore`
//! (a `redis-server` started on a free port) for first deliveries; and, for the layer's own
//! cost, the same guard called by hand inside the handler.
//!
//! ```sh
//! cargo bench -p webhook-axum --bench idempotency
//! ```
//!
//! Requests are built and signed outside the timed part; each iteration is one
//! `Router::oneshot` on a current-thread Tokio runtime, no socket.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Extension, Router};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use http::{HeaderMap, Request, StatusCode};
use tower::ServiceExt;
use webhook_axum::{IdempotencyLayer, VerifyWebhookLayer, WebhookRejection};
use webhook_idempotency::{Fingerprint, IdempotencyGuard, MemoryStore, Outcome, RedisStore};
use webhook_verify::{Scheme, Signer, Verified, Verifier};

const SECRET: &str = "bench-secret";

/// A 1 KiB JSON event with the id `evt_<n>`, as a signed `POST /webhooks`.
fn request(signer: &Signer, n: u64) -> Request<Body> {
    let padding = "x".repeat(1024 - 80);
    let body =
        format!(r#"{{"id":"evt_{n:020}","type":"order.completed","data":{{"note":"{padding}"}}}}"#);
    let mut request = Request::post("/webhooks");
    for (name, value) in signer.sign("", 0, body.as_bytes()).unwrap() {
        request = request.header(name, value);
    }
    request.body(Body::from(body)).unwrap()
}

fn verified_router() -> Router {
    Router::new()
        .route("/webhooks", post(|| async { "processed" }))
        .route_layer(VerifyWebhookLayer::new(
            Verifier::new(Scheme::hmac_sha256(), SECRET).unwrap(),
        ))
}

fn guarded_router(guard: IdempotencyGuard) -> Router {
    Router::new()
        .route("/webhooks", post(|| async { "processed" }))
        .route_layer(IdempotencyLayer::new(guard))
        .route_layer(VerifyWebhookLayer::new(
            Verifier::new(Scheme::hmac_sha256(), SECRET).unwrap(),
        ))
}

/// The guard called by hand in the handler, as a custom server would: what the layer is
/// measured against.
fn manual_router(guard: IdempotencyGuard) -> Router {
    let handler = move |Extension(verified): Extension<Verified<'static>>,
                        headers: HeaderMap,
                        body: Bytes| async move {
        let key = guard.key_for(Some(&verified), &headers, &body);
        match guard.begin(&key, &Fingerprint::of(&body)).await {
            Outcome::First(claim) => {
                let _ = claim.complete(200).await;
                (StatusCode::OK, "processed").into_response()
            }
            other => match other.rejection() {
                Some(rejection) => WebhookRejection::from(rejection).into_response(),
                None => (StatusCode::OK, "processed").into_response(),
            },
        }
    };
    Router::new()
        .route("/webhooks", post(handler))
        .route_layer(VerifyWebhookLayer::new(
            Verifier::new(Scheme::hmac_sha256(), SECRET).unwrap(),
        ))
}

fn memory_guard() -> IdempotencyGuard {
    // Done events expire after 1 s so the store stays small however many iterations run.
    IdempotencyGuard::builder()
        .store(MemoryStore::with_capacity(10_000_000))
        .retention(Duration::from_secs(1))
        .build()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let signer = Signer::new(Scheme::hmac_sha256(), SECRET).unwrap();
    let next = AtomicU64::new(0);
    let fresh = || request(&signer, next.fetch_add(1, Ordering::Relaxed));
    let call = |app: &Router, request: Request<Body>| {
        let response = rt.block_on(app.clone().oneshot(request)).unwrap();
        black_box(response.status())
    };

    let redis = webhook_testkit::RedisServer::start();
    let redis_guard = rt.block_on(async {
        let store = RedisStore::connect(&redis.url()).await.unwrap();
        IdempotencyGuard::builder()
            .store(store)
            .retention(Duration::from_secs(5))
            .build()
    });

    let baseline = verified_router();
    let memory = guarded_router(memory_guard());
    let manual = manual_router(memory_guard());
    let duplicate = guarded_router(memory_guard());
    let redis_app = guarded_router(redis_guard);
    // hmac-sha256 signs the body only: the same event gives the same request every time.
    let duplicate_request = || request(&signer, u64::MAX);

    // Every variant answers what it should before it is timed.
    assert_eq!(call(&baseline, fresh()), 200);
    assert_eq!(call(&memory, fresh()), 200);
    assert_eq!(call(&manual, fresh()), 200);
    assert_eq!(call(&redis_app, fresh()), 200);
    assert_eq!(call(&duplicate, duplicate_request()), 200);
    let again = rt
        .block_on(duplicate.clone().oneshot(duplicate_request()))
        .unwrap();
    let body = rt
        .block_on(axum::body::to_bytes(again.into_body(), 1024))
        .unwrap();
    assert!(body.starts_with(b"{\"status\":\"duplicate\"}"), "{body:?}");

    let mut group = c.benchmark_group("idempotency/1KiB");
    group.bench_function("verify only", |b| {
        b.iter_batched(fresh, |r| call(&baseline, r), BatchSize::SmallInput)
    });
    group.bench_function("verify + memory first", |b| {
        b.iter_batched(fresh, |r| call(&memory, r), BatchSize::SmallInput)
    });
    group.bench_function("verify + memory first, guard in handler", |b| {
        b.iter_batched(fresh, |r| call(&manual, r), BatchSize::SmallInput)
    });
    group.bench_function("verify + memory duplicate", |b| {
        b.iter_batched(
            duplicate_request,
            |r| call(&duplicate, r),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("verify + redis first", |b| {
        b.iter_batched(fresh, |r| call(&redis_app, r), BatchSize::SmallInput)
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
