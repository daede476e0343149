//! Keys derived from verified deliveries, end to end through `admit`, the entry point the
//! adapters and the queue's accept step call.

use webhook_idempotency::{IdempotencyGuard, KeyStrategy};
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

    let first = guard.admit(Some(&verified), &headers, body).await.unwrap();
    assert_eq!(first.key.as_str(), "msg_1");
    assert_eq!(first.key.storage_key(), "webhook:billing:msg_1");
    let claim = first.claim.unwrap();
    assert_eq!(claim.key(), "webhook:billing:msg_1");
    claim.complete(200).await.unwrap();

    // The sender's retry: same id and body, new timestamp and signature.
    let retry = signer.sign("msg_1", NOW + 60, body).unwrap();
    let verified = verifier().verify(&retry, body).unwrap();
    let duplicate = guard
        .admit(Some(&verified), &retry, body)
        .await
        .unwrap_err();
    assert_eq!(
        (duplicate.status(), duplicate.message()),
        (200, "duplicate")
    );

    // Same signed id, different body: refused, never processed.
    let other = br#"{"type":"invoice.voided"}"#;
    let headers = signer.sign("msg_1", NOW, other).unwrap();
    let verified = verifier().verify(&headers, other).unwrap();
    let conflict = guard
        .admit(Some(&verified), &headers, other)
        .await
        .unwrap_err();
    assert_eq!(conflict.status(), 422);
}

#[tokio::test]
async fn an_unsigned_header_key_lets_a_replayed_body_through_as_documented() {
    let guard = IdempotencyGuard::builder()
        .key_strategy(KeyStrategy::header("X-GitHub-Delivery"))
        .build();
    let body = br#"{"action":"opened"}"#;
    let first = [("X-GitHub-Delivery", "d-1")];
    let replayed = [("X-GitHub-Delivery", "d-2")];
    let admitted = guard.admit(None, &first, body).await.unwrap();
    admitted.claim.unwrap().complete(200).await.unwrap();
    assert_eq!(
        guard.admit(None, &first, body).await.unwrap_err().status(),
        200
    );
    // The warning on KeyStrategy::header: a fresh header value makes the same body new again.
    assert!(guard.admit(None, &replayed, body).await.is_ok());
    // The default (signed data: here the body's SHA-256) would have caught it.
    let signed = IdempotencyGuard::default();
    let admitted = signed.admit(None, &first, body).await.unwrap();
    admitted.claim.unwrap().complete(200).await.unwrap();
    assert_eq!(
        signed
            .admit(None, &replayed, body)
            .await
            .unwrap_err()
            .status(),
        200
    );
}
