//! Every attempt runs inside a `webhook_queue.attempt` span naming the queue, entry and attempt.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::{delivery, fast_config, wait_until};
use tracing::span::{Attributes, Id};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use webhook_queue::{CancellationToken, HandlerError, Job, MemoryQueue, Queue};

/// Records `name: field=value, ...` of every span created.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, _id: &Id, _ctx: Context<'_, S>) {
        struct Fields(String);
        impl tracing::field::Visit for Fields {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.push_str(&format!(" {}={:?}", field.name(), value));
            }
        }
        let mut fields = Fields(String::new());
        attrs.record(&mut fields);
        self.0
            .lock()
            .unwrap()
            .push(format!("{}:{}", attrs.metadata().name(), fields.0));
    }
}

#[tokio::test(flavor = "current_thread")]
async fn each_attempt_has_a_span_with_queue_entry_and_attempt() {
    let spans = Spans::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(spans.clone()));
    let queue = MemoryQueue::new("traced", fast_config());
    queue.enqueue(&delivery("evt_1", "x")).await.unwrap();
    let shutdown = CancellationToken::new();
    let worker = tokio::spawn({
        let (queue, shutdown) = (queue.clone(), shutdown.clone());
        async move {
            let handler = |job: Job| async move {
                if job.attempt() == 1 {
                    return Err(HandlerError::msg("first attempt fails"));
                }
                Ok(())
            };
            queue.run(handler, shutdown).await
        }
    });
    wait_until(Duration::from_secs(5), "two attempts", || async {
        queue.counts().await.unwrap().is_drained()
    })
    .await;
    shutdown.cancel();
    worker.await.unwrap().unwrap();

    let attempts: Vec<String> = spans
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.starts_with("webhook_queue.attempt:"))
        .cloned()
        .collect();
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    for (n, span) in attempts.iter().enumerate() {
        assert!(span.contains("queue=traced"), "{span}");
        assert!(span.contains(&format!("attempt={}", n + 1)), "{span}");
        assert!(
            span.contains("webhook_id=\"evt_1\"") || span.contains("webhook_id=evt_1"),
            "{span}"
        );
        assert!(span.contains("entry="), "{span}");
    }
}
