//! The crate's error types: [`QueueError`] for the queue itself, [`HandlerError`] for handlers.

use std::fmt;

/// Why a queue operation failed.
///
/// Messages name what went wrong on this side (Redis unreachable, queue full); they never contain
/// a delivery's body or headers.
///
/// ```
/// use webhook_queue::QueueError;
///
/// let err = QueueError::Full { max_len: 10 };
/// assert_eq!(err.to_string(), "queue is full (10 entries waiting)");
/// assert!(err.is_retryable());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// Redis answered with an error or the connection failed.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// Connecting failed (the URL without its password, and why): nothing answered, the URL is
    /// not usable, TLS is not compiled in or its handshake failed.
    #[error("{0}")]
    Connect(#[from] webhook_idempotency::redis_target::RedisConnectError),
    /// A Redis command did not answer within the configured command timeout.
    #[error("redis did not answer within {0:?}")]
    Timeout(std::time::Duration),
    /// The stream already holds `max_len` entries waiting to be processed: the delivery was
    /// refused rather than trimming an unprocessed one.
    #[error("queue is full ({max_len} entries waiting)")]
    Full {
        /// The configured bound on waiting entries.
        max_len: usize,
    },
    /// A stored entry could not be decoded (written by something else, or corrupted).
    #[error("malformed queue entry {id}: {reason}")]
    Malformed {
        /// The entry's id.
        id: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Another queue backend (a SQL database, for example) failed or could not be reached;
    /// retryable like a Redis error.
    #[error("{backend}: {reason}")]
    Backend {
        /// Which backend, such as `"postgres"` or `"sqlite"`.
        backend: &'static str,
        /// What went wrong, without any password.
        reason: String,
    },
    /// The queue was configured with a value it cannot work with.
    #[error("invalid queue configuration: {0}")]
    Config(&'static str),
}

impl QueueError {
    /// `true` when trying again later may succeed (Redis down, timeout, queue full): the accept
    /// step answers `503` with `Retry-After` so the sender retries.
    ///
    /// ```
    /// assert!(!webhook_queue::QueueError::Config("x").is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Redis(_) | Self::Timeout(_) | Self::Full { .. } | Self::Backend { .. } => true,
            Self::Connect(err) => err.kind().is_retryable(),
            Self::Malformed { .. } | Self::Config(_) => false,
        }
    }
}

/// A boxed error, as handlers may return any error type.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a handler failed: the entry is retried with backoff, then dead-lettered with this message.
///
/// Built from any error type with `?` or `.into()`, or from a message with [`HandlerError::msg`].
/// Its `Display` shows the error and its sources (`outer: inner`), which is what the dead-letter
/// stream records as the last error.
///
/// ```
/// use webhook_queue::HandlerError;
///
/// let err: HandlerError = "12x".parse::<u32>().unwrap_err().into();
/// assert_eq!(err.to_string(), "invalid digit found in string");
/// assert_eq!(HandlerError::msg("payment service down").to_string(), "payment service down");
/// ```
pub struct HandlerError {
    message: String,
}

impl HandlerError {
    /// An error with just a message.
    pub fn msg(message: impl fmt::Display) -> Self {
        Self {
            message: message.to_string(),
        }
    }

    /// The message (the error and its sources, joined by `": "`).
    ///
    /// ```
    /// assert_eq!(webhook_queue::HandlerError::msg("boom").message(), "boom");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for HandlerError {
    fn from(err: E) -> Self {
        let mut message = err.to_string();
        let mut source = err.source();
        while let Some(inner) = source {
            message.push_str(": ");
            message.push_str(&inner.to_string());
            source = inner.source();
        }
        Self { message }
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("HandlerError").field(&self.message).finish()
    }
}
