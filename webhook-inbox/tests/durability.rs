//! Several workers on one PostgreSQL share the rows (`FOR UPDATE SKIP LOCKED`): each event
//! handled once; a SQLite inbox closed with work queued keeps it, and a new process on the same
//! file finishes it.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use support::TestDb;
use webhook_queue::{Handler, HandlerError, Job, Queue};
use webhook_testkit::queue_suite::{Log, delivery, fast_config, spawn_worker, stop, wait_until};

fn recorder(log: &Log<String>) -> impl Handler + use<> {
    let log = log.clone();
    move |job: Job| {
        log.push(job.delivery().key().unwrap_or("").to_owned());
        async { Ok::<_, HandlerError>(()) }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_postgres_workers_handle_each_of_400_events_once() {
    let db = TestDb::postgres();
    // Two pools, as two worker processes would have.
    let a: Arc<dyn Queue> = Arc::new(db.inbox().await.queue("shared", fast_config()));
    let b: Arc<dyn Queue> = Arc::new(db.inbox().await.queue("shared", fast_config()));
    for i in 0..400 {
        a.enqueue(&delivery(&format!("evt_{i}"), "order.paid"))
            .await
            .unwrap();
    }
    let (seen_a, seen_b) = (Log::default(), Log::default());
    let wa = spawn_worker(&a, recorder(&seen_a));
    let wb = spawn_worker(&b, recorder(&seen_b));
    wait_until(Duration::from_secs(60), "400 handled", || async {
        seen_a.len() + seen_b.len() >= 400 && a.counts().await.unwrap().is_drained()
    })
    .await;
    stop(wa).await;
    stop(wb).await;
    let mut times: HashMap<String, usize> = HashMap::new();
    for key in seen_a.items().into_iter().chain(seen_b.items()) {
        *times.entry(key).or_default() += 1;
    }
    assert_eq!(times.len(), 400);
    assert!(times.values().all(|&n| n == 1), "an event ran twice");
    assert!(
        !seen_a.is_empty() && !seen_b.is_empty(),
        "both workers took a share"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_inbox_reopened_finishes_what_it_had_queued() {
    let db = TestDb::sqlite();
    let first = db.inbox().await;
    let queue = first.queue("local", fast_config());
    for i in 0..20 {
        queue
            .enqueue(&delivery(&format!("evt_{i}"), "order.paid"))
            .await
            .unwrap();
    }
    drop(queue);
    first.close().await; // the receiver stops before any worker ran

    let reopened = db.inbox().await; // migrate again: a no-op on the existing file
    let queue: Arc<dyn Queue> = Arc::new(reopened.queue("local", fast_config()));
    assert_eq!(queue.counts().await.unwrap().pending, 20);
    let seen = Log::default();
    let worker = spawn_worker(&queue, recorder(&seen));
    wait_until(Duration::from_secs(20), "all 20 handled", || async {
        queue.counts().await.unwrap().is_drained()
    })
    .await;
    stop(worker).await;
    let mut keys = seen.items();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 20);
    assert_eq!(seen.len(), 20);
}
