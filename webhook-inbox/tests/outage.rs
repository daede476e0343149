//! A database outage: the guard on the SQL store answers 503 with `Retry-After` while the
//! server is down (within the statement timeout, nothing processed twice), and the same guard
//! recovers once it is back, on a PostgreSQL cluster of the test's own, stopped by PID.

mod support;

use std::time::{Duration, Instant};

use support::PgCluster;
use webhook_idempotency::{Fingerprint, IdempotencyGuard, Outcome};
use webhook_inbox::Inbox;

const BODY: &[u8] = br#"{"id":"evt_1","type":"order.paid"}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_answers_503_with_retry_after_then_the_same_guard_recovers() {
    let cluster = PgCluster::start();
    let inbox = Inbox::builder()
        .statement_timeout(Duration::from_secs(2))
        .connect(&cluster.url())
        .await
        .unwrap();
    inbox.migrate().await.unwrap();
    let guard = IdempotencyGuard::builder()
        .store(inbox.store())
        .endpoint("orders")
        .build();
    let fp = Fingerprint::of(BODY);
    let Outcome::First(claim) = guard.begin("evt_1", &fp).await else {
        panic!("first");
    };
    claim.complete(200).await.unwrap();

    cluster.stop();
    let started = Instant::now();
    let outcome = guard.begin("evt_2", &fp).await;
    let rejection = outcome.rejection().expect("refused while down");
    assert!(
        matches!(outcome, Outcome::Unavailable { .. }),
        "{outcome:?}"
    );
    assert_eq!(
        (rejection.status(), rejection.retry_after_secs()),
        (503, Some(5))
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "within the statement timeout: {:?}",
        started.elapsed()
    );

    cluster.restart();
    let mut recovered = None;
    for _ in 0..50 {
        match guard.begin("evt_2", &fp).await {
            Outcome::First(claim) => {
                recovered = Some(claim);
                break;
            }
            Outcome::Unavailable { .. } => tokio::time::sleep(Duration::from_millis(100)).await,
            other => panic!("unexpected {other:?}"),
        }
    }
    recovered
        .expect("the same guard recovers")
        .complete(200)
        .await
        .unwrap();
    // What was done before the outage is still done: never processed twice.
    assert!(matches!(
        guard.begin("evt_1", &fp).await,
        Outcome::Duplicate { status: 200 }
    ));
}

#[tokio::test]
async fn wrong_password_is_never_printed() {
    let err = Inbox::connect("postgres://postgres:hunter2-secret@127.0.0.1:1/test")
        .await
        .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("hunter2-secret"), "{shown}");
    assert!(shown.contains("postgres:***@127.0.0.1:1"), "{shown}");
}
