//! An async, caching fetcher of the signing certificates `paypal` and `sns` deliveries name
//! (the `fetch` feature: reqwest over rustls; the default build has no runtime and no I/O).
//!
//! What it fetches and keeps:
//! - only URLs the scheme allows (`https` on the provider's own hosts, checked before any
//!   connection), with no redirects, a 10 s timeout and a 64 KiB limit;
//! - over TLS verified against the trusted roots (the Mozilla roots of `webpki-roots`, or the CA
//!   you give with [`CertificateFetcherBuilder::root_certificate`]), so the file comes from the
//!   provider's host;
//! - a certificate issued to the provider (its subject's common name is one of
//!   [`Scheme::certificate_subjects`]) and valid now;
//! - cached by URL, at most [`capacity`](CertificateFetcherBuilder::capacity) of them, each until
//!   the sooner of its `notAfter` and the [`ttl`](CertificateFetcherBuilder::ttl): a certificate
//!   is fetched once per URL while cached.
//!
//! With [`VerifierBuilder::confirm_subscriptions`](crate::VerifierBuilder::confirm_subscriptions)
//! on, it also confirms SNS subscriptions: one `GET` of an authentic `SubscriptionConfirmation`'s
//! `SubscribeURL`, only `https` on `sns.<region>.amazonaws.com`, with the same client (roots,
//! no redirects, timeout); the URL (which holds the token) is never logged.
//!
//! A failed fetch is logged (`WARN`) and leaves the certificate unavailable: the delivery is
//! refused with `503` and `Retry-After` ([`VerifyError::CertificateUnavailable`]) and the sender
//! retries.
//!
//! ```no_run
//! use webhook_verify::fetch::CertificateFetcher;
//! use webhook_verify::{Scheme, Verifier};
//!
//! # async fn run(headers: http::HeaderMap, body: &[u8]) -> Result<(), webhook_verify::VerifyError> {
//! let verifier = Verifier::builder(Scheme::sns())
//!     .certificates(CertificateFetcher::new(Scheme::sns())?)
//!     .build()?;
//! verifier.prepare(&headers, body).await; // fetches the certificate the message names
//! let verified = verifier.verify(&headers, body)?;
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use crate::certificate::{invalid, parse_pem};
use crate::{Certificate, CertificateSource, Prefetch, Scheme, VerifyError};

/// The largest certificate file fetched.
const MAX_BYTES: usize = 64 * 1024;

/// Fetches, checks and caches the signing certificates of one scheme; a
/// [`CertificateSource`] for [`VerifierBuilder::certificates`](crate::VerifierBuilder::certificates).
/// Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct CertificateFetcher(Arc<Inner>);

struct Inner {
    scheme: Scheme,
    client: reqwest::Client,
    ttl: Duration,
    capacity: usize,
    cache: Mutex<HashMap<String, Entry>>,
}

struct Entry {
    cert: Arc<Certificate>,
    expires: Instant,
}

impl fmt::Debug for CertificateFetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateFetcher")
            .field("scheme", &self.0.scheme.name())
            .field("ttl", &self.0.ttl)
            .field("capacity", &self.0.capacity)
            .finish_non_exhaustive()
    }
}

/// Configures a [`CertificateFetcher`].
///
/// ```
/// use std::time::Duration;
/// use webhook_verify::Scheme;
/// use webhook_verify::fetch::CertificateFetcher;
/// let fetcher = CertificateFetcher::builder(Scheme::paypal())
///     .ttl(Duration::from_secs(600))
///     .capacity(8)
///     .build()?;
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
#[must_use]
pub struct CertificateFetcherBuilder {
    scheme: Scheme,
    roots: Vec<String>,
    resolve: Vec<(String, SocketAddr)>,
    ttl: Duration,
    capacity: usize,
    timeout: Duration,
}

impl CertificateFetcherBuilder {
    /// Trusts only this CA (PEM) for the TLS connections instead of the built-in Mozilla roots:
    /// for tests against a local server.
    pub fn root_certificate(mut self, pem: &str) -> Self {
        self.roots.push(pem.to_owned());
        self
    }

    /// Connects to `addr` for `host` instead of resolving it: for tests against a local server
    /// (the URL rule and the TLS name check still apply to `host`).
    pub fn resolve(mut self, host: &str, addr: SocketAddr) -> Self {
        self.resolve.push((host.to_owned(), addr));
        self
    }

    /// How long a certificate is kept at most (default 1 hour; never past its `notAfter`).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// How many certificates are kept (default 32); the one expiring first makes room.
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// The fetcher; [`VerifyError::InvalidCertificate`] for a root that does not parse, and
    /// [`VerifyError::MissingCertificates`] for a scheme without certificates.
    pub fn build(self) -> Result<CertificateFetcher, VerifyError> {
        if !self.scheme.uses_certificates() {
            return Err(VerifyError::MissingCertificates {
                scheme: self.scheme.name(),
            });
        }
        let mut client = reqwest::Client::builder()
            .https_only(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .use_rustls_tls();
        if !self.roots.is_empty() {
            client = client.tls_built_in_root_certs(false);
        }
        for pem in &self.roots {
            let root = reqwest::Certificate::from_pem(pem.as_bytes())
                .map_err(|_| invalid("a root certificate does not parse"))?;
            client = client.add_root_certificate(root);
        }
        for (host, addr) in &self.resolve {
            client = client.resolve(host, *addr);
        }
        let client = client
            .build()
            .map_err(|_| invalid("the HTTPS client could not be built"))?;
        Ok(CertificateFetcher(Arc::new(Inner {
            scheme: self.scheme,
            client,
            ttl: self.ttl,
            capacity: self.capacity,
            cache: Mutex::new(HashMap::new()),
        })))
    }
}

impl CertificateFetcher {
    /// A fetcher for `scheme` (`paypal` or `sns`) trusting the built-in Mozilla roots.
    ///
    /// ```
    /// # use webhook_verify::{Scheme, fetch::CertificateFetcher};
    /// assert!(CertificateFetcher::new(Scheme::sns()).is_ok());
    /// assert!(CertificateFetcher::new(Scheme::stripe()).is_err());
    /// ```
    pub fn new(scheme: Scheme) -> Result<Self, VerifyError> {
        Self::builder(scheme).build()
    }

    /// Starts a fetcher with other roots, a TTL or a capacity.
    pub fn builder(scheme: Scheme) -> CertificateFetcherBuilder {
        CertificateFetcherBuilder {
            scheme,
            roots: Vec::new(),
            resolve: Vec::new(),
            ttl: Duration::from_secs(3600),
            capacity: 32,
            timeout: Duration::from_secs(10),
        }
    }

    /// The certificate at `url`: from the cache, else fetched and checked. A URL the scheme does
    /// not allow is refused before any connection; every failure is
    /// [`VerifyError::CertificateUnavailable`] (the reason is logged).
    pub async fn fetch(&self, url: &str) -> Result<Arc<Certificate>, VerifyError> {
        if let Some(cert) = self.cached(url) {
            return Ok(cert);
        }
        let fetched = self.download(url).await;
        match fetched {
            Ok((cert, not_after)) => {
                let cert = Arc::new(cert);
                self.store(url, Arc::clone(&cert), not_after);
                Ok(cert)
            }
            Err(reason) => {
                tracing::warn!(
                    scheme = self.0.scheme.name(),
                    url,
                    reason,
                    "signing certificate not fetched"
                );
                Err(VerifyError::CertificateUnavailable)
            }
        }
    }

    /// Confirms an SNS subscription: `GET url`, refused before any connection unless it is
    /// `https` on `sns.<region>.amazonaws.com`; [`VerifyError::SubscriptionNotConfirmed`] when
    /// the URL is refused, the request fails or SNS answers other than `200`. Logs the outcome
    /// (never the URL, which holds the token).
    ///
    /// ```no_run
    /// # use webhook_verify::{Scheme, fetch::CertificateFetcher};
    /// # async fn run() -> Result<(), webhook_verify::VerifyError> {
    /// let fetcher = CertificateFetcher::new(Scheme::sns())?;
    /// fetcher.confirm("https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn&Token=t").await?;
    /// # Ok(()) }
    /// ```
    pub async fn confirm(&self, url: &str) -> Result<(), VerifyError> {
        let scheme = self.0.scheme.name();
        let outcome = if self.0.scheme.confirm_url_allowed(url) {
            match self.0.client.get(url).send().await {
                Ok(response) if response.status() == reqwest::StatusCode::OK => Ok(()),
                Ok(_) => Err("SNS did not answer 200"),
                Err(_) => Err("the HTTPS request failed"),
            }
        } else {
            Err("not an https URL on sns.<region>.amazonaws.com")
        };
        match outcome {
            Ok(()) => {
                tracing::info!(scheme, "SNS subscription confirmed");
                Ok(())
            }
            Err(reason) => {
                tracing::warn!(scheme, reason, "SNS subscription not confirmed");
                Err(VerifyError::SubscriptionNotConfirmed)
            }
        }
    }

    fn cached(&self, url: &str) -> Option<Arc<Certificate>> {
        let cache = self.0.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache
            .get(url)
            .filter(|entry| entry.expires > Instant::now())
            .map(|entry| Arc::clone(&entry.cert))
    }

    fn store(&self, url: &str, cert: Arc<Certificate>, not_after: SystemTime) {
        let now = Instant::now();
        let left = not_after
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        let expires = now + left.min(self.0.ttl);
        let mut cache = self.0.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache.retain(|_, entry| entry.expires > now);
        if cache.len() >= self.0.capacity && !cache.contains_key(url) {
            let first = cache
                .iter()
                .min_by_key(|(_, entry)| entry.expires)
                .map(|(key, _)| key.clone());
            if let Some(first) = first {
                cache.remove(&first);
            }
        }
        cache.insert(url.to_owned(), Entry { cert, expires });
    }

    /// Fetches and checks; the error is the reason to log.
    async fn download(&self, url: &str) -> Result<(Certificate, SystemTime), &'static str> {
        let scheme = &self.0.scheme;
        if !scheme.certificate_url_allowed(url) {
            return Err("not an https URL on the provider's hosts");
        }
        let mut response = self
            .0
            .client
            .get(url)
            .send()
            .await
            .map_err(|_| "the HTTPS request failed")?;
        if response.status() != reqwest::StatusCode::OK {
            return Err("the server did not answer 200");
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|_| "the body failed")? {
            if bytes.len() + chunk.len() > MAX_BYTES {
                return Err("the certificate file is over 64 KiB");
            }
            bytes.extend_from_slice(&chunk);
        }
        let pem = std::str::from_utf8(&bytes).map_err(|_| "not a PEM file")?;
        let x509 = parse_pem(pem).map_err(|_| "not a PEM certificate")?;
        let tbs = x509.tbs_certificate();
        let name = tbs.subject().common_name().ok().flatten();
        let issued_to =
            name.is_some_and(|cn| scheme.certificate_subjects().contains(&&*cn.value()));
        if !issued_to {
            return Err("the certificate is not issued to the provider");
        }
        let validity = tbs.validity();
        let now = SystemTime::now();
        let not_after = validity.not_after.to_system_time();
        if validity.not_before.to_system_time() > now || not_after < now {
            return Err("the certificate is not valid now");
        }
        let cert = Certificate::from_x509(&x509).map_err(|_| "not an RSA certificate")?;
        Ok((cert, not_after))
    }
}

impl CertificateSource for CertificateFetcher {
    fn certificate(&self, url: &str) -> Option<Arc<Certificate>> {
        self.cached(url)
    }

    fn prefetch<'a>(&'a self, url: &'a str) -> Prefetch<'a> {
        Box::pin(async move {
            let _ = self.fetch(url).await;
        })
    }

    fn confirm_subscription<'a>(&'a self, url: &'a str) -> Option<Prefetch<'a>> {
        Some(Box::pin(async move {
            let _ = self.confirm(url).await;
        }))
    }
}
