#![doc = include_str!("../README.md")]
//! # API entry points
//!
//! [`RedisServer`] ([`RedisServer::start`], [`RedisServer::start_tls`]), [`RedisCluster`],
//! [`free_port`] and [`untrusted_ca_pem`]; [`ProviderServer`], the HTTPS certificate provider;
//! [`PostgresCluster`], a PostgreSQL server of a test's own.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cluster;
mod postgres;
mod process;
mod provider;
pub mod queue_suite;
mod server;
mod signing;
pub mod store_suite;
mod tls;
mod wire;

pub use cluster::RedisCluster;
pub use postgres::PostgresCluster;
pub use provider::{
    CONFIRM_PATH, PAYPAL_CERT_PATH, PROVIDER_CA_PEM, PROVIDER_HOSTS, ProviderServer, SNS_CERT_PATH,
    SNS_TOPIC, WEBHOOK_ID, sns_subscription_confirmation,
};
pub use server::RedisServer;
pub use signing::{now, sign_at, sign_now};
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
