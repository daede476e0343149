//! RedisStore over `rediss://` against a real TLS-only redis-server (throwaway CA).
#![cfg(feature = "tls")]

use webhook_idempotency::{Fingerprint, IdempotencyGuard, Outcome, RedisStore, StoreError};
use webhook_testkit::RedisServer;

fn ca_pem(server: &RedisServer) -> Vec<u8> {
    let path = server.tls_ca_path().expect("a TLS server has a CA");
    std::fs::read(path).expect("read the CA PEM")
}

#[tokio::test]
async fn claim_complete_and_duplicate_over_rediss_with_the_ca_trusted() {
    let server = RedisServer::start_tls();
    let url = server.tls_url();
    assert!(url.starts_with("rediss://"), "{url}");
    let store = RedisStore::builder()
        .trust_ca_pem(ca_pem(&server))
        .connect(&url)
        .await
        .expect("connect over TLS");
    let guard = IdempotencyGuard::new(store);
    let fp = Fingerprint::of(br#"{"id":"evt_tls"}"#);

    let Outcome::First(claim) = guard.begin("evt_tls", &fp).await else {
        panic!("the first delivery must claim");
    };
    // While in flight, a second delivery is refused.
    assert!(matches!(
        guard.begin("evt_tls", &fp).await,
        Outcome::InFlight { .. }
    ));
    claim.complete(200).await.expect("complete over TLS");
    assert!(matches!(
        guard.begin("evt_tls", &fp).await,
        Outcome::Duplicate { status: 200 }
    ));
    // The record really is in that server (read back over TLS by redis-cli).
    let keys = server.command("DBSIZE");
    assert_eq!(keys.trim(), "1", "DBSIZE: {keys}");
}

#[tokio::test]
async fn a_server_signed_by_an_untrusted_ca_is_refused_without_showing_the_password() {
    let server = RedisServer::start_tls();
    let url = server
        .tls_url()
        .replace("rediss://", "rediss://default:hunter2@");
    let err = RedisStore::builder()
        .trust_ca_pem(webhook_testkit::untrusted_ca_pem())
        .connect(&url)
        .await
        .expect_err("a certificate from another CA must be refused");
    let StoreError::Connect { url: shown, reason } = &err else {
        panic!("expected StoreError::Connect, got {err:?}");
    };
    let message = err.to_string();
    assert!(!message.contains("hunter2"), "{message}");
    assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");
    assert!(
        shown.starts_with("rediss://default:***@127.0.0.1:"),
        "{shown}"
    );
    let reason = reason.to_lowercase();
    assert!(
        reason.contains("certificate") || reason.contains("issuer"),
        "the reason should name the certificate problem: {reason}"
    );
}

#[tokio::test]
async fn a_private_ca_is_not_trusted_by_default() {
    let server = RedisServer::start_tls();
    let err = RedisStore::connect(&server.tls_url())
        .await
        .expect_err("the system roots do not include the throwaway CA");
    assert!(matches!(err, StoreError::Connect { .. }), "{err:?}");
}

#[tokio::test]
async fn a_plain_redis_url_to_the_tls_port_does_not_connect() {
    let server = RedisServer::start_tls();
    let plain = server.tls_url().replace("rediss://", "redis://");
    let result = RedisStore::builder()
        .command_timeout(std::time::Duration::from_millis(200))
        .connect(&plain)
        .await;
    assert!(result.is_err(), "plain RESP must not talk to a TLS port");
}
