//! `EnqueueWebhook` behind `VerifyWebhookLayer` over a real TCP socket, with a worker in the
//! same process: on `MemoryQueue`, and on `RedisQueue` with a real `redis-server`.
mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::post_service;
use common::*;
use webhook_axum::{EnqueueWebhook, queue};
use webhook_idempotency::{IdempotencyGuard, MemoryStore};
use webhook_queue::{
    Acceptor, CancellationToken, HandlerError, Job, MemoryQueue, Queue, QueueConfig, RedisQueue,
};
use webhook_testkit::RedisServer;
use webhook_verify::{Scheme, Verifier};

const BODY: &[u8] = br#"{"id":"evt_1","type":"order.completed","data":{}}"#;
const DUPLICATE: &str = r#"{"status":"duplicate"}"#;
const NOT_QUEUED: &str = "the delivery could not be queued; retry later";

fn verifier() -> Verifier {
    Verifier::new(Scheme::hmac_sha256(), SECRET).unwrap()
}

/// Serves `POST /webhooks` queueing into `acceptor`; returns its URL.
async fn receiver(acceptor: Acceptor) -> String {
    let app: Router = queue::router("/webhooks", verifier(), acceptor);
    format!("{}/webhooks", spawn(app).await)
}

/// The keys of the jobs a worker processed, in order.
type Processed = Arc<Mutex<Vec<String>>>;

/// Runs a worker on `queue` recording each job's idempotency key; stops with the token.
fn worker<Q: Queue + Clone>(queue: &Q, processed: &Processed) -> CancellationToken {
    let shutdown = CancellationToken::new();
    let handler = {
        let processed = processed.clone();
        move |job: Job| {
            let processed = processed.clone();
            async move {
                let key = job.delivery().key().unwrap_or_default().to_owned();
                processed.lock().unwrap().push(key);
                Ok::<_, HandlerError>(())
            }
        }
    };
    let (queue, token) = (queue.clone(), shutdown.clone());
    tokio::spawn(async move {
        let handler: Arc<dyn webhook_queue::Handler> = Arc::new(handler);
        queue.work(handler, token).await.unwrap();
    });
    shutdown
}

fn accepted_id(answered: &Answer) -> String {
    assert_eq!(answered.status, 202, "{answered:?}");
    let json: serde_json::Value = serde_json::from_str(&answered.body).unwrap();
    assert_eq!(json["status"], "accepted", "{answered:?}");
    json["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn accepted_delivery_answers_202_and_the_worker_processes_it() {
    let queue = MemoryQueue::new("orders", QueueConfig::default());
    let url = receiver(Acceptor::new(queue.clone(), IdempotencyGuard::default())).await;
    let processed = Processed::default();
    let shutdown = worker(&queue, &processed);

    let id = accepted_id(&post(&url, &sign(BODY), BODY).await);
    assert!(!id.is_empty());
    eventually(5, "the worker to process evt_1", || {
        processed.lock().unwrap().len() == 1
    })
    .await;
    assert_eq!(*processed.lock().unwrap(), ["evt_1"]);
    shutdown.cancel();
}

#[tokio::test]
async fn duplicate_is_answered_200_and_not_enqueued_twice() {
    let queue = MemoryQueue::new("orders", QueueConfig::default());
    let url = receiver(Acceptor::new(queue.clone(), IdempotencyGuard::default())).await;
    let headers = sign(BODY);

    accepted_id(&post(&url, &headers, BODY).await);
    assert_eq!(post(&url, &headers, BODY).await, answer(200, DUPLICATE));
    assert_eq!(post(&url, &headers, BODY).await, answer(200, DUPLICATE));
    assert_eq!(queue.counts().await.unwrap().pending, 1);

    let processed = Processed::default();
    let shutdown = worker(&queue, &processed);
    eventually(5, "the queue to drain", || {
        processed.lock().unwrap().len() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(*processed.lock().unwrap(), ["evt_1"]);
    shutdown.cancel();
}

#[tokio::test]
async fn same_key_with_a_different_body_gets_422_and_is_not_enqueued() {
    let queue = MemoryQueue::new("orders", QueueConfig::default());
    let url = receiver(Acceptor::new(queue.clone(), IdempotencyGuard::default())).await;
    let other = br#"{"id":"evt_1","type":"order.completed","data":{"amount":9}}"#;

    accepted_id(&post(&url, &sign(BODY), BODY).await);
    assert_eq!(
        post(&url, &sign(other), other).await,
        answer(
            422,
            error("this event id was already received with a different body")
        )
    );
    assert_eq!(queue.counts().await.unwrap().pending, 1);
}

#[tokio::test]
async fn forged_delivery_is_refused_before_the_queue() {
    let queue = MemoryQueue::new("orders", QueueConfig::default());
    let url = receiver(Acceptor::new(queue.clone(), IdempotencyGuard::default())).await;
    let forged = sign_at(Scheme::hmac_sha256(), "wrong-secret", now(), BODY);
    assert_eq!(
        post(&url, &forged, BODY).await,
        answer(401, error("no signature matches the body"))
    );
    assert_eq!(queue.counts().await.unwrap().pending, 0);
}

#[tokio::test]
async fn without_the_verify_layer_it_answers_500_and_queues_nothing() {
    let queue = MemoryQueue::new("orders", QueueConfig::default());
    let acceptor = Acceptor::new(queue.clone(), IdempotencyGuard::default());
    let app = Router::new().route("/webhooks", post_service(EnqueueWebhook::new(acceptor)));
    let url = format!("{}/webhooks", spawn(app).await);
    assert_eq!(
        post(&url, &sign(BODY), BODY).await,
        answer(500, error("webhook receiver is misconfigured"))
    );
    assert_eq!(queue.counts().await.unwrap().pending, 0);
}

fn redis_config() -> QueueConfig {
    QueueConfig::default()
        .command_timeout(Duration::from_millis(500))
        .block(Duration::from_millis(100))
}

#[tokio::test]
async fn redis_queue_accepts_each_event_once_and_the_worker_processes_it() {
    let redis = RedisServer::start();
    let queue = RedisQueue::connect(&redis.url(), "orders", redis_config())
        .await
        .unwrap();
    let url = receiver(Acceptor::new(queue.clone(), IdempotencyGuard::default())).await;
    let processed = Processed::default();
    let shutdown = worker(&queue, &processed);

    let bodies: Vec<Vec<u8>> = (0..5)
        .map(|i| format!(r#"{{"id":"evt_{i}","type":"order.completed","data":{{}}}}"#).into_bytes())
        .collect();
    for body in &bodies {
        accepted_id(&post(&url, &sign(body), body).await);
        assert_eq!(post(&url, &sign(body), body).await, answer(200, DUPLICATE));
    }
    eventually(10, "the worker to process 5 events", || {
        processed.lock().unwrap().len() == 5
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut keys = processed.lock().unwrap().clone();
    keys.sort();
    assert_eq!(keys, ["evt_0", "evt_1", "evt_2", "evt_3", "evt_4"]);
    shutdown.cancel();
}

#[tokio::test]
async fn enqueue_failure_answers_503_and_releases_the_key() {
    let mut redis = RedisServer::start();
    let queue = RedisQueue::connect(&redis.url(), "orders", redis_config())
        .await
        .unwrap();
    // The guard is elsewhere (memory), so only the append fails.
    let guard = IdempotencyGuard::new(MemoryStore::new());
    let url = receiver(Acceptor::new(queue.clone(), guard)).await;
    let headers = sign(BODY);

    redis.stop();
    assert_eq!(
        post(&url, &headers, BODY).await,
        answer_retry(503, 5, error(NOT_QUEUED))
    );

    redis.restart();
    // Released: the retry is accepted (a kept claim would answer 409 for the 30 s lease).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let answered = loop {
        let answered = post(&url, &headers, BODY).await;
        assert_ne!(
            answered.status, 409,
            "the key was not released: {answered:?}"
        );
        if answered.status != 503 || tokio::time::Instant::now() > deadline {
            break answered;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    accepted_id(&answered);
    assert_eq!(post(&url, &headers, BODY).await, answer(200, DUPLICATE));

    let processed = Processed::default();
    let shutdown = worker(&queue, &processed);
    eventually(10, "the worker to process evt_1", || {
        processed.lock().unwrap().len() == 1
    })
    .await;
    assert_eq!(*processed.lock().unwrap(), ["evt_1"]);
    shutdown.cancel();
}
