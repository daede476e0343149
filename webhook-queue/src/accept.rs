//! The accept step of a receiver: claim the idempotency key, append durably, answer.
//!
//! See [`Acceptor`] for what each case answers.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use webhook_idempotency::{Claim, Fingerprint, IdempotencyGuard, Outcome};
use webhook_verify::{HeaderSource, Rejection, Verified};

use crate::{Appended, Delivery, Queue, QueueError};

/// Headers kept with a delivery by default: content type, user agent, and every built-in
/// provider's id, event, timestamp and signature headers (so a handler can re-verify), derived
/// from the providers' own files: [`webhook_verify::KEPT_HEADERS`].
///
/// ```
/// assert!(webhook_queue::DEFAULT_KEPT_HEADERS.contains(&"x-github-event"));
/// assert!(webhook_queue::DEFAULT_KEPT_HEADERS.contains(&"twitch-eventsub-message-id"));
/// ```
pub const DEFAULT_KEPT_HEADERS: &[&str] = webhook_verify::KEPT_HEADERS;

/// Turns a verified delivery into a queued one and says what to answer the sender.
///
/// Adapters call [`Acceptor::accept`] after verification and answer with its result:
///
/// | situation                                        | answer                                   |
/// |--------------------------------------------------|------------------------------------------|
/// | first delivery, appended                         | `202` (configurable), key marked done    |
/// | first delivery, append failed (Redis down, full) | `503` + `Retry-After`, key released       |
/// | duplicate of an accepted event                   | `200` (nothing appended)                 |
/// | duplicate while another delivery is being accepted | `409` + `Retry-After`                  |
/// | same key, different body                         | `422`                                    |
/// | idempotency store unavailable (fail-closed)      | `503` + `Retry-After`                    |
///
/// So the sender retries exactly when the event is not safely queued: nothing is lost and
/// nothing is queued twice.
///
/// ```
/// use webhook_idempotency::IdempotencyGuard;
/// use webhook_queue::{Acceptor, MemoryQueue, QueueConfig};
/// use webhook_verify::{Scheme, Signer, Verifier};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let acceptor = Acceptor::new(MemoryQueue::new("orders", QueueConfig::default()), IdempotencyGuard::default());
/// let verifier = Verifier::new(Scheme::hmac_sha256(), "secret")?;
///
/// // Per request:
/// let body = br#"{"id":"evt_1","type":"order.paid"}"#;
/// let headers = Signer::new(Scheme::hmac_sha256(), "secret")?.sign("", 0, body)?;
/// let verified = verifier.verify(&headers, body)?;
/// let accepted = acceptor.accept(&verified, &headers, &body[..]).await.unwrap();
/// assert_eq!(accepted.status, 202);
///
/// // The sender retries: answered 200, not queued again.
/// let again = acceptor.accept(&verified, &headers, &body[..]).await.unwrap_err();
/// assert_eq!(again.status(), 200);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Acceptor {
    queue: Arc<dyn Queue>,
    guard: Option<IdempotencyGuard>,
    keep: Arc<[HeaderName]>,
    status: u16,
    retry_after: u64,
}

/// A delivery appended to the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Accepted {
    /// The status to answer (default `202 Accepted`).
    pub status: u16,
    /// The queue entry's id.
    pub entry_id: String,
    /// The idempotency key it was accepted under.
    pub key: String,
}

impl Accepted {
    /// The response body: `{"id":"<entry id>","status":"accepted"}`.
    pub fn json_body(&self) -> String {
        serde_json::json!({ "status": "accepted", "id": self.entry_id }).to_string()
    }
}

impl Acceptor {
    /// An acceptor appending to `queue`, deduplicating with `guard` (use a guard with a
    /// `RedisStore` when several receivers share the queue).
    pub fn new(queue: impl Queue, guard: IdempotencyGuard) -> Self {
        Self::from_shared(Arc::new(queue), Some(guard))
    }

    /// An acceptor without deduplication: every verified delivery is appended, duplicates
    /// included (handlers then see each event at least once).
    pub fn unguarded(queue: impl Queue) -> Self {
        Self::from_shared(Arc::new(queue), None)
    }

    /// An acceptor over a queue already shared as `Arc<dyn Queue>`.
    pub fn from_shared(queue: Arc<dyn Queue>, guard: Option<IdempotencyGuard>) -> Self {
        Self {
            queue,
            guard,
            keep: DEFAULT_KEPT_HEADERS
                .iter()
                .map(|name| HeaderName::from_static(name))
                .collect(),
            status: 202,
            retry_after: 5,
        }
    }

    /// Keeps these headers with each delivery instead of [`DEFAULT_KEPT_HEADERS`]. Headers not
    /// listed are not stored (cookies, authorization never reach the queue unless listed).
    /// Names that are not valid header names are ignored.
    #[must_use]
    pub fn keep_headers<S: AsRef<str>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.keep = names
            .into_iter()
            .filter_map(|n| HeaderName::from_bytes(n.as_ref().as_bytes()).ok())
            .collect();
        self
    }

    /// The status answered for an accepted delivery (default `202`).
    #[must_use]
    pub fn accepted_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// `Retry-After` seconds when the append fails (default 5).
    #[must_use]
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = secs;
        self
    }

    /// The queue deliveries are appended to.
    pub fn queue(&self) -> &Arc<dyn Queue> {
        &self.queue
    }

    /// Accepts a verified delivery: claims its idempotency key, appends it durably, marks the
    /// key done and returns what to answer (see [`Acceptor`] for every case).
    /// `Err` is a refusal to answer as is, including `200` for a duplicate.
    ///
    /// When the queue holds keys itself ([`Queue::enqueue_once`], the SQL inbox), the guard
    /// only names the key (its key strategy, prefix and endpoint): the claim, the entry and its
    /// record are one row written in one commit, answered after it.
    pub async fn accept<H: HeaderSource + ?Sized>(
        &self,
        verified: &Verified<'_>,
        headers: &H,
        body: impl Into<Bytes>,
    ) -> Result<Accepted, Rejection> {
        let body: Bytes = body.into();
        let Some(guard) = &self.guard else {
            let key = verified
                .webhook_id
                .as_deref()
                .map_or_else(String::new, str::to_owned);
            let delivery = self.delivery(verified, headers, body, &key);
            return self.append(&delivery, key, None).await;
        };
        let key = guard.delivery_key(Some(verified), headers, &body);
        let delivery = self.delivery(verified, headers, body, key.as_str());
        if let Some(appended) = self.queue.enqueue_once(key.storage_key(), &delivery) {
            return self.answer_once(appended.await, key.as_str());
        }
        let fingerprint = Fingerprint::of(delivery.body());
        let claim = guard.begin(key.as_str(), &fingerprint).await.proceed()?;
        self.append(&delivery, key.as_str().to_owned(), claim).await
    }

    fn delivery<H: HeaderSource + ?Sized>(
        &self,
        verified: &Verified<'_>,
        headers: &H,
        body: Bytes,
        key: &str,
    ) -> Delivery {
        let delivery = Delivery::new(body, verified).headers_from(self.kept_headers(headers));
        if key.is_empty() {
            delivery
        } else {
            delivery.idempotency_key(key.to_owned())
        }
    }

    /// Appends, then marks the guard's claim done (or releases it when the append failed).
    async fn append(
        &self,
        delivery: &Delivery,
        key: String,
        claim: Option<Claim>,
    ) -> Result<Accepted, Rejection> {
        match self.queue.enqueue(delivery).await {
            Ok(entry_id) => {
                if let Some(claim) = claim {
                    // Queued either way; if this fails the key's lease expires and a retry of
                    // the sender could be queued again (handlers get the key to notice).
                    let _ = claim.complete(self.status).await;
                }
                Ok(Accepted {
                    status: self.status,
                    entry_id,
                    key,
                })
            }
            Err(err) => {
                if let Some(claim) = claim {
                    let _ = claim.release().await;
                }
                Err(self.unavailable(&key, &err))
            }
        }
    }

    /// The answer for what [`Queue::enqueue_once`] did, as the guard answers the same cases.
    fn answer_once(
        &self,
        appended: Result<Appended, QueueError>,
        key: &str,
    ) -> Result<Accepted, Rejection> {
        let refused = match appended {
            Ok(Appended::New(entry_id)) => {
                return Ok(Accepted {
                    status: self.status,
                    entry_id,
                    key: key.to_owned(),
                });
            }
            Ok(Appended::Duplicate) => {
                tracing::info!(queue = %self.queue.name(), key = %key, "webhook event: duplicate of an accepted event, skipped");
                Outcome::Duplicate { status: 200 }
            }
            Ok(Appended::InFlight) => {
                tracing::info!(queue = %self.queue.name(), key = %key, "webhook event: duplicate while in flight (409)");
                Outcome::InFlight {
                    retry_after: self.retry_after,
                }
            }
            Ok(Appended::Conflict) => {
                tracing::warn!(queue = %self.queue.name(), key = %key, "webhook event: same key with a different body, refused (422)");
                Outcome::Conflict
            }
            Err(err) => return Err(self.unavailable(key, &err)),
        };
        Err(refused
            .rejection()
            .unwrap_or_else(|| Rejection::new(500, "idempotency outcome without an answer")))
    }

    fn unavailable(&self, key: &str, err: &QueueError) -> Rejection {
        tracing::warn!(queue = %self.queue.name(), key = %key, error = %err, "could not queue the delivery: answering 503");
        Rejection::new(503, "the delivery could not be queued; retry later")
            .retry_after(self.retry_after)
            .outcome(webhook_verify::metrics::Outcome::Unavailable)
    }

    fn kept_headers<H: HeaderSource + ?Sized>(&self, headers: &H) -> HeaderMap {
        let mut kept = HeaderMap::new();
        for name in self.keep.iter() {
            for value in headers.values(name.as_str()) {
                if let Ok(value) = HeaderValue::from_bytes(value) {
                    kept.append(name.clone(), value);
                }
            }
        }
        kept
    }
}

impl std::fmt::Debug for Acceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Acceptor")
            .field("queue", &self.queue.name())
            .field("guarded", &self.guard.is_some())
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}
