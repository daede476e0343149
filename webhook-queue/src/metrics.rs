//! The queue's metrics, emitted through the `metrics` facade: names, labels and meaning are in
//! the toolkit's one table, [`webhook_verify::metrics`]. Both backends call these, so every
//! queue reports alike.

use std::time::Duration;

use tokio_util::sync::{CancellationToken, DropGuard};
use webhook_verify::metrics::{
    QUEUE_ATTEMPT_SECONDS, QUEUE_ATTEMPTS_TOTAL, QUEUE_DEAD_LETTERS_TOTAL, QUEUE_ENTRIES,
};

use crate::{Counts, Queue};

/// How often a running worker samples its queue's [`Counts`] into `webhook_queue_entries`.
pub(crate) const DEPTH_SAMPLE_EVERY: Duration = Duration::from_secs(5);

/// Records one handler attempt: its time and whether it succeeded.
pub(crate) fn attempted(queue: &str, succeeded: bool, took: Duration) {
    let queue = queue.to_owned();
    metrics::histogram!(QUEUE_ATTEMPT_SECONDS, "queue" => queue.clone()).record(took.as_secs_f64());
    let result = if succeeded { "succeeded" } else { "failed" };
    metrics::counter!(QUEUE_ATTEMPTS_TOTAL, "queue" => queue, "result" => result).increment(1);
}

/// Counts an entry moved to the dead letters.
pub(crate) fn dead_lettered(queue: &str) {
    metrics::counter!(QUEUE_DEAD_LETTERS_TOTAL, "queue" => queue.to_owned()).increment(1);
}

fn record_counts(queue: &str, counts: &Counts) {
    for (state, value) in [
        ("pending", counts.pending),
        ("in_flight", counts.in_flight),
        ("retrying", counts.retrying),
        ("dead", counts.dead),
    ] {
        metrics::gauge!(QUEUE_ENTRIES, "queue" => queue.to_owned(), "state" => state)
            .set(value as f64);
    }
}

/// Samples `queue`'s counts now and every [`DEPTH_SAMPLE_EVERY`], in a task of its own, until
/// the returned guard is dropped; a failed sample (the store is down) keeps the last values and
/// is tried again next time.
pub(crate) fn sample_depth(queue: impl Queue) -> DropGuard {
    let stop = CancellationToken::new();
    tokio::spawn(sample_until(queue, stop.clone()));
    stop.drop_guard()
}

async fn sample_until(queue: impl Queue, stop: CancellationToken) {
    loop {
        if let Ok(counts) = queue.counts().await {
            record_counts(queue.name(), &counts);
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(DEPTH_SAMPLE_EVERY) => {}
        }
    }
}
