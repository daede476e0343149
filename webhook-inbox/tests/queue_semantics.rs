//! The queue scenarios of `webhook_testkit::queue_suite` (the ones the Redis Streams and memory
//! queues run) on a real SQLite file and on the real PostgreSQL server.

mod support;

use std::sync::Arc;
use std::time::Duration;

use support::TestDb;
use webhook_queue::{Queue, QueueConfig};
use webhook_testkit::queue_suite::{self, fast_config};

async fn queue(db: &TestDb, name: &str, config: QueueConfig) -> Arc<dyn Queue> {
    Arc::new(db.inbox().await.queue(name, config))
}

macro_rules! scenarios {
    ($backend:ident) => {
        mod $backend {
            use super::*;

            #[tokio::test]
            async fn handler_failing_twice_succeeds_once_after_two_backoffs() {
                let db = TestDb::$backend();
                queue_suite::fails_twice_then_succeeds_after_backoff(
                    queue(&db, "retry", fast_config()).await,
                )
                .await;
            }

            #[tokio::test]
            async fn always_failing_entry_is_dead_lettered_with_last_error_and_replayable() {
                let db = TestDb::$backend();
                queue_suite::always_failing_is_dead_lettered_then_replayed(
                    queue(&db, "dead", fast_config()).await,
                )
                .await;
            }

            #[tokio::test]
            async fn router_dispatches_by_type_with_fallback_and_dead_letters_bad_payload() {
                let db = TestDb::$backend();
                queue_suite::typed_dispatch_fallback_and_bad_payload(
                    queue(&db, "typed", fast_config()).await,
                )
                .await;
            }

            #[tokio::test]
            async fn shutdown_waits_for_in_flight_handler() {
                let db = TestDb::$backend();
                queue_suite::shutdown_finishes_in_flight_entry(
                    queue(&db, "graceful", fast_config()).await,
                )
                .await;
            }

            #[tokio::test]
            async fn shutdown_past_grace_returns_entry_uncounted() {
                let db = TestDb::$backend();
                let config = fast_config().shutdown_grace(Duration::from_millis(200));
                queue_suite::shutdown_past_grace_returns_entry(queue(&db, "grace", config).await)
                    .await;
            }

            #[tokio::test]
            async fn panicking_handler_fails_the_attempt_and_is_retried() {
                let db = TestDb::$backend();
                queue_suite::panicking_handler_fails_the_attempt_and_is_retried(
                    queue(&db, "panics", fast_config()).await,
                )
                .await;
            }

            #[tokio::test]
            async fn event_that_crashes_every_worker_is_dead_lettered_after_max_attempts() {
                let db = TestDb::$backend();
                queue_suite::event_that_crashes_every_worker_is_dead_lettered(
                    queue(&db, "poison", fast_config()).await,
                )
                .await;
            }

            #[tokio::test]
            async fn a_full_queue_refuses_enqueues_once_its_count_is_renewed() {
                let db = TestDb::$backend();
                full_queue_refuses(queue(&db, "full", fast_config().max_len(3)).await).await;
            }
        }
    };
}

/// `max_len` is checked against a count at most one second old: within that second the count
/// taken by the first enqueue stands; after it, a queue holding `max_len` rows refuses.
async fn full_queue_refuses(queue: Arc<dyn Queue>) {
    let delivery = |i: u32| {
        let body = queue_suite::event_body(
            &format!("evt_full_{i}"),
            "order.paid",
            serde_json::json!({}),
        );
        webhook_queue::Delivery::new(body, webhook_queue::Verification::new("standard"))
    };
    for i in 0..3 {
        queue.enqueue(&delivery(i)).await.expect("room for three");
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let refused = queue
        .enqueue(&delivery(3))
        .await
        .expect_err("three rows wait: full");
    assert!(
        matches!(refused, webhook_queue::QueueError::Full { max_len: 3 }),
        "{refused:?}"
    );
    assert!(
        refused.is_retryable(),
        "a full queue is retried by the sender"
    );
    assert_eq!(queue.counts().await.expect("counts").pending, 3);
}

scenarios!(sqlite);
scenarios!(postgres);
