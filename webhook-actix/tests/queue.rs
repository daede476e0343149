//! `EnqueueWebhook` behind `VerifyWebhook` on real bound servers: the accept step's answers,
//! a worker processing what was queued, Redis queues and stores on `redis-server`s started on
//! free ports.

mod receiver;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::web;
use receiver::*;
use webhook_actix::queue::resource;
use webhook_actix::{EnqueueWebhook, VerifyWebhook};
use webhook_idempotency::{Fingerprint, IdempotencyGuard, MemoryStore, Outcome, RedisStore};
use webhook_queue::{
    Acceptor, CancellationToken, HandlerError, Job, MemoryQueue, Queue, QueueConfig, RedisQueue,
};
use webhook_testkit::RedisServer;

const NOT_QUEUED: &str = r#"{"error":"the delivery could not be queued; retry later"}"#;

fn config() -> QueueConfig {
    QueueConfig::default()
        .max_attempts(3)
        .backoff(Duration::from_millis(100), Duration::from_secs(1))
        .block(Duration::from_millis(100))
        .command_timeout(Duration::from_millis(500))
        .shutdown_grace(Duration::from_secs(2))
}

fn queue_server(acceptor: Acceptor) -> Server {
    Server::start(move |cfg| {
        cfg.service(resource("/webhooks", verifier(), acceptor.clone()));
    })
}

/// A worker on `queue` recording the key of every job it processes, until the token is
/// cancelled.
fn worker(queue: Arc<dyn Queue>) -> (Arc<Mutex<Vec<String>>>, CancellationToken) {
    let processed = Arc::new(Mutex::new(Vec::new()));
    let shutdown = CancellationToken::new();
    let handler = {
        let processed = processed.clone();
        move |job: Job| {
            let processed = processed.clone();
            async move {
                let key = job.delivery().key().unwrap_or("-").to_owned();
                processed.lock().unwrap().push(key);
                Ok::<_, HandlerError>(())
            }
        }
    };
    let token = shutdown.clone();
    actix_web::rt::spawn(async move { queue.work(Arc::new(handler), token).await });
    (processed, shutdown)
}

async fn drained(queue: &dyn Queue) {
    for _ in 0..500 {
        if queue.counts().await.unwrap().is_drained() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the queue was not drained in 5 s");
}

fn assert_accepted(answer: &Answer) {
    assert_eq!(answer.status, 202, "{answer:?}");
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    let json: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(json["status"], "accepted", "{answer:?}");
    assert!(
        json["id"].as_str().is_some_and(|id| !id.is_empty()),
        "{answer:?}"
    );
}

#[actix_web::test]
async fn accepted_delivery_gets_202_and_the_worker_processes_it() {
    let queue = MemoryQueue::new("orders", config());
    let server = queue_server(Acceptor::new(queue.clone(), IdempotencyGuard::default()));
    let (processed, shutdown) = worker(Arc::new(queue.clone()));

    assert_accepted(&deliver(&server.url(), &event("evt_1", "order.completed")).await);
    drained(&queue).await;
    assert_eq!(*processed.lock().unwrap(), ["evt_1"]);
    shutdown.cancel();
    server.stop().await;
}

#[actix_web::test]
async fn duplicate_gets_200_and_is_not_queued_twice_on_redis() {
    let redis = RedisServer::start();
    let queue = RedisQueue::connect(&redis.url(), "orders", config())
        .await
        .unwrap();
    let guard = IdempotencyGuard::new(RedisStore::connect(&redis.url()).await.unwrap());
    let server = queue_server(Acceptor::new(queue.clone(), guard));
    let body = event("evt_1", "order.completed");

    assert_accepted(&deliver(&server.url(), &body).await);
    for _ in 0..3 {
        deliver(&server.url(), &body)
            .await
            .assert_refusal(200, DUPLICATE, None);
    }
    assert_eq!(queue.counts().await.unwrap().pending, 1);
    let (processed, shutdown) = worker(Arc::new(queue.clone()));
    drained(&queue).await;
    assert_eq!(*processed.lock().unwrap(), ["evt_1"]);
    shutdown.cancel();
    server.stop().await;
}

#[actix_web::test]
async fn enqueue_failure_gets_503_and_releases_the_key_for_the_retry() {
    let mut redis = RedisServer::start();
    let queue = RedisQueue::connect(&redis.url(), "orders", config())
        .await
        .unwrap();
    // The guard's store stays up; only the queue's Redis goes away.
    let server = queue_server(Acceptor::new(
        queue.clone(),
        IdempotencyGuard::new(MemoryStore::new()),
    ));
    let body = event("evt_1", "order.completed");

    redis.stop();
    deliver(&server.url(), &body)
        .await
        .assert_refusal(503, NOT_QUEUED, Some("5"));

    redis.restart();
    let mut answer = deliver(&server.url(), &body).await;
    for _ in 0..50 {
        if answer.status == 202 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        answer = deliver(&server.url(), &body).await;
    }
    // Accepted: the key was released, not left in flight nor marked done unqueued.
    assert_accepted(&answer);
    assert_eq!(queue.counts().await.unwrap().pending, 1);
    server.stop().await;
}

#[actix_web::test]
async fn idempotency_store_down_gets_503_and_nothing_is_queued() {
    let mut redis = RedisServer::start();
    let store = RedisStore::builder()
        .command_timeout(Duration::from_millis(300))
        .connect(&redis.url())
        .await
        .unwrap();
    let queue = MemoryQueue::new("orders", config());
    let server = queue_server(Acceptor::new(queue.clone(), IdempotencyGuard::new(store)));

    redis.stop();
    deliver(&server.url(), &event("evt_1", "order.completed"))
        .await
        .assert_refusal(503, STORE_DOWN, Some("5"));
    assert_eq!(queue.counts().await.unwrap().pending, 0);
    server.stop().await;
}

#[actix_web::test]
async fn delivery_while_its_key_is_claimed_gets_409() {
    let guard = IdempotencyGuard::new(MemoryStore::new());
    let queue = MemoryQueue::new("orders", config());
    let server = queue_server(Acceptor::new(queue.clone(), guard.clone()));
    let body = event("evt_1", "order.completed");

    // Another receiver is accepting this very event right now.
    let Outcome::First(claim) = guard.begin("evt_1", &Fingerprint::of(&body)).await else {
        panic!("the key was free");
    };
    deliver(&server.url(), &body)
        .await
        .assert_refusal(409, IN_FLIGHT, Some("5"));
    drop(claim);
    assert_eq!(queue.counts().await.unwrap().pending, 0);
    server.stop().await;
}

#[actix_web::test]
async fn same_key_with_a_different_body_gets_422_and_is_not_queued() {
    let queue = MemoryQueue::new("orders", config());
    let server = queue_server(Acceptor::new(queue.clone(), IdempotencyGuard::default()));

    assert_accepted(&deliver(&server.url(), &event("evt_1", "order.created")).await);
    deliver(&server.url(), &event("evt_1", "order.cancelled"))
        .await
        .assert_refusal(422, CONFLICT, None);
    assert_eq!(queue.counts().await.unwrap().pending, 1);
    server.stop().await;
}

#[actix_web::test]
async fn unauthentic_delivery_is_refused_and_not_queued() {
    let queue = MemoryQueue::new("orders", config());
    let server = queue_server(Acceptor::new(queue.clone(), IdempotencyGuard::default()));

    let forged = vec![(
        "X-Webhook-Signature".to_owned(),
        format!("sha256={}", "0".repeat(64)),
    )];
    send(&server.url(), forged, &event("evt_1", "order.completed"))
        .await
        .unwrap()
        .assert_refusal(401, r#"{"error":"no signature matches the body"}"#, None);
    assert_eq!(queue.counts().await.unwrap().pending, 0);
    server.stop().await;
}

#[actix_web::test]
async fn as_a_service_it_answers_like_the_handler() {
    let queue = MemoryQueue::new("orders", config());
    let acceptor = Acceptor::new(queue.clone(), IdempotencyGuard::default());
    let server = Server::start(move |cfg| {
        cfg.service(
            web::resource("/webhooks")
                .wrap(VerifyWebhook::new(verifier()))
                .route(web::post().service(EnqueueWebhook::new(acceptor.clone()))),
        );
    });
    let body = event("evt_1", "order.completed");

    assert_accepted(&deliver(&server.url(), &body).await);
    deliver(&server.url(), &body)
        .await
        .assert_refusal(200, DUPLICATE, None);
    assert_eq!(queue.counts().await.unwrap().pending, 1);
    server.stop().await;
}

#[actix_web::test]
async fn without_verify_webhook_in_front_it_answers_500_and_queues_nothing() {
    let queue = MemoryQueue::new("orders", config());
    let acceptor = Acceptor::new(queue.clone(), IdempotencyGuard::default());
    let server = Server::start(move |cfg| {
        cfg.route(
            "/webhooks",
            web::post().to(EnqueueWebhook::new(acceptor.clone())),
        );
    });

    deliver(&server.url(), &event("evt_1", "order.completed"))
        .await
        .assert_refusal(500, MISCONFIGURED, None);
    assert_eq!(queue.counts().await.unwrap().pending, 0);
    server.stop().await;
}
