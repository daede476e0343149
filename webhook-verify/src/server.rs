//! Server settings every webhook receiver wants, whatever its framework: how long a client may
//! take to send a request's head, how long an idle connection is kept, and how many connections
//! are open at once.
//!
//! Without them, anyone can take a receiver offline without a signature: connections that never
//! finish their request are held for ever, and a thousand of them exhaust the process's file
//! descriptors, so that every real delivery times out. `webhook-axum`'s `serve` and
//! `webhook-actix`'s `ReceiverServer` apply these settings; a custom server should apply the same.
//!
//! | setting | default | what happens past it |
//! |---|---|---|
//! | [`header_timeout`](ServerLimits::header_timeout) | 10 s | the connection is closed (actix-web: `408`) |
//! | [`keep_alive`](ServerLimits::keep_alive) | 10 s idle between requests | the connection is closed |
//! | body timeout ([`Verifier::body_timeout`](crate::Verifier::body_timeout)) | 30 s after the head | `408`, connection closed |
//! | [`max_connections`](ServerLimits::max_connections) | 10,000, and at most 7/8 of the open-file limit | new connections wait in the listen backlog until one closes |
//! | [`backlog`](ServerLimits::backlog) | 1,024 connections waiting to be accepted (the system may cap it: `net.core.somaxconn`) | the client's connection attempt is retried by its kernel, after 1 s, 3 s, 7 s... |
//!
//! ```
//! use webhook_verify::server::ServerLimits;
//!
//! let limits = ServerLimits::detect(); // raises the soft open-file limit to the hard one
//! assert!(limits.max_connections >= 1);
//! assert_eq!(limits.header_timeout.as_secs(), 10);
//! ```

use std::time::Duration;

/// How long a client may take to send a request's head: 10 s.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a connection may stay idle between requests: 10 s.
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(10);

/// The most connections open at once unless the open-file limit is lower: 10,000.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// How many connections may wait to be accepted: 1,024 (actix-web's default; the standard
/// library's and tokio's `bind` use 128, too few to queue a flood behind the connection cap).
pub const DEFAULT_BACKLOG: u32 = 1024;

/// The settings a receiver's server runs with; see the [module docs](self).
///
/// ```
/// use std::time::Duration;
/// use webhook_verify::server::ServerLimits;
///
/// let limits = ServerLimits { header_timeout: Duration::from_secs(5), ..ServerLimits::detect() };
/// assert_eq!(limits.header_timeout, Duration::from_secs(5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// How long a client may take to send a request's head, from the moment the server waits
    /// for it.
    pub header_timeout: Duration,
    /// How long an idle connection is kept between requests.
    pub keep_alive: Duration,
    /// The most connections open at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// How many connections may wait in the listen backlog.
    pub backlog: u32,
}

impl ServerLimits {
    /// The defaults, with [`max_connections`](Self::max_connections) kept below this process's
    /// open-file limit, after raising the soft limit to the hard one where the system allows.
    ///
    /// ```
    /// let limits = webhook_verify::server::ServerLimits::detect();
    /// assert!(limits.max_connections <= webhook_verify::server::DEFAULT_MAX_CONNECTIONS);
    /// ```
    pub fn detect() -> Self {
        let max_connections = match raise_open_file_limit() {
            Some(files) => connections_for(files),
            None => DEFAULT_MAX_CONNECTIONS,
        };
        Self {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            keep_alive: DEFAULT_KEEP_ALIVE,
            max_connections,
            backlog: DEFAULT_BACKLOG,
        }
    }
}

/// The connection cap for an open-file limit of `files`: 7/8 of it (the rest is for the
/// listener, logs, store connections, ...), at most [`DEFAULT_MAX_CONNECTIONS`].
fn connections_for(files: u64) -> usize {
    let usable = files.saturating_sub(files / 8).max(1);
    usize::try_from(usable).map_or(DEFAULT_MAX_CONNECTIONS, |n| n.min(DEFAULT_MAX_CONNECTIONS))
}

/// Raises this process's soft limit on open files to its hard limit; the soft limit now in
/// force, or `None` where the system has no such limit.
///
/// ```
/// if let Some(files) = webhook_verify::server::raise_open_file_limit() {
///     assert!(files >= 1);
/// }
/// ```
pub fn raise_open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let raised = rlimit::increase_nofile_limit(u64::MAX).ok();
        raised.or_else(|| {
            rlimit::getrlimit(rlimit::Resource::NOFILE)
                .ok()
                .map(|(soft, _)| soft)
        })
    }
    #[cfg(not(unix))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_stays_below_the_file_limit() {
        assert_eq!(connections_for(1024), 896);
        assert_eq!(connections_for(1), 1);
        assert_eq!(connections_for(0), 1);
    }

    #[test]
    fn the_cap_is_at_most_the_default() {
        assert_eq!(connections_for(1 << 20), DEFAULT_MAX_CONNECTIONS);
        assert_eq!(connections_for(u64::MAX), DEFAULT_MAX_CONNECTIONS);
    }
}
