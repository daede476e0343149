//! RedisQueue over `rediss://` against a real TLS-only redis-server (throwaway CA).
#![cfg(feature = "tls")]

mod support;

use std::time::Duration;

use support::{delivery, fast_config, wait_until};
use tokio_util::sync::CancellationToken;
use webhook_queue::{HandlerError, Job, Queue, RedisQueue};
use webhook_testkit::RedisServer;

#[tokio::test]
async fn enqueue_and_process_over_rediss_with_the_ca_trusted() {
    let server = RedisServer::start_tls();
    let ca = std::fs::read(server.tls_ca_path().expect("a TLS server has a CA")).expect("CA PEM");
    let queue = RedisQueue::connect_trusting_ca(&server.tls_url(), &ca, "tls", fast_config())
        .await
        .expect("connect over TLS");
    queue
        .enqueue(&delivery("evt_tls", "order.paid"))
        .await
        .expect("enqueue over TLS");

    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel();
    let shutdown = CancellationToken::new();
    let worker = tokio::spawn({
        let (queue, shutdown) = (queue.clone(), shutdown.clone());
        async move {
            queue
                .run(
                    move |job: Job| {
                        let seen_tx = seen_tx.clone();
                        async move {
                            let _ = seen_tx.send(job.body().to_vec());
                            Ok::<_, HandlerError>(())
                        }
                    },
                    shutdown,
                )
                .await
        }
    });
    let body = tokio::time::timeout(Duration::from_secs(10), seen_rx.recv())
        .await
        .expect("processed within 10 s")
        .expect("a job");
    let body = String::from_utf8(body).expect("utf-8 body");
    assert!(body.contains(r#""id":"evt_tls""#), "{body}");
    wait_until(
        Duration::from_secs(5),
        "the entry acknowledged over TLS",
        || async {
            queue
                .counts()
                .await
                .is_ok_and(|c| c.pending == 0 && c.in_flight == 0)
        },
    )
    .await;
    shutdown.cancel();
    worker.await.expect("worker task").expect("worker result");
}

#[tokio::test]
async fn a_server_signed_by_an_untrusted_ca_is_refused_without_showing_the_password() {
    let server = RedisServer::start_tls();
    let url = server
        .tls_url()
        .replace("rediss://", "rediss://default:hunter2@");
    let err = RedisQueue::connect_trusting_ca(
        &url,
        &webhook_testkit::untrusted_ca_pem(),
        "tls",
        fast_config(),
    )
    .await
    .expect_err("a certificate from another CA must be refused");
    let message = err.to_string();
    assert!(!message.contains("hunter2"), "{message}");
    assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");
    assert!(
        message.contains("UnknownIssuer") || message.contains("certificate"),
        "the error should name the certificate problem: {message}"
    );
}
