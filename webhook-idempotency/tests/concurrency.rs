//! 1,000 concurrent deliveries of one event: exactly one runs its handler.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use webhook_idempotency::{Fingerprint, IdempotencyGuard, MemoryStore, Outcome};
use webhook_testkit::RedisServer;

const DELIVERIES: usize = 1_000;
const BODY: &[u8] = br#"{"id":"evt_concurrent","type":"invoice.paid"}"#;

#[derive(Default, Debug)]
struct Tally {
    first: AtomicUsize,
    in_flight: AtomicUsize,
    duplicate: AtomicUsize,
    other: AtomicUsize,
    handler_runs: AtomicUsize,
}

/// Delivers the same event `DELIVERIES` times at once, alternating between the two guards.
async fn deliver_concurrently(a: IdempotencyGuard, b: IdempotencyGuard) -> Arc<Tally> {
    let tally = Arc::new(Tally::default());
    let start = Arc::new(tokio::sync::Barrier::new(DELIVERIES));
    let tasks: Vec<_> = (0..DELIVERIES)
        .map(|i| {
            let guard = if i % 2 == 0 { a.clone() } else { b.clone() };
            let (tally, start) = (tally.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                match guard.begin("evt_concurrent", &Fingerprint::of(BODY)).await {
                    Outcome::First(claim) => {
                        tally.first.fetch_add(1, Ordering::SeqCst);
                        tally.handler_runs.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        claim.complete(200).await.unwrap();
                    }
                    Outcome::InFlight { .. } => {
                        tally.in_flight.fetch_add(1, Ordering::SeqCst);
                    }
                    Outcome::Duplicate { status: 200 } => {
                        tally.duplicate.fetch_add(1, Ordering::SeqCst);
                    }
                    other => {
                        eprintln!("unexpected outcome: {other:?}");
                        tally.other.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    tally
}

fn assert_exactly_once(tally: &Tally) {
    assert_eq!(tally.handler_runs.load(Ordering::SeqCst), 1, "{tally:?}");
    assert_eq!(tally.first.load(Ordering::SeqCst), 1, "{tally:?}");
    assert_eq!(tally.other.load(Ordering::SeqCst), 0, "{tally:?}");
    assert_eq!(
        tally.in_flight.load(Ordering::SeqCst) + tally.duplicate.load(Ordering::SeqCst),
        DELIVERIES - 1,
        "{tally:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousand_concurrent_deliveries_across_two_redis_receivers_run_the_handler_once() {
    let server = RedisServer::start();
    // Two receivers: separate connections, as two processes would have.
    let a = IdempotencyGuard::new(common::redis_store(&server).await);
    let b = IdempotencyGuard::new(common::redis_store(&server).await);
    let tally = deliver_concurrently(a.clone(), b).await;
    assert_exactly_once(&tally);
    // Afterwards every delivery is a plain duplicate.
    let again = a.begin("evt_concurrent", &Fingerprint::of(BODY)).await;
    assert!(
        matches!(again, Outcome::Duplicate { status: 200 }),
        "{again:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousand_concurrent_deliveries_on_a_memory_store_run_the_handler_once() {
    let store = MemoryStore::new();
    let a = IdempotencyGuard::new(store.clone());
    let b = IdempotencyGuard::new(store);
    let tally = deliver_concurrently(a, b).await;
    assert_exactly_once(&tally);
}
