//! The Redis keys of one queue. All share the hash tag `{name}`, so they live in one Cluster slot
//! and every script can touch all of them.

use crate::QueueError;

/// Key names of a queue named `name`: `webhook-queue:{name}:<role>`.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    /// The stream of entries waiting or in flight.
    pub(crate) stream: String,
    /// Sorted set of entries waiting for a retry, scored by due time.
    pub(crate) retry: String,
    /// Hash of the fields of entries waiting for a retry.
    pub(crate) retry_data: String,
    /// The dead-letter stream.
    pub(crate) dead: String,
}

impl Keys {
    pub(crate) fn new(name: &str) -> Result<Self, QueueError> {
        if name.is_empty() || name.contains(['{', '}']) {
            return Err(QueueError::Config(
                "a queue name must be non-empty and contain no braces",
            ));
        }
        let key = |role: &str| format!("webhook-queue:{{{name}}}:{role}");
        Ok(Self {
            stream: key("stream"),
            retry: key("retry"),
            retry_data: key("retry-data"),
            dead: key("dead"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_share_the_queue_name_as_hash_tag() {
        let keys = Keys::new("payments").unwrap();
        for key in [&keys.stream, &keys.retry, &keys.retry_data, &keys.dead] {
            assert!(key.contains("{payments}"), "{key}");
        }
    }

    #[test]
    fn name_with_braces_is_refused() {
        assert!(matches!(Keys::new("a}b"), Err(QueueError::Config(_))));
    }
}
