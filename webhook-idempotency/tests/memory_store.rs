//! MemoryStore: expiry evicts entries; capacity is a hard bound; a full store evicts its oldest
//! done records to admit new keys, never an in-flight one, and answers `Full` only when every
//! entry is in flight.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use webhook_idempotency::{
    FailMode, Fingerprint, IdempotencyGuard, MemoryStore, Outcome, Ran, Record, Store, StoreError,
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
async fn a_store_full_of_in_flight_claims_refuses_new_keys_with_503_until_released() {
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
async fn a_store_full_of_in_flight_claims_frees_up_as_leases_expire() {
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
async fn a_store_full_of_in_flight_claims_fails_open_when_configured() {
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

fn done_record() -> Record {
    Record::Done {
        status: 200,
        fingerprint: Fingerprint::of(b"{}"),
    }
}

fn event_body(n: usize) -> String {
    format!(r#"{{"id":"evt_{n}","type":"order.paid"}}"#)
}

/// Runs event `n` through `guard`, counting handler runs in `runs`.
async fn deliver(guard: &IdempotencyGuard, n: usize, runs: &AtomicUsize) -> Ran<(), ()> {
    let handler = || async {
        runs.fetch_add(1, Ordering::SeqCst);
        Ok::<_, ()>(())
    };
    guard
        .run(&format!("evt_{n}"), event_body(n).as_bytes(), handler)
        .await
}

/// A guard on a store of capacity `cap` that already took `cap + 1,000` events.
async fn overflowed(cap: usize) -> (MemoryStore, IdempotencyGuard, AtomicUsize) {
    let store = MemoryStore::with_capacity(cap);
    let guard = IdempotencyGuard::new(store.clone());
    let runs = AtomicUsize::new(0);
    for n in 0..cap + 1_000 {
        let ran = deliver(&guard, n, &runs).await;
        assert!(matches!(ran, Ran::Handled(())), "event {n}: {ran:?}");
        assert!(store.len() <= cap, "event {n}: {} keys held", store.len());
    }
    (store, guard, runs)
}

#[tokio::test]
async fn a_full_store_accepts_cap_plus_1000_distinct_events() {
    let (store, _guard, runs) = overflowed(100).await;
    assert_eq!(runs.load(Ordering::SeqCst), 1_100, "every event ran once");
    assert_eq!(store.len(), 100);
}

#[tokio::test]
async fn recent_duplicates_are_still_recognised_as_done_after_evictions() {
    let (_store, guard, runs) = overflowed(100).await;
    // The newest `cap` events are all still known: duplicates are skipped with 200.
    for n in 1_000..1_100 {
        let ran = deliver(&guard, n, &runs).await;
        assert!(
            matches!(&ran, Ran::Skipped(r) if r.status() == 200),
            "duplicate of event {n}: {ran:?}"
        );
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1_100, "no duplicate ran again");
}

#[tokio::test]
async fn the_oldest_done_events_are_evicted_and_counted() {
    let (store, guard, runs) = overflowed(100).await;
    assert_eq!(store.evicted(), 1_000);
    assert_eq!(
        format!("{store:?}"),
        "MemoryStore { len: 100, capacity: 100, evicted: 1000 }"
    );
    // Events 0..1,000 were evicted, oldest first: their duplicates run again (the documented
    // trade-off), each evicting the oldest remaining done event in turn.
    let ran = deliver(&guard, 0, &runs).await;
    assert!(matches!(ran, Ran::Handled(())), "{ran:?}");
    assert_eq!(store.evicted(), 1_001);
    let ran = deliver(&guard, 999, &runs).await;
    assert!(matches!(ran, Ran::Handled(())), "{ran:?}");
    assert_eq!(runs.load(Ordering::SeqCst), 1_102);
    // Evicted: 1,000 (the oldest of the survivors) and 1,001, to make room for 0 and 999. The
    // survivors are checked first: claiming an evicted key takes room (evicting another).
    for (n, evicted) in [
        (1_002, false),
        (0, false),
        (999, false),
        (1_000, true),
        (1_001, true),
    ] {
        let store_key = guard.storage_key(&format!("evt_{n}"));
        let current = store
            .claim(&store_key, &claim_record(n), Duration::from_secs(1))
            .await
            .unwrap();
        if evicted {
            assert_eq!(current, None, "event {n} should have been evicted");
            assert!(store.release(&store_key, &claim_record(n)).await.unwrap());
        } else {
            assert!(
                matches!(current, Some(Record::Done { .. })),
                "event {n}: {current:?}"
            );
        }
    }
}

#[tokio::test]
async fn full_is_answered_only_once_every_entry_is_in_flight() {
    let store = MemoryStore::with_capacity(3);
    let guard = IdempotencyGuard::new(store.clone());
    let body = Fingerprint::of(b"{}");
    // One done event, two in flight: full.
    let done = guard
        .begin("evt_done", &body)
        .await
        .proceed()
        .unwrap()
        .unwrap();
    done.complete(200).await.unwrap();
    let _a = guard.begin("evt_a", &body).await;
    let _b = guard.begin("evt_b", &body).await;
    assert_eq!(store.len(), 3);
    // A new key evicts the done event and is accepted: now all three are in flight.
    let c = guard.begin("evt_c", &body).await;
    assert!(c.is_first(), "{c:?}");
    assert_eq!(store.evicted(), 1);
    // Nothing done is left to evict: the next new key is refused with 503.
    let refused = guard.begin("evt_d", &body).await;
    assert!(
        matches!(
            refused,
            Outcome::Unavailable {
                error: StoreError::Full { capacity: 3 },
                ..
            }
        ),
        "{refused:?}"
    );
    assert_eq!(refused.rejection().unwrap().status(), 503);
    assert_eq!(store.len(), 3);
    assert_eq!(store.evicted(), 1);
    // Completing one makes it evictable again.
    c.proceed().unwrap().unwrap().complete(200).await.unwrap();
    assert!(guard.begin("evt_d", &body).await.is_first());
    assert_eq!(store.evicted(), 2);
}

#[tokio::test]
async fn an_in_flight_claim_is_never_evicted() {
    let store = MemoryStore::with_capacity(10);
    // The oldest entry is in flight; then done ones fill the store and overflow it many times.
    let busy = claim_record(0);
    assert_eq!(
        store
            .claim("busy", &busy, Duration::from_secs(60))
            .await
            .unwrap(),
        None
    );
    for n in 1..1_000 {
        let key = format!("k{n}");
        let rec = claim_record(n);
        assert_eq!(
            store
                .claim(&key, &rec, Duration::from_secs(60))
                .await
                .unwrap(),
            None,
            "{key}"
        );
        assert!(
            store
                .complete(&key, &rec, &done_record(), Duration::from_secs(3600))
                .await
                .unwrap()
        );
        assert!(store.len() <= 10);
    }
    assert_eq!(store.evicted(), 1_000 - 10);
    // Still in flight, still ours: a duplicate is answered with our record (409 at the guard),
    // and our completion still lands.
    assert_eq!(
        store
            .claim("busy", &claim_record(1), Duration::from_secs(60))
            .await
            .unwrap(),
        Some(busy.clone())
    );
    assert!(
        store
            .complete("busy", &busy, &done_record(), Duration::from_secs(3600))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn len_never_exceeds_the_capacity_under_a_mixed_workload() {
    let store = MemoryStore::with_capacity(100);
    let mut in_flight = std::collections::VecDeque::new();
    for n in 0..5_000 {
        let key = format!("k{n}");
        let rec = claim_record(n);
        let claimed = store.claim(&key, &rec, Duration::from_secs(60)).await;
        assert_eq!(claimed.unwrap(), None, "{key}: at most 20 are in flight");
        if n % 7 == 0 {
            assert!(
                store
                    .renew(&key, &rec, Duration::from_secs(90))
                    .await
                    .unwrap()
            );
        }
        in_flight.push_back((key, rec));
        // Up to 20 claims in flight; the oldest finishes: done (mostly) or released (failed).
        if in_flight.len() > 20 {
            let (key, rec) = in_flight.pop_front().unwrap();
            if n % 5 == 0 {
                assert!(store.release(&key, &rec).await.unwrap());
            } else {
                let retention = Duration::from_secs(3600);
                assert!(
                    store
                        .complete(&key, &rec, &done_record(), retention)
                        .await
                        .unwrap()
                );
            }
        }
        assert!(store.len() <= 100, "step {n}: {} keys held", store.len());
    }
    assert_eq!(store.len(), 100);
    // 5,000 claims, about a fifth released: the rest made room by evicting done ones.
    assert!(store.evicted() > 3_000, "{}", store.evicted());
    // Every claim still in flight survived the evictions.
    let other = claim_record(0);
    for (key, rec) in &in_flight {
        let current = store.claim(key, &other, Duration::from_secs(1)).await;
        assert_eq!(current.unwrap().as_ref(), Some(rec), "{key}");
    }
}

#[tokio::test]
async fn evictions_are_logged_at_each_power_of_two_not_per_claim() {
    let logs = common::LogCapture::default();
    let _subscriber = logs.install();
    let (store, _guard, _runs) = overflowed(100).await;
    assert_eq!(store.evicted(), 1_000);
    let text = logs.text();
    let warnings: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("evicted the oldest done event"))
        .collect();
    // The 1st, 2nd, 4th, ..., 512th of 1,000 evictions: 10 lines, each with the running total.
    assert_eq!(warnings.len(), 10, "{text}");
    for (line, total) in warnings.iter().zip([1, 2, 4, 8, 16, 32, 64, 128, 256, 512]) {
        assert!(line.contains(&format!("evicted={total} ")), "{line}");
        assert!(line.contains("capacity=100"), "{line}");
    }
    // The first eviction names the first event.
    assert!(
        warnings[0].contains("key=webhook:default:evt_0"),
        "{}",
        warnings[0]
    );
}
