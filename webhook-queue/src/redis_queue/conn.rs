//! Connecting through the shared [`RedisTarget`] (single node, any Cluster node detected, or
//! comma-separated Cluster seeds; TLS), with bounded timeouts.

use std::future::Future;
use std::time::Duration;

pub(crate) use webhook_idempotency::redis_target::RedisConnection as Conn;
use webhook_idempotency::redis_target::RedisTarget;

use crate::QueueError;

/// Connects to `target` with `response_timeout` on every command; each connection attempt
/// gets at least a second.
pub(crate) async fn connect(
    target: &RedisTarget,
    response_timeout: Duration,
) -> Result<Conn, QueueError> {
    let connection_timeout = response_timeout.max(Duration::from_secs(1));
    Ok(target.connect(response_timeout, connection_timeout).await?)
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

#[cfg(test)]
mod tests {
    #[cfg(not(feature = "tls"))]
    #[tokio::test]
    async fn rediss_without_the_tls_feature_says_to_enable_it() {
        let target = super::RedisTarget::new("rediss://default:hunter2@127.0.0.1:1/");
        let err = super::connect(&target, std::time::Duration::from_millis(100))
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("enable the `tls` feature"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
}
