//! Refused deliveries on both SQL backends: 10,000 forgeries and 100 stale deliveries, refused by
//! a real verifier whose recorder is the inbox's `RefusalLog`, leave exact counts per reason and
//! at most `keep` sample rows (time, reason, size; no body).

mod support;

use bytes::Bytes;
use support::TestDb;
use webhook_inbox::Refusal;
use webhook_verify::{Rejection, Scheme, Signer, Verifier, delivery, receiver};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const KEEP: usize = 100;

async fn flood_scenario(db: TestDb) {
    let inbox = db.inbox().await;
    let refusals = inbox.refusal_log(KEEP);
    let verifier = Verifier::builder(Scheme::standard())
        .secret(SECRET)
        .endpoint("orders")
        .recorder(refusals.clone())
        .build()
        .unwrap();
    let forger = Signer::new(Scheme::standard(), "whsec_bm90IHRoZSBzZWNyZXQgYXQgYWxs").unwrap();
    let signer = Signer::new(Scheme::standard(), SECRET).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let body = Bytes::from_static(br#"{"id":"evt_forged","type":"order.paid"}"#);
    let refuse = |headers: Vec<(String, String)>| {
        let capture = delivery::capture(&verifier, "/hooks", &headers, &body).unwrap();
        let err = verifier.verify(&headers, &body).unwrap_err();
        let rejection = Rejection::from(err);
        receiver::refused(&verifier, &rejection, "/hooks", &headers, Some(capture));
    };
    for i in 0..10_000 {
        refuse(forger.sign(&format!("msg_{i}"), now, &body).unwrap());
        if i % 1_000 == 999 {
            // Written while the flood goes on, as the background writer does.
            refusals.flush().await.unwrap();
        }
    }
    for i in 0..100 {
        refuse(
            signer
                .sign(&format!("old_{i}"), now - 3_600, &body)
                .unwrap(),
        );
    }
    refusals.refused(Refusal::new("orders", "too_large", 2_000_000).source("203.0.113.7"));
    refusals.flush().await.unwrap();

    let counts: Vec<(String, String, u64)> = inbox
        .refusal_counts()
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.endpoint, c.reason, c.count))
        .collect();
    assert_eq!(
        counts,
        [
            ("orders".to_owned(), "signature".to_owned(), 10_000),
            ("orders".to_owned(), "timestamp".to_owned(), 100),
            ("orders".to_owned(), "too_large".to_owned(), 1),
        ]
    );
    let samples = inbox.refusal_samples(10 * KEEP).await.unwrap();
    assert_eq!(samples.len(), KEEP, "a flood keeps at most {KEEP} samples");
    assert_eq!(samples[0].reason, "too_large", "newest first");
    assert_eq!(samples[0].source.as_deref(), Some("203.0.113.7"));
    assert_eq!(samples[0].size, 2_000_000);
    assert!(samples[1..].iter().all(|s| s.reason == "timestamp"));
    assert!(samples[1..].iter().all(|s| s.size == body.len() as u64));
    assert_eq!(inbox.list(&Default::default()).await.unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_forgeries_are_counted_with_a_bounded_sample() {
    flood_scenario(TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_forgeries_are_counted_with_a_bounded_sample() {
    flood_scenario(TestDb::postgres()).await;
}
