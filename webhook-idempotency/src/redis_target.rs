//! Where Redis is, and connecting to it: a single node or a Redis Cluster, from one URL string.
//!
//! [`RedisStore`](crate::RedisStore), `webhook_queue::RedisQueue`, the examples' `REDIS_URL` and
//! `webhook queue --redis` all read the string the same way, through [`RedisTarget::new`]:
//!
//! | string | means |
//! |--------|-------|
//! | `redis://[[user]:password@]host[:port][/db]` | one URL: the node is asked (`CLUSTER INFO`). A standalone Redis is used as one node; a Cluster node (any one of them) seeds the cluster client, which discovers the other nodes and follows slot moves. |
//! | `redis://10.0.0.1:7000,redis://10.0.0.2:7000` | comma-separated URLs: a Redis Cluster with these seed nodes (same password for all). |
//! | `rediss://…` | either form over TLS (the `tls` feature). |
//!
//! Passwords are never shown: [`redact`] (and [`RedisTarget`]'s `Display`) masks them URL by
//! URL, [`RedisTarget::scrub`] takes them out of a message, and [`RedisConnectError`] (what
//! connecting fails with) has both applied already.
//!
//! ```no_run
//! # async fn demo() -> Result<(), webhook_idempotency::redis_target::RedisConnectError> {
//! use std::time::Duration;
//! use webhook_idempotency::redis_target::RedisTarget;
//!
//! let target = RedisTarget::new("redis://:secret@10.0.0.1:7000/"); // a node of a cluster
//! let conn = target.connect(Duration::from_secs(1), Duration::from_secs(1)).await?;
//! assert!(conn.is_cluster());
//! assert_eq!(target.to_string(), "redis://:***@10.0.0.1:7000/");
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, Value};

/// What replaces a password in anything shown.
const MASK: &str = "***";

/// What is shown for an empty list.
const NO_URL: &str = "(no Redis URL)";

/// What is shown instead of text that is not a URL (it may be a password pasted by mistake).
const NOT_A_URL: &str = "(not a Redis URL)";

/// Where Redis is: the URL(s) as given (kept private, never shown) and how to treat them.
///
/// Cheap to clone. `Display` and `Debug` show the URLs with their passwords masked.
///
/// ```
/// use webhook_idempotency::redis_target::{RedisTarget, Topology};
///
/// assert_eq!(RedisTarget::new("redis://127.0.0.1:6379/").topology(), Topology::Detect);
/// let seeds = RedisTarget::new("redis://:pw@10.0.0.1:7000,redis://:pw@10.0.0.2:7000");
/// assert_eq!(seeds.topology(), Topology::Cluster);
/// assert_eq!(seeds.to_string(), "redis://:***@10.0.0.1:7000,redis://:***@10.0.0.2:7000");
/// ```
#[derive(Clone)]
pub struct RedisTarget {
    urls: Arc<[String]>,
    topology: Topology,
    #[cfg(feature = "tls")]
    ca_pem: Option<Arc<[u8]>>,
}

/// How a [`RedisTarget`] connects.
///
/// ```
/// use webhook_idempotency::redis_target::{RedisTarget, Topology};
///
/// assert_eq!(RedisTarget::single("redis://127.0.0.1/").topology(), Topology::Single);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Topology {
    /// One URL: ask the node whether it is in cluster mode, then connect as [`Single`] or as
    /// [`Cluster`] with that node as the seed.
    ///
    /// [`Single`]: Topology::Single
    /// [`Cluster`]: Topology::Cluster
    Detect,
    /// One node, used as it is (nothing asked).
    Single,
    /// A Redis Cluster; the URLs are seed nodes, the others are discovered.
    Cluster,
}

impl RedisTarget {
    /// Reads a `REDIS_URL`-style string: one URL is [`Topology::Detect`], several
    /// comma-separated URLs are the seeds of a [`Topology::Cluster`]. A comma splits only where
    /// the next URL's scheme follows (`,redis://`), so a comma inside a password is kept.
    ///
    /// Nothing is checked until [`connect`](Self::connect).
    ///
    /// ```
    /// use webhook_idempotency::redis_target::RedisTarget;
    ///
    /// let target = RedisTarget::new(" redis://:a,b@10.0.0.1:7000 , redis://:a,b@10.0.0.2:7000 ");
    /// assert_eq!(target.to_string(), "redis://:***@10.0.0.1:7000,redis://:***@10.0.0.2:7000");
    /// ```
    pub fn new(urls: &str) -> Self {
        let urls: Vec<String> = split(urls).map(str::to_owned).collect();
        let topology = if urls.len() > 1 {
            Topology::Cluster
        } else {
            Topology::Detect
        };
        Self::with(urls, topology)
    }

    /// One node, without asking whether it is in cluster mode.
    ///
    /// ```
    /// use webhook_idempotency::redis_target::{RedisTarget, Topology};
    ///
    /// let target = RedisTarget::single("redis://127.0.0.1:6379/");
    /// assert_eq!(target.topology(), Topology::Single);
    /// ```
    pub fn single(url: &str) -> Self {
        Self::with(vec![url.trim().to_owned()], Topology::Single)
    }

    /// A Redis Cluster with these seed nodes (one is enough).
    ///
    /// ```
    /// use webhook_idempotency::redis_target::{RedisTarget, Topology};
    ///
    /// let target = RedisTarget::cluster(["redis://10.0.0.1:7000/"]);
    /// assert_eq!(target.topology(), Topology::Cluster);
    /// ```
    pub fn cluster<I, S>(urls: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let urls = urls
            .into_iter()
            .map(|u| u.as_ref().trim().to_owned())
            .collect();
        Self::with(urls, Topology::Cluster)
    }

    fn with(urls: Vec<String>, topology: Topology) -> Self {
        Self {
            urls: urls.into(),
            topology,
            #[cfg(feature = "tls")]
            ca_pem: None,
        }
    }

    /// How it connects.
    ///
    /// ```
    /// use webhook_idempotency::redis_target::{RedisTarget, Topology};
    ///
    /// assert_eq!(RedisTarget::new("redis://a:7000,redis://b:7000").topology(), Topology::Cluster);
    /// ```
    pub fn topology(&self) -> Topology {
        self.topology
    }

    /// Trusts only this CA (PEM, one or more certificates) for `rediss://` servers, instead of
    /// the system's root certificates. Needs the `tls` feature; ignored for `redis://` URLs.
    ///
    /// ```no_run
    /// # fn demo() -> std::io::Result<()> {
    /// use webhook_idempotency::redis_target::RedisTarget;
    ///
    /// let target = RedisTarget::new("rediss://redis.internal:6380/")
    ///     .trust_ca_pem(std::fs::read("/etc/redis/tls/ca.crt")?);
    /// # drop(target); Ok(()) }
    /// ```
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn trust_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_pem = Some(pem.into().into());
        self
    }

    /// Connects: every command then answers within `response_timeout`, each connection
    /// attempt within `connection_timeout`, and the whole (detection and cluster discovery
    /// included) within five connection timeouts.
    ///
    /// The connection reconnects by itself: a single node through
    /// `redis::aio::ConnectionManager`, a cluster through `redis::cluster_async` (which also
    /// follows slot moves).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), webhook_idempotency::redis_target::RedisConnectError> {
    /// use std::time::Duration;
    /// use webhook_idempotency::redis_target::RedisTarget;
    ///
    /// let mut conn = RedisTarget::new("redis://127.0.0.1:6379/")
    ///     .connect(Duration::from_secs(1), Duration::from_secs(1))
    ///     .await?;
    /// let pong: redis::RedisResult<String> = redis::cmd("PING").query_async(&mut conn).await;
    /// # drop(pong); Ok(()) }
    /// ```
    pub async fn connect(
        &self,
        response_timeout: Duration,
        connection_timeout: Duration,
    ) -> Result<RedisConnection, RedisConnectError> {
        let budget = connection_timeout.saturating_mul(5);
        let connecting = self.connect_unbounded(response_timeout, connection_timeout);
        match tokio::time::timeout(budget, connecting).await {
            Ok(result) => result,
            Err(_) => Err(self.error(
                ConnectErrorKind::Timeout,
                format!("no answer within {budget:?}"),
            )),
        }
    }

    async fn connect_unbounded(
        &self,
        response_timeout: Duration,
        connection_timeout: Duration,
    ) -> Result<RedisConnection, RedisConnectError> {
        let Some(first) = self.urls.first() else {
            return Err(self.error(ConnectErrorKind::InvalidUrl, "no Redis URL given".into()));
        };
        if self.urls.iter().any(|url| is_tls(url)) {
            tls_ready().map_err(|reason| self.error(ConnectErrorKind::TlsNotCompiled, reason))?;
        }
        let single = match self.topology {
            Topology::Cluster => {
                return self
                    .connect_cluster(response_timeout, connection_timeout)
                    .await;
            }
            Topology::Single | Topology::Detect => {
                self.connect_single(first, response_timeout, connection_timeout)
                    .await?
            }
        };
        if self.topology == Topology::Detect && self.in_cluster_mode(&single).await? {
            return self
                .connect_cluster(response_timeout, connection_timeout)
                .await;
        }
        Ok(single)
    }

    async fn connect_single(
        &self,
        url: &str,
        response_timeout: Duration,
        connection_timeout: Duration,
    ) -> Result<RedisConnection, RedisConnectError> {
        let client = self.client(url).map_err(|e| self.redis_error(&e))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(connection_timeout))
            .set_response_timeout(Some(response_timeout))
            .set_number_of_retries(2)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let manager = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(|e| self.redis_error(&e))?;
        Ok(RedisConnection {
            inner: Inner::Single(manager),
        })
    }

    /// The client for one node: with the trusted CA for a `rediss://` URL if one was given.
    fn client(&self, url: &str) -> redis::RedisResult<redis::Client> {
        #[cfg(feature = "tls")]
        if let (Some(pem), true) = (&self.ca_pem, is_tls(url)) {
            let certs = redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(pem.to_vec()),
            };
            return redis::Client::build_with_tls(url, certs);
        }
        redis::Client::open(url)
    }

    async fn connect_cluster(
        &self,
        response_timeout: Duration,
        connection_timeout: Duration,
    ) -> Result<RedisConnection, RedisConnectError> {
        let builder = ClusterClient::builder(self.urls.iter().map(String::as_str))
            .connection_timeout(connection_timeout)
            .response_timeout(response_timeout)
            .retries(3);
        #[cfg(feature = "tls")]
        let builder = match &self.ca_pem {
            Some(pem) if self.urls.iter().any(|url| is_tls(url)) => {
                builder.certs(redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(pem.to_vec()),
                })
            }
            _ => builder,
        };
        let client = builder.build().map_err(|e| self.redis_error(&e))?;
        let conn = client
            .get_async_connection()
            .await
            .map_err(|e| self.redis_error(&e))?;
        Ok(RedisConnection {
            inner: Inner::Cluster(conn),
        })
    }

    /// `CLUSTER INFO` answers on a node in cluster mode; a standalone Redis (or a proxy that
    /// hides a cluster) answers an error (`ERR This instance has cluster support disabled`).
    async fn in_cluster_mode(&self, conn: &RedisConnection) -> Result<bool, RedisConnectError> {
        let mut conn = conn.clone();
        let reply: redis::RedisResult<Value> = redis::cmd("CLUSTER")
            .arg("INFO")
            .query_async(&mut conn)
            .await;
        match reply {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.kind(), ErrorKind::Server(_) | ErrorKind::Extension) => Ok(false),
            Err(e) => Err(self.redis_error(&e)),
        }
    }

    /// `text` with every password of these URLs replaced by `***`, as given and
    /// percent-decoded: for messages that might echo one.
    ///
    /// ```
    /// use webhook_idempotency::redis_target::RedisTarget;
    ///
    /// let target = RedisTarget::new("redis://:hunter%232@10.0.0.1:7000,redis://:hunter%232@10.0.0.2:7000");
    /// assert_eq!(target.scrub("AUTH hunter#2 failed"), "AUTH *** failed");
    /// ```
    pub fn scrub(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for secret in self.urls.iter().flat_map(|url| passwords(url)) {
            for form in [secret.to_owned(), percent_decode(secret)] {
                if !form.is_empty() {
                    text = text.replace(&form, MASK);
                }
            }
        }
        text
    }

    fn redis_error(&self, err: &RedisError) -> RedisConnectError {
        let kind = if err.kind() == ErrorKind::InvalidClientConfig {
            ConnectErrorKind::InvalidUrl
        } else if err.is_timeout() {
            ConnectErrorKind::Timeout
        } else {
            ConnectErrorKind::Failed
        };
        self.error(kind, err.to_string())
    }

    fn error(&self, kind: ConnectErrorKind, reason: String) -> RedisConnectError {
        RedisConnectError {
            kind,
            url: self.to_string(),
            reason: self.scrub(&reason),
        }
    }
}

impl fmt::Display for RedisTarget {
    /// The URLs, comma-separated, each with its password masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.urls.is_empty() {
            return f.write_str(NO_URL);
        }
        for (i, url) in self.urls.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(&redact_one(url))?;
        }
        Ok(())
    }
}

impl fmt::Debug for RedisTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("RedisTarget");
        debug
            .field("urls", &self.to_string())
            .field("topology", &self.topology);
        #[cfg(feature = "tls")]
        debug.field("trusted_ca", &self.ca_pem.is_some());
        debug.finish()
    }
}

/// A connection from [`RedisTarget::connect`]: one node or a cluster. Cheap to clone (clones
/// share it); use it with any `redis` command, pipeline or script (`ConnectionLike`).
///
/// ```no_run
/// # async fn demo(conn: webhook_idempotency::redis_target::RedisConnection) {
/// let mut conn = conn.clone();
/// let n: redis::RedisResult<u64> = redis::cmd("XLEN").arg("stream").query_async(&mut conn).await;
/// println!("cluster: {}, {n:?}", conn.is_cluster());
/// # }
/// ```
#[derive(Clone)]
pub struct RedisConnection {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl RedisConnection {
    /// `true` when connected to a Redis Cluster (commands are routed by key slot).
    ///
    /// ```no_run
    /// # fn demo(conn: webhook_idempotency::redis_target::RedisConnection) {
    /// if !conn.is_cluster() { /* e.g. load scripts once */ }
    /// # }
    /// ```
    pub fn is_cluster(&self) -> bool {
        matches!(self.inner, Inner::Cluster(_))
    }
}

impl fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.is_cluster() {
            "cluster"
        } else {
            "single"
        };
        f.debug_struct("RedisConnection")
            .field("kind", &kind)
            .finish()
    }
}

impl ConnectionLike for RedisConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match &mut self.inner {
            Inner::Single(c) => c.req_packed_command(cmd),
            Inner::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match &mut self.inner {
            Inner::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Inner::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match &self.inner {
            Inner::Single(c) => c.get_db(),
            Inner::Cluster(c) => c.get_db(),
        }
    }
}

/// Why [`RedisTarget::connect`] failed. Shows the URLs with passwords masked, and a reason from
/// which every password given in them was removed.
///
/// ```
/// use webhook_idempotency::redis_target::ConnectErrorKind;
///
/// assert_ne!(ConnectErrorKind::InvalidUrl, ConnectErrorKind::Timeout);
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot connect to Redis at {url}: {reason}")]
pub struct RedisConnectError {
    kind: ConnectErrorKind,
    url: String,
    reason: String,
}

/// What kind of failure a [`RedisConnectError`] is.
///
/// ```
/// use webhook_idempotency::redis_target::ConnectErrorKind;
///
/// assert!(ConnectErrorKind::Failed.is_retryable());
/// assert!(!ConnectErrorKind::InvalidUrl.is_retryable());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectErrorKind {
    /// Not a usable Redis URL (unparseable, none given, cluster seeds with different
    /// passwords, …).
    InvalidUrl,
    /// A `rediss://` URL, and the `tls` feature is not compiled in.
    TlsNotCompiled,
    /// Nothing answered in time.
    Timeout,
    /// Redis could not be reached or refused: nothing listening, authentication failed, TLS
    /// handshake failed, cluster unusable.
    Failed,
}

impl ConnectErrorKind {
    /// `true` when trying again later may succeed (the Redis may come up), `false` when the
    /// configuration must change.
    ///
    /// ```
    /// assert!(webhook_idempotency::redis_target::ConnectErrorKind::Timeout.is_retryable());
    /// ```
    pub fn is_retryable(self) -> bool {
        matches!(self, Self::Timeout | Self::Failed)
    }
}

impl RedisConnectError {
    /// What kind of failure it is.
    ///
    /// ```no_run
    /// # async fn demo() {
    /// use std::time::Duration;
    /// use webhook_idempotency::redis_target::{ConnectErrorKind, RedisTarget};
    ///
    /// let err = RedisTarget::new("not a url").connect(Duration::from_secs(1), Duration::from_secs(1)).await.unwrap_err();
    /// assert_eq!(err.kind(), ConnectErrorKind::InvalidUrl);
    /// # }
    /// ```
    pub fn kind(&self) -> ConnectErrorKind {
        self.kind
    }

    /// The URL(s), passwords masked ([`redact`]).
    ///
    /// ```no_run
    /// # fn demo(err: webhook_idempotency::redis_target::RedisConnectError) {
    /// eprintln!("Redis at {} is unreachable", err.url());
    /// # }
    /// ```
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What went wrong (passwords removed).
    ///
    /// ```no_run
    /// # fn demo(err: webhook_idempotency::redis_target::RedisConnectError) {
    /// eprintln!("because: {}", err.reason());
    /// # }
    /// ```
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// `urls` (one URL or a comma-separated list) with each URL's password replaced by `***`:
/// `user:password@` becomes `user:***@`, a lone `secret@` becomes `***@`, and `pass=` /
/// `password=` query values become `***`. Text that is not a URL is not shown at all.
///
/// ```
/// use webhook_idempotency::redis_target::redact;
///
/// assert_eq!(redact("redis://admin:s3cr3t@db:6380/2"), "redis://admin:***@db:6380/2");
/// assert_eq!(
///     redact("redis://:pw@10.0.0.1:7000,rediss://:pw@10.0.0.2:7000"),
///     "redis://:***@10.0.0.1:7000,rediss://:***@10.0.0.2:7000"
/// );
/// assert_eq!(redact("redis://127.0.0.1/"), "redis://127.0.0.1/");
/// assert!(!redact("hunter2").contains("hunter2"));
/// ```
pub fn redact(urls: &str) -> String {
    split(urls).map(redact_one).collect::<Vec<_>>().join(",")
}

/// The URLs of a comma-separated list: a comma splits where another URL starts (`,scheme://`)
/// or nothing but commas and spaces follow; pieces are trimmed, empty ones dropped.
fn split(urls: &str) -> impl Iterator<Item = &str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for (i, _) in urls.match_indices(',') {
        let next = urls[i + 1..].trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        if next.is_empty() || scheme_len(next).is_some() {
            pieces.push(&urls[start..i]);
            start = i + 1;
        }
    }
    pieces.push(&urls[start..]);
    pieces.into_iter().map(str::trim).filter(|p| !p.is_empty())
}

/// The length of `text`'s `scheme://` prefix (`[A-Za-z][A-Za-z0-9+.-]*://`), if it has one.
fn scheme_len(text: &str) -> Option<usize> {
    let end = text.find("://")?;
    let scheme = &text[..end];
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(end + 3)
}

/// The parts of one URL: the text up to the user info, the user info (if any, without its
/// `@`), and the rest from the `@` (or from the host when there is no user info).
fn parts(url: &str) -> Option<(&str, Option<&str>, &str)> {
    let head_len = scheme_len(url)?;
    let (head, rest) = url.split_at(head_len);
    // The last `@`: a password may hold an unencoded `@` (then more is masked, never less).
    Some(match rest.rfind('@') {
        Some(at) => (head, Some(&rest[..at]), &rest[at..]),
        None => (head, None, rest),
    })
}

/// The query parameters that hold a password (`redis+unix:///path?pass=…`).
fn is_password_param(name: &str) -> bool {
    name.eq_ignore_ascii_case("pass") || name.eq_ignore_ascii_case("password")
}

fn redact_one(url: &str) -> String {
    let Some((head, userinfo, rest)) = parts(url) else {
        return NOT_A_URL.to_owned();
    };
    let mut shown = head.to_owned();
    match userinfo.map(|info| info.split_once(':')) {
        Some(Some((user, _password))) => {
            shown.push_str(user);
            shown.push(':');
            shown.push_str(MASK);
        }
        Some(None) => shown.push_str(MASK),
        None => {}
    }
    match rest.split_once('?') {
        Some((before, query)) => {
            shown.push_str(before);
            shown.push('?');
            let params: Vec<String> = query
                .split('&')
                .map(|param| match param.split_once('=') {
                    Some((name, _)) if is_password_param(name) => format!("{name}={MASK}"),
                    _ => param.to_owned(),
                })
                .collect();
            shown.push_str(&params.join("&"));
        }
        None => shown.push_str(rest),
    }
    shown
}

/// The passwords in one URL: after `user:` in the user info, and `pass=` / `password=` values.
fn passwords(url: &str) -> Vec<&str> {
    let Some((_, userinfo, rest)) = parts(url) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    if let Some((_, password)) = userinfo.and_then(|info| info.split_once(':')) {
        found.push(password);
    }
    if let Some((_, query)) = rest.split_once('?') {
        for param in query.split('&') {
            if let Some((name, value)) = param.split_once('=')
                && is_password_param(name)
            {
                found.push(value);
            }
        }
    }
    found
}

/// `%XX` escapes decoded (invalid ones kept as they are).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `true` for a `rediss://` (TLS) URL.
pub(crate) fn is_tls(url: &str) -> bool {
    url.get(..9)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("rediss://"))
}

/// With the `tls` feature: makes sure rustls has a crypto provider (installs `ring` as the
/// process default unless the application installed one). Without it: the error to show.
#[cfg(feature = "tls")]
fn tls_ready() -> Result<(), String> {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Err only if another thread installed one meanwhile: fine either way.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    Ok(())
}

#[cfg(not(feature = "tls"))]
fn tls_ready() -> Result<(), String> {
    Err(
        "rediss:// (Redis over TLS) is not compiled in: enable the `tls` feature of \
         webhook-idempotency (or of webhook-queue)"
            .to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rediss_urls_are_tls() {
        assert!(is_tls("rediss://10.0.0.1:6380/"));
        assert!(is_tls("REDISS://10.0.0.1:6380/"));
        assert!(!is_tls("redis://10.0.0.1:6379/"));
        assert!(!is_tls("redis:/"));
    }

    #[test]
    fn one_url_is_detected_several_are_a_cluster() {
        assert_eq!(
            RedisTarget::new("redis://127.0.0.1/").topology(),
            Topology::Detect
        );
        let target = RedisTarget::new("redis://a:1, redis://b:2,,");
        assert_eq!(target.topology(), Topology::Cluster);
        assert_eq!(&*target.urls, ["redis://a:1", "redis://b:2"]);
        // A trailing comma is not a second URL.
        assert_eq!(
            RedisTarget::new("redis://a:1/,").topology(),
            Topology::Detect
        );
    }

    #[test]
    fn a_comma_in_a_password_does_not_split() {
        let target = RedisTarget::new("redis://:p,w@a:1,redis://:p,w@b:2");
        assert_eq!(&*target.urls, ["redis://:p,w@a:1", "redis://:p,w@b:2"]);
        assert_eq!(target.to_string(), "redis://:***@a:1,redis://:***@b:2");
    }

    #[test]
    fn passwords_are_masked_and_the_rest_kept() {
        assert_eq!(
            redact("redis://admin:s3cr3t-pw@db.internal:6380/2"),
            "redis://admin:***@db.internal:6380/2"
        );
        assert_eq!(
            redact("redis://:hunter2@127.0.0.1/"),
            "redis://:***@127.0.0.1/"
        );
        assert_eq!(
            redact("redis://hunter2@127.0.0.1/"),
            "redis://***@127.0.0.1/"
        );
        assert_eq!(redact("redis://127.0.0.1:6379/"), "redis://127.0.0.1:6379/");
        assert_eq!(
            redact("redis+unix:///tmp/redis.sock?db=1&pass=hunter2"),
            "redis+unix:///tmp/redis.sock?db=1&pass=***"
        );
        // An unencoded `@` in the password is masked too.
        assert_eq!(redact("redis://:a@b@host:1/"), "redis://:***@host:1/");
    }

    #[test]
    fn every_url_of_a_list_is_masked() {
        let shown = redact("redis://u:pw1@a:1,rediss://u:pw2@b:2 , redis://c:3");
        assert_eq!(shown, "redis://u:***@a:1,rediss://u:***@b:2,redis://c:3");
    }

    #[test]
    fn text_that_is_not_a_url_is_not_shown() {
        for text in ["not a url :hunter2@", "hunter2", "1nvalid://x:hunter2@h"] {
            let shown = redact(text);
            assert!(!shown.contains("hunter2"), "{shown}");
        }
    }

    #[test]
    fn scrub_removes_each_password_raw_and_decoded() {
        let target =
            RedisTarget::new("redis://:pw%21one@a:1,redis://u:two@b:2,redis+unix:///s?pass=three");
        assert_eq!(
            target.scrub("pw%21one pw!one two three user"),
            "*** *** *** *** user"
        );
        assert_eq!(RedisTarget::new("redis://a:1/").scrub("nothing"), "nothing");
    }

    #[test]
    fn percent_decoding_keeps_invalid_escapes() {
        assert_eq!(percent_decode("a%20b%zz%4"), "a b%zz%4");
    }

    #[tokio::test]
    async fn no_url_or_a_bad_one_is_an_invalid_url() {
        let timeout = Duration::from_millis(200);
        for text in ["", " , ", "not a url :hunter2@"] {
            let err = RedisTarget::new(text)
                .connect(timeout, timeout)
                .await
                .err()
                .map(|e| (e.kind(), e.to_string()));
            let Some((kind, message)) = err else {
                panic!("{text:?} connected");
            };
            assert_eq!(kind, ConnectErrorKind::InvalidUrl, "{text:?}: {message}");
            assert!(!message.contains("hunter2"), "{message}");
        }
    }

    #[cfg(not(feature = "tls"))]
    #[tokio::test]
    async fn rediss_without_the_tls_feature_says_to_enable_it() {
        let timeout = Duration::from_millis(200);
        let err = RedisTarget::new("rediss://user:hunter2@127.0.0.1:1/")
            .connect(timeout, timeout)
            .await
            .err();
        let Some(err) = err else {
            panic!("connected without TLS support");
        };
        assert_eq!(err.kind(), ConnectErrorKind::TlsNotCompiled);
        let message = err.to_string();
        assert!(message.contains("enable the `tls` feature"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }
}
