//! Small helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use webhook_queue::{Delivery, QueueConfig, Verification};

/// A configuration with short timings, so tests run in seconds.
pub fn fast_config() -> QueueConfig {
    QueueConfig::default()
        .max_attempts(3)
        .backoff(Duration::from_millis(200), Duration::from_secs(2))
        .claim_idle(Duration::from_millis(600))
        .block(Duration::from_millis(100))
        .shutdown_grace(Duration::from_secs(5))
}

/// A `{id, type, created_at, data: {object}}` event body.
pub fn event_body(id: &str, event_type: &str, object: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": id,
        "type": event_type,
        "created_at": "2025-02-18T10:30:00Z",
        "data": { "object": object },
    }))
    .unwrap()
}

/// A verified-looking delivery of an event with id `id`.
pub fn delivery(id: &str, event_type: &str) -> Delivery {
    Delivery::new(
        event_body(
            id,
            event_type,
            serde_json::json!({ "id": format!("obj_{id}"), "amount": 42 }),
        ),
        Verification::new("standard")
            .webhook_id(id)
            .timestamp(1_700_000_000),
    )
    .header("content-type", "application/json")
    .idempotency_key(id)
}

/// Polls `condition` every 10 ms until it holds; panics with `what` after `limit`.
pub async fn wait_until<F, Fut>(limit: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if condition().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out after {limit:?} waiting for: {what}");
}

/// A shared log of what handlers saw, for assertions.
#[derive(Clone)]
pub struct Log<T>(Arc<Mutex<Vec<T>>>);

impl<T> Default for Log<T> {
    fn default() -> Self {
        Self(Arc::default())
    }
}

impl<T: Clone> Log<T> {
    pub fn push(&self, item: T) {
        self.0.lock().unwrap().push(item);
    }
    pub fn items(&self) -> Vec<T> {
        self.0.lock().unwrap().clone()
    }
    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// The Standard Webhooks secret the tests sign with.
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Signs `body` as a Standard Webhooks sender would, with delivery id `id`, timestamped now.
pub fn signed_headers(id: &str, body: &[u8]) -> Vec<(String, String)> {
    use webhook_verify::{Scheme, Signer};
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut headers = Signer::new(Scheme::standard(), SECRET)
        .unwrap()
        .sign(id, now, body)
        .unwrap();
    headers.push(("content-type".into(), "application/json".into()));
    headers.push(("authorization".into(), "Bearer do-not-store".into()));
    headers
}

/// The verifier matching [`signed_headers`].
pub fn verifier() -> webhook_verify::Verifier {
    webhook_verify::Verifier::new(webhook_verify::Scheme::standard(), SECRET).unwrap()
}
