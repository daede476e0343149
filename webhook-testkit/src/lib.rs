//! Test support: start real `redis-server` processes (single node or cluster) on free ports and
//! stop them by PID. No mocks: every Redis test in this workspace talks to one of these.
//!
//! ```no_run
//! let redis = webhook_testkit::RedisServer::start();
//! let url = redis.url(); // redis://127.0.0.1:<free port>/
//! # drop(url);
//! ```
//!
//! [`RedisServer::start_tls`] starts a TLS-only server (`rediss://`) with a throwaway CA made by
//! the `openssl` command line; [`untrusted_ca_pem`] makes a CA that signed nothing, to check
//! that clients refuse servers they should not trust.
//!
//! If `redis-server` is not installed the helpers panic with a message saying so: a Redis test
//! never skips silently. `scripts/test.sh` installs it on a fresh machine.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cluster;
mod process;
mod server;
mod tls;
mod wire;

pub use cluster::RedisCluster;
pub use server::RedisServer;
pub use wire::{UntilClosed, read_until_closed};

/// A port on 127.0.0.1 that was free a moment ago.
///
/// ```
/// let port = webhook_testkit::free_port();
/// assert!(port > 0);
/// ```
pub fn free_port() -> u16 {
    match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
        Ok(addr) => addr.port(),
        Err(e) => panic!("cannot find a free port on 127.0.0.1: {e}"),
    }
}

/// The PEM of a fresh throwaway CA that signed no server's certificate: a client trusting only
/// it must refuse every [`RedisServer::start_tls`] server.
///
/// Panics (never skips) if the `openssl` command line is missing.
///
/// ```no_run
/// let pem = webhook_testkit::untrusted_ca_pem();
/// assert!(pem.starts_with(b"-----BEGIN CERTIFICATE-----"));
/// ```
pub fn untrusted_ca_pem() -> Vec<u8> {
    let dir = process::scratch_dir("untrusted-ca");
    let path = tls::make_ca(&dir, "untrusted");
    let pem = match std::fs::read(&path) {
        Ok(pem) => pem,
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    };
    let _ = std::fs::remove_dir_all(&dir);
    pem
}
