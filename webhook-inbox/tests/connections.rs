//! Connections kept between statements (instead of sqlx's ping on every release): a statement
//! never waits for a connection that sits unused, even with one connection (SQLite); and a kept
//! connection that the server closed while it sat idle is replaced before the next statement.

mod support;

use std::sync::Arc;
use std::time::Duration;

use support::{PgCluster, TestDb};
use webhook_inbox::Inbox;
use webhook_queue::{Queue, QueueConfig};
use webhook_testkit::queue_suite::delivery;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_from_many_tasks_share_sqlites_one_connection_without_waiting_for_a_kept_one() {
    let db = TestDb::sqlite();
    let inbox = db.inbox().await;
    let queue = Arc::new(inbox.queue("shared", QueueConfig::default()));
    let mut tasks = tokio::task::JoinSet::new();
    for task in 0..16 {
        let queue = queue.clone();
        tasks.spawn(async move {
            for n in 0..25 {
                // Each statement under the default 5 s timeout: a statement left waiting for the
                // pool while the only connection sits kept would time out here.
                queue
                    .enqueue(&delivery(&format!("evt_{task}_{n}"), "order.paid"))
                    .await
                    .unwrap();
                queue.counts().await.unwrap();
            }
        });
    }
    let all = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(done) = tasks.join_next().await {
            done.unwrap();
        }
    });
    all.await.expect("400 enqueues and 400 counts within 30 s");
    assert_eq!(queue.counts().await.unwrap().pending, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_connection_closed_by_the_server_while_idle_is_replaced_before_use() {
    let cluster = PgCluster::start();
    let inbox = Inbox::builder()
        .max_connections(1)
        .connect(&cluster.url())
        .await
        .unwrap();
    inbox.migrate().await.unwrap();
    let queue = inbox.queue("orders", QueueConfig::default());
    queue
        .enqueue(&delivery("evt_1", "order.paid"))
        .await
        .unwrap();

    // The server ends every other session, the inbox's one (kept) connection included.
    let ended = terminate_other_sessions(&cluster.url()).await;
    assert!(ended >= 1, "the inbox's connection was ended ({ended})");

    // Idle for longer than the ping threshold (1 s): pinged, found closed, replaced.
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    queue
        .enqueue(&delivery("evt_2", "order.paid"))
        .await
        .expect("the next statement runs on a new connection");
    assert_eq!(queue.counts().await.unwrap().pending, 2);
}

/// `pg_terminate_backend` on every client session but this one's; how many were ended.
async fn terminate_other_sessions(url: &str) -> usize {
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let ended: Vec<(bool,)> = sqlx::query_as(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    ended.into_iter().filter(|(ok,)| *ok).count()
}
