//! Running one attempt: a `tracing` span, panics caught and turned into failures, the attempt
//! counted in the queue's metrics.

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt as _;
use tracing::Instrument as _;

use crate::{Handler, HandlerError, Job};

/// Runs `handler` on `job` inside a span `webhook_queue.attempt`; a panic fails the attempt.
pub(crate) async fn run(handler: &dyn Handler, job: Job) -> Result<(), HandlerError> {
    let span = tracing::info_span!(
        "webhook_queue.attempt",
        queue = %job.queue(),
        entry = %job.id(),
        attempt = job.attempt(),
        max_attempts = job.max_attempts(),
        webhook_id = job.delivery().verification().webhook_id.as_deref().unwrap_or(""),
        key = job.delivery().key().unwrap_or(""),
    );
    let queue = job.queue().to_owned();
    let started = std::time::Instant::now();
    let outcome = async {
        match AssertUnwindSafe(handler.call(job)).catch_unwind().await {
            Ok(result) => result,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "non-string panic payload".to_owned());
                Err(HandlerError::msg(format!("handler panicked: {what}")))
            }
        }
    }
    .instrument(span.clone())
    .await;
    crate::metrics::attempted(&queue, outcome.is_ok(), started.elapsed());
    let _enter = span.enter();
    match &outcome {
        Ok(()) => tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "handled"),
        Err(err) => tracing::warn!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            error = %err,
            "attempt failed"
        ),
    }
    outcome
}
