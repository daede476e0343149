//! Queue semantics, run against both backends: a real `redis-server` (started on a free port by
//! the test) and the in-process memory queue.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use support::{Log, delivery, fast_config, wait_until};
use tokio_util::sync::CancellationToken;
use webhook_queue::{
    Delivery, Handler, HandlerError, Job, MemoryQueue, Queue, QueueConfig, QueueError, RedisQueue,
    Router, Verification,
};
use webhook_testkit::RedisServer;

/// Starts a worker for `queue` in a task; returns its shutdown token and join handle.
fn spawn_worker(
    queue: &Arc<dyn Queue>,
    handler: impl Handler,
) -> (
    CancellationToken,
    tokio::task::JoinHandle<Result<(), QueueError>>,
) {
    let shutdown = CancellationToken::new();
    let task = tokio::spawn({
        let (queue, shutdown) = (queue.clone(), shutdown.clone());
        let handler: Arc<dyn Handler> = Arc::new(handler);
        async move { queue.work(handler, shutdown).await }
    });
    (shutdown, task)
}

async fn stop(
    worker: (
        CancellationToken,
        tokio::task::JoinHandle<Result<(), QueueError>>,
    ),
) {
    worker.0.cancel();
    worker.1.await.unwrap().unwrap();
}

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

async fn drained(queue: &Arc<dyn Queue>) -> bool {
    queue.counts().await.unwrap().is_drained()
}

// ---------------------------------------------------------------- scenarios

async fn fails_twice_then_succeeds_after_backoff(queue: Arc<dyn Queue>) {
    let base = Duration::from_millis(200);
    let seen: Log<(u32, Instant, Option<String>)> = Log::default();
    let handler = {
        let seen = seen.clone();
        move |job: Job| {
            seen.push((
                job.attempt(),
                Instant::now(),
                job.last_error().map(str::to_owned),
            ));
            async move {
                if job.attempt() <= 2 {
                    Err(HandlerError::msg(format!(
                        "downstream refused, attempt {}",
                        job.attempt()
                    )))
                } else {
                    Ok(())
                }
            }
        }
    };
    queue
        .enqueue(&delivery("evt_retry", "payment.succeeded"))
        .await
        .unwrap();
    let worker = spawn_worker(&queue, handler);
    wait_until(Duration::from_secs(10), "three attempts", || async {
        seen.len() >= 3
    })
    .await;
    wait_until(Duration::from_secs(5), "queue drained", || drained(&queue)).await;
    tokio::time::sleep(Duration::from_millis(500)).await; // a fourth attempt would show up here
    stop(worker).await;

    let seen = seen.items();
    let attempts: Vec<u32> = seen.iter().map(|s| s.0).collect();
    assert_eq!(
        attempts,
        [1, 2, 3],
        "processed once successfully after two retries"
    );
    assert!(
        seen[1].1 - seen[0].1 >= base,
        "first retry after >= {base:?}: {:?}",
        seen[1].1 - seen[0].1
    );
    assert!(
        seen[2].1 - seen[1].1 >= base * 2,
        "second retry after >= {:?}: {:?}",
        base * 2,
        seen[2].1 - seen[1].1
    );
    assert_eq!(seen[2].2.as_deref(), Some("downstream refused, attempt 2"));
    let counts = queue.counts().await.unwrap();
    assert_eq!((counts.pending, counts.retrying, counts.dead), (0, 0, 0));
}

async fn always_failing_is_dead_lettered_then_replayed(queue: Arc<dyn Queue>) {
    let original = delivery("evt_dead", "payment.succeeded");
    queue.enqueue(&original).await.unwrap();
    let failing = spawn_worker(&queue, |job: Job| async move {
        Err::<(), _>(HandlerError::msg(format!(
            "bug in handler (attempt {})",
            job.attempt()
        )))
    });
    wait_until(Duration::from_secs(10), "a dead letter", || async {
        queue.counts().await.unwrap().dead == 1
    })
    .await;
    stop(failing).await;

    let dead = queue.dead_letters(None, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 3, "dead after max_attempts = 3");
    assert_eq!(dead[0].last_error, "bug in handler (attempt 3)");
    assert_eq!(
        dead[0].delivery.body(),
        original.body(),
        "body kept byte for byte"
    );
    assert_eq!(dead[0].delivery.key(), Some("evt_dead"));
    let counts = queue.counts().await.unwrap();
    assert_eq!((counts.pending, counts.retrying, counts.dead), (0, 0, 1));

    // Fixed handler: replay the dead letter, it is processed once.
    let handled: Log<(String, u32)> = Log::default();
    let fixed = spawn_worker(&queue, {
        let handled = handled.clone();
        move |job: Job| {
            handled.push((job.delivery().key().unwrap_or("").to_owned(), job.attempt()));
            async { Ok::<_, HandlerError>(()) }
        }
    });
    let new_id = queue.replay(&dead[0].id).await.unwrap();
    assert!(new_id.is_some());
    assert_eq!(
        queue.replay(&dead[0].id).await.unwrap(),
        None,
        "a dead letter replays once"
    );
    wait_until(Duration::from_secs(5), "replayed entry handled", || async {
        handled.len() == 1
    })
    .await;
    wait_until(Duration::from_secs(5), "drained", || drained(&queue)).await;
    stop(fixed).await;
    assert_eq!(
        handled.items(),
        [("evt_dead".to_owned(), 1)],
        "replay starts again at attempt 1"
    );
    assert_eq!(queue.counts().await.unwrap().dead, 0);
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
struct Payment {
    id: String,
    amount: u64,
}

async fn typed_dispatch_fallback_and_bad_payload(queue: Arc<dyn Queue>) {
    use webhook_verify::envelope::Envelope;
    let payments: Log<(String, u64, usize)> = Log::default();
    let others: Log<String> = Log::default();
    let router = Router::new()
        .on("payment.succeeded", {
            let payments = payments.clone();
            move |event: Envelope<Payment>, job: Job| {
                let Envelope::Event(event) = event else {
                    panic!("expected the Event envelope")
                };
                payments.push((
                    event.data.object.id,
                    event.data.object.amount,
                    job.body().len(),
                ));
                async { Ok::<_, HandlerError>(()) }
            }
        })
        .fallback({
            let others = others.clone();
            move |job: Job| {
                others.push(job.delivery().key().unwrap_or("").to_owned());
                async { Ok::<_, HandlerError>(()) }
            }
        });
    let paid = delivery("evt_paid", "payment.succeeded");
    queue.enqueue(&paid).await.unwrap();
    queue
        .enqueue(&delivery("evt_other", "customer.created"))
        .await
        .unwrap();
    let bad = Delivery::new(
        support::event_body(
            "evt_bad",
            "payment.succeeded",
            serde_json::json!({"id": "p", "amount": "lots"}),
        ),
        Verification::new("standard"),
    );
    queue.enqueue(&bad).await.unwrap();
    let worker = spawn_worker(&queue, router);
    wait_until(
        Duration::from_secs(10),
        "bad payload dead-lettered",
        || async { queue.counts().await.unwrap().dead == 1 },
    )
    .await;
    wait_until(Duration::from_secs(5), "drained", || drained(&queue)).await;
    stop(worker).await;

    assert_eq!(
        payments.items(),
        [("obj_evt_paid".to_owned(), 42, paid.body().len())]
    );
    assert_eq!(others.items(), ["evt_other"]);
    let dead = queue.dead_letters(None, 10).await.unwrap();
    assert_eq!(
        dead[0].attempts, 3,
        "a deserialization failure is retried, then dead"
    );
    assert!(
        dead[0].last_error.contains("does not deserialize"),
        "{}",
        dead[0].last_error
    );
}

async fn shutdown_finishes_in_flight_entry(queue: Arc<dyn Queue>) {
    let started: Log<u32> = Log::default();
    let finished: Log<u32> = Log::default();
    let handler = {
        let (started, finished) = (started.clone(), finished.clone());
        move |job: Job| {
            let (started, finished) = (started.clone(), finished.clone());
            async move {
                started.push(job.attempt());
                tokio::time::sleep(Duration::from_millis(400)).await;
                finished.push(job.attempt());
                Ok::<_, HandlerError>(())
            }
        }
    };
    queue.enqueue(&delivery("evt_slow", "x")).await.unwrap();
    let worker = spawn_worker(&queue, handler);
    wait_until(Duration::from_secs(5), "handler started", || async {
        started.len() == 1
    })
    .await;
    stop(worker).await; // returns only once the in-flight handler finished
    assert_eq!(finished.items(), [1]);
    let counts = queue.counts().await.unwrap();
    assert_eq!(
        (counts.pending, counts.retrying, counts.dead),
        (0, 0, 0),
        "acknowledged"
    );
}

async fn shutdown_past_grace_returns_entry(queue: Arc<dyn Queue>) {
    let started: Log<u32> = Log::default();
    let stuck = {
        let started = started.clone();
        move |job: Job| {
            started.push(job.attempt());
            async move {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Ok::<_, HandlerError>(())
            }
        }
    };
    queue.enqueue(&delivery("evt_stuck", "x")).await.unwrap();
    let worker = spawn_worker(&queue, stuck);
    wait_until(Duration::from_secs(5), "handler started", || async {
        started.len() == 1
    })
    .await;
    let cancelled_at = Instant::now();
    stop(worker).await;
    assert!(
        cancelled_at.elapsed() < Duration::from_secs(5),
        "worker stopped after the grace period"
    );
    assert!(!drained(&queue).await, "the entry went back to the queue");

    let handled: Log<u32> = Log::default();
    let next = spawn_worker(&queue, {
        let handled = handled.clone();
        move |job: Job| {
            handled.push(job.attempt());
            async { Ok::<_, HandlerError>(()) }
        }
    });
    wait_until(Duration::from_secs(5), "returned entry handled", || async {
        handled.len() == 1
    })
    .await;
    stop(next).await;
    assert_eq!(
        handled.items(),
        [1],
        "the interrupted attempt is not counted"
    );
}

// ---------------------------------------------------------------- Redis

#[tokio::test]
async fn redis_handler_failing_twice_succeeds_once_after_two_backoffs() {
    let redis = RedisServer::start();
    fails_twice_then_succeeds_after_backoff(redis_queue(&redis, "retry", fast_config()).await)
        .await;
}

#[tokio::test]
async fn redis_always_failing_entry_is_dead_lettered_with_last_error_and_replayable() {
    let redis = RedisServer::start();
    always_failing_is_dead_lettered_then_replayed(redis_queue(&redis, "dead", fast_config()).await)
        .await;
}

#[tokio::test]
async fn redis_router_dispatches_by_type_with_fallback_and_dead_letters_bad_payload() {
    let redis = RedisServer::start();
    typed_dispatch_fallback_and_bad_payload(redis_queue(&redis, "typed", fast_config()).await)
        .await;
}

#[tokio::test]
async fn redis_shutdown_waits_for_in_flight_handler() {
    let redis = RedisServer::start();
    shutdown_finishes_in_flight_entry(redis_queue(&redis, "graceful", fast_config()).await).await;
}

#[tokio::test]
async fn redis_shutdown_past_grace_returns_entry_uncounted() {
    let redis = RedisServer::start();
    let config = fast_config().shutdown_grace(Duration::from_millis(200));
    shutdown_past_grace_returns_entry(redis_queue(&redis, "grace", config).await).await;
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
    fails_twice_then_succeeds_after_backoff(queue.clone()).await;
    always_failing_is_dead_lettered_then_replayed(queue).await;
}

// ---------------------------------------------------------------- memory

#[tokio::test]
async fn memory_handler_failing_twice_succeeds_once_after_two_backoffs() {
    fails_twice_then_succeeds_after_backoff(memory_queue("retry", fast_config())).await;
}

#[tokio::test]
async fn memory_always_failing_entry_is_dead_lettered_with_last_error_and_replayable() {
    always_failing_is_dead_lettered_then_replayed(memory_queue("dead", fast_config())).await;
}

#[tokio::test]
async fn memory_router_dispatches_by_type_with_fallback_and_dead_letters_bad_payload() {
    typed_dispatch_fallback_and_bad_payload(memory_queue("typed", fast_config())).await;
}

#[tokio::test]
async fn memory_shutdown_waits_for_in_flight_handler() {
    shutdown_finishes_in_flight_entry(memory_queue("graceful", fast_config())).await;
}

#[tokio::test]
async fn memory_shutdown_past_grace_returns_entry_uncounted() {
    let config = fast_config().shutdown_grace(Duration::from_millis(200));
    shutdown_past_grace_returns_entry(memory_queue("grace", config)).await;
}

#[tokio::test]
async fn memory_panicking_handler_fails_the_attempt_and_is_retried() {
    let queue = memory_queue("panics", fast_config());
    queue.enqueue(&delivery("evt_panic", "x")).await.unwrap();
    let worker = spawn_worker(&queue, |job: Job| async move {
        if job.attempt() == 1 {
            panic!("boom");
        }
        assert_eq!(job.last_error(), Some("handler panicked: boom"));
        Ok::<_, HandlerError>(())
    });
    wait_until(
        Duration::from_secs(5),
        "retried after the panic",
        || async {
            let counts = queue.counts().await.unwrap();
            counts.is_drained() && counts.dead == 0
        },
    )
    .await;
    stop(worker).await;
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
    queue.enqueue(&delivery("evt_poison", "x")).await.unwrap();
    let started: Log<u32> = Log::default();
    for crash in 1..=3 {
        let stuck = {
            let started = started.clone();
            move |job: Job| {
                started.push(job.attempt());
                std::future::pending::<Result<(), HandlerError>>()
            }
        };
        let (_token, task) = spawn_worker(&queue, stuck);
        wait_until(Duration::from_secs(10), "the handler started", || async {
            started.len() == crash
        })
        .await;
        task.abort(); // the worker dies mid-handling: no acknowledgement, no heartbeat
        let _ = task.await;
    }
    assert_eq!(
        started.items(),
        [1, 2, 3],
        "each crash counts as an attempt"
    );

    let ran_again: Log<u32> = Log::default();
    let next = spawn_worker(&queue, {
        let ran_again = ran_again.clone();
        move |job: Job| {
            ran_again.push(job.attempt());
            async { Ok::<_, HandlerError>(()) }
        }
    });
    wait_until(Duration::from_secs(10), "dead-lettered", || async {
        queue.counts().await.unwrap().dead == 1
    })
    .await;
    stop(next).await;
    assert!(ran_again.items().is_empty(), "not run a fourth time");
    let dead = queue.dead_letters(None, 1).await.unwrap();
    assert_eq!(dead[0].attempts, 3);
    assert!(
        dead[0].last_error.contains("stopped without finishing"),
        "{}",
        dead[0].last_error
    );
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
