//! The queue's metrics (table: `webhook_verify::metrics`), read back from a real Prometheus
//! recorder after real work on both backends: a real `redis-server` on a free port and the
//! memory queue. One recorder serves the whole test binary; each test uses its own queue name.

mod support;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use support::{delivery, fast_config, wait_until};
use tokio_util::sync::CancellationToken;
use webhook_queue::{Handler, HandlerError, Job, MemoryQueue, Queue, RedisQueue};
use webhook_testkit::RedisServer;

fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| PrometheusBuilder::new().install_recorder().unwrap())
}

/// The value of the sample `name{labels}` (labels written as Prometheus renders them), if any.
fn sample(page: &str, name: &str, labels: &str) -> Option<f64> {
    let head = format!("{name}{{{labels}}} ");
    page.lines()
        .find_map(|line| line.strip_prefix(&head))
        .map(|value| value.parse().unwrap())
}

/// One event succeeds at once, one fails on every attempt (3, `fast_config`) and is dead-lettered; then the
/// counters and, after the next depth sample, the gauges say so.
async fn attempts_dead_letters_and_depth_are_reported(queue: Arc<dyn Queue>) {
    let page = || recorder().render();
    let name = queue.name().to_owned();
    let handler: Arc<dyn Handler> = Arc::new(|job: Job| async move {
        if job.delivery().key() == Some("evt_bad") {
            Err(HandlerError::msg("downstream refused"))
        } else {
            Ok(())
        }
    });
    queue
        .enqueue(&delivery("evt_good", "payment.succeeded"))
        .await
        .unwrap();
    queue
        .enqueue(&delivery("evt_bad", "payment.failed"))
        .await
        .unwrap();
    let shutdown = CancellationToken::new();
    let worker = tokio::spawn({
        let (queue, shutdown) = (queue.clone(), shutdown.clone());
        async move { queue.work(handler, shutdown).await }
    });
    wait_until(Duration::from_secs(15), "one dead letter", || async {
        queue.counts().await.unwrap().dead == 1
    })
    .await;
    let q = format!("queue=\"{name}\"");
    let attempts = |result: &str| {
        sample(
            &page(),
            "webhook_queue_attempts_total",
            &format!("{q},result=\"{result}\""),
        )
    };
    assert_eq!(attempts("succeeded"), Some(1.0), "{}", page());
    assert_eq!(attempts("failed"), Some(3.0), "{}", page());
    assert_eq!(
        sample(&page(), "webhook_queue_dead_letters_total", &q),
        Some(1.0)
    );
    assert_eq!(
        sample(&page(), "webhook_queue_attempt_seconds_count", &q),
        Some(4.0)
    );
    // The worker sampled the depth when it started (two pending); the next sample, within
    // 5 s, shows the queue drained and one dead.
    let gauge = |state: &str| {
        sample(
            &page(),
            "webhook_queue_entries",
            &format!("{q},state=\"{state}\""),
        )
    };
    wait_until(
        Duration::from_secs(8),
        "the depth sampled after the work",
        || async { gauge("dead") == Some(1.0) },
    )
    .await;
    assert_eq!(gauge("pending"), Some(0.0));
    assert_eq!(gauge("in_flight"), Some(0.0));
    assert_eq!(gauge("retrying"), Some(0.0));
    assert!(
        !page().contains("evt_"),
        "no event id in a label: {}",
        page()
    );
    shutdown.cancel();
    worker.await.unwrap().unwrap();
}

#[tokio::test]
async fn memory_queue_reports_its_work() {
    recorder();
    attempts_dead_letters_and_depth_are_reported(Arc::new(MemoryQueue::new(
        "metrics-memory",
        fast_config(),
    )))
    .await;
}

#[tokio::test]
async fn redis_queue_reports_its_work() {
    recorder();
    let redis = RedisServer::start();
    let queue = RedisQueue::connect(&redis.url(), "metrics-redis", fast_config())
        .await
        .unwrap();
    attempts_dead_letters_and_depth_are_reported(Arc::new(queue)).await;
}
