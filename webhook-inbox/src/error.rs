//! The crate's error type, and how it maps onto the idempotency store's and the queue's.

use std::time::Duration;

use webhook_idempotency::StoreError;
use webhook_queue::QueueError;

/// Why an inbox operation failed. Messages never contain a password: URLs are shown redacted.
///
/// ```
/// let err = webhook_inbox::InboxError::UnsupportedUrl("mysql://db".into());
/// assert!(err.to_string().contains("sqlite: or postgres:"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InboxError {
    /// The URL names neither SQLite nor PostgreSQL.
    #[error("unsupported database URL {0}: use sqlite: or postgres:")]
    UnsupportedUrl(String),
    /// Connecting failed (nothing listening, wrong database, file not writable).
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// The URL without its password.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The database answered with an error or the connection broke.
    #[error("{backend}: {reason}")]
    Database {
        /// `"sqlite"` or `"postgres"`.
        backend: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// A statement did not finish within the statement timeout.
    #[error("the database did not answer within {0:?}")]
    Timeout(Duration),
    /// Running the migrations failed.
    #[error("migration failed: {0}")]
    Migrate(String),
}

impl From<InboxError> for StoreError {
    fn from(err: InboxError) -> Self {
        match err {
            InboxError::Timeout(t) => StoreError::Timeout(t),
            InboxError::Database { backend, reason } => StoreError::Backend { backend, reason },
            other => StoreError::Backend {
                backend: "inbox",
                reason: other.to_string(),
            },
        }
    }
}

impl From<InboxError> for QueueError {
    fn from(err: InboxError) -> Self {
        match err {
            InboxError::Timeout(t) => QueueError::Timeout(t),
            InboxError::Database { backend, reason } => QueueError::Backend { backend, reason },
            other => QueueError::Backend {
                backend: "inbox",
                reason: other.to_string(),
            },
        }
    }
}
