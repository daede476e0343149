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

/// A delivery `scheme` sends now with id `id`: its headers and its body, which the signer may
/// rewrite (`sns` wraps it in its message, `mailgun` and `linear` write into it). Panics on a
/// secret the scheme cannot sign with.
///
/// ```
/// use webhook_verify::Scheme;
/// let (headers, body) = webhook_testkit::sign_now(Scheme::sns(), "arn:aws:sns:us-east-1:1:t", "m-1", b"{}");
/// assert!(String::from_utf8(body).unwrap().contains("SigningCertURL"));
/// # assert!(!headers.is_empty());
/// ```
pub fn sign_now(
    scheme: Scheme,
    secret: &str,
    id: &str,
    body: &[u8],
) -> (Vec<(String, String)>, Vec<u8>) {
    let signed = Signer::new(scheme, secret)
        .and_then(|signer| signer.sign_delivery(None, id, now(), body))
        .unwrap_or_else(|err| panic!("cannot sign this test delivery: {err}"));
    (signed.headers, signed.body)
}
