//! The idempotency store semantics suite, written once and run against every [`Store`]: the
//! memory and Redis stores in `webhook-idempotency`, the SQL stores in `webhook-inbox`.
//!
//! Each scenario is a `pub async fn` taking a fresh, empty store; [`store_semantics_suite!`](crate::store_semantics_suite)
//! turns them all into `#[tokio::test]`s for one backend.
//!
//! ```ignore
//! webhook_testkit::store_semantics_suite!(memory, |run| {
//!     run(webhook_idempotency::MemoryStore::new()).await
//! });
//! ```
#![allow(missing_docs)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use webhook_idempotency::{Fingerprint, IdempotencyGuard, Outcome, Ran, Record, Store, StoreError};

const BODY: &[u8] = br#"{"id":"evt_1","type":"order.paid"}"#;

fn guard<S: Store + Clone>(store: &S) -> IdempotencyGuard {
    IdempotencyGuard::builder()
        .store(store.clone())
        .endpoint("orders")
        .build()
}

fn fp(body: &[u8]) -> Fingerprint {
    Fingerprint::of(body)
}

pub async fn first_delivery_runs_then_duplicate_gets_200<S: Store + Clone>(store: S) {
    let guard = guard(&store);
    let Outcome::First(claim) = guard.begin("evt_1", &fp(BODY)).await else {
        panic!("the first delivery must be First");
    };
    assert_eq!(claim.key(), "webhook:orders:evt_1");
    claim.complete(200).await.unwrap();
    let outcome = guard.begin("evt_1", &fp(BODY)).await;
    assert!(
        matches!(outcome, Outcome::Duplicate { status: 200 }),
        "{outcome:?}"
    );
    let rejection = outcome.rejection().unwrap();
    assert_eq!(rejection.status(), 200);
    assert_eq!(rejection.retry_after_secs(), None);
}

pub async fn duplicate_while_in_flight_gets_409<S: Store + Clone>(store: S) {
    let guard = guard(&store);
    let first = guard.begin("evt_1", &fp(BODY)).await;
    assert!(first.is_first());
    let second = guard.begin("evt_1", &fp(BODY)).await;
    assert!(matches!(second, Outcome::InFlight { .. }), "{second:?}");
    let rejection = second.rejection().unwrap();
    assert_eq!(
        (rejection.status(), rejection.retry_after_secs()),
        (409, Some(5))
    );
    drop(first);
}

pub async fn same_key_with_a_different_body_gets_422<S: Store + Clone>(store: S) {
    let guard = guard(&store);
    let other = br#"{"id":"evt_1","type":"order.refunded"}"#;
    let Outcome::First(claim) = guard.begin("evt_1", &fp(BODY)).await else {
        panic!("first");
    };
    // While in flight...
    let outcome = guard.begin("evt_1", &fp(other)).await;
    assert!(matches!(outcome, Outcome::Conflict), "{outcome:?}");
    claim.complete(200).await.unwrap();
    // ...and once done.
    let outcome = guard.begin("evt_1", &fp(other)).await;
    assert!(matches!(outcome, Outcome::Conflict), "{outcome:?}");
    assert_eq!(outcome.rejection().unwrap().status(), 422);
    // The original body is still a plain duplicate.
    let outcome = guard.begin("evt_1", &fp(BODY)).await;
    assert!(matches!(outcome, Outcome::Duplicate { .. }), "{outcome:?}");
}

pub async fn failed_handler_is_released_and_the_retry_runs_it<S: Store + Clone>(store: S) {
    let guard = guard(&store);
    let runs = AtomicUsize::new(0);
    let handler = |fail: bool| {
        let runs = &runs;
        move || async move {
            runs.fetch_add(1, Ordering::SeqCst);
            if fail {
                Err("database down")
            } else {
                Ok("processed")
            }
        }
    };
    assert!(matches!(
        guard.run("evt_1", BODY, handler(true)).await,
        Ran::Failed("database down")
    ));
    assert!(matches!(
        guard.run("evt_1", BODY, handler(false)).await,
        Ran::Handled("processed")
    ));
    let third = guard.run("evt_1", BODY, handler(false)).await;
    assert!(
        matches!(third, Ran::Skipped(ref r) if r.status() == 200),
        "{third:?}"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

pub async fn non_2xx_completion_releases_the_event<S: Store + Clone>(store: S) {
    let guard = guard(&store);
    let Outcome::First(claim) = guard.begin("evt_1", &fp(BODY)).await else {
        panic!("first");
    };
    claim.complete(500).await.unwrap();
    assert!(guard.begin("evt_1", &fp(BODY)).await.is_first());
}

pub async fn cancelled_handler_releases_its_claim<S: Store + Clone>(store: S) {
    let guard = guard(&store);
    let g = guard.clone();
    // A request whose handler never finishes, cancelled by a timeout (client hung up).
    let cancelled = tokio::time::timeout(Duration::from_millis(100), async move {
        let Outcome::First(_claim) = g.begin("evt_1", &fp(BODY)).await else {
            panic!("first");
        };
        std::future::pending::<()>().await;
    })
    .await;
    assert!(cancelled.is_err());
    assert!(eventually_first(&guard, "evt_1", BODY).await);
}

pub async fn panicking_handler_releases_its_claim<S: Store + Clone>(store: S) {
    let guard = guard(&store);
    let g = guard.clone();
    let joined = tokio::spawn(async move {
        g.run("evt_1", BODY, || async {
            if BODY.len() > 1 {
                panic!("handler bug");
            }
            Ok::<_, ()>(())
        })
        .await
    })
    .await;
    assert!(joined.unwrap_err().is_panic());
    assert!(eventually_first(&guard, "evt_1", BODY).await);
}

pub async fn expired_claim_of_a_dead_process_is_taken_over<S: Store + Clone>(store: S) {
    let guard = guard(&store);
    let key = guard.storage_key("evt_1");
    // A process claimed the event and died: nobody renews its lease.
    let dead = Record::InFlight {
        token: "dead-process".into(),
        fingerprint: fp(BODY),
    };
    assert_eq!(
        store
            .claim(&key, &dead, Duration::from_millis(300))
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        guard.begin("evt_1", &fp(BODY)).await,
        Outcome::InFlight { .. }
    ));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let Outcome::First(claim) = guard.begin("evt_1", &fp(BODY)).await else {
        panic!("the expired claim must be taken over");
    };
    // The dead claim can no longer complete or release anything.
    let done = Record::Done {
        status: 200,
        fingerprint: fp(BODY),
    };
    assert!(
        !store
            .complete(&key, &dead, &done, Duration::from_secs(60))
            .await
            .unwrap()
    );
    assert!(!store.release(&key, &dead).await.unwrap());
    assert!(matches!(
        guard.begin("evt_1", &fp(BODY)).await,
        Outcome::InFlight { .. }
    ));
    claim.complete(200).await.unwrap();
    assert!(matches!(
        guard.begin("evt_1", &fp(BODY)).await,
        Outcome::Duplicate { .. }
    ));
}

pub async fn live_handler_running_longer_than_the_lease_keeps_its_claim<S: Store + Clone>(
    store: S,
) {
    let guard = IdempotencyGuard::builder()
        .store(store.clone())
        .lease(Duration::from_millis(300))
        .build();
    let Outcome::First(claim) = guard.begin("evt_1", &fp(BODY)).await else {
        panic!("first");
    };
    // Three leases later the handler still runs: a second delivery must not start.
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let second = guard.begin("evt_1", &fp(BODY)).await;
        assert!(matches!(second, Outcome::InFlight { .. }), "{second:?}");
    }
    claim.complete(200).await.unwrap();
    assert!(matches!(
        guard.begin("evt_1", &fp(BODY)).await,
        Outcome::Duplicate { status: 200 }
    ));
}

pub async fn a_claim_keeps_renewing_after_its_guard_is_dropped<S: Store + Clone>(store: S) {
    let short = |s: &S| {
        IdempotencyGuard::builder()
            .store(s.clone())
            .lease(Duration::from_millis(300))
            .build()
    };
    let guard = short(&store);
    let Outcome::First(claim) = guard.begin("evt_1", &fp(BODY)).await else {
        panic!("first");
    };
    drop(guard);
    tokio::time::sleep(Duration::from_millis(900)).await;
    let other = short(&store);
    let second = other.begin("evt_1", &fp(BODY)).await;
    assert!(matches!(second, Outcome::InFlight { .. }), "{second:?}");
    claim.complete(200).await.unwrap();
    assert!(matches!(
        other.begin("evt_1", &fp(BODY)).await,
        Outcome::Duplicate { .. }
    ));
}

pub async fn completion_after_the_claim_was_lost_is_refused<S: Store + Clone>(store: S) {
    let guard = guard(&store);
    let Outcome::First(claim) = guard.begin("evt_1", &fp(BODY)).await else {
        panic!("first");
    };
    // Another delivery took the event over (as after an expired lease).
    let key = guard.storage_key("evt_1");
    let other = Record::InFlight {
        token: "other".into(),
        fingerprint: fp(BODY),
    };
    let done = Record::Done {
        status: 200,
        fingerprint: fp(BODY),
    };
    take_over(&store, &key, &other).await;
    assert!(matches!(
        claim.complete(200).await,
        Err(StoreError::LeaseLost)
    ));
    assert!(
        store
            .complete(&key, &other, &done, Duration::from_secs(60))
            .await
            .unwrap()
    );
}

pub async fn stored_status_is_replayed_when_asked<S: Store + Clone>(store: S) {
    let replay = IdempotencyGuard::builder()
        .store(store.clone())
        .replay_status(true)
        .build();
    let Outcome::First(claim) = replay.begin("evt_1", &fp(BODY)).await else {
        panic!("first");
    };
    claim.complete(202).await.unwrap();
    assert!(matches!(
        replay.begin("evt_1", &fp(BODY)).await,
        Outcome::Duplicate { status: 202 }
    ));
    let plain = IdempotencyGuard::builder().store(store).build();
    assert!(matches!(
        plain.begin("evt_1", &fp(BODY)).await,
        Outcome::Duplicate { status: 200 }
    ));
}

pub async fn keys_are_namespaced_per_endpoint_and_prefix<S: Store + Clone>(store: S) {
    let stripe = guard(&store).for_endpoint("stripe");
    let github = stripe.for_endpoint("github");
    let other_app = IdempotencyGuard::builder()
        .store(store.clone())
        .prefix("other")
        .endpoint("stripe")
        .build();
    for g in [&stripe, &github, &other_app] {
        let Outcome::First(claim) = g.begin("evt_1", &fp(BODY)).await else {
            panic!("each namespace is independent");
        };
        claim.complete(200).await.unwrap();
    }
    assert_eq!(other_app.storage_key("evt_1"), "other:stripe:evt_1");
}

/// Waits up to 2 s for the background release of a dropped claim.
async fn eventually_first(guard: &IdempotencyGuard, key: &str, body: &[u8]) -> bool {
    for _ in 0..40 {
        match guard.begin(key, &fp(body)).await {
            Outcome::First(claim) => {
                claim.complete(200).await.unwrap();
                return true;
            }
            Outcome::InFlight { .. } => tokio::time::sleep(Duration::from_millis(50)).await,
            other => panic!("unexpected {other:?}"),
        }
    }
    false
}

/// Replaces the claim held under `key` with `record`, as a takeover after expiry would.
async fn take_over<S: Store>(store: &S, key: &str, record: &Record) {
    // A refused claim returns the current record, token included: release it as its owner.
    let current = store
        .claim(key, record, Duration::from_secs(30))
        .await
        .unwrap()
        .expect("the key is claimed");
    assert!(store.release(key, &current).await.unwrap());
    assert_eq!(
        store
            .claim(key, record, Duration::from_secs(30))
            .await
            .unwrap(),
        None
    );
}

/// Declares `mod $module` with one `#[tokio::test]` per scenario of [`crate::store_suite`]; the
/// block gets `$run`, the scenario, and must call `$run(store).await` with a fresh store.
#[macro_export]
macro_rules! store_semantics_suite {
    ($module:ident, |$run:ident| $body:block) => {
        $crate::store_semantics_suite!(@tests $module, $run, $body, first_delivery_runs_then_duplicate_gets_200, duplicate_while_in_flight_gets_409, same_key_with_a_different_body_gets_422, failed_handler_is_released_and_the_retry_runs_it, non_2xx_completion_releases_the_event, cancelled_handler_releases_its_claim, panicking_handler_releases_its_claim, expired_claim_of_a_dead_process_is_taken_over, live_handler_running_longer_than_the_lease_keeps_its_claim, a_claim_keeps_renewing_after_its_guard_is_dropped, completion_after_the_claim_was_lost_is_refused, stored_status_is_replayed_when_asked, keys_are_namespaced_per_endpoint_and_prefix);
    };
    (@tests $module:ident, $run:ident, $body:block, $($name:ident),*) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let $run = $crate::store_suite::$name;
                    $body
                }
            )*
        }
    };
}
