//! [`IdempotencyKey`]: an event's key, as adapters hand it to handlers.

use std::fmt;
use std::sync::Arc;

/// The key that identifies one event for deduplication, with the key it is stored under.
///
/// Adapters (`webhook-axum`, `webhook-actix`) put it in the request extensions of every
/// delivery whose handler runs, so handlers can log or print it. Build one with
/// [`IdempotencyGuard::delivery_key`](crate::IdempotencyGuard::delivery_key). Cloning it
/// copies no string (the stored form is shared).
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
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey {
    /// `<prefix>:<endpoint>:<key>`, in one allocation shared with the claim.
    storage_key: Arc<str>,
    /// Where `<key>` starts in `storage_key`.
    start: usize,
}

impl IdempotencyKey {
    /// `<prefix>:<endpoint>:<key parts...>`, joined in one string.
    pub(crate) fn new(prefix: &str, endpoint: &str, key: &[&str]) -> Self {
        let start = prefix.len() + endpoint.len() + 2;
        let mut joined = String::with_capacity(start + key.iter().map(|p| p.len()).sum::<usize>());
        for part in [prefix, ":", endpoint, ":"].iter().chain(key) {
            joined.push_str(part);
        }
        Self {
            storage_key: Arc::from(joined),
            start,
        }
    }

    /// The event's key, as derived by the guard's [`KeyStrategy`](crate::KeyStrategy)
    /// (e.g. `evt_1`, `msg_2b...`, `sha256:<hex>`).
    pub fn as_str(&self) -> &str {
        self.storage_key.get(self.start..).unwrap_or_default()
    }

    /// The key as stored: `<prefix>:<endpoint>:<key>`.
    pub fn storage_key(&self) -> &str {
        &self.storage_key
    }

    /// The stored form, shared.
    pub(crate) fn shared_storage_key(&self) -> Arc<str> {
        Arc::clone(&self.storage_key)
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdempotencyKey")
            .field("key", &self.as_str())
            .field("storage_key", &self.storage_key())
            .finish()
    }
}

impl AsRef<str> for IdempotencyKey {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
