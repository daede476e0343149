//! [`IdempotencyGuard`]: claim, complete, release; the one type a receiver holds.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use webhook_verify::{HeaderSource, Rejection, Verified};

use crate::renewal::{LiveClaim, Renewer};
use crate::store::{Record, Store};
use crate::{Claim, Fingerprint, IdempotencyKey, KeyStrategy, MemoryStore, Outcome, Ran};

/// How long a done event is remembered by default: 24 h, as senders' retry schedules span.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(24 * 60 * 60);
/// How long a claim lives without renewal by default (renewed every third of it while the
/// handler runs).
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);
/// The default `Retry-After` seconds on 409 and 503.
pub const DEFAULT_RETRY_AFTER: u64 = 5;

/// What to do when the store fails (unreachable, timed out, full).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailMode {
    /// Answer 503 with `Retry-After`: the sender retries later and nothing is processed twice
    /// (the default).
    #[default]
    Closed,
    /// Run the handler anyway (at-least-once) and log a warning: no delivery waits on the store,
    /// but a duplicate may be processed twice while it is down.
    Open,
}

/// Process each event exactly once: the guard decides, per delivery, whether its handler runs.
///
/// Cheap to clone (one `Arc`); build one per endpoint, or one and derive others with
/// [`for_endpoint`](Self::for_endpoint) so they share the store.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use webhook_idempotency::{Fingerprint, IdempotencyGuard, Outcome};
///
/// let guard = IdempotencyGuard::builder().endpoint("orders").build();
/// let body = br#"{"id":"evt_1"}"#;
/// match guard.begin("evt_1", &Fingerprint::of(body)).await {
///     Outcome::First(claim) => {
///         // ... run the handler, then:
///         claim.complete(200).await.ok();
///     }
///     other => println!("answer {:?}", other.rejection()),
/// }
/// assert!(matches!(guard.begin("evt_1", &Fingerprint::of(body)).await, Outcome::Duplicate { status: 200 }));
/// # }
/// ```
#[derive(Clone)]
pub struct IdempotencyGuard {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    prefix: String,
    endpoint: String,
    retention: Duration,
    lease: Duration,
    fail_mode: FailMode,
    retry_after: u64,
    keys: KeyStrategy,
    replay_status: bool,
    renewer: Arc<Renewer>,
}

impl std::fmt::Debug for IdempotencyGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let i = &self.inner;
        f.debug_struct("IdempotencyGuard")
            .field("prefix", &i.prefix)
            .field("endpoint", &i.endpoint)
            .field("retention", &i.retention)
            .field("lease", &i.lease)
            .field("fail_mode", &i.fail_mode)
            .field("retry_after", &i.retry_after)
            .field("keys", &i.keys)
            .field("replay_status", &i.replay_status)
            .finish_non_exhaustive()
    }
}

impl Default for IdempotencyGuard {
    fn default() -> Self {
        Self::builder().build()
    }
}

/// Settings for an [`IdempotencyGuard`]; every one has a default.
///
/// ```
/// use std::time::Duration;
/// use webhook_idempotency::{FailMode, IdempotencyGuard, KeyStrategy, MemoryStore};
///
/// let guard = IdempotencyGuard::builder()
///     .store(MemoryStore::new())             // default; RedisStore for several receivers
///     .prefix("webhook")                     // default
///     .endpoint("github")                    // default "default"
///     .key_strategy(KeyStrategy::signed())   // default
///     .retention(Duration::from_secs(86_400))
///     .lease(Duration::from_secs(30))
///     .fail_mode(FailMode::Closed)
///     .retry_after(5)
///     .replay_status(false)
///     .build();
/// # drop(guard);
/// ```
#[derive(Debug, Clone)]
pub struct GuardBuilder {
    store: Option<Arc<dyn Store>>,
    prefix: String,
    endpoint: String,
    retention: Duration,
    lease: Duration,
    fail_mode: FailMode,
    retry_after: u64,
    keys: KeyStrategy,
    replay_status: bool,
}

impl std::fmt::Debug for dyn Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dyn Store")
    }
}

impl GuardBuilder {
    /// Where claims live (default: a fresh [`MemoryStore`]).
    #[must_use]
    pub fn store(mut self, store: impl Store) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// A store already shared as `Arc<dyn Store>`.
    #[must_use]
    pub fn shared_store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// The first part of every key (default `webhook`).
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The endpoint's name, the second part of every key (default `default`), so two endpoints
    /// receiving the same id do not collide.
    #[must_use]
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// How an event's key is derived from a delivery (default [`KeyStrategy::signed`]).
    #[must_use]
    pub fn key_strategy(mut self, keys: KeyStrategy) -> Self {
        self.keys = keys;
        self
    }

    /// How long a done event is remembered (default 24 h). Make it longer than the sender's
    /// retry schedule.
    #[must_use]
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = retention.max(Duration::from_millis(1));
        self
    }

    /// How long a claim survives without renewal (default 30 s): the delay before a crashed
    /// process's event can be taken over. Renewed every third of it while the handler runs.
    #[must_use]
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(3));
        self
    }

    /// What to do when the store fails (default [`FailMode::Closed`]).
    #[must_use]
    pub fn fail_mode(mut self, mode: FailMode) -> Self {
        self.fail_mode = mode;
        self
    }

    /// `Retry-After` seconds on 409 and 503 (default 5).
    #[must_use]
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = secs;
        self
    }

    /// Answer a duplicate with the status the handler first answered (e.g. 202) instead of 200
    /// (default `false`).
    #[must_use]
    pub fn replay_status(mut self, replay: bool) -> Self {
        self.replay_status = replay;
        self
    }

    /// The guard.
    pub fn build(self) -> IdempotencyGuard {
        let store = self
            .store
            .unwrap_or_else(|| Arc::new(MemoryStore::default()));
        IdempotencyGuard {
            inner: Arc::new(Inner {
                renewer: Arc::new(Renewer::new(store.clone(), self.lease)),
                store,
                prefix: self.prefix,
                endpoint: self.endpoint,
                retention: self.retention,
                lease: self.lease,
                fail_mode: self.fail_mode,
                retry_after: self.retry_after,
                keys: self.keys,
                replay_status: self.replay_status,
            }),
        }
    }
}

/// A delivery admitted by [`IdempotencyGuard::admit`]: the event's first, to be handled.
#[derive(Debug)]
#[must_use = "settle the claim after the handler, or the event stays in flight until its lease ends"]
pub struct Admitted {
    /// The event's key, for the handler (adapters put it in the request extensions).
    pub key: IdempotencyKey,
    /// The claim to settle after the handler; `None` when the store is down and the guard fails
    /// open (processing without deduplication).
    pub claim: Option<Claim>,
}

impl IdempotencyGuard {
    /// Settings, starting from the defaults.
    pub fn builder() -> GuardBuilder {
        GuardBuilder {
            store: None,
            prefix: "webhook".to_owned(),
            endpoint: "default".to_owned(),
            retention: DEFAULT_RETENTION,
            lease: DEFAULT_LEASE,
            fail_mode: FailMode::Closed,
            retry_after: DEFAULT_RETRY_AFTER,
            keys: KeyStrategy::signed(),
            replay_status: false,
        }
    }

    /// A guard with default settings over `store`.
    pub fn new(store: impl Store) -> Self {
        Self::builder().store(store).build()
    }

    /// The same guard (same store and settings) for another endpoint's keys.
    ///
    /// ```
    /// let guard = webhook_idempotency::IdempotencyGuard::default();
    /// assert_eq!(guard.for_endpoint("stripe").storage_key("evt_1"), "webhook:stripe:evt_1");
    /// ```
    pub fn for_endpoint(&self, endpoint: impl Into<String>) -> Self {
        let i = &self.inner;
        Self {
            inner: Arc::new(Inner {
                store: i.store.clone(),
                prefix: i.prefix.clone(),
                endpoint: endpoint.into(),
                retention: i.retention,
                lease: i.lease,
                fail_mode: i.fail_mode,
                retry_after: i.retry_after,
                keys: i.keys.clone(),
                replay_status: i.replay_status,
                renewer: i.renewer.clone(),
            }),
        }
    }

    /// The store, e.g. to share it with another guard.
    pub fn store(&self) -> Arc<dyn Store> {
        self.inner.store.clone()
    }

    /// The fail mode.
    pub fn fail_mode(&self) -> FailMode {
        self.inner.fail_mode
    }

    /// `<prefix>:<endpoint>:<key>`, the key as stored.
    pub fn storage_key(&self, key: &str) -> String {
        // Joined rather than `format!`ed: one allocation of the exact size, no formatter.
        [
            self.inner.prefix.as_str(),
            ":",
            &self.inner.endpoint,
            ":",
            key,
        ]
        .concat()
    }

    /// The event key for a delivery, by the configured [`KeyStrategy`].
    pub fn key_for<H: HeaderSource + ?Sized>(
        &self,
        verified: Option<&Verified<'_>>,
        headers: &H,
        body: &[u8],
    ) -> String {
        self.inner.keys.derive(verified, headers, body)
    }

    /// The event key for a delivery with the key it is stored under, as adapters put it in
    /// request extensions for handlers; pass [`IdempotencyKey::as_str`] to [`begin`](Self::begin).
    pub fn delivery_key<H: HeaderSource + ?Sized>(
        &self,
        verified: Option<&Verified<'_>>,
        headers: &H,
        body: &[u8],
    ) -> IdempotencyKey {
        self.derive_key(verified, headers, body, || Fingerprint::of(body))
    }

    /// The delivery's key, from `fingerprint` when it is the body's hash.
    fn derive_key<H: HeaderSource + ?Sized>(
        &self,
        verified: Option<&Verified<'_>>,
        headers: &H,
        body: &[u8],
        fingerprint: impl FnOnce() -> Fingerprint,
    ) -> IdempotencyKey {
        let (prefix, endpoint) = (&self.inner.prefix, &self.inner.endpoint);
        match self.inner.keys.chosen(verified, headers, body) {
            Some(key) => IdempotencyKey::new(prefix, endpoint, &[&key]),
            None => IdempotencyKey::new(prefix, endpoint, &["sha256:", fingerprint().as_str()]),
        }
    }

    /// The one call after verification, for both adapters, the queue's accept step and a custom
    /// server: derives the event's key (by the [`KeyStrategy`]) and claims it, one store round
    /// trip. `Ok`: this is the event's first delivery; run the handler with
    /// [`Admitted::key`], then settle [`Admitted::claim`] ([`Claim::settle`]). `Err`: the answer
    /// to send instead (a duplicate's `200`, `409`, `422`, `503`), already logged.
    ///
    /// The body is hashed once, for its fingerprint (and for the key, when the key is the
    /// body's hash).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use webhook_idempotency::IdempotencyGuard;
    ///
    /// let guard = IdempotencyGuard::default();
    /// let (headers, body): ([(&str, &str); 0], _) = ([], br#"{"id":"evt_1"}"#);
    /// let first = guard.admit(None, &headers[..], body).await.unwrap();
    /// assert_eq!(first.key.as_str(), "evt_1");
    /// first.claim.unwrap().complete(200).await.unwrap();
    /// let again = guard.admit(None, &headers[..], body).await.unwrap_err();
    /// assert_eq!((again.status(), again.message()), (200, "duplicate"));
    /// # }
    /// ```
    pub async fn admit<H: HeaderSource + ?Sized>(
        &self,
        verified: Option<&Verified<'_>>,
        headers: &H,
        body: &[u8],
    ) -> Result<Admitted, Rejection> {
        let fingerprint = Fingerprint::of(body);
        let key = self.derive_key(verified, headers, body, || fingerprint.clone());
        let outcome = self
            .claim_stored(key.shared_storage_key(), fingerprint)
            .await;
        let claim = outcome.proceed()?;
        Ok(Admitted { key, claim })
    }

    /// Claims the event `key` (one store round trip) and says what to do with this delivery.
    pub async fn begin(&self, key: &str, fingerprint: &Fingerprint) -> Outcome {
        self.claim_stored(Arc::from(self.storage_key(key)), fingerprint.clone())
            .await
    }

    /// [`begin`](Self::begin) with the key as stored.
    async fn claim_stored(&self, storage_key: Arc<str>, fingerprint: Fingerprint) -> Outcome {
        let i = &*self.inner;
        let claim = Record::InFlight {
            token: new_token(),
            fingerprint,
        };
        match i.store.claim(&storage_key, &claim, i.lease).await {
            Ok(None) => {
                tracing::debug!(key = %storage_key, "webhook event: first delivery, processing");
                let live = LiveClaim::new(storage_key, claim);
                let renewal = i.renewer.register(&live);
                Outcome::First(Claim::new(i.store.clone(), live, i.retention, renewal))
            }
            Ok(Some(existing)) if existing.fingerprint() != claim.fingerprint() => {
                tracing::warn!(key = %storage_key, "webhook event: same key with a different body, refused (422)");
                Outcome::Conflict
            }
            Ok(Some(Record::Done { status, .. })) => {
                tracing::info!(key = %storage_key, "webhook event: duplicate of a processed event, skipped");
                Outcome::Duplicate {
                    status: if i.replay_status { status } else { 200 },
                }
            }
            Ok(Some(Record::InFlight { .. })) => {
                tracing::info!(key = %storage_key, "webhook event: duplicate while in flight (409)");
                Outcome::InFlight {
                    retry_after: i.retry_after,
                }
            }
            Err(error) => match i.fail_mode {
                FailMode::Closed => {
                    tracing::warn!(key = %storage_key, %error, "webhook event: idempotency store error, answering 503 (fail-closed)");
                    Outcome::Unavailable {
                        error,
                        retry_after: i.retry_after,
                    }
                }
                FailMode::Open => {
                    tracing::warn!(key = %storage_key, %error, "webhook event: idempotency store error, processing without deduplication (fail-open, at-least-once)");
                    Outcome::Unguarded(error)
                }
            },
        }
    }

    /// For a custom server: runs `handler` only if this delivery is the event's first,
    /// marking the event done when it returns `Ok` and releasing it when it returns `Err`,
    /// panics or is cancelled.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use webhook_idempotency::{IdempotencyGuard, Ran};
    ///
    /// let guard = IdempotencyGuard::default();
    /// let body = br#"{"id":"evt_1"}"#;
    /// let first = guard.run("evt_1", body, || async { Ok::<_, ()>("processed") }).await;
    /// assert!(matches!(first, Ran::Handled("processed")));
    /// let again = guard.run("evt_1", body, || async { Ok::<_, ()>("processed") }).await;
    /// assert!(matches!(again, Ran::Skipped(r) if r.status() == 200));
    /// # }
    /// ```
    pub async fn run<F, Fut, T, E>(&self, key: &str, body: &[u8], handler: F) -> Ran<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let claim = match self.begin(key, &Fingerprint::of(body)).await.proceed() {
            Ok(claim) => claim,
            Err(rejection) => return Ran::Skipped(rejection),
        };
        match Claim::settle(claim, handler(), |_| 200).await {
            Ok(value) => Ran::Handled(value),
            Err(error) => Ran::Failed(error),
        }
    }
}

/// 128 random bits, hex: unique per claim across processes.
fn new_token() -> String {
    const_hex::encode(rand::random::<[u8; 16]>())
}
