//! [`RedisStore`]: claims shared by every receiver that talks to the same Redis (single node or
//! Cluster).

use std::sync::LazyLock;
use std::time::Duration;

use redis::{Cmd, FromRedisValue, Script, ScriptInvocation};

use super::{BoxFuture, Record, Store, millis};
use crate::StoreError;
use crate::redis_target::{RedisConnection, RedisTarget};

/// The default bound on every Redis command, connection attempts included.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(1);

static COMPLETE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("../lua/complete.lua")));
static RELEASE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("../lua/release.lua")));
static RENEW: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("../lua/renew.lua")));

/// A store in Redis (7.0 or later), single node or Cluster.
///
/// - **One URL for both.** [`RedisStore::connect`] takes a `REDIS_URL`-style string: a single
///   node's URL, any one node of a Redis Cluster (detected with `CLUSTER INFO`; the other nodes
///   are discovered), or comma-separated cluster seeds ([`redis_target`](crate::redis_target)).
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
/// own with `RedisStoreBuilder::trust_ca_pem`, a method of the feature). Without the feature,
/// connecting to a `rediss://` URL fails with a [`StoreError::Connect`] saying to enable it.
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
    conn: RedisConnection,
    timeout: Duration,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if self.conn.is_cluster() {
            "cluster"
        } else {
            "single"
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
///     .connect("redis://10.0.0.1:7000/,redis://10.0.0.2:7000/") // cluster seeds
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

    /// Connects to the Redis that `url` names, as `REDIS_URL` does (see
    /// [`redis_target`](crate::redis_target)):
    ///
    /// - one URL, `redis://[[user]:password@]host[:port][/db]` (or `rediss://` for TLS, with
    ///   the `tls` feature): a standalone Redis is used as one node; **any node of a Redis
    ///   Cluster** is detected (`CLUSTER INFO`) and used as the seed of a cluster connection,
    ///   which finds the other nodes;
    /// - comma-separated URLs (`redis://10.0.0.1:7000,redis://10.0.0.2:7000`): a Redis Cluster
    ///   with these seed nodes.
    ///
    /// Fails with [`StoreError::Connect`] (the URL shown without its password) if nothing
    /// answers within a few command timeouts, the URL is not usable, or the TLS handshake fails
    /// (e.g. a server certificate from an untrusted CA).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), webhook_idempotency::StoreError> {
    /// use webhook_idempotency::RedisStore;
    ///
    /// // Any node of a cluster will do; a standalone Redis works the same.
    /// let store = RedisStore::builder().connect("redis://10.0.0.3:7000/").await?;
    /// # drop(store); Ok(()) }
    /// ```
    pub async fn connect(self, url: &str) -> Result<RedisStore, StoreError> {
        self.connect_target(RedisTarget::new(url)).await
    }

    /// Connects to a Redis Cluster through one or more of its nodes' `redis://` URLs, without
    /// asking whether it is one.
    ///
    /// Keys are single-slot, so each claim is still one command on the key's node.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), webhook_idempotency::StoreError> {
    /// use webhook_idempotency::RedisStore;
    ///
    /// let store = RedisStore::builder()
    ///     .connect_cluster(["redis://10.0.0.1:7000/", "redis://10.0.0.2:7000/"])
    ///     .await?;
    /// # drop(store); Ok(()) }
    /// ```
    pub async fn connect_cluster<I, S>(self, urls: I) -> Result<RedisStore, StoreError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.connect_target(RedisTarget::cluster(urls)).await
    }

    /// Connects to `target` (its own trusted CA, if any, is replaced by this builder's).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), webhook_idempotency::StoreError> {
    /// use webhook_idempotency::RedisStore;
    /// use webhook_idempotency::redis_target::RedisTarget;
    ///
    /// let target = RedisTarget::single("redis://127.0.0.1:6379/"); // no cluster detection
    /// let store = RedisStore::builder().connect_target(target).await?;
    /// # drop(store); Ok(()) }
    /// ```
    pub async fn connect_target(self, target: RedisTarget) -> Result<RedisStore, StoreError> {
        #[cfg(feature = "tls")]
        let target = match self.ca_pem {
            Some(CaPem(pem)) => target.trust_ca_pem(pem),
            None => target,
        };
        let connect_error = |reason: String| StoreError::Connect {
            url: target.to_string(),
            reason: target.scrub(&reason),
        };
        let conn = target
            .connect(self.timeout, self.timeout)
            .await
            .map_err(|e| StoreError::Connect {
                url: e.url().to_owned(),
                reason: e.reason().to_owned(),
            })?;
        let store = RedisStore {
            conn,
            timeout: self.timeout,
        };
        if store.conn.is_cluster() {
            // Verifies the cluster answers; scripts are loaded on each node by their first use.
            store
                .query::<String>(&redis::cmd("PING"))
                .await
                .map_err(|e| connect_error(e.to_string()))?;
        } else {
            store
                .load_scripts()
                .await
                .map_err(|e| connect_error(e.to_string()))?;
        }
        Ok(store)
    }
}

impl RedisStore {
    /// Options: command timeout, then [`connect`](RedisStoreBuilder::connect) or
    /// [`connect_cluster`](RedisStoreBuilder::connect_cluster).
    pub fn builder() -> RedisStoreBuilder {
        RedisStoreBuilder::default()
    }

    /// Connects with the default options to the Redis `url` names: one node, **any node of a
    /// Redis Cluster** (detected, then used as the seed of a cluster connection), or a
    /// comma-separated list of cluster seeds (`redis://10.0.0.1:7000,redis://10.0.0.2:7000`);
    /// see [`RedisStoreBuilder::connect`].
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use webhook_idempotency::RedisStore;
    ///
    /// let store = RedisStore::connect(&std::env::var("REDIS_URL")?).await?;
    /// # drop(store); Ok(()) }
    /// ```
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::builder().connect(url).await
    }

    /// Connects to a Redis Cluster with the default options, given some of its nodes' URLs.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), webhook_idempotency::StoreError> {
    /// use webhook_idempotency::RedisStore;
    ///
    /// let store = RedisStore::connect_cluster(["redis://10.0.0.1:7000/"]).await?;
    /// # drop(store); Ok(()) }
    /// ```
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

    /// Loads the scripts into a single node (a cluster's nodes load each on first use).
    async fn load_scripts(&self) -> Result<(), StoreError> {
        for script in [&*COMPLETE, &*RELEASE, &*RENEW] {
            let mut conn = self.conn.clone();
            self.bounded(async { script.load_async(&mut conn).await })
                .await?;
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
        self.bounded(cmd.query_async(&mut self.conn.clone())).await
    }

    async fn invoke(&self, invocation: &ScriptInvocation<'_>) -> Result<bool, StoreError> {
        let changed: i64 = self
            .bounded(invocation.invoke_async(&mut self.conn.clone()))
            .await?;
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

#[cfg(test)]
mod tests {
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

    #[tokio::test]
    async fn connection_errors_never_show_the_password() {
        let port = webhook_testkit::free_port();
        let err = super::RedisStore::builder()
            .command_timeout(std::time::Duration::from_millis(200))
            .connect(&format!("redis://user:hunter2@127.0.0.1:{port}/0"))
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains(&format!("redis://user:***@127.0.0.1:{port}/0")),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
    }
}
