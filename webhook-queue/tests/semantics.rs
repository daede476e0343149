//! Queue semantics, run against both backends: a real `redis-server` (started on a free port by
//! the test) and the in-process memory queue.

mod support;

use std::sync::Arc;
use std::time::Duration;

use support::{Log, delivery, fast_config, wait_until};
use webhook_queue::{
    Delivery, HandlerError, Job, MemoryQueue, Queue, QueueConfig, QueueError, RedisQueue,
    Verification,
};
use webhook_testkit::RedisServer;
use webhook_testkit::queue_suite::{self, drained, spawn_worker, stop};

async fn redis_queue(redis: &RedisServer, name: &str, config: QueueConfig) -> Arc<dyn Queue> {
    Arc::new(
        RedisQueue::connect(&redis.url(), name, config)
            .await
            .unwrap(),
    )
}

fn memory_queue(name: &str, config: QueueConfig) -> Arc<dyn Queue> {
    Arc::new(MemoryQueue::new(name, config))
}

// ---------------------------------------------------------------- Redis

#[tokio::test]
async fn redis_handler_failing_twice_succeeds_once_after_two_backoffs() {
    let redis = RedisServer::start();
    queue_suite::fails_twice_then_succeeds_after_backoff(
        redis_queue(&redis, "retry", fast_config()).await,
    )
    .await;
}

#[tokio::test]
async fn redis_always_failing_entry_is_dead_lettered_with_last_error_and_replayable() {
    let redis = RedisServer::start();
    queue_suite::always_failing_is_dead_lettered_then_replayed(
        redis_queue(&redis, "dead", fast_config()).await,
    )
    .await;
}

#[tokio::test]
async fn redis_router_dispatches_by_type_with_fallback_and_dead_letters_bad_payload() {
    let redis = RedisServer::start();
    queue_suite::typed_dispatch_fallback_and_bad_payload(
        redis_queue(&redis, "typed", fast_config()).await,
    )
    .await;
}

#[tokio::test]
async fn redis_shutdown_waits_for_in_flight_handler() {
    let redis = RedisServer::start();
    queue_suite::shutdown_finishes_in_flight_entry(
        redis_queue(&redis, "graceful", fast_config()).await,
    )
    .await;
}

#[tokio::test]
async fn redis_shutdown_past_grace_returns_entry_uncounted() {
    let redis = RedisServer::start();
    let config = fast_config().shutdown_grace(Duration::from_millis(200));
    queue_suite::shutdown_past_grace_returns_entry(redis_queue(&redis, "grace", config).await)
        .await;
}

#[tokio::test]
async fn redis_full_stream_refuses_append_instead_of_trimming() {
    let redis = RedisServer::start();
    let queue = redis_queue(&redis, "full", fast_config().max_len(3)).await;
    for i in 0..3 {
        queue
            .enqueue(&delivery(&format!("evt_{i}"), "x"))
            .await
            .unwrap();
    }
    let err = queue.enqueue(&delivery("evt_3", "x")).await.unwrap_err();
    assert!(matches!(err, QueueError::Full { max_len: 3 }), "{err}");
    assert!(err.is_retryable());
    assert_eq!(
        queue.counts().await.unwrap().pending,
        3,
        "nothing was trimmed"
    );
}

#[tokio::test]
async fn redis_entry_keeps_binary_body_headers_and_verification() {
    let redis = RedisServer::start();
    let queue = redis_queue(&redis, "bytes", fast_config()).await;
    let body: Vec<u8> = (0..=255u8).chain(b"\r\n\0{}".iter().copied()).collect();
    let sent = Delivery::new(body.clone(), Verification::new("github").secret_index(1))
        .header("x-github-event", "push")
        .header("x-multi", "one")
        .header("x-multi", "two")
        .idempotency_key("d-1");
    queue.enqueue(&sent).await.unwrap();
    let got: Log<Delivery> = Log::default();
    let worker = spawn_worker(&queue, {
        let got = got.clone();
        move |job: Job| {
            got.push(job.delivery().clone());
            async { Ok::<_, HandlerError>(()) }
        }
    });
    wait_until(Duration::from_secs(5), "handled", || async {
        got.len() == 1
    })
    .await;
    stop(worker).await;
    let got = got.items().remove(0);
    assert_eq!(got.body().as_ref(), body.as_slice());
    assert_eq!(got.headers()["x-github-event"], "push");
    let multi: Vec<_> = got.headers().get_all("x-multi").iter().collect();
    assert_eq!(multi, ["one", "two"]);
    assert_eq!(got.verification(), sent.verification());
    assert_eq!(got.key(), Some("d-1"));
}

#[tokio::test]
async fn redis_keys_of_a_queue_share_one_hash_tag() {
    let redis = RedisServer::start();
    let queue = redis_queue(&redis, "tagged", fast_config()).await;
    queue.enqueue(&delivery("evt_1", "x")).await.unwrap();
    let keys = redis.command("KEYS *");
    assert!(keys.contains("webhook-queue:{tagged}:stream"), "{keys}");
}

#[tokio::test]
async fn redis_cluster_queue_retries_dead_letters_and_replays() {
    let cluster = webhook_testkit::RedisCluster::start(3);
    let queue: Arc<dyn Queue> = Arc::new(
        RedisQueue::connect_cluster(&cluster.urls(), "clustered", fast_config())
            .await
            .unwrap(),
    );
    queue_suite::fails_twice_then_succeeds_after_backoff(queue.clone()).await;
    queue_suite::always_failing_is_dead_lettered_then_replayed(queue).await;
}

// ---------------------------------------------------------------- memory

#[tokio::test]
async fn memory_handler_failing_twice_succeeds_once_after_two_backoffs() {
    queue_suite::fails_twice_then_succeeds_after_backoff(memory_queue("retry", fast_config()))
        .await;
}

#[tokio::test]
async fn memory_always_failing_entry_is_dead_lettered_with_last_error_and_replayable() {
    queue_suite::always_failing_is_dead_lettered_then_replayed(memory_queue("dead", fast_config()))
        .await;
}

#[tokio::test]
async fn memory_router_dispatches_by_type_with_fallback_and_dead_letters_bad_payload() {
    queue_suite::typed_dispatch_fallback_and_bad_payload(memory_queue("typed", fast_config()))
        .await;
}

#[tokio::test]
async fn memory_shutdown_waits_for_in_flight_handler() {
    queue_suite::shutdown_finishes_in_flight_entry(memory_queue("graceful", fast_config())).await;
}

#[tokio::test]
async fn memory_shutdown_past_grace_returns_entry_uncounted() {
    let config = fast_config().shutdown_grace(Duration::from_millis(200));
    queue_suite::shutdown_past_grace_returns_entry(memory_queue("grace", config)).await;
}

#[tokio::test]
async fn memory_panicking_handler_fails_the_attempt_and_is_retried() {
    queue_suite::panicking_handler_fails_the_attempt_and_is_retried(memory_queue(
        "panics",
        fast_config(),
    ))
    .await;
}

#[tokio::test]
async fn memory_full_queue_refuses_append() {
    let queue = memory_queue("full", fast_config().max_len(1));
    queue.enqueue(&delivery("evt_0", "x")).await.unwrap();
    assert!(matches!(
        queue.enqueue(&delivery("evt_1", "x")).await,
        Err(QueueError::Full { .. })
    ));
}

// ---------------------------------------------------------------- Redis worker robustness

#[tokio::test]
async fn redis_slow_handler_longer_than_claim_idle_is_not_reclaimed_by_another_worker() {
    let redis = RedisServer::start();
    let queue = redis_queue(&redis, "slow", fast_config()).await; // claim_idle 600 ms
    let runs: Log<u32> = Log::default();
    let slow = |runs: Log<u32>| {
        move |job: Job| {
            runs.push(job.attempt());
            async move {
                tokio::time::sleep(Duration::from_millis(3000)).await; // 5x the claim-idle time
                Ok::<_, HandlerError>(())
            }
        }
    };
    let first = spawn_worker(&queue, slow(runs.clone()));
    let second = spawn_worker(&queue, slow(runs.clone()));
    queue.enqueue(&delivery("evt_slow", "x")).await.unwrap();
    wait_until(Duration::from_secs(10), "handled", || drained(&queue)).await;
    stop(first).await;
    stop(second).await;
    assert_eq!(
        runs.items(),
        [1],
        "the heartbeat kept the entry with its live worker"
    );
}

#[tokio::test]
async fn redis_worker_keeps_working_after_redis_restarts() {
    let mut redis = RedisServer::start();
    let queue = redis_queue(&redis, "restart", fast_config()).await;
    let handled: Log<String> = Log::default();
    let worker = spawn_worker(&queue, {
        let handled = handled.clone();
        move |job: Job| {
            handled.push(job.delivery().key().unwrap_or("").to_owned());
            async { Ok::<_, HandlerError>(()) }
        }
    });
    queue.enqueue(&delivery("evt_before", "x")).await.unwrap();
    wait_until(Duration::from_secs(5), "first handled", || async {
        handled.len() == 1
    })
    .await;

    redis.restart(); // SIGKILL, then an empty server on the same port
    let mut enqueued = false;
    for _ in 0..100 {
        if queue.enqueue(&delivery("evt_after", "x")).await.is_ok() {
            enqueued = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(enqueued, "the queue reconnected");
    wait_until(
        Duration::from_secs(15),
        "handled after the restart",
        || async { handled.len() == 2 },
    )
    .await;
    stop(worker).await;
    assert_eq!(handled.items(), ["evt_before", "evt_after"]);
}

#[tokio::test]
async fn redis_dead_letters_page_and_discard() {
    let redis = RedisServer::start();
    let queue = redis_queue(&redis, "pages", fast_config().max_attempts(1)).await;
    for i in 0..5 {
        queue
            .enqueue(&delivery(&format!("evt_{i}"), "x"))
            .await
            .unwrap();
    }
    let worker = spawn_worker(&queue, |_job: Job| async {
        Err::<(), _>(HandlerError::msg("always"))
    });
    wait_until(Duration::from_secs(10), "five dead letters", || async {
        queue.counts().await.unwrap().dead == 5
    })
    .await;
    stop(worker).await;
    let first = queue.dead_letters(None, 3).await.unwrap();
    let rest = queue.dead_letters(Some(&first[2].id), 10).await.unwrap();
    assert_eq!((first.len(), rest.len()), (3, 2));
    let mut keys: Vec<String> = first
        .iter()
        .chain(&rest)
        .map(|d| d.delivery.key().unwrap().to_owned())
        .collect();
    keys.sort();
    assert_eq!(keys, ["evt_0", "evt_1", "evt_2", "evt_3", "evt_4"]);
    assert!(
        first
            .iter()
            .all(|d| d.attempts == 1 && d.last_error == "always" && !d.entry_id.is_empty())
    );
    assert!(queue.discard(&rest[0].id).await.unwrap());
    assert!(!queue.discard(&rest[0].id).await.unwrap());
    assert_eq!(queue.counts().await.unwrap().dead, 4);
}

#[tokio::test]
async fn redis_event_that_crashes_every_worker_is_dead_lettered_after_max_attempts() {
    let redis = RedisServer::start();
    let queue = redis_queue(&redis, "poison", fast_config()).await; // max_attempts = 3
    queue_suite::event_that_crashes_every_worker_is_dead_lettered(queue).await;
}

#[tokio::test]
async fn redis_consumers_of_stopped_workers_are_forgotten() {
    let redis = RedisServer::start();
    let config = fast_config().claim_idle(Duration::from_millis(400)); // forgotten after 4 s idle
    let queue = redis_queue(&redis, "forget", config).await;
    let ok = |_job: Job| async { Ok::<_, HandlerError>(()) };
    for i in 0..3 {
        // Each worker handles an entry, so its consumer exists in the group.
        let worker = spawn_worker(&queue, ok);
        queue
            .enqueue(&delivery(&format!("evt_{i}"), "x"))
            .await
            .unwrap();
        wait_until(Duration::from_secs(5), "handled", || drained(&queue)).await;
        stop(worker).await;
    }
    let consumers = || redis.command("XINFO CONSUMERS webhook-queue:{forget}:stream workers");
    assert_eq!(consumers().matches("pending").count(), 3, "{}", consumers());
    let live = spawn_worker(&queue, ok);
    queue.enqueue(&delivery("evt_live", "x")).await.unwrap();
    wait_until(Duration::from_secs(5), "handled by the live worker", || {
        drained(&queue)
    })
    .await;
    assert_eq!(consumers().matches("pending").count(), 4, "{}", consumers());
    // The live worker never forgets itself, so one left means the three stopped ones are gone.
    wait_until(
        Duration::from_secs(10),
        "stopped consumers forgotten",
        || async { consumers().matches("pending").count() == 1 },
    )
    .await;
    queue.enqueue(&delivery("evt_last", "x")).await.unwrap();
    wait_until(
        Duration::from_secs(5),
        "the live worker still works",
        || drained(&queue),
    )
    .await;
    stop(live).await;
}
