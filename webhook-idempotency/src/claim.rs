//! [`Claim`]: the right to process one event, held while its handler runs.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;

use crate::StoreError;
use crate::renewal::{LiveClaim, Registration};
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
    /// The key and the record, shared with the guard's renewer.
    live: Arc<LiveClaim>,
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
    /// A claim on `live` (registered with the renewer by the guard).
    pub(crate) fn new(
        store: Arc<dyn Store>,
        live: Arc<LiveClaim>,
        retention: Duration,
        renewal: Registration,
    ) -> Self {
        Self {
            inner: Some(Inner {
                store,
                live,
                retention,
                renewal: Some(renewal),
            }),
        }
    }

    /// The key in the store: `<prefix>:<endpoint>:<event key>`.
    pub fn key(&self) -> &str {
        self.inner.as_ref().map_or("", |i| &*i.live.key)
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
        let (key, record) = (&inner.live.key, &inner.live.record);
        let done = Record::Done {
            status,
            fingerprint: record.fingerprint().clone(),
        };
        let result = inner
            .store
            .complete(key, record, &done, inner.retention)
            .await;
        match result {
            Ok(true) => {
                tracing::debug!(key = %key, status, "webhook event marked done");
                Ok(())
            }
            Ok(false) => {
                tracing::warn!(key = %key, "webhook handler finished after its claim was lost; not marked done");
                Err(StoreError::LeaseLost)
            }
            Err(error) => {
                tracing::warn!(key = %key, %error, "could not mark webhook event done; it may be processed again after its lease expires");
                Err(error)
            }
        }
    }

    /// Runs `handler`, the processing of a delivery that got `claim` (`None`: unguarded, e.g.
    /// the store was down under [`FailMode::Open`](crate::FailMode::Open)), then settles the
    /// claim: an `Ok` completes it with `status_of` its value (a 2xx marks the event done,
    /// anything else releases it); an `Err` or a panic releases it, and the panic then goes on.
    /// If the returned future is dropped first (a cancelled request), the claim is dropped and
    /// released in the background. Store errors are logged by the claim; the handler's result is
    /// returned either way. This is what the axum and actix-web idempotency layers run.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use webhook_idempotency::{Claim, Fingerprint, IdempotencyGuard, Outcome};
    ///
    /// let guard = IdempotencyGuard::default();
    /// let fingerprint = Fingerprint::of(b"{}");
    /// let Outcome::First(claim) = guard.begin("evt_1", &fingerprint).await else { panic!() };
    /// let answered = Claim::settle(Some(claim), async { Ok::<_, ()>(500) }, |status| *status).await;
    /// assert_eq!(answered, Ok(500));
    /// // A 500 released the event: the sender's retry is processed.
    /// assert!(guard.begin("evt_1", &fingerprint).await.is_first());
    /// # }
    /// ```
    pub async fn settle<T, E>(
        claim: Option<Claim>,
        handler: impl Future<Output = Result<T, E>>,
        status_of: impl FnOnce(&T) -> u16,
    ) -> Result<T, E> {
        let outcome = AssertUnwindSafe(handler).catch_unwind().await;
        let Some(claim) = claim else {
            return outcome.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        };
        match outcome {
            Ok(Ok(value)) => {
                let _ = claim.complete(status_of(&value)).await;
                Ok(value)
            }
            Ok(Err(error)) => {
                let _ = claim.release().await;
                Err(error)
            }
            Err(panic) => {
                // Released before the panic goes on, so the sender's retry finds the event free
                // however the caller deals with the panic.
                let _ = claim.release().await;
                std::panic::resume_unwind(panic)
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
        inner.live.stop();
        drop(inner.renewal.take());
        Some(inner)
    }
}

impl Inner {
    async fn release(self) -> Result<(), StoreError> {
        let key = &self.live.key;
        match self.store.release(key, &self.live.record).await {
            Ok(true) => {
                tracing::debug!(key = %key, "webhook claim released");
                Ok(())
            }
            Ok(false) => Err(StoreError::LeaseLost),
            Err(error) => {
                tracing::warn!(key = %key, %error, "could not release webhook claim; it expires with its lease");
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
        tracing::debug!(key = %inner.live.key, "webhook claim dropped unfinished; releasing");
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    let _ = inner.release().await;
                });
            }
            Err(_) => {
                tracing::warn!(key = %inner.live.key, "webhook claim dropped outside a Tokio runtime; it expires with its lease");
            }
        }
    }
}
