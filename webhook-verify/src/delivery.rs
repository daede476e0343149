//! What a receiver saw of each request, handed to a [`DeliveryRecorder`] when it is answered —
//! at the same place the adapters record [`metrics`](crate::metrics). A dashboard (the
//! `webhook-dashboard` crate's `DeliveryLog`) is such a recorder; without one (the default),
//! nothing is captured and nothing is copied.
//!
//! A [`Delivery`] holds only the kept headers ([`KEPT_HEADERS`]: never `Authorization` or a
//! cookie) and the body cut at the recorder's [`body_cap`](DeliveryRecorder::body_cap). The
//! query string is not kept (Meta's endpoint check carries its verify token there).
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use webhook_verify::delivery::{Delivery, DeliveryRecorder};
//! use webhook_verify::{Scheme, Verifier};
//!
//! #[derive(Clone, Default)]
//! struct Seen(Arc<Mutex<Vec<u16>>>);
//! impl DeliveryRecorder for Seen {
//!     fn record(&self, delivery: Delivery) {
//!         self.0.lock().unwrap().push(delivery.status);
//!     }
//! }
//!
//! let seen = Seen::default();
//! let verifier = Verifier::builder(Scheme::github()).secret("s").recorder(seen.clone()).build()?;
//! assert!(verifier.recorder().is_some());
//! # Ok::<(), webhook_verify::VerifyError>(())
//! ```

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use crate::metrics::{Outcome, outcome_of};
use crate::{HeaderSource, KEPT_HEADERS, Rejection, Verified, Verifier};

/// How many body bytes a [`Delivery`] keeps unless the recorder says otherwise: 64 KiB.
pub const DEFAULT_BODY_CAP: usize = 64 * 1024;

/// One answered request, as a [`DeliveryRecorder`] receives it.
///
/// ```
/// # use webhook_verify::delivery::Delivery;
/// fn line(d: &Delivery) -> String {
///     format!("{} {} {}", d.status, d.outcome.as_str(), d.reason)
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delivery {
    /// When the request's body was read (or its refusal decided).
    pub at: SystemTime,
    /// The verifier's endpoint name ([`Verifier::endpoint`]).
    pub endpoint: Arc<str>,
    /// The scheme's name.
    pub scheme: &'static str,
    /// The request's path, without its query.
    pub path: String,
    /// The event type, when the delivery was authentic and carried one.
    pub event_type: Option<String>,
    /// The webhook id, when the delivery was authentic and its scheme signs one.
    pub webhook_id: Option<String>,
    /// What became of it (the `outcome` label of the metrics).
    pub outcome: Outcome,
    /// Why it was refused (the `reason` label), empty unless refused.
    pub reason: &'static str,
    /// The refusal's message as sent to the sender, empty unless refused.
    pub message: String,
    /// The HTTP status answered.
    pub status: u16,
    /// Time from verification to the answer, when measured.
    pub handler: Option<Duration>,
    /// The kept headers ([`KEPT_HEADERS`]), lower-case names, in that order.
    pub headers: Vec<(&'static str, String)>,
    /// The body as received, cut at the recorder's cap.
    pub body: Bytes,
    /// The body's full length.
    pub body_len: usize,
    /// The sender's address (the peer of the connection), when the adapter knows it.
    pub source: Option<IpAddr>,
}

/// Where an adapter hands each answered request: set with
/// [`VerifierBuilder::recorder`](crate::VerifierBuilder::recorder).
///
/// `record` runs on the request's task: keep it short (push into a bounded buffer).
///
/// ```
/// use webhook_verify::delivery::{Delivery, DeliveryRecorder};
/// struct Count(std::sync::atomic::AtomicUsize);
/// impl DeliveryRecorder for Count {
///     fn record(&self, _: Delivery) {
///         self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
///     }
///     fn body_cap(&self) -> usize { 0 } // keep no body
/// }
/// ```
pub trait DeliveryRecorder: Send + Sync + 'static {
    /// Takes one answered request.
    fn record(&self, delivery: Delivery);

    /// How many body bytes to keep ([`DEFAULT_BODY_CAP`] unless overridden).
    fn body_cap(&self) -> usize {
        DEFAULT_BODY_CAP
    }
}

/// Two recorders behind one: each gets every delivery, its body cut at its own cap (the capture
/// keeps the larger).
pub(crate) fn both(
    first: Arc<dyn DeliveryRecorder>,
    second: Arc<dyn DeliveryRecorder>,
) -> Arc<dyn DeliveryRecorder> {
    Arc::new(Both(first, second))
}

struct Both(Arc<dyn DeliveryRecorder>, Arc<dyn DeliveryRecorder>);

impl DeliveryRecorder for Both {
    fn record(&self, delivery: Delivery) {
        self.0.record(cut(delivery.clone(), self.0.body_cap()));
        self.1.record(cut(delivery, self.1.body_cap()));
    }

    fn body_cap(&self) -> usize {
        self.0.body_cap().max(self.1.body_cap())
    }
}

fn cut(mut delivery: Delivery, cap: usize) -> Delivery {
    delivery.body = delivery.body.slice(..delivery.body.len().min(cap));
    delivery
}

/// What an adapter captured of a request while it is being answered: made by [`capture`] only
/// when the verifier has a recorder, then handed to the report function of
/// [`receiver`](crate::receiver) that matches the answer (refused, handshake, answered).
///
/// ```
/// use bytes::Bytes;
/// use webhook_verify::{Rejection, Scheme, Verifier, VerifyError, delivery};
/// let verifier = Verifier::new(Scheme::github(), "s")?;
/// // No recorder: nothing is captured.
/// assert!(delivery::capture(&verifier, "/", &[("a", "b")], &Bytes::new()).is_none());
/// # Ok::<(), VerifyError>(())
/// ```
pub struct Capture {
    recorder: Arc<dyn DeliveryRecorder>,
    at: SystemTime,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Bytes,
    body_len: usize,
    event_type: Option<String>,
    webhook_id: Option<String>,
    source: Option<IpAddr>,
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capture")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Captures the kept headers and the capped body of a request to `path`, if `verifier` has a
/// recorder (else `None`, at no cost). See [`Capture`].
pub fn capture<H: HeaderSource + ?Sized>(
    verifier: &Verifier,
    path: &str,
    headers: &H,
    body: &Bytes,
) -> Option<Capture> {
    let recorder = verifier.recorder()?.clone();
    let cap = recorder.body_cap();
    let kept = KEPT_HEADERS
        .iter()
        .flat_map(|&name| {
            headers
                .values(name)
                .map(move |value| (name, String::from_utf8_lossy(value).into_owned()))
        })
        .collect();
    Some(Capture {
        at: SystemTime::now(),
        path: path.to_owned(),
        headers: kept,
        body: body.slice(..body.len().min(cap)),
        body_len: body.len(),
        event_type: None,
        webhook_id: None,
        source: None,
        recorder,
    })
}

/// Finished by [`receiver`](crate::receiver)'s report functions, which pair each record with
/// its log line and metric.
impl Capture {
    /// Notes the sender's address (the connection's peer) for the record.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use webhook_verify::{Scheme, Verifier, delivery::{self, Delivery, DeliveryRecorder}};
    /// struct Print;
    /// impl DeliveryRecorder for Print {
    ///     fn record(&self, d: Delivery) { println!("{:?}", d.source); }
    /// }
    /// let verifier = Verifier::builder(Scheme::github()).secret("s").recorder(Print).build()?;
    /// let peer = "203.0.113.7".parse().ok();
    /// let capture = delivery::capture(&verifier, "/", &[("a", "b")], &Bytes::new());
    /// assert!(capture.map(|c| c.source(peer)).is_some());
    /// # Ok::<(), webhook_verify::VerifyError>(())
    /// ```
    #[must_use]
    pub fn source(mut self, peer: Option<IpAddr>) -> Self {
        self.source = peer;
        self
    }

    /// Records a refusal before the handler.
    pub(crate) fn refused(self, verifier: &Verifier, rejection: &Rejection) {
        let outcome = rejection.tagged_outcome().unwrap_or(Outcome::Refused);
        let (reason, message) = if outcome == Outcome::Refused {
            (rejection.reason(), rejection.message().to_owned())
        } else {
            ("", String::new())
        };
        self.finish(verifier, outcome, reason, message, rejection.status(), None);
    }

    /// Records an answered endpoint check.
    pub(crate) fn handshake(self, verifier: &Verifier, status: u16) {
        self.finish(
            verifier,
            Outcome::Handshake,
            "",
            String::new(),
            status,
            None,
        );
    }

    /// Notes what verification learned of the delivery (its id and event type) for its record.
    pub(crate) fn verified(&mut self, verified: &Verified<'_>) {
        self.event_type = verified.event_type.as_deref().map(str::to_owned);
        self.webhook_id = verified.webhook_id.as_deref().map(str::to_owned);
    }

    /// Records an authentic delivery's answer: `status`, under the outcome a later layer tagged
    /// it with (as [`metrics::answered`](crate::metrics::answered) counts it).
    pub(crate) fn answered(
        self,
        verifier: &Verifier,
        handler: Option<Duration>,
        status: u16,
        tagged: Option<Outcome>,
    ) {
        let outcome = outcome_of(status, tagged);
        self.finish(verifier, outcome, "", String::new(), status, handler);
    }

    fn finish(
        self,
        verifier: &Verifier,
        outcome: Outcome,
        reason: &'static str,
        message: String,
        status: u16,
        handler: Option<Duration>,
    ) {
        self.recorder.record(Delivery {
            at: self.at,
            endpoint: verifier.endpoint_label(),
            scheme: verifier.scheme().name(),
            path: self.path,
            event_type: self.event_type,
            webhook_id: self.webhook_id,
            outcome,
            reason,
            message,
            status,
            handler,
            headers: self.headers,
            body: self.body,
            body_len: self.body_len,
            source: self.source,
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::{Scheme, VerifyError, receiver};

    #[derive(Default)]
    struct Keep(Mutex<Vec<Delivery>>, usize);

    impl DeliveryRecorder for Arc<Keep> {
        fn record(&self, delivery: Delivery) {
            self.0.lock().unwrap().push(delivery);
        }
        fn body_cap(&self) -> usize {
            self.1
        }
    }

    #[test]
    fn every_recorder_gets_each_delivery_cut_at_its_own_cap_with_its_source() {
        let (small, large) = (
            Arc::new(Keep(Mutex::default(), 2)),
            Arc::new(Keep(Mutex::default(), 5)),
        );
        let verifier = Verifier::builder(Scheme::github())
            .secret("s")
            .recorder(small.clone())
            .recorder(large.clone())
            .build()
            .unwrap();
        let body = Bytes::from_static(b"0123456789");
        let headers = [("x-github-event", "push")];
        let peer = "203.0.113.7".parse().ok();
        let capture = capture(&verifier, "/hooks", &headers, &body).map(|c| c.source(peer));
        assert_eq!(capture.as_ref().map(|c| c.body.len()), Some(5));
        let rejection = Rejection::from(VerifyError::NoMatchingSignature);
        receiver::refused(&verifier, &rejection, "/hooks", &headers, capture);
        for (keep, body) in [(&small, "01"), (&large, "01234")] {
            let kept = keep.0.lock().unwrap();
            assert_eq!(kept.len(), 1);
            assert_eq!(kept[0].body, body.as_bytes());
            assert_eq!(kept[0].body_len, 10);
            assert_eq!(kept[0].source, peer);
            assert_eq!(kept[0].outcome, Outcome::Refused);
        }
    }
}
