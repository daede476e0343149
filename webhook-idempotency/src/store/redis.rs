//! [`RedisStore`]: claims shared by every receiver that talks to the same Redis (single node or
//! Cluster).

use std::sync::LazyLock;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, FromRedisValue, Script, ScriptInvocation};

use super::{BoxFuture, Record, Store, millis};
use crate::StoreError;

/// The default bound on every Redis command, connection attempts included.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(1);

static COMPLETE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("../lua/complete.lua")));
static RELEASE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("../lua/release.lua")));
static RENEW: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("../lua/renew.lua")));

/// A store in Redis (7.0 or later), single node or Cluster.
///
/// - **One round trip each.** A claim is one `SET key value NX PX <lease> GET` (claims, or
///   returns what the key holds); completing, releasing and renewing are one `EVALSHA` each of a
///   small Lua script that acts only if the key still holds this claim's token. The scripts are
///   loaded when connecting; after a Redis restart the first call per script reloads it.
/// - **Bounded.** Every command runs under a timeout ([`DEFAULT_COMMAND_TIMEOUT`], 1 s, by
///   default), so a hung Redis answers [`StoreError::Timeout`] instead of hanging the endpoint.
/// - **Reconnects by itself.** A single node goes through `redis::aio::ConnectionManager`, the
///   cluster through `redis::cluster_async`; after Redis comes back the same store works again,
///   nothing needs rebuilding.
/// - **Cheap to clone**: clones share the connection.
///
/// **TLS.** `rediss://` URLs need this crate's optional `tls` feature (rustls with the `ring`
/// provider, servers checked against the system's root certificates, or against a CA of your
/// own with [`RedisStoreBuilder::trust_ca_pem`]). Without the feature, connecting to a
/// `rediss://` URL fails with a [`StoreError::Connect`] saying to enable it.
///
/// ```no_run
/// # async fn demo() -> Result<(), webhook_idempotency::StoreError> {
/// use webhook_idempotency::{IdempotencyGuard, RedisStore};
///
/// let store = RedisStore::connect("redis://127.0.0.1:6379/").await?;
/// let guard = IdempotencyGuard::builder().store(store).build();
/// # drop(guard); Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    conn: Conn,
    timeout: Duration,
}

#[derive(Clone)]
enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.conn {
            Conn::Single(_) => "single",
            Conn::Cluster(_) => "cluster",
        };
        f.debug_struct("RedisStore")
            .field("kind", &kind)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Options for connecting a [`RedisStore`].
///
/// ```no_run
/// # async fn demo() -> Result<(), webhook_idempotency::StoreError> {
/// use std::time::Duration;
/// use webhook_idempotency::RedisStore;
///
/// let store = RedisStore::builder()
///     .command_timeout(Duration::from_millis(500))
///     .connect_cluster(["redis://10.0.0.1:7000/", "redis://10.0.0.2:7000/"])
///     .await?;
/// # drop(store); Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RedisStoreBuilder {
    timeout: Duration,
    #[cfg(feature = "tls")]
    ca_pem: Option<CaPem>,
}

/// A CA certificate (PEM); shown by its size only.
#[cfg(feature = "tls")]
#[derive(Clone)]
struct CaPem(Vec<u8>);

#[cfg(feature = "tls")]
impl std::fmt::Debug for CaPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<CA PEM, {} bytes>", self.0.len())
    }
}

impl Default for RedisStoreBuilder {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_COMMAND_TIMEOUT,
            #[cfg(feature = "tls")]
            ca_pem: None,
        }
    }
}

impl RedisStoreBuilder {
    /// The bound on each command and each connection attempt (default 1 s).
    #[must_use]
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Trusts only this CA (PEM, one or more certificates) for `rediss://` servers, instead of
    /// the system's root certificates: for servers with a certificate from a private CA.
    /// Needs the `tls` feature; ignored for `redis://` URLs.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use webhook_idempotency::RedisStore;
    ///
    /// let ca = std::fs::read("/etc/redis/tls/ca.crt")?;
    /// let store = RedisStore::builder()
    ///     .trust_ca_pem(ca)
    ///     .connect("rediss://redis.internal:6380/")
    ///     .await?;
    /// # drop(store); Ok(()) }
    /// ```
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn trust_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_pem = Some(CaPem(pem.into()));
        self
    }

    /// Connects to one Redis node from a `redis://host:port/db` URL, or a `rediss://` one (TLS,
    /// with the `tls` feature).
    ///
    /// Fails with [`StoreError::Connect`] if nothing answers within a few command timeouts, or
    /// if the TLS handshake fails (e.g. a server certificate from an untrusted CA).
    pub async fn connect(self, url: &str) -> Result<RedisStore, StoreError> {
        let connect_error = |reason: String| StoreError::Connect {
            url: redact(url),
            reason,
        };
        let client = self.client(url).map_err(connect_error)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(2)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let manager = tokio::time::timeout(
            self.connect_budget(),
            ConnectionManager::new_with_config(client, config),
        )
        .await
        .map_err(|_| connect_error(format!("no answer within {:?}", self.connect_budget())))?
        .map_err(|e| connect_error(e.to_string()))?;
        let store = RedisStore {
            conn: Conn::Single(manager),
            timeout: self.timeout,
        };
        store
            .load_scripts()
            .await
            .map_err(|e| connect_error(e.to_string()))?;
        Ok(store)
    }

    /// Connects to a Redis Cluster through one or more of its nodes' `redis://` URLs.
    ///
    /// Keys are single-slot, so each claim is still one command on the key's node.
    pub async fn connect_cluster<I, S>(self, urls: I) -> Result<RedisStore, StoreError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let urls: Vec<String> = urls.into_iter().map(|u| u.as_ref().to_owned()).collect();
        let shown = urls
            .iter()
            .map(|u| redact(u))
            .collect::<Vec<_>>()
            .join(", ");
        let connect_error = |reason: String| StoreError::Connect {
            url: shown.clone(),
            reason,
        };
        if let Some(tls_url) = urls.iter().find(|u| is_tls(u)) {
            tls_supported(tls_url).map_err(&connect_error)?;
        }
        let builder = ClusterClient::builder(urls.iter().map(String::as_str))
            .connection_timeout(self.timeout)
            .response_timeout(self.timeout)
            .retries(3);
        #[cfg(feature = "tls")]
        let builder = match &self.ca_pem {
            Some(CaPem(pem)) => builder.certs(redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(pem.clone()),
            }),
            None => builder,
        };
        let client = builder.build().map_err(|e| connect_error(e.to_string()))?;
        let conn = tokio::time::timeout(self.connect_budget(), client.get_async_connection())
            .await
            .map_err(|_| connect_error(format!("no answer within {:?}", self.connect_budget())))?
            .map_err(|e| connect_error(e.to_string()))?;
        let store = RedisStore {
            conn: Conn::Cluster(conn),
            timeout: self.timeout,
        };
        // Verifies the cluster answers; scripts are loaded on each node by their first use.
        store
            .query::<String>(&redis::cmd("PING"))
            .await
            .map_err(|e| connect_error(e.to_string()))?;
        Ok(store)
    }

    fn connect_budget(&self) -> Duration {
        self.timeout.saturating_mul(5)
    }

    /// The client for one node: `rediss://` only with the `tls` feature, with the trusted CA.
    fn client(&self, url: &str) -> Result<redis::Client, String> {
        if !is_tls(url) {
            return redis::Client::open(url).map_err(|e| e.to_string());
        }
        tls_supported(url)?;
        #[cfg(feature = "tls")]
        if let Some(CaPem(pem)) = &self.ca_pem {
            let certs = redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(pem.clone()),
            };
            return redis::Client::build_with_tls(url, certs).map_err(|e| e.to_string());
        }
        redis::Client::open(url).map_err(|e| e.to_string())
    }
}

/// `true` for a `rediss://` (TLS) URL.
fn is_tls(url: &str) -> bool {
    url.get(..9)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("rediss://"))
}

/// With the `tls` feature: makes sure rustls has a crypto provider (installs `ring` as the
/// process default unless the application installed one). Without it: the error to show.
#[cfg(feature = "tls")]
fn tls_supported(_url: &str) -> Result<(), String> {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Err only if another thread installed one meanwhile: fine either way.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    Ok(())
}

#[cfg(not(feature = "tls"))]
fn tls_supported(_url: &str) -> Result<(), String> {
    Err(
        "rediss:// (Redis over TLS) is not compiled in: enable the `tls` feature of \
         webhook-idempotency"
            .to_owned(),
    )
}

impl RedisStore {
    /// Options: command timeout, then [`connect`](RedisStoreBuilder::connect) or
    /// [`connect_cluster`](RedisStoreBuilder::connect_cluster).
    pub fn builder() -> RedisStoreBuilder {
        RedisStoreBuilder::default()
    }

    /// Connects to one Redis node with the default options.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::builder().connect(url).await
    }

    /// Connects to a Redis Cluster with the default options.
    pub async fn connect_cluster<I, S>(urls: I) -> Result<Self, StoreError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::builder().connect_cluster(urls).await
    }

    /// The bound on each command.
    pub fn command_timeout(&self) -> Duration {
        self.timeout
    }

    async fn load_scripts(&self) -> Result<(), StoreError> {
        if let Conn::Single(manager) = &self.conn {
            for script in [&*COMPLETE, &*RELEASE, &*RENEW] {
                let mut manager = manager.clone();
                self.bounded(async { script.load_async(&mut manager).await })
                    .await?;
            }
        }
        Ok(())
    }

    async fn bounded<T>(
        &self,
        fut: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.timeout, fut).await {
            Ok(Ok(value)) => Ok(value),
            // redis-rs's own response timeout (set to the same bound) may fire first.
            Ok(Err(e)) if e.is_timeout() => Err(StoreError::Timeout(self.timeout)),
            Ok(Err(e)) => Err(StoreError::Redis(e)),
            Err(_) => Err(StoreError::Timeout(self.timeout)),
        }
    }

    async fn query<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T, StoreError> {
        match &self.conn {
            Conn::Single(c) => self.bounded(cmd.query_async(&mut c.clone())).await,
            Conn::Cluster(c) => self.bounded(cmd.query_async(&mut c.clone())).await,
        }
    }

    async fn invoke(&self, invocation: &ScriptInvocation<'_>) -> Result<bool, StoreError> {
        let changed: i64 = match &self.conn {
            Conn::Single(c) => {
                self.bounded(invocation.invoke_async(&mut c.clone()))
                    .await?
            }
            Conn::Cluster(c) => {
                self.bounded(invocation.invoke_async(&mut c.clone()))
                    .await?
            }
        };
        Ok(changed == 1)
    }
}

impl Store for RedisStore {
    fn claim<'a>(
        &'a self,
        key: &'a str,
        claim: &'a Record,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Option<Record>, StoreError>> {
        Box::pin(async move {
            let mut cmd = redis::cmd("SET");
            cmd.arg(key)
                .arg(claim.encode())
                .arg("NX")
                .arg("PX")
                .arg(millis(lease))
                .arg("GET");
            let previous: Option<String> = self.query(&cmd).await?;
            match previous {
                None => Ok(None),
                Some(value) => match Record::decode(&value) {
                    Some(record) => Ok(Some(record)),
                    None => Err(StoreError::Corrupt {
                        key: key.to_owned(),
                    }),
                },
            }
        })
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        claim: &'a Record,
        done: &'a Record,
        retention: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let mut invocation = COMPLETE.prepare_invoke();
            invocation
                .key(key)
                .arg(claim.encode())
                .arg(done.encode())
                .arg(millis(retention));
            self.invoke(&invocation).await
        })
    }

    fn release<'a>(
        &'a self,
        key: &'a str,
        claim: &'a Record,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let mut invocation = RELEASE.prepare_invoke();
            invocation.key(key).arg(claim.encode());
            self.invoke(&invocation).await
        })
    }

    fn renew<'a>(
        &'a self,
        key: &'a str,
        claim: &'a Record,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let mut invocation = RENEW.prepare_invoke();
            invocation.key(key).arg(claim.encode()).arg(millis(lease));
            self.invoke(&invocation).await
        })
    }
}

/// `url` without the user-info part (`redis://user:secret@host` -> `redis://***@host`).
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{is_tls, redact};

    #[test]
    fn only_rediss_urls_are_tls() {
        assert!(is_tls("rediss://10.0.0.1:6380/"));
        assert!(is_tls("REDISS://10.0.0.1:6380/"));
        assert!(!is_tls("redis://10.0.0.1:6379/"));
        assert!(!is_tls("redis:/"));
    }

    #[cfg(not(feature = "tls"))]
    #[tokio::test]
    async fn rediss_without_the_tls_feature_says_to_enable_it() {
        let err = super::RedisStore::connect("rediss://user:hunter2@127.0.0.1:1/")
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("enable the `tls` feature"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn connection_errors_never_show_the_password() {
        assert_eq!(
            redact("redis://user:hunter2@10.0.0.1:6379/0"),
            "redis://***@10.0.0.1:6379/0"
        );
        assert_eq!(redact("redis://127.0.0.1/"), "redis://127.0.0.1/");
    }
}
