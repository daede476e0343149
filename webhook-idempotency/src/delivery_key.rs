//! [`IdempotencyKey`]: an event's key, as adapters hand it to handlers.

use std::fmt;

/// The key that identifies one event for deduplication, with the key it is stored under.
///
/// Adapters (`webhook-axum`, `webhook-actix`) put it in the request extensions of every
/// delivery whose handler runs, so handlers can log or print it. Build one with
/// [`IdempotencyGuard::delivery_key`](crate::IdempotencyGuard::delivery_key).
///
/// ```
/// use webhook_idempotency::IdempotencyGuard;
///
/// let guard = IdempotencyGuard::builder().endpoint("orders").build();
/// let headers: [(&str, &str); 0] = [];
/// let key = guard.delivery_key(None, &headers[..], br#"{"id":"evt_1"}"#);
/// assert_eq!(key.as_str(), "evt_1");
/// assert_eq!(key.to_string(), "evt_1");
/// assert_eq!(key.storage_key(), "webhook:orders:evt_1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey {
    key: String,
    storage_key: String,
}

impl IdempotencyKey {
    pub(crate) fn new(key: String, storage_key: String) -> Self {
        Self { key, storage_key }
    }

    /// The event's key, as derived by the guard's [`KeyStrategy`](crate::KeyStrategy)
    /// (e.g. `evt_1`, `msg_2b...`, `sha256:<hex>`).
    pub fn as_str(&self) -> &str {
        &self.key
    }

    /// The key as stored: `<prefix>:<endpoint>:<key>`.
    pub fn storage_key(&self) -> &str {
        &self.storage_key
    }
}

impl AsRef<str> for IdempotencyKey {
    fn as_ref(&self) -> &str {
        &self.key
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)
    }
}
