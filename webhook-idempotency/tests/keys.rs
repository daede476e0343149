//! Keys derived from verified deliveries, end to end through `begin_delivery`.

use webhook_idempotency::{IdempotencyGuard, KeyStrategy, Outcome};
use webhook_verify::{FixedClock, Scheme, Signer, Verifier};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NOW: i64 = 1_700_000_000;

fn verifier() -> Verifier {
    Verifier::builder(Scheme::standard())
        .secret(SECRET)
        .clock(FixedClock(NOW))
        .build()
        .unwrap()
}

#[tokio::test]
async fn standard_webhooks_deliveries_are_keyed_by_their_signed_webhook_id() {
    let guard = IdempotencyGuard::builder().endpoint("billing").build();
    let signer = Signer::new(Scheme::standard(), SECRET).unwrap();
    let body = br#"{"type":"invoice.paid"}"#;
    let headers = signer.sign("msg_1", NOW, body).unwrap();
    let verified = verifier().verify(&headers, body).unwrap();

    let Outcome::First(claim) = guard.begin_delivery(Some(&verified), &headers, body).await else {
        panic!("first");
    };
    assert_eq!(claim.key(), "webhook:billing:msg_1");
    claim.complete(200).await.unwrap();

    // The sender's retry: same id and body, new timestamp and signature.
    let retry = signer.sign("msg_1", NOW + 60, body).unwrap();
    let verified = verifier().verify(&retry, body).unwrap();
    let outcome = guard.begin_delivery(Some(&verified), &retry, body).await;
    assert!(
        matches!(outcome, Outcome::Duplicate { status: 200 }),
        "{outcome:?}"
    );

    // Same signed id, different body: refused, never processed.
    let other = br#"{"type":"invoice.voided"}"#;
    let headers = signer.sign("msg_1", NOW, other).unwrap();
    let verified = verifier().verify(&headers, other).unwrap();
    let outcome = guard.begin_delivery(Some(&verified), &headers, other).await;
    assert!(matches!(outcome, Outcome::Conflict), "{outcome:?}");
}

#[tokio::test]
async fn an_unsigned_header_key_lets_a_replayed_body_through_as_documented() {
    let guard = IdempotencyGuard::builder()
        .key_strategy(KeyStrategy::header("X-GitHub-Delivery"))
        .build();
    let body = br#"{"action":"opened"}"#;
    let first = [("X-GitHub-Delivery", "d-1")];
    let replayed = [("X-GitHub-Delivery", "d-2")];
    let Outcome::First(claim) = guard.begin_delivery(None, &first, body).await else {
        panic!("first");
    };
    claim.complete(200).await.unwrap();
    assert!(matches!(
        guard.begin_delivery(None, &first, body).await,
        Outcome::Duplicate { .. }
    ));
    // The warning on KeyStrategy::header: a fresh header value makes the same body new again.
    assert!(guard.begin_delivery(None, &replayed, body).await.is_first());
    // The default (signed data: here the body's SHA-256) would have caught it.
    let signed = IdempotencyGuard::default();
    let Outcome::First(claim) = signed.begin_delivery(None, &first, body).await else {
        panic!("first");
    };
    claim.complete(200).await.unwrap();
    assert!(matches!(
        signed.begin_delivery(None, &replayed, body).await,
        Outcome::Duplicate { .. }
    ));
}
