//! `IdempotencyLayer` with a `RedisStore` on a real `redis-server` (started on a free port by
//! `webhook-testkit`, stopped by PID): shared by two receivers, stopped and restarted.
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use axum::Router;
use common::*;
use webhook_axum::idempotency;
use webhook_idempotency::{FailMode, IdempotencyGuard, RedisStore};
use webhook_testkit::RedisServer;
use webhook_verify::{Scheme, Verifier};

const BODY: &[u8] = br#"{"id":"evt_1","type":"order.completed","data":{}}"#;
const DUPLICATE: &str = r#"{"status":"duplicate"}"#;
const UNAVAILABLE: &str = "idempotency store unavailable; retry later";

async fn redis_guard(redis: &RedisServer, mode: FailMode) -> IdempotencyGuard {
    let store = RedisStore::builder()
        .command_timeout(Duration::from_millis(300))
        .connect(&redis.url())
        .await
        .unwrap();
    IdempotencyGuard::builder()
        .store(store)
        .fail_mode(mode)
        .build()
}

/// A receiver counting its handler's runs in `calls`; returns its URL.
async fn receiver(guard: IdempotencyGuard, calls: &Arc<AtomicUsize>) -> String {
    let calls = calls.clone();
    let handler = move || async move {
        calls.fetch_add(1, SeqCst);
        "processed"
    };
    let verifier = Verifier::new(Scheme::hmac_sha256(), SECRET).unwrap();
    let app: Router = idempotency::router("/webhooks", verifier, guard, handler);
    format!("{}/webhooks", spawn(app).await)
}

#[tokio::test]
async fn two_receivers_sharing_redis_run_the_handler_once() {
    let redis = RedisServer::start();
    let calls = Arc::new(AtomicUsize::new(0));
    let urls = [
        receiver(redis_guard(&redis, FailMode::Closed).await, &calls).await,
        receiver(redis_guard(&redis, FailMode::Closed).await, &calls).await,
    ];
    let headers = sign(BODY);

    let deliveries: Vec<_> = (0..40)
        .map(|i| {
            let (url, headers) = (urls[i % 2].clone(), headers.clone());
            tokio::spawn(async move { post(&url, &headers, BODY).await })
        })
        .collect();
    let mut processed = 0;
    for delivery in deliveries {
        let answered = delivery.await.unwrap();
        match answered.status {
            200 if answered.body == "processed" => processed += 1,
            200 => assert_eq!(answered, answer(200, DUPLICATE)),
            409 => assert_eq!(answered.retry_after.as_deref(), Some("5")),
            _ => panic!("unexpected answer {answered:?}"),
        }
    }
    assert_eq!((processed, calls.load(SeqCst)), (1, 1));
    // Once done, every receiver answers duplicates with 200.
    for url in &urls {
        assert_eq!(post(url, &headers, BODY).await, answer(200, DUPLICATE));
    }
}

#[tokio::test]
async fn redis_stopped_answers_503_and_the_same_app_recovers_after_a_restart() {
    let mut redis = RedisServer::start();
    let calls = Arc::new(AtomicUsize::new(0));
    let url = receiver(redis_guard(&redis, FailMode::Closed).await, &calls).await;
    let headers = sign(BODY);

    redis.stop();
    assert_eq!(
        post(&url, &headers, BODY).await,
        answer_retry(503, 5, error(UNAVAILABLE))
    );
    assert_eq!(calls.load(SeqCst), 0);

    redis.restart();
    // The store reconnects by itself: no new guard, no new app.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let answered = loop {
        let answered = post(&url, &headers, BODY).await;
        if answered.status != 503 || tokio::time::Instant::now() > deadline {
            break answered;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(answered, answer(200, "processed"));
    assert_eq!(post(&url, &headers, BODY).await, answer(200, DUPLICATE));
    assert_eq!(calls.load(SeqCst), 1);
}

#[tokio::test]
async fn fail_open_runs_the_handler_while_redis_is_down() {
    let mut redis = RedisServer::start();
    let calls = Arc::new(AtomicUsize::new(0));
    let url = receiver(redis_guard(&redis, FailMode::Open).await, &calls).await;
    let headers = sign(BODY);

    redis.stop();
    assert_eq!(post(&url, &headers, BODY).await, answer(200, "processed"));
    // At-least-once while the store is down: the duplicate runs too.
    assert_eq!(post(&url, &headers, BODY).await, answer(200, "processed"));
    assert_eq!(calls.load(SeqCst), 2);
}
