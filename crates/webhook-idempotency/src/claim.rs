//! [`Claim`]: the right to process one event, held while its handler runs.

use std::sync::Arc;
use std::time::Duration;

use crate::StoreError;
use crate::renewal::Registration;
use crate::store::{Record, Store};

/// Proof that this delivery is the one processing its event.
///
/// Returned in [`Outcome::First`](crate::Outcome::First). While it lives, the guard's background
/// task renews its lease (every `lease / 3` to `lease / 2`), so a handler that runs longer than the lease keeps other
/// deliveries answered 409. Finish it with exactly one of:
/// - [`complete(status)`](Claim::complete): a 2xx status marks the event done (duplicates then
///   get 200 without running); any other status releases it;
/// - [`release()`](Claim::release): the handler failed; the sender's retry will run it again.
///
/// Dropping a `Claim` without either (a panic, a cancelled request) releases it in the
/// background, so an event is never marked done unless its handler succeeded. If the process
/// dies, the claim's lease expires and a later delivery takes the event over.
#[must_use = "a claim is released when dropped; call `complete` once the handler succeeded"]
pub struct Claim {
    inner: Option<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    key: String,
    record: Record,
    retention: Duration,
    renewal: Option<Registration>,
}

impl std::fmt::Debug for Claim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claim")
            .field("key", &self.key())
            .finish_non_exhaustive()
    }
}

impl Claim {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        key: String,
        record: Record,
        retention: Duration,
        renewal: Registration,
    ) -> Self {
        Self {
            inner: Some(Inner {
                store,
                key,
                record,
                retention,
                renewal: Some(renewal),
            }),
        }
    }

    /// The key in the store: `<prefix>:<endpoint>:<event key>`.
    pub fn key(&self) -> &str {
        self.inner.as_ref().map_or("", |i| i.key.as_str())
    }

    /// The handler answered `status`: a 2xx marks the event done for the retention period,
    /// anything else releases the claim so the sender's retry is processed.
    ///
    /// Fails with [`StoreError::LeaseLost`] if the claim was no longer ours (its lease expired,
    /// e.g. the store was unreachable for longer than the lease), or with the store's error; the
    /// handler has run either way, and the claim expires with its lease.
    pub async fn complete(mut self, status: u16) -> Result<(), StoreError> {
        let Some(inner) = self.take() else {
            return Ok(());
        };
        if !(200..300).contains(&status) {
            return inner.release().await;
        }
        let fingerprint = inner.record.fingerprint().clone();
        let done = Record::Done {
            status,
            fingerprint,
        };
        let result = inner
            .store
            .complete(&inner.key, &inner.record, &done, inner.retention)
            .await;
        match result {
            Ok(true) => {
                tracing::debug!(key = %inner.key, status, "webhook event marked done");
                Ok(())
            }
            Ok(false) => {
                tracing::warn!(key = %inner.key, "webhook handler finished after its claim was lost; not marked done");
                Err(StoreError::LeaseLost)
            }
            Err(error) => {
                tracing::warn!(key = %inner.key, %error, "could not mark webhook event done; it may be processed again after its lease expires");
                Err(error)
            }
        }
    }

    /// The handler failed: give the event back so the sender's retry processes it.
    pub async fn release(mut self) -> Result<(), StoreError> {
        match self.take() {
            Some(inner) => inner.release().await,
            None => Ok(()),
        }
    }

    fn take(&mut self) -> Option<Inner> {
        let mut inner = self.inner.take()?;
        // Stops renewing; the store's scripts refuse a renewal racing with completion anyway.
        drop(inner.renewal.take());
        Some(inner)
    }
}

impl Inner {
    async fn release(self) -> Result<(), StoreError> {
        match self.store.release(&self.key, &self.record).await {
            Ok(true) => {
                tracing::debug!(key = %self.key, "webhook claim released");
                Ok(())
            }
            Ok(false) => Err(StoreError::LeaseLost),
            Err(error) => {
                tracing::warn!(key = %self.key, %error, "could not release webhook claim; it expires with its lease");
                Err(error)
            }
        }
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let Some(inner) = self.take() else {
            return;
        };
        tracing::debug!(key = %inner.key, "webhook claim dropped unfinished; releasing");
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    let _ = inner.release().await;
                });
            }
            Err(_) => {
                tracing::warn!(key = %inner.key, "webhook claim dropped outside a Tokio runtime; it expires with its lease");
            }
        }
    }
}
