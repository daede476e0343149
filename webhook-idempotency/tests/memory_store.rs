//! MemoryStore: expiry evicts entries; capacity is a hard bound.

use std::time::Duration;

use webhook_idempotency::{
    FailMode, Fingerprint, IdempotencyGuard, MemoryStore, Outcome, Record, Store, StoreError,
};

fn claim_record(n: usize) -> Record {
    Record::InFlight {
        token: format!("t{n}"),
        fingerprint: Fingerprint::of(b"{}"),
    }
}

#[tokio::test]
async fn expired_claims_and_done_events_are_evicted() {
    let store = MemoryStore::new();
    for n in 0..100 {
        let key = format!("k{n}");
        let rec = claim_record(n);
        assert_eq!(
            store
                .claim(&key, &rec, Duration::from_millis(100))
                .await
                .unwrap(),
            None
        );
        if n % 2 == 0 {
            let done = Record::Done {
                status: 200,
                fingerprint: Fingerprint::of(b"{}"),
            };
            assert!(
                store
                    .complete(&key, &rec, &done, Duration::from_millis(100))
                    .await
                    .unwrap()
            );
        }
    }
    assert_eq!(store.len(), 100);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(store.len(), 0);
    // An evicted key is free again.
    assert_eq!(
        store
            .claim("k1", &claim_record(1), Duration::from_secs(1))
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn renewed_entries_survive_their_original_expiry() {
    let store = MemoryStore::new();
    let rec = claim_record(0);
    store
        .claim("k", &rec, Duration::from_millis(100))
        .await
        .unwrap();
    assert!(
        store
            .renew("k", &rec, Duration::from_secs(10))
            .await
            .unwrap()
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(store.len(), 1);
    assert_eq!(
        store
            .claim("k", &claim_record(1), Duration::from_secs(1))
            .await
            .unwrap(),
        Some(rec)
    );
}

#[tokio::test]
async fn a_full_store_refuses_new_keys_with_503_until_entries_expire() {
    let store = MemoryStore::with_capacity(10);
    let guard = IdempotencyGuard::builder()
        .store(store.clone())
        .lease(Duration::from_millis(200))
        .build();
    let body = Fingerprint::of(b"{}");
    let mut held = Vec::new();
    for n in 0..10 {
        let outcome = guard.begin(&format!("evt_{n}"), &body).await;
        assert!(outcome.is_first());
        held.push(outcome);
    }
    let refused = guard.begin("evt_new", &body).await;
    assert!(
        matches!(
            refused,
            Outcome::Unavailable {
                error: StoreError::Full { capacity: 10 },
                ..
            }
        ),
        "{refused:?}"
    );
    assert_eq!(refused.rejection().unwrap().status(), 503);
    // Keys already held still answer normally.
    assert!(matches!(
        guard.begin("evt_3", &body).await,
        Outcome::InFlight { .. }
    ));
    assert_eq!(store.len(), 10);
    // Releasing the claims (here: dropping them) makes room again.
    drop(held);
    let mut admitted = false;
    for _ in 0..40 {
        if guard.begin("evt_new", &body).await.is_first() {
            admitted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(admitted, "released claims must free capacity");
}

#[tokio::test]
async fn a_full_store_frees_up_as_leases_expire() {
    let store = MemoryStore::with_capacity(3);
    for n in 0..3 {
        let key = format!("k{n}");
        store
            .claim(&key, &claim_record(n), Duration::from_millis(100))
            .await
            .unwrap();
    }
    let err = store
        .claim("k9", &claim_record(9), Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Full { capacity: 3 }));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        store
            .claim("k9", &claim_record(9), Duration::from_secs(1))
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_full_store_fails_open_when_configured() {
    let store = MemoryStore::with_capacity(1);
    store
        .claim(
            "webhook:default:a",
            &claim_record(0),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    let guard = IdempotencyGuard::builder()
        .store(store)
        .fail_mode(FailMode::Open)
        .build();
    let outcome = guard.begin("b", &Fingerprint::of(b"{}")).await;
    assert!(
        matches!(outcome, Outcome::Unguarded(StoreError::Full { .. })),
        "{outcome:?}"
    );
    assert!(outcome.rejection().is_none());
}
