//! Signed deliveries for tests, as a sender makes them (through `webhook_verify::Signer`).

use std::time::{SystemTime, UNIX_EPOCH};

use webhook_verify::{Scheme, Signer};

/// Now, in Unix seconds.
///
/// ```
/// assert!(webhook_testkit::now() > 1_700_000_000);
/// ```
pub fn now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    i64::try_from(secs).unwrap_or(i64::MAX)
}

/// The headers `scheme` sends with `body`, signed with `secret` at `timestamp`, delivery id
/// `msg_1`. Panics on a secret the scheme cannot sign with (a test's own mistake).
///
/// ```
/// use webhook_verify::Scheme;
/// let headers = webhook_testkit::sign_at(Scheme::hmac_sha256(), "s3cret", 0, b"{}");
/// assert_eq!(headers[0].0, "X-Webhook-Signature");
/// ```
pub fn sign_at(scheme: Scheme, secret: &str, timestamp: i64, body: &[u8]) -> Vec<(String, String)> {
    let signer = Signer::new(scheme, secret)
        .unwrap_or_else(|err| panic!("cannot sign with this test secret: {err}"));
    signer
        .sign("msg_1", timestamp, body)
        .unwrap_or_else(|err| panic!("cannot sign this test delivery: {err}"))
}
