//! The verifier: a scheme, its keys and a timestamp policy, ready to check deliveries.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::PublicUrl;
use crate::delivery::DeliveryRecorder;
use crate::handshake::{Received, Refused, Rule, SignedCheck, UnsignedCheck};
use crate::headers::Source;
use crate::scheme::{Input, VerifyKey};
use crate::timestamp::TimestampPolicy;
use crate::{
    CertificateSource, Clock, DEFAULT_BODY_LIMIT, DEFAULT_BODY_TIMEOUT, HeaderSource, Prefetch,
    Request, Scheme, Secret, Verified, VerifyError,
};

/// Checks that a delivery was signed by the sender, over the raw body bytes.
///
/// Built once at start-up (each secret's HMAC key schedule is computed then), cheap to clone
/// (one `Arc`), and shared by every request. [`Verifier::verify`] performs no heap allocation.
///
/// ```
/// use webhook_verify::{Scheme, Verifier};
///
/// let verifier = Verifier::new(Scheme::github(), "It's a Secret to Everybody")?;
/// let headers = [(
///     "X-Hub-Signature-256",
///     "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
/// )];
/// let verified = verifier.verify(&headers, b"Hello, World!")?;
/// assert_eq!(verified.scheme, "github");
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
#[derive(Clone)]
pub struct Verifier(Arc<Inner>);

struct Inner {
    scheme: Scheme,
    keys: Vec<VerifyKey>,
    time: TimestampPolicy,
    body_limit: usize,
    body_timeout: Duration,
    public_url: Option<PublicUrl>,
    verify_token: Option<Secret>,
    endpoint: Arc<str>,
    certificates: Option<Arc<dyn CertificateSource>>,
    confirm_subscriptions: bool,
    metrics: crate::metrics::Handles,
    recorder: Option<Arc<dyn DeliveryRecorder>>,
}

impl Verifier {
    /// A verifier for one scheme and one secret, with the default tolerance and system clock.
    ///
    /// ```
    /// use webhook_verify::{Scheme, Verifier};
    /// let verifier = Verifier::new(Scheme::stripe(), "whsec_...")?;
    /// # Ok::<(), webhook_verify::VerifyError>(())
    /// ```
    pub fn new(scheme: Scheme, secret: impl Into<Secret>) -> Result<Self, VerifyError> {
        Self::builder(scheme).secret(secret).build()
    }

    /// Starts a verifier with several secrets, a tolerance or a clock of your choosing.
    ///
    /// ```
    /// use std::time::Duration;
    /// use webhook_verify::{Scheme, Verifier};
    ///
    /// let verifier = Verifier::builder(Scheme::standard())
    ///     .secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") // current
    ///     .secret("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") // being rotated out
    ///     .tolerance(Duration::from_secs(60))
    ///     .build()?;
    /// # Ok::<(), webhook_verify::VerifyError>(())
    /// ```
    pub fn builder(scheme: Scheme) -> VerifierBuilder {
        VerifierBuilder {
            scheme,
            secrets: Vec::new(),
            time: TimestampPolicy::default(),
            tolerance_set: false,
            body_limit: DEFAULT_BODY_LIMIT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            public_url: None,
            verify_token: None,
            endpoint: Arc::from(DEFAULT_ENDPOINT),
            certificates: None,
            confirm_subscriptions: false,
            recorder: None,
        }
    }

    /// Verifies a delivery: `headers` as received, `body` as the exact bytes received.
    ///
    /// Succeeds if any signature in the headers matches the body under any configured secret
    /// (and, for timestamped schemes, the timestamp is within tolerance). A body longer than
    /// [`body_limit`](Self::body_limit) is refused before anything is hashed. Never panics on any
    /// input; every way to fail is a [`VerifyError`].
    ///
    /// ```
    /// use webhook_verify::{Scheme, Verifier, VerifyError};
    /// let verifier = Verifier::new(Scheme::hmac_sha256(), "secret")?;
    /// let forged = [("X-Webhook-Signature", "sha256=".to_owned() + &"0".repeat(64))];
    /// assert_eq!(verifier.verify(&forged, b"{}").unwrap_err(), VerifyError::NoMatchingSignature);
    /// # Ok::<(), VerifyError>(())
    /// ```
    ///
    /// A scheme that signs the URL ([`Scheme::requires_url`]) needs
    /// [`verify_request`](Self::verify_request): without a URL this is
    /// [`VerifyError::MissingRequestUrl`], a configuration error (`500`), never a `401`.
    pub fn verify<'h, H: HeaderSource + ?Sized>(
        &self,
        headers: &'h H,
        body: &[u8],
    ) -> Result<Verified<'h>, VerifyError> {
        self.check(None, headers, body)
    }

    /// Verifies a delivery with the request's method and full URL, as the sender requested it:
    /// required by the schemes that sign them (`twilio`, `square`, `hubspot`), ignored by the
    /// others.
    ///
    /// ```
    /// use webhook_verify::{PublicUrl, Request, Scheme, Verifier};
    /// let verifier = Verifier::builder(Scheme::square())
    ///     .secret("asdf1234")
    ///     .public_url(PublicUrl::PerRequest) // the URL comes with each request
    ///     .build()?;
    /// let headers = [("x-square-hmacsha256-signature", "2kRE5qRU2tR+tBGlDwMEw2avJ7QM4ikPYD/PJ3bd9Og=")];
    /// let request = Request::post("https://example.com/webhook");
    /// verifier.verify_request(&request, &headers, br#"{"hello":"world"}"#)?;
    /// # Ok::<(), webhook_verify::VerifyError>(())
    /// ```
    pub fn verify_request<'h, H: HeaderSource + ?Sized>(
        &self,
        request: &Request<'_>,
        headers: &'h H,
        body: &[u8],
    ) -> Result<Verified<'h>, VerifyError> {
        self.check(Some(request), headers, body)
    }

    /// What adapters call: verifies a delivery to `path_and_query` (`/twilio?x=1`) with the
    /// request's method, building its full URL from the configured [`PublicUrl`] for the
    /// schemes that sign it ([`verify`](Self::verify) for the others).
    ///
    /// ```
    /// use webhook_verify::{PublicUrl, Scheme, Signer, Request, Verifier};
    /// let verifier = Verifier::builder(Scheme::square())
    ///     .secret("asdf1234")
    ///     .public_url(PublicUrl::base("https://example.com"))
    ///     .build()?;
    /// let request = Request::post("https://example.com/webhook");
    /// let signed = Signer::new(Scheme::square(), "asdf1234")?.sign_delivery(Some(&request), "", 0, b"{}")?;
    /// verifier.verify_http("POST", "/webhook", &signed.headers, &signed.body)?;
    /// # Ok::<(), webhook_verify::VerifyError>(())
    /// ```
    pub fn verify_http<'h, H: HeaderSource + ?Sized>(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &'h H,
        body: &[u8],
    ) -> Result<Verified<'h>, VerifyError> {
        if !self.0.scheme.requires_url() {
            return self.check(None, headers, body);
        }
        let Some(url) = self.request_url(path_and_query, headers) else {
            return match self.0.public_url {
                Some(PublicUrl::Forwarded) => Err(VerifyError::MissingHeader {
                    name: std::borrow::Cow::Borrowed("Host"),
                }),
                _ => Err(VerifyError::MissingRequestUrl {
                    scheme: self.0.scheme.name(),
                }),
            };
        };
        self.check(Some(&Request::new(method, &url)), headers, body)
    }

    /// What adapters call for each request: answers the provider's endpoint check when the
    /// request is one ([`Received::Handshake`]; the table is in [`handshake`](crate::handshake)),
    /// else verifies it as [`verify_http`](Self::verify_http) does ([`Received::Delivery`]).
    ///
    /// An unsigned check (`GET` for `dropbox` and `meta`) is answered before verification; a
    /// signed one (`slack`, `zoom`, `twitch`) only once its signature verified. A wrong Meta
    /// verify token is [`VerifyError::VerifyTokenMismatch`] (`403`).
    ///
    /// ```
    /// use webhook_verify::{Received, Scheme, Verifier, VerifyError};
    /// let verifier = Verifier::builder(Scheme::meta())
    ///     .secret("app-secret")
    ///     .verify_token("my-verify-token")
    ///     .build()?;
    /// let check = "/meta?hub.mode=subscribe&hub.verify_token=my-verify-token&hub.challenge=1158201444";
    /// let Received::Handshake(answer) = verifier.receive("GET", check, &[("host", "x")], b"")? else {
    ///     unreachable!()
    /// };
    /// assert_eq!(answer.body, "1158201444");
    /// let forged = "/meta?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1";
    /// assert_eq!(verifier.receive("GET", forged, &[("host", "x")], b"").unwrap_err(), VerifyError::VerifyTokenMismatch);
    /// # Ok::<(), VerifyError>(())
    /// ```
    pub fn receive<'h, H: HeaderSource + ?Sized>(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &'h H,
        body: &[u8],
    ) -> Result<Received<'h>, VerifyError> {
        let inner = &*self.0;
        let rule = inner.scheme.provider().and_then(|p| p.handshake);
        let scheme = inner.scheme.name();
        if let Some(Rule::Unsigned(answer)) = rule {
            let query = UnsignedCheck {
                scheme,
                method,
                query: path_and_query.split_once('?').map_or("", |(_, q)| q),
                verify_token: inner.verify_token.as_ref(),
            };
            match answer(&query) {
                Some(Ok(handshake)) => return Ok(Received::Handshake(handshake)),
                Some(Err(Refused)) => return Err(VerifyError::VerifyTokenMismatch),
                None => {}
            }
        }
        let verified = self.verify_http(method, path_and_query, headers, body)?;
        if let Some(Rule::Signed(answer)) = rule {
            let key = inner.keys.get(verified.secret_index);
            let source = Source(headers);
            let request = SignedCheck {
                scheme,
                key,
                headers: &source,
                body,
                confirm_subscriptions: inner.confirm_subscriptions,
            };
            if let Some(handshake) = answer(&request) {
                return Ok(Received::Handshake(handshake));
            }
        }
        Ok(Received::Delivery(verified))
    }

    /// The full URL of a request to `path_and_query` by the configured [`PublicUrl`]; `None`
    /// when none is configured, for [`PublicUrl::PerRequest`], or when the headers name no host.
    pub fn request_url<H: HeaderSource + ?Sized>(
        &self,
        path_and_query: &str,
        headers: &H,
    ) -> Option<String> {
        self.0.public_url.as_ref()?.url_for(path_and_query, headers)
    }

    fn check<'h, H: HeaderSource + ?Sized>(
        &self,
        request: Option<&Request<'_>>,
        headers: &'h H,
        body: &[u8],
    ) -> Result<Verified<'h>, VerifyError> {
        let inner = &*self.0;
        if body.len() > inner.body_limit {
            return Err(VerifyError::BodyTooLarge {
                limit: inner.body_limit,
            });
        }
        let source = Source(headers);
        inner.scheme.verify(&Input {
            keys: &inner.keys,
            time: &inner.time,
            headers: &source,
            body,
            request,
            certificates: inner.certificates.as_deref(),
        })
    }

    /// Makes the signing certificate a delivery names available before it is verified, for the
    /// schemes that use certificates ([`Scheme::uses_certificates`]), and confirms an SNS
    /// subscription when [enabled](VerifierBuilder::confirm_subscriptions): awaits
    /// [`preparation`](Self::preparation). Does nothing for the other schemes.
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Verifier};
    /// # async fn receive(verifier: Verifier, headers: http::HeaderMap, body: &[u8]) {
    /// verifier.prepare(&headers, body).await;
    /// let verified = verifier.verify(&headers, body);
    /// # }
    /// ```
    pub async fn prepare<H: HeaderSource + ?Sized>(&self, headers: &H, body: &[u8]) {
        if let Some(preparation) = self.preparation(headers, body) {
            preparation.await;
        }
    }

    /// What must be awaited before this delivery is verified, as a future that borrows nothing
    /// (for adapters to hold in their own futures); `None`, at no cost, when nothing is to be
    /// done — the scheme uses no certificates, the delivery names no allowed URL, or the
    /// [`CertificateSource`] has the certificate already — so the other schemes never allocate.
    ///
    /// The future [prefetches](CertificateSource::prefetch) the certificate; for an SNS
    /// `SubscriptionConfirmation`, when [`VerifierBuilder::confirm_subscriptions`] is on, it then
    /// verifies the message and, if authentic, has the source
    /// [confirm the subscription](CertificateSource::confirm_subscription). Adapters await it
    /// between reading the body and [`receive`](Self::receive).
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Verifier};
    /// let verifier = Verifier::new(Scheme::github(), "secret")?;
    /// assert!(verifier.preparation(&[("X-Hub-Signature-256", "sha256=00")], b"{}").is_none());
    /// # Ok::<(), webhook_verify::VerifyError>(())
    /// ```
    pub fn preparation<H: HeaderSource + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Option<Prefetch<'static>> {
        let inner = &*self.0;
        let source = inner.certificates.as_ref()?;
        let rule = inner.scheme.provider()?.certificates?;
        let fetch = inner
            .scheme
            .certificate_url(&Source(headers), body)
            .filter(|url| source.certificate(url).is_none());
        let confirm = if inner.confirm_subscriptions {
            (rule.confirm_url_in)(body).filter(|url| (rule.confirm_url_allowed)(url))
        } else {
            None
        };
        if fetch.is_none() && confirm.is_none() {
            return None;
        }
        let source = Arc::clone(source);
        let verifier = self.clone();
        let body = confirm.as_ref().map(|_| body.to_vec());
        Some(Box::pin(async move {
            if let Some(url) = &fetch {
                source.prefetch(url).await;
            }
            let (Some(url), Some(body)) = (confirm, body) else {
                return;
            };
            // The confirmation carries its signature in its body: no header is needed.
            let no_headers: [(&str, &str); 0] = [];
            if verifier.verify(&no_headers, &body).is_err() {
                return; // receive refuses it, with the reason
            }
            match source.confirm_subscription(&url) {
                Some(confirmation) => confirmation.await,
                None => tracing::warn!(
                    scheme = verifier.scheme().name(),
                    "this certificate source cannot confirm subscriptions (use the fetch \
                     feature's CertificateFetcher); the subscription awaits confirmation"
                ),
            }
        }))
    }

    /// The largest body this verifier accepts, in bytes (default [`DEFAULT_BODY_LIMIT`], 2 MiB).
    ///
    /// Adapters read at most this many bytes of a request and refuse a larger one with `413`
    /// before buffering it.
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Verifier};
    /// let verifier = Verifier::builder(Scheme::github()).secret("k").body_limit(1024).build()?;
    /// assert_eq!(verifier.body_limit(), 1024);
    /// # Ok::<(), webhook_verify::VerifyError>(())
    /// ```
    pub fn body_limit(&self) -> usize {
        self.0.body_limit
    }

    /// How long adapters wait for the rest of a body once the request's head has arrived
    /// (default [`DEFAULT_BODY_TIMEOUT`], 30 s). A body not complete by then is refused with
    /// `408` ([`Rejection::body_timeout`](crate::Rejection::body_timeout)) and its connection
    /// closed, so that a client trickling bytes cannot hold a connection for ever.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use webhook_verify::{Scheme, Verifier};
    /// let verifier = Verifier::builder(Scheme::github())
    ///     .secret("k")
    ///     .body_timeout(Duration::from_secs(10))
    ///     .build()?;
    /// assert_eq!(verifier.body_timeout(), Duration::from_secs(10));
    /// # Ok::<(), webhook_verify::VerifyError>(())
    /// ```
    pub fn body_timeout(&self) -> Duration {
        self.0.body_timeout
    }

    /// The endpoint's name in metrics (the `endpoint` label; default `default`). See
    /// [`VerifierBuilder::endpoint`].
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Verifier};
    /// let verifier = Verifier::builder(Scheme::stripe()).secret("whsec_x").endpoint("payments").build()?;
    /// assert_eq!(verifier.endpoint(), "payments");
    /// # Ok::<(), webhook_verify::VerifyError>(())
    /// ```
    pub fn endpoint(&self) -> &str {
        &self.0.endpoint
    }

    /// This verifier's metric handles, registered on first use (see [`crate::metrics`]).
    pub(crate) fn metric_handles(&self) -> &crate::metrics::Handles {
        &self.0.metrics
    }

    /// The endpoint name, shared (a reference count, not a copy).
    pub(crate) fn endpoint_label(&self) -> Arc<str> {
        self.0.endpoint.clone()
    }

    /// The recorder each answered request is handed to, if one was set with
    /// [`VerifierBuilder::recorder`].
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Verifier};
    /// assert!(Verifier::new(Scheme::github(), "s")?.recorder().is_none());
    /// # Ok::<(), webhook_verify::VerifyError>(())
    /// ```
    pub fn recorder(&self) -> Option<&Arc<dyn DeliveryRecorder>> {
        self.0.recorder.as_ref()
    }

    /// The scheme this verifier checks.
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Verifier};
    /// let verifier = Verifier::new(Scheme::slack(), "secret")?;
    /// assert_eq!(verifier.scheme().name(), "slack");
    /// # Ok::<(), webhook_verify::VerifyError>(())
    /// ```
    pub fn scheme(&self) -> &Scheme {
        &self.0.scheme
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("scheme", &self.0.scheme.name())
            .field("secrets", &format_args!("{} [REDACTED]", self.0.keys.len()))
            .field("tolerance", &self.0.time.tolerance)
            .field("body_limit", &self.0.body_limit)
            .field("body_timeout", &self.0.body_timeout)
            .finish()
    }
}

/// Configures a [`Verifier`]: secrets (for rotation), tolerance, clock.
///
/// ```
/// use webhook_verify::{FixedClock, Scheme, Verifier};
/// let verifier = Verifier::builder(Scheme::slack())
///     .secret("8f742231b10e8888abcd99yyyzzz85a5")
///     .clock(FixedClock(1_531_420_618))
///     .build()?;
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
#[must_use]
pub struct VerifierBuilder {
    scheme: Scheme,
    secrets: Vec<Secret>,
    time: TimestampPolicy,
    tolerance_set: bool,
    body_limit: usize,
    body_timeout: Duration,
    public_url: Option<PublicUrl>,
    verify_token: Option<Secret>,
    endpoint: Arc<str>,
    certificates: Option<Arc<dyn CertificateSource>>,
    confirm_subscriptions: bool,
    recorder: Option<Arc<dyn DeliveryRecorder>>,
}

/// The `endpoint` label of a verifier given no name: `default`.
const DEFAULT_ENDPOINT: &str = "default";

impl VerifierBuilder {
    /// Adds a secret. A delivery is valid if any secret matches; the first added has index 0.
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Verifier};
    /// let builder = Verifier::builder(Scheme::github()).secret("new").secret("old");
    /// ```
    pub fn secret(mut self, secret: impl Into<Secret>) -> Self {
        self.secrets.push(secret.into());
        self
    }

    /// Adds several secrets, in order.
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Verifier};
    /// let builder = Verifier::builder(Scheme::github()).secrets(["new", "old"]);
    /// ```
    pub fn secrets<S: Into<Secret>>(mut self, secrets: impl IntoIterator<Item = S>) -> Self {
        self.secrets.extend(secrets.into_iter().map(Into::into));
        self
    }

    /// How far a signed timestamp may be from now, in either direction (default: the
    /// provider's documented tolerance, [`Scheme::default_tolerance`], else 300 s).
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Verifier};
    /// let builder = Verifier::builder(Scheme::stripe()).tolerance(std::time::Duration::from_secs(60));
    /// ```
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.time.tolerance = Some(tolerance);
        self.tolerance_set = true;
        self
    }

    /// Turns the timestamp check off, for deliveries replayed through a gateway or from an
    /// archive. Replay protection then rests on idempotency alone: use it knowingly.
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Verifier};
    /// let builder = Verifier::builder(Scheme::stripe()).allow_any_timestamp();
    /// ```
    pub fn allow_any_timestamp(mut self) -> Self {
        self.time.tolerance = None;
        self.tolerance_set = true;
        self
    }

    /// Where "now" comes from (the system clock by default).
    ///
    /// ```
    /// # use webhook_verify::{FixedClock, Scheme, Verifier};
    /// let builder = Verifier::builder(Scheme::stripe()).clock(FixedClock(1_700_000_000));
    /// ```
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.time.clock = Arc::new(clock);
        self
    }

    /// The largest body accepted, in bytes (default 2 MiB). Adapters refuse larger requests with
    /// `413` without reading them whole.
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Verifier};
    /// let builder = Verifier::builder(Scheme::stripe()).body_limit(64 * 1024);
    /// ```
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// How long adapters wait for the body after the request's head (default 30 s); see
    /// [`Verifier::body_timeout`].
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Verifier};
    /// let builder = Verifier::builder(Scheme::stripe()).body_timeout(std::time::Duration::from_secs(5));
    /// ```
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// Where the URL of a delivery comes from, for the schemes that sign it (`twilio`, `square`,
    /// `hubspot`): required by them, ignored by the others. See [`PublicUrl`].
    ///
    /// ```
    /// use webhook_verify::{PublicUrl, Scheme, Verifier, VerifyError};
    /// let unset = Verifier::builder(Scheme::twilio()).secret("token").build();
    /// assert!(matches!(unset, Err(VerifyError::MissingRequestUrl { scheme: "twilio" })));
    /// let set = Verifier::builder(Scheme::twilio())
    ///     .secret("token")
    ///     .public_url(PublicUrl::base("https://hooks.example.com"))
    ///     .build();
    /// assert!(set.is_ok());
    /// ```
    pub fn public_url(mut self, url: PublicUrl) -> Self {
        self.public_url = Some(url);
        self
    }

    /// The token Meta's endpoint check (`GET ?hub.verify_token=T&...`) must carry: the "Verify
    /// token" typed into Meta's webhook settings. Without one every Meta check is refused
    /// (`403`); other schemes ignore it. See [`handshake`](crate::handshake).
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Verifier};
    /// let builder = Verifier::builder(Scheme::meta()).secret("app-secret").verify_token("my-verify-token");
    /// ```
    pub fn verify_token(mut self, token: impl Into<Secret>) -> Self {
        self.verify_token = Some(token.into());
        self
    }

    /// The endpoint's name in [metrics](crate::metrics) (the `endpoint` label, default
    /// `default`): one per receiving endpoint (`payments`, `github`), a fixed word chosen here,
    /// never taken from a request.
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Verifier};
    /// let builder = Verifier::builder(Scheme::github()).secret("s").endpoint("github");
    /// ```
    pub fn endpoint(mut self, name: impl Into<String>) -> Self {
        self.endpoint = Arc::from(name.into());
        self
    }

    /// Hands every answered request (kept headers, capped body, outcome) to `recorder`, at the
    /// place the adapters record metrics: a dashboard's delivery log, an inbox's refusal
    /// counts. Called again, it adds a recorder: each gets every request, its body cut at its
    /// own cap. See [`delivery`](crate::delivery).
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Verifier, delivery::{Delivery, DeliveryRecorder}};
    /// struct Drop;
    /// impl DeliveryRecorder for Drop { fn record(&self, _: Delivery) {} }
    /// let verifier = Verifier::builder(Scheme::github()).secret("s").recorder(Drop).build()?;
    /// # Ok::<(), webhook_verify::VerifyError>(())
    /// ```
    pub fn recorder(mut self, recorder: impl DeliveryRecorder) -> Self {
        let added: Arc<dyn DeliveryRecorder> = Arc::new(recorder);
        self.recorder = Some(match self.recorder.take() {
            None => added,
            Some(first) => crate::delivery::both(first, added),
        });
        self
    }

    /// Where the signing certificates that deliveries name come from, for the schemes that use
    /// them (`paypal`, `sns`: [`Scheme::uses_certificates`]): required by them, ignored by the
    /// others. See [`CertificateSource`].
    ///
    /// ```
    /// use webhook_verify::{GivenCertificate, Scheme, Verifier, VerifyError, TEST_CERTIFICATE_PEM};
    /// let unset = Verifier::builder(Scheme::paypal()).secret("WH-1").build();
    /// assert!(matches!(unset, Err(VerifyError::MissingCertificates { scheme: "paypal" })));
    /// let set = Verifier::builder(Scheme::paypal())
    ///     .secret("WH-1")
    ///     .certificates(GivenCertificate::from_pem(TEST_CERTIFICATE_PEM)?)
    ///     .build();
    /// assert!(set.is_ok());
    /// # Ok::<(), VerifyError>(())
    /// ```
    pub fn certificates(mut self, source: impl CertificateSource + 'static) -> Self {
        self.certificates = Some(Arc::new(source));
        self
    }

    /// Confirms Amazon SNS subscriptions (default off): an authentic `SubscriptionConfirmation`
    /// is confirmed by an HTTPS `GET` of its `SubscribeURL`, only on `sns.<region>.amazonaws.com`
    /// (the host rule of the certificate URLs), by the [`CertificateSource`] (the `fetch`
    /// feature's `CertificateFetcher`), in [`Verifier::preparation`]. Off, or for an
    /// `UnsubscribeConfirmation`, the message is answered `200` without calling the handler and
    /// an `INFO` line says the subscription awaits confirmation (the token is never logged).
    /// Ignored by the other schemes.
    ///
    /// ```
    /// # use webhook_verify::{GivenCertificate, Scheme, Verifier, TEST_CERTIFICATE_PEM};
    /// let verifier = Verifier::builder(Scheme::sns())
    ///     .certificates(GivenCertificate::from_pem(TEST_CERTIFICATE_PEM)?)
    ///     .confirm_subscriptions(true)
    ///     .build()?;
    /// # Ok::<(), webhook_verify::VerifyError>(())
    /// ```
    pub fn confirm_subscriptions(mut self, confirm: bool) -> Self {
        self.confirm_subscriptions = confirm;
        self
    }

    /// Parses every secret for the scheme and computes their keyed MAC states. A scheme that
    /// signs the URL without a [`public_url`](Self::public_url) is
    /// [`VerifyError::MissingRequestUrl`].
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Verifier, VerifyError};
    /// assert_eq!(Verifier::builder(Scheme::github()).build().unwrap_err(), VerifyError::NoSecret);
    /// // An empty secret would let anyone sign: refused for every scheme.
    /// assert!(matches!(
    ///     Verifier::new(Scheme::hmac_sha256(), "").unwrap_err(),
    ///     VerifyError::EmptySecret { .. }
    /// ));
    /// ```
    pub fn build(mut self) -> Result<Verifier, VerifyError> {
        if !self.tolerance_set {
            self.time.tolerance = Some(self.scheme.default_tolerance());
        }
        if self.secrets.is_empty() && self.scheme.requires_secret() {
            return Err(VerifyError::NoSecret);
        }
        let keys = self
            .secrets
            .iter()
            .map(|secret| self.scheme.verify_key(secret))
            .collect::<Result<_, _>>()?;
        if self.scheme.requires_url() && self.public_url.is_none() {
            return Err(VerifyError::MissingRequestUrl {
                scheme: self.scheme.name(),
            });
        }
        if self.scheme.uses_certificates() && self.certificates.is_none() {
            return Err(VerifyError::MissingCertificates {
                scheme: self.scheme.name(),
            });
        }
        Ok(Verifier(Arc::new(Inner {
            scheme: self.scheme,
            keys,
            time: self.time,
            body_limit: self.body_limit,
            body_timeout: self.body_timeout,
            public_url: self.public_url,
            verify_token: self.verify_token,
            endpoint: self.endpoint,
            certificates: self.certificates,
            confirm_subscriptions: self.confirm_subscriptions,
            metrics: crate::metrics::Handles::default(),
            recorder: self.recorder,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_over_the_limit_is_refused_before_hashing() {
        let verifier = Verifier::builder(Scheme::github())
            .secret("k")
            .body_limit(4)
            .build()
            .unwrap();
        let err = verifier
            .verify(&[("X-Hub-Signature-256", "sha256=00")], b"12345")
            .unwrap_err();
        assert_eq!(err, VerifyError::BodyTooLarge { limit: 4 });
        assert_eq!(crate::Rejection::from(err).status(), 413);
    }

    #[test]
    fn debug_shows_no_secret() {
        let verifier = Verifier::new(Scheme::github(), "hunter2-very-secret").unwrap();
        let shown = format!("{verifier:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("REDACTED"), "{shown}");
    }
}
