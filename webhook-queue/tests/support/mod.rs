//! Small helpers shared by the integration tests.
#![allow(dead_code)]

#[allow(unused_imports)]
pub use webhook_testkit::queue_suite::{Log, delivery, event_body, fast_config, wait_until};

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
