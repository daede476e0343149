//! The history on both SQL backends: counts per status, list and filter, show (raw body, kept
//! headers without credentials), replay of a dead delivery (processed) and of a done one (a new
//! attempt of the same row), retention.

mod support;

use std::sync::Arc;
use std::time::Duration;

use support::TestDb;
use webhook_inbox::ListFilter;
use webhook_queue::{HandlerError, Job, Queue};
use webhook_testkit::queue_suite::{Log, delivery, fast_config, spawn_worker, stop, wait_until};

async fn history_scenario(db: TestDb) {
    let inbox = db.inbox().await;
    let queue: Arc<dyn Queue> = Arc::new(inbox.queue("hist", fast_config().max_attempts(2)));
    for id in ["evt_a", "evt_b", "evt_bad"] {
        let d = delivery(id, "order.paid")
            .header("authorization", "Bearer secret-token")
            .header("cookie", "session=secret");
        queue.enqueue(&d).await.unwrap();
    }
    let failing = spawn_worker(&queue, |job: Job| async move {
        if job.delivery().key() == Some("evt_bad") {
            Err(HandlerError::msg("refused by downstream"))
        } else {
            Ok(())
        }
    });
    wait_until(Duration::from_secs(15), "two done, one dead", || async {
        let c = inbox.status_counts().await.unwrap();
        c["done"] == 2 && c["dead"] == 1
    })
    .await;
    stop(failing).await;
    let counts = inbox.status_counts().await.unwrap();
    assert_eq!(
        counts.into_iter().collect::<Vec<_>>(),
        [
            ("dead".to_owned(), 1),
            ("done".to_owned(), 2),
            ("failed".to_owned(), 0),
            ("processing".to_owned(), 0),
            ("queued".to_owned(), 0)
        ]
    );

    let dead = inbox
        .list(&ListFilter {
            status: Some("dead".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].key.as_deref(), Some("evt_bad"));
    assert_eq!(dead[0].event_type.as_deref(), Some("order.paid"));
    assert_eq!(dead[0].attempts, 2);
    assert_eq!(dead[0].last_error.as_deref(), Some("refused by downstream"));
    let by_key = inbox
        .list(&ListFilter {
            key: Some("evt_a".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_key.len(), 1);
    assert_eq!(by_key[0].status, "done");

    let shown = inbox.show(dead[0].id).await.unwrap().unwrap();
    assert_eq!(
        shown.body,
        delivery("evt_bad", "order.paid").body().to_vec()
    );
    let names: Vec<&str> = shown.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["content-type"], "never Authorization or cookies");
    assert!(inbox.show(999_999).await.unwrap().is_none());

    // Replay: the dead one is processed by a fixed handler; the done one gets a new attempt.
    let seen: Log<(String, u32)> = Log::default();
    let fixed = spawn_worker(&queue, {
        let seen = seen.clone();
        move |job: Job| {
            seen.push((job.delivery().key().unwrap_or("").to_owned(), job.attempt()));
            async { Ok::<_, HandlerError>(()) }
        }
    });
    assert!(inbox.replay(dead[0].id).await.unwrap());
    assert!(inbox.replay(by_key[0].id).await.unwrap());
    wait_until(Duration::from_secs(10), "both replays handled", || async {
        seen.len() == 2 && queue.counts().await.unwrap().is_drained()
    })
    .await;
    stop(fixed).await;
    let mut handled = seen.items();
    handled.sort();
    assert_eq!(
        handled,
        [("evt_a".to_owned(), 2), ("evt_bad".to_owned(), 3)],
        "a replay is a new attempt of the same row"
    );
    let all = inbox.list(&ListFilter::default()).await.unwrap();
    assert_eq!(all.len(), 3, "never a second row");
    assert!(all.iter().all(|r| r.status == "done"));

    // Retention: done rows older than the limit go.
    assert_eq!(inbox.prune(Duration::from_secs(3600)).await.unwrap(), 0);
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(inbox.prune(Duration::from_millis(1)).await.unwrap(), 3);
    assert_eq!(inbox.status_counts().await.unwrap()["done"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_history_lists_shows_replays_and_prunes() {
    history_scenario(TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_history_lists_shows_replays_and_prunes() {
    history_scenario(TestDb::postgres()).await;
}
