//! The queue scenarios, written once and run against every [`Queue`]: the Redis Streams and
//! in-memory queues of `webhook-queue`, the SQL queues of `webhook-inbox`. Each scenario takes a
//! fresh, empty queue configured with [`fast_config`] (the grace-period one with
//! `fast_config().shutdown_grace(200 ms)`).
#![allow(missing_docs, clippy::missing_panics_doc)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio_util::sync::CancellationToken;
use webhook_queue::{
    Delivery, Handler, HandlerError, Job, Queue, QueueConfig, QueueError, Router, Verification,
};

/// A configuration with short timings, so tests run in seconds.
pub fn fast_config() -> QueueConfig {
    QueueConfig::default()
        .max_attempts(3)
        .backoff(Duration::from_millis(200), Duration::from_secs(2))
        .claim_idle(Duration::from_millis(600))
        .block(Duration::from_millis(100))
        .shutdown_grace(Duration::from_secs(5))
}

/// A `{id, type, created_at, data: {object}}` event body.
pub fn event_body(id: &str, event_type: &str, object: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": id,
        "type": event_type,
        "created_at": "2025-02-18T10:30:00Z",
        "data": { "object": object },
    }))
    .unwrap()
}

/// A verified-looking delivery of an event with id `id`.
pub fn delivery(id: &str, event_type: &str) -> Delivery {
    Delivery::new(
        event_body(
            id,
            event_type,
            serde_json::json!({ "id": format!("obj_{id}"), "amount": 42 }),
        ),
        Verification::new("standard")
            .webhook_id(id)
            .timestamp(1_700_000_000),
    )
    .header("content-type", "application/json")
    .idempotency_key(id)
}

/// Polls `condition` every 10 ms until it holds; panics with `what` after `limit`.
pub async fn wait_until<F, Fut>(limit: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if condition().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out after {limit:?} waiting for: {what}");
}

/// A shared log of what handlers saw, for assertions.
#[derive(Clone)]
pub struct Log<T>(Arc<Mutex<Vec<T>>>);

impl<T> Default for Log<T> {
    fn default() -> Self {
        Self(Arc::default())
    }
}

impl<T: Clone> Log<T> {
    pub fn push(&self, item: T) {
        self.0.lock().unwrap().push(item);
    }
    pub fn items(&self) -> Vec<T> {
        self.0.lock().unwrap().clone()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// Starts a worker for `queue` in a task; returns its shutdown token and join handle.
pub fn spawn_worker(
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

pub async fn stop(
    worker: (
        CancellationToken,
        tokio::task::JoinHandle<Result<(), QueueError>>,
    ),
) {
    worker.0.cancel();
    worker.1.await.unwrap().unwrap();
}

pub async fn drained(queue: &Arc<dyn Queue>) -> bool {
    queue.counts().await.unwrap().is_drained()
}

// ---------------------------------------------------------------- scenarios

pub async fn fails_twice_then_succeeds_after_backoff(queue: Arc<dyn Queue>) {
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

pub async fn always_failing_is_dead_lettered_then_replayed(queue: Arc<dyn Queue>) {
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
pub struct Payment {
    pub id: String,
    pub amount: u64,
}

pub async fn typed_dispatch_fallback_and_bad_payload(queue: Arc<dyn Queue>) {
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
        event_body(
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

pub async fn shutdown_finishes_in_flight_entry(queue: Arc<dyn Queue>) {
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

pub async fn shutdown_past_grace_returns_entry(queue: Arc<dyn Queue>) {
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

pub async fn panicking_handler_fails_the_attempt_and_is_retried(queue: Arc<dyn Queue>) {
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

/// A handler that never returns, its worker killed mid-handling three times (`max_attempts` 3).
pub async fn event_that_crashes_every_worker_is_dead_lettered(queue: Arc<dyn Queue>) {
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
