//! The accept step: idempotency claim, durable append, the answer to the sender.

mod support;

use std::sync::Arc;

use support::{event_body, fast_config, signed_headers, verifier};
use webhook_idempotency::{IdempotencyGuard, MemoryStore, RedisStore};
use webhook_queue::{Acceptor, MemoryQueue, Queue, RedisQueue};
use webhook_testkit::RedisServer;

fn body(id: &str) -> Vec<u8> {
    event_body(
        id,
        "payment.succeeded",
        serde_json::json!({"id": "pay_1", "amount": 42}),
    )
}

#[tokio::test]
async fn first_delivery_is_queued_with_202_and_kept_headers_only() {
    let redis = RedisServer::start();
    let queue = RedisQueue::connect(&redis.url(), "accept", fast_config())
        .await
        .unwrap();
    let guard = IdempotencyGuard::new(RedisStore::connect(&redis.url()).await.unwrap());
    let acceptor = Acceptor::new(queue.clone(), guard);
    let body = body("evt_1");
    let headers = signed_headers("msg_1", &body);
    let verified = verifier().verify(&headers, &body).unwrap();

    let accepted = acceptor
        .accept(&verified, &headers, body.clone())
        .await
        .unwrap();
    assert_eq!(accepted.status, 202);
    assert_eq!(accepted.key, "msg_1", "keyed by the signed webhook-id");

    let counts = queue.counts().await.unwrap();
    assert_eq!(counts.pending, 1);
    let fields = redis.command("XRANGE webhook-queue:{accept}:stream - +");
    assert!(fields.contains("h:webhook-signature"), "{fields}");
    assert!(fields.contains("h:content-type"), "{fields}");
    assert!(
        !fields.contains("do-not-store"),
        "authorization is not stored: {fields}"
    );
}

#[tokio::test]
async fn resent_duplicate_gets_200_and_is_not_queued_again() {
    let queue = MemoryQueue::new("dup", fast_config());
    let acceptor = Acceptor::new(queue.clone(), IdempotencyGuard::new(MemoryStore::new()));
    let body = body("evt_1");
    let headers = signed_headers("msg_1", &body);
    let verified = verifier().verify(&headers, &body).unwrap();
    acceptor
        .accept(&verified, &headers, body.clone())
        .await
        .unwrap();
    let again = acceptor
        .accept(&verified, &headers, body.clone())
        .await
        .unwrap_err();
    assert_eq!(again.status(), 200);
    assert_eq!(queue.counts().await.unwrap().pending, 1);
}

#[tokio::test]
async fn same_key_with_another_body_gets_422() {
    let queue = MemoryQueue::new("conflict", fast_config());
    let acceptor = Acceptor::new(queue.clone(), IdempotencyGuard::new(MemoryStore::new()));
    for (n, body) in [body("evt_1"), body("evt_2")].into_iter().enumerate() {
        let headers = signed_headers("msg_same", &body);
        let verified = verifier().verify(&headers, &body).unwrap();
        let answer = acceptor.accept(&verified, &headers, body.clone()).await;
        if n == 0 {
            assert!(answer.is_ok());
        } else {
            assert_eq!(answer.unwrap_err().status(), 422);
        }
    }
    assert_eq!(queue.counts().await.unwrap().pending, 1);
}

#[tokio::test]
async fn failed_append_answers_503_with_retry_after_and_releases_the_key() {
    let mut redis = RedisServer::start();
    let queue = RedisQueue::connect(&redis.url(), "down", fast_config())
        .await
        .unwrap();
    // The guard's store stays up; only the queue's Redis goes away.
    let acceptor = Acceptor::new(queue.clone(), IdempotencyGuard::new(MemoryStore::new()));
    let body = body("evt_1");
    let headers = signed_headers("msg_1", &body);
    let verified = verifier().verify(&headers, &body).unwrap();

    redis.stop();
    let refused = acceptor
        .accept(&verified, &headers, body.clone())
        .await
        .unwrap_err();
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.retry_after_secs(), Some(5));

    // The sender retries once Redis is back: accepted (the key was released, not left
    // in flight or marked done without the event being queued).
    redis.restart();
    let mut accepted = None;
    for _ in 0..50 {
        if let Ok(a) = acceptor.accept(&verified, &headers, body.clone()).await {
            accepted = Some(a);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        accepted.expect("accepted after Redis came back").status,
        202
    );
    assert_eq!(queue.counts().await.unwrap().pending, 1);
}

#[tokio::test]
async fn full_queue_answers_503_and_the_retry_is_accepted_once_drained() {
    let queue = MemoryQueue::new("full", fast_config().max_len(1));
    let acceptor = Acceptor::new(queue.clone(), IdempotencyGuard::new(MemoryStore::new()));
    let first = body("evt_1");
    let h1 = signed_headers("msg_1", &first);
    acceptor
        .accept(&verifier().verify(&h1, &first).unwrap(), &h1, first.clone())
        .await
        .unwrap();
    let second = body("evt_2");
    let h2 = signed_headers("msg_2", &second);
    let v2 = verifier().verify(&h2, &second).unwrap();
    assert_eq!(
        acceptor
            .accept(&v2, &h2, second.clone())
            .await
            .unwrap_err()
            .status(),
        503
    );

    let shutdown = webhook_queue::CancellationToken::new();
    let worker = tokio::spawn({
        let (queue, shutdown) = (queue.clone(), shutdown.clone());
        async move {
            queue
                .run(
                    |_job: webhook_queue::Job| async { Ok::<_, webhook_queue::HandlerError>(()) },
                    shutdown,
                )
                .await
        }
    });
    support::wait_until(std::time::Duration::from_secs(5), "drained", || async {
        queue.counts().await.unwrap().is_drained()
    })
    .await;
    assert_eq!(
        acceptor
            .accept(&v2, &h2, second.clone())
            .await
            .unwrap()
            .status,
        202
    );
    shutdown.cancel();
    worker.await.unwrap().unwrap();
}

#[tokio::test]
async fn unguarded_acceptor_queues_every_delivery() {
    let queue: Arc<dyn Queue> = Arc::new(MemoryQueue::new("open", fast_config()));
    let acceptor = Acceptor::from_shared(queue.clone(), None);
    let body = body("evt_1");
    let headers = signed_headers("msg_1", &body);
    let verified = verifier().verify(&headers, &body).unwrap();
    acceptor
        .accept(&verified, &headers, body.clone())
        .await
        .unwrap();
    acceptor
        .accept(&verified, &headers, body.clone())
        .await
        .unwrap();
    assert_eq!(queue.counts().await.unwrap().pending, 2);
}
