//! One connection type for a single Redis node or a Redis Cluster, with bounded timeouts.

use std::future::Future;
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, Value};

use crate::QueueError;

/// Where the queue's Redis is.
#[derive(Clone)]
pub(crate) enum Target {
    /// Boxed: with the `tls` feature a client carries its TLS settings (~250 bytes).
    Single(Box<redis::Client>),
    Cluster(Vec<String>),
}

/// A reconnecting connection: [`ConnectionManager`] for one node, a cluster connection (which
/// follows slot moves and reconnects) for a cluster.
#[derive(Clone)]
pub(crate) enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

/// The client for one node. `rediss://` needs the `tls` feature; with `ca_pem`, the server's
/// certificate must come from that CA (`redis://` URLs ignore it).
pub(crate) fn single_client(url: &str, ca_pem: Option<&[u8]>) -> Result<redis::Client, QueueError> {
    tls_supported(url)?;
    #[cfg(feature = "tls")]
    if let (Some(pem), true) = (ca_pem, is_tls(url)) {
        let certs = redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(pem.to_vec()),
        };
        return Ok(redis::Client::build_with_tls(url, certs)?);
    }
    #[cfg(not(feature = "tls"))]
    let _ = ca_pem;
    Ok(redis::Client::open(url)?)
}

/// `true` for a `rediss://` (TLS) URL.
fn is_tls(url: &str) -> bool {
    url.get(..9)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("rediss://"))
}

/// Whether `url` can be used. With the `tls` feature, a `rediss://` URL first makes sure rustls
/// has a crypto provider (installs `ring` as the process default unless one is installed);
/// without it, a `rediss://` URL is refused with an error saying to enable the feature.
pub(crate) fn tls_supported(url: &str) -> Result<(), QueueError> {
    if !is_tls(url) {
        return Ok(());
    }
    #[cfg(feature = "tls")]
    {
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            // Err only if another thread installed one meanwhile: fine either way.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        Ok(())
    }
    #[cfg(not(feature = "tls"))]
    Err(QueueError::Redis(redis::RedisError::from((
        redis::ErrorKind::InvalidClientConfig,
        "rediss:// (Redis over TLS) is not compiled in: enable the `tls` feature of webhook-queue",
    ))))
}

impl Target {
    /// Connects with `response_timeout` on every command.
    pub(crate) async fn connect(&self, response_timeout: Duration) -> Result<Conn, QueueError> {
        let connect_timeout = response_timeout.max(Duration::from_secs(1));
        let connecting = async {
            match self {
                Target::Single(client) => {
                    let config = ConnectionManagerConfig::new()
                        .set_response_timeout(Some(response_timeout))
                        .set_connection_timeout(Some(connect_timeout))
                        .set_number_of_retries(2);
                    let manager =
                        ConnectionManager::new_with_config((**client).clone(), config).await?;
                    Ok::<_, QueueError>(Conn::Single(manager))
                }
                Target::Cluster(urls) => {
                    let client = ClusterClient::builder(urls.clone())
                        .response_timeout(response_timeout)
                        .connection_timeout(connect_timeout)
                        .build()?;
                    Ok(Conn::Cluster(client.get_async_connection().await?))
                }
            }
        };
        timed(connect_timeout * 4, connecting).await
    }
}

/// Runs `fut`, failing with [`QueueError::Timeout`] after `limit`.
pub(crate) async fn timed<T, E: Into<QueueError>>(
    limit: Duration,
    fut: impl Future<Output = Result<T, E>>,
) -> Result<T, QueueError> {
    match tokio::time::timeout(limit, fut).await {
        Ok(result) => result.map_err(Into::into),
        Err(_) => Err(QueueError::Timeout(limit)),
    }
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Single(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_tls;

    #[test]
    fn only_rediss_urls_are_tls() {
        assert!(is_tls("rediss://10.0.0.1:6380/"));
        assert!(is_tls("Rediss://10.0.0.1:6380/"));
        assert!(!is_tls("redis://10.0.0.1:6379/"));
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn rediss_without_the_tls_feature_says_to_enable_it() {
        let err = super::single_client("rediss://default:hunter2@127.0.0.1:1/", None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("enable the `tls` feature"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
}
