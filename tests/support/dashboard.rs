//! For the dashboard's tests: a queue holding one dead letter with a worker that keeps running,
//! and the axum receiver they serve it from.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use webhook_dashboard::{Dashboard, DeliveryLog};
use webhook_idempotency::{IdempotencyGuard, MemoryStore};
use webhook_queue::{Delivery, Job, MemoryQueue, Queue, QueueConfig, QueueError, Verification};
use webhook_verify::{Scheme, Verifier};

/// A verifier of `hmac-sha256` deliveries signed with [`super::SECRET`], recording each
/// answered request into `log`.
pub fn recording_verifier(log: &DeliveryLog) -> Verifier {
    Verifier::builder(Scheme::hmac_sha256())
        .secret(super::SECRET)
        .recorder(log.clone())
        .build()
        .unwrap()
}

/// The axum app the dashboard's tests serve: `/webhooks` verified by `verifier` and
/// deduplicated in memory (answering `ok`), `dashboard` under `/_webhooks`.
pub fn receiver_app(verifier: Verifier, dashboard: Dashboard) -> Router {
    Router::new()
        .route("/webhooks", axum::routing::post(|| async { "ok" }))
        .route_layer(webhook_axum::IdempotencyLayer::new(IdempotencyGuard::new(
            MemoryStore::new(),
        )))
        .route_layer(webhook_axum::VerifyWebhookLayer::new(verifier))
        .nest_service("/_webhooks", webhook_axum::dashboard::router(dashboard))
}

/// A memory queue with one attempt per entry, one dead letter (`evt_dead`, killed by a handler
/// that failed with `the handler failed <b>`), and its worker still running: once
/// `failing` is set to `false`, a replayed letter is processed and counted in `processed`.
pub struct DeadLetterQueue {
    pub queue: Arc<dyn Queue>,
    pub failing: Arc<AtomicBool>,
    pub processed: Arc<AtomicUsize>,
    pub stop: CancellationToken,
    pub worker: JoinHandle<Result<(), QueueError>>,
}

impl DeadLetterQueue {
    pub async fn start() -> Self {
        let queue: Arc<dyn Queue> = Arc::new(MemoryQueue::new(
            "orders",
            QueueConfig::default().max_attempts(1),
        ));
        let body = super::event("evt_dead", "order.failed");
        let verification = Verification::new("hmac-sha256").webhook_id("evt_dead");
        queue
            .enqueue(&Delivery::new(body, verification))
            .await
            .unwrap();
        let failing = Arc::new(AtomicBool::new(true));
        let processed = Arc::new(AtomicUsize::new(0));
        let handler = {
            let (failing, processed) = (failing.clone(), Arc::clone(&processed));
            move |_: Job| {
                let fails = failing.load(Ordering::SeqCst);
                let processed = Arc::clone(&processed);
                async move {
                    if fails {
                        return Err(std::io::Error::other("the handler failed <b>"));
                    }
                    processed.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }
            }
        };
        let stop = CancellationToken::new();
        let worker = {
            let (queue, stop) = (queue.clone(), stop.clone());
            tokio::spawn(async move { queue.work(Arc::new(handler), stop).await })
        };
        let dead = Self {
            queue,
            failing,
            processed,
            stop,
            worker,
        };
        dead.wait_until("one dead letter", |c| c.dead == 1).await;
        dead
    }

    /// Waits (at most 10 s) until the queue's counts satisfy `done`; panics naming `what`.
    pub async fn wait_until(&self, what: &str, done: impl Fn(&webhook_queue::Counts) -> bool) {
        for _ in 0..400 {
            if done(&self.queue.counts().await.unwrap()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("{what}: not within 10 s: {:?}", self.queue.counts().await);
    }
}
