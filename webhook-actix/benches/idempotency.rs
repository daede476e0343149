//! What `Idempotency` adds to a verified request, side by side in one run (mirrors
//! `webhook-axum`'s bench of `IdempotencyLayer`): an app with `VerifyWebhook` only (the
//! baseline), and the same app with `Idempotency` on a `MemoryStore` guard, for first deliveries
//! (a fresh event each iteration: claim + complete) and for duplicates (one event: a refused
//! claim, the handler not run), and on a `RedisStore` (a `redis-server` started on a free port)
//! for first deliveries; and, for the middleware's own cost, the same guard called by hand
//! inside the handler.
//!
//! ```sh
//! cargo bench -p webhook-actix --bench idempotency
//! ```
//!
//! Requests are built and signed outside the timed part; each iteration is one
//! `actix_web::test::call_service` on the actix system's current-thread runtime, no socket.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_http::Request;
use actix_web::{App, HttpRequest, HttpResponse, ResponseError as _, test, web};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use webhook_actix::{ActixHeaders, VerifyWebhook, WebhookRejection};
use webhook_idempotency::{Fingerprint, IdempotencyGuard, MemoryStore, Outcome, RedisStore};
use webhook_verify::{Scheme, Signer, Verified, Verifier};

const SECRET: &str = "bench-secret";

/// A 1 KiB JSON event with the id `evt_<n>`, as a signed `POST /webhooks`.
fn request(signer: &Signer, n: u64) -> Request {
    let padding = "x".repeat(1024 - 80);
    let body =
        format!(r#"{{"id":"evt_{n:020}","type":"order.completed","data":{{"note":"{padding}"}}}}"#);
    let mut request = test::TestRequest::post().uri("/webhooks");
    for header in signer.sign("", 0, body.as_bytes()).unwrap() {
        request = request.insert_header(header);
    }
    request.set_payload(body).to_request()
}

fn verifier() -> Verifier {
    Verifier::new(Scheme::hmac_sha256(), SECRET).unwrap()
}

/// The guard called by hand in the handler, as a custom server would: what the middleware is
/// measured against.
async fn by_hand(
    req: HttpRequest,
    body: web::Bytes,
    verified: web::ReqData<Verified<'static>>,
    guard: web::Data<IdempotencyGuard>,
) -> HttpResponse {
    let key = guard.key_for(Some(&verified), &ActixHeaders::new(req.headers()), &body);
    match guard.begin(&key, &Fingerprint::of(&body)).await {
        Outcome::First(claim) => {
            let _ = claim.complete(200).await;
            HttpResponse::Ok().body("processed")
        }
        other => match other.rejection() {
            Some(rejection) => WebhookRejection::from(rejection).error_response(),
            None => HttpResponse::Ok().body("processed"),
        },
    }
}

fn memory_guard() -> IdempotencyGuard {
    // Done events expire after 1 s so the store stays small however many iterations run.
    IdempotencyGuard::builder()
        .store(MemoryStore::with_capacity(10_000_000))
        .retention(Duration::from_secs(1))
        .build()
}

fn bench(c: &mut Criterion) {
    let system = actix_web::rt::System::new();
    let signer = Signer::new(Scheme::hmac_sha256(), SECRET).unwrap();
    let next = AtomicU64::new(0);
    let fresh = || request(&signer, next.fetch_add(1, Ordering::Relaxed));

    let redis = webhook_testkit::RedisServer::start();
    let redis_guard = system.block_on(async {
        let store = RedisStore::connect(&redis.url()).await.unwrap();
        IdempotencyGuard::builder()
            .store(store)
            .retention(Duration::from_secs(5))
            .build()
    });

    let (baseline, memory, manual, duplicate, redis_app) = system.block_on(async {
        let handler = || async { "processed" };
        let baseline = test::init_service(
            App::new().service(
                web::resource("/webhooks")
                    .wrap(VerifyWebhook::new(verifier()))
                    .route(web::post().to(handler)),
            ),
        )
        .await;
        let guarded = |guard: IdempotencyGuard| {
            test::init_service(App::new().service(webhook_actix::idempotency::resource(
                "/webhooks",
                verifier(),
                guard,
                handler,
            )))
        };
        let memory = guarded(memory_guard()).await;
        let duplicate = guarded(memory_guard()).await;
        let redis_app = guarded(redis_guard).await;
        let manual = test::init_service(
            App::new().app_data(web::Data::new(memory_guard())).service(
                web::resource("/webhooks")
                    .wrap(VerifyWebhook::new(verifier()))
                    .route(web::post().to(by_hand)),
            ),
        )
        .await;
        (baseline, memory, manual, duplicate, redis_app)
    });
    // hmac-sha256 signs the body only: the same event gives the same request every time.
    let duplicate_request = || request(&signer, u64::MAX);

    macro_rules! call {
        ($app:expr, $request:expr) => {
            black_box(
                system.block_on(async {
                    test::call_service(&$app, $request).await.status().as_u16()
                }),
            )
        };
    }

    // Every variant answers what it should before it is timed.
    assert_eq!(call!(baseline, fresh()), 200);
    assert_eq!(call!(memory, fresh()), 200);
    assert_eq!(call!(manual, fresh()), 200);
    assert_eq!(call!(redis_app, fresh()), 200);
    assert_eq!(call!(duplicate, duplicate_request()), 200);
    let body = system.block_on(async {
        let res = test::call_service(&duplicate, duplicate_request()).await;
        test::read_body(res).await
    });
    assert!(body.starts_with(b"{\"status\":\"duplicate\"}"), "{body:?}");

    let mut group = c.benchmark_group("actix-idempotency/1KiB");
    group.bench_function("verify only", |b| {
        b.iter_batched(fresh, |r| call!(baseline, r), BatchSize::SmallInput)
    });
    group.bench_function("verify + memory first", |b| {
        b.iter_batched(fresh, |r| call!(memory, r), BatchSize::SmallInput)
    });
    group.bench_function("verify + memory first, guard in handler", |b| {
        b.iter_batched(fresh, |r| call!(manual, r), BatchSize::SmallInput)
    });
    group.bench_function("verify + memory duplicate", |b| {
        b.iter_batched(
            duplicate_request,
            |r| call!(duplicate, r),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("verify + redis first", |b| {
        b.iter_batched(fresh, |r| call!(redis_app, r), BatchSize::SmallInput)
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
