//! `Idempotency` behind `VerifyWebhook`, on real bound servers called over the socket; Redis
//! tests run against a `redis-server` started on a free port.

mod receiver;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::{HttpResponse, web};
use futures_util::future::join_all;
use receiver::*;
use tokio::io::AsyncWriteExt as _;
use tokio::sync::Semaphore;
use webhook_actix::idempotency::resource;
use webhook_actix::{Idempotency, VerifyWebhook};
use webhook_idempotency::{FailMode, IdempotencyGuard, IdempotencyKey, MemoryStore, RedisStore};
use webhook_testkit::RedisServer;
use webhook_verify::{Scheme, Signer, Verifier};

/// A server whose `POST /webhooks` runs `processed <key>` behind both middlewares, counting runs.
fn counting_server(guard: IdempotencyGuard, runs: &Runs) -> Server {
    let runs = runs.clone();
    Server::start(move |cfg| {
        let runs = runs.clone();
        cfg.service(resource(
            "/webhooks",
            verifier(),
            guard.clone(),
            move |key: web::ReqData<IdempotencyKey>| {
                runs.record();
                async move { HttpResponse::Ok().body(format!("processed {}", key.as_str())) }
            },
        ));
    })
}

async fn redis_guard(redis: &RedisServer, fail_mode: FailMode) -> IdempotencyGuard {
    let store = RedisStore::builder()
        .command_timeout(Duration::from_millis(300))
        .connect(&redis.url())
        .await
        .unwrap();
    IdempotencyGuard::builder()
        .store(store)
        .fail_mode(fail_mode)
        .build()
}

#[actix_web::test]
async fn first_delivery_runs_the_handler_and_duplicates_get_200_without_running_it() {
    let runs = Runs::default();
    let server = counting_server(IdempotencyGuard::new(MemoryStore::new()), &runs);
    let body = event("evt_1", "order.completed");

    let first = deliver(&server.url(), &body).await;
    assert_eq!(
        (first.status, first.body.as_str()),
        (200, "processed evt_1")
    );
    for _ in 0..3 {
        deliver(&server.url(), &body)
            .await
            .assert_refusal(200, DUPLICATE, None);
    }
    assert_eq!(runs.count(), 1);
    server.stop().await;
}

#[actix_web::test]
async fn duplicates_while_in_flight_get_409_and_the_handler_runs_once() {
    let runs = Runs::default();
    let gate = Arc::new(Semaphore::new(0));
    let server = {
        let (runs, gate) = (runs.clone(), gate.clone());
        // Cloned into both workers' apps: one store.
        let guard = IdempotencyGuard::new(MemoryStore::new());
        Server::start(move |cfg| {
            let (runs, gate) = (runs.clone(), gate.clone());
            cfg.service(resource(
                "/webhooks",
                verifier(),
                guard.clone(),
                move || {
                    let (runs, gate) = (runs.clone(), gate.clone());
                    async move {
                        runs.record();
                        gate.acquire().await.unwrap().forget();
                        HttpResponse::Ok().body("processed")
                    }
                },
            ));
        })
    };
    let url = server.url();
    let body = event("evt_1", "order.completed");

    let first = actix_web::rt::spawn({
        let (url, body) = (url.clone(), body.clone());
        async move { deliver(&url, &body).await }
    });
    runs.wait_for(1).await;
    let duplicates = join_all((0..10).map(|_| deliver(&url, &body))).await;
    for answer in &duplicates {
        answer.assert_refusal(409, IN_FLIGHT, Some("5"));
    }
    gate.add_permits(1);
    let first = first.await.unwrap();
    assert_eq!((first.status, first.body.as_str()), (200, "processed"));
    deliver(&url, &body)
        .await
        .assert_refusal(200, DUPLICATE, None);
    assert_eq!(runs.count(), 1);
    server.stop().await;
}

#[actix_web::test]
async fn handler_answering_500_releases_the_claim_and_the_retry_runs_it() {
    let runs = Runs::default();
    let server = {
        let runs = runs.clone();
        let guard = IdempotencyGuard::new(MemoryStore::new());
        Server::start(move |cfg| {
            let runs = runs.clone();
            cfg.service(resource(
                "/webhooks",
                verifier(),
                guard.clone(),
                move || {
                    let run = runs.record();
                    async move {
                        if run == 1 {
                            HttpResponse::InternalServerError().body("database down")
                        } else {
                            HttpResponse::Ok().body("processed")
                        }
                    }
                },
            ));
        })
    };
    let body = event("evt_1", "order.completed");

    let failed = deliver(&server.url(), &body).await;
    assert_eq!(
        (failed.status, failed.body.as_str()),
        (500, "database down")
    );
    let retried = deliver(&server.url(), &body).await;
    assert_eq!((retried.status, retried.body.as_str()), (200, "processed"));
    deliver(&server.url(), &body)
        .await
        .assert_refusal(200, DUPLICATE, None);
    assert_eq!(runs.count(), 2);
    server.stop().await;
}

#[actix_web::test]
async fn handler_error_releases_the_claim_and_the_retry_runs_it() {
    let runs = Runs::default();
    let server = {
        let runs = runs.clone();
        let guard = IdempotencyGuard::new(MemoryStore::new());
        Server::start(move |cfg| {
            let runs = runs.clone();
            cfg.service(resource(
                "/webhooks",
                verifier(),
                guard.clone(),
                move || {
                    let run = runs.record();
                    async move {
                        if run == 1 {
                            Err(actix_web::error::ErrorBadGateway("upstream failed"))
                        } else {
                            Ok("processed")
                        }
                    }
                },
            ));
        })
    };
    let body = event("evt_1", "order.completed");

    assert_eq!(deliver(&server.url(), &body).await.status, 502);
    assert_eq!(deliver(&server.url(), &body).await.body, "processed");
    assert_eq!(runs.count(), 2);
    server.stop().await;
}

#[actix_web::test]
async fn panicking_handler_releases_the_claim_before_the_connection_closes() {
    let runs = Runs::default();
    let server = {
        let runs = runs.clone();
        let guard = IdempotencyGuard::new(MemoryStore::new());
        Server::start(move |cfg| {
            let runs = runs.clone();
            cfg.service(resource(
                "/webhooks",
                verifier(),
                guard.clone(),
                move || {
                    let run = runs.record();
                    async move {
                        assert!(
                            run > 1,
                            "handler bug on the first run (expected by the test)"
                        );
                        "processed"
                    }
                },
            ));
        })
    };
    let body = event("evt_1", "order.completed");
    let signed = Signer::new(Scheme::hmac_sha256(), SECRET)
        .unwrap()
        .sign("", 0, &body)
        .unwrap();

    let panicked = send(&server.url(), signed, &body).await;
    assert!(panicked.is_err(), "no answer after a panic: {panicked:?}");
    // Retried at once, as a sender would: the claim is already free.
    let retried = deliver(&server.url(), &body).await;
    assert_eq!((retried.status, retried.body.as_str()), (200, "processed"));
    assert_eq!(runs.count(), 2);
    server.stop().await;
}

/// Sets its flag when dropped: tells the test the handler's future was dropped.
struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A server whose handler blocks on its first run until `gate` opens (or forever), flagging
/// `dropped` if that run's future is dropped.
fn blocking_server(
    cancelling: bool,
    runs: &Runs,
    gate: &Arc<Semaphore>,
    dropped: &Arc<AtomicBool>,
) -> Server {
    let (runs, gate, dropped) = (runs.clone(), gate.clone(), dropped.clone());
    let guard = IdempotencyGuard::new(MemoryStore::new());
    let configure = move |cfg: &mut web::ServiceConfig| {
        let (runs, gate, dropped) = (runs.clone(), gate.clone(), dropped.clone());
        cfg.service(resource(
            "/webhooks",
            verifier(),
            guard.clone(),
            move || {
                let run = runs.record();
                let (gate, dropped) = (gate.clone(), dropped.clone());
                async move {
                    if run == 1 {
                        let _flag = SetOnDrop(dropped);
                        gate.acquire().await.unwrap().forget();
                    }
                    "processed"
                }
            },
        ));
    };
    if cancelling {
        Server::start_cancelling(configure)
    } else {
        Server::start(configure)
    }
}

/// Sends a signed delivery of `body` on a raw connection and closes it before any answer.
async fn send_and_hang_up(server: &Server, body: &[u8], runs: &Runs) {
    let signed = Signer::new(Scheme::hmac_sha256(), SECRET)
        .unwrap()
        .sign("", 0, body)
        .unwrap();
    let mut head = format!(
        "POST /webhooks HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        server.addr(),
        body.len()
    );
    for (name, value) in signed {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    runs.wait_for(1).await;
    drop(stream);
}

#[actix_web::test]
async fn client_disconnecting_mid_handler_releases_the_claim_when_actix_cancels_the_request() {
    let (runs, gate, dropped) = (Runs::default(), Arc::new(Semaphore::new(0)), Arc::default());
    let server = blocking_server(true, &runs, &gate, &dropped);
    let body = event("evt_1", "order.completed");

    send_and_hang_up(&server, &body, &runs).await;
    for _ in 0..500 {
        if dropped.load(Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        dropped.load(Ordering::SeqCst),
        "the handler's future was not dropped"
    );
    // Released in the background when the claim was dropped with the request.
    let retried = deliver_until_not_in_flight(&server.url(), &body).await;
    assert_eq!((retried.status, retried.body.as_str()), (200, "processed"));
    assert_eq!(runs.count(), 2);
    server.stop().await;
}

#[actix_web::test]
async fn with_half_closed_connections_allowed_the_handler_finishes_and_its_answer_counts() {
    let (runs, gate, dropped) = (Runs::default(), Arc::new(Semaphore::new(0)), Arc::default());
    let server = blocking_server(false, &runs, &gate, &dropped);
    let body = event("evt_1", "order.completed");

    send_and_hang_up(&server, &body, &runs).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    gate.add_permits(1);
    // The handler ran to completion after the client left: the event is done, not run again.
    deliver_until_not_in_flight(&server.url(), &body)
        .await
        .assert_refusal(200, DUPLICATE, None);
    assert_eq!(runs.count(), 1);
    server.stop().await;
}

#[actix_web::test]
async fn same_key_with_a_different_body_gets_422_without_running_the_handler() {
    let runs = Runs::default();
    let server = counting_server(IdempotencyGuard::new(MemoryStore::new()), &runs);

    let first = deliver(&server.url(), &event("evt_1", "order.created")).await;
    assert_eq!(first.status, 200);
    deliver(&server.url(), &event("evt_1", "order.cancelled"))
        .await
        .assert_refusal(422, CONFLICT, None);
    assert_eq!(runs.count(), 1);
    server.stop().await;
}

#[actix_web::test]
async fn unauthentic_delivery_is_refused_before_it_claims_the_key() {
    let runs = Runs::default();
    let server = counting_server(IdempotencyGuard::new(MemoryStore::new()), &runs);
    let body = event("evt_1", "order.completed");

    let forged = vec![(
        "X-Webhook-Signature".to_owned(),
        format!("sha256={}", "0".repeat(64)),
    )];
    send(&server.url(), forged, &body)
        .await
        .unwrap()
        .assert_refusal(401, r#"{"error":"no signature matches the body"}"#, None);
    let authentic = deliver(&server.url(), &body).await;
    assert_eq!(
        (authentic.status, authentic.body.as_str()),
        (200, "processed evt_1")
    );
    assert_eq!(runs.count(), 1);
    server.stop().await;
}

#[actix_web::test]
async fn key_is_the_signed_webhook_id_when_the_scheme_signs_one() {
    const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let guard = IdempotencyGuard::new(MemoryStore::new());
    let server = Server::start(move |cfg| {
        let verifier = Verifier::new(Scheme::standard(), STANDARD_SECRET).unwrap();
        cfg.service(resource(
            "/webhooks",
            verifier,
            guard.clone(),
            |key: web::ReqData<IdempotencyKey>| async move {
                format!("{} {}", key.as_str(), key.storage_key())
            },
        ));
    });
    let body = event("evt_in_body", "order.completed");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let signed = Signer::new(Scheme::standard(), STANDARD_SECRET)
        .unwrap()
        .sign("msg_signed", i64::try_from(now).unwrap(), &body)
        .unwrap();

    let answer = send(&server.url(), signed, &body).await.unwrap();
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, "msg_signed webhook:default:msg_signed")
    );
    server.stop().await;
}

#[actix_web::test]
async fn replayed_status_answers_a_duplicate_with_the_handlers_first_2xx() {
    let guard = IdempotencyGuard::builder().replay_status(true).build();
    let server = Server::start(move |cfg| {
        cfg.service(resource("/webhooks", verifier(), guard.clone(), || async {
            HttpResponse::Accepted().body("queued")
        }));
    });
    let body = event("evt_1", "order.completed");

    assert_eq!(deliver(&server.url(), &body).await.status, 202);
    deliver(&server.url(), &body)
        .await
        .assert_refusal(202, DUPLICATE, None);
    server.stop().await;
}

#[actix_web::test]
async fn without_verify_webhook_in_front_it_answers_500_and_never_runs_the_handler() {
    let runs = Runs::default();
    let server = {
        let runs = runs.clone();
        let guard = IdempotencyGuard::new(MemoryStore::new());
        Server::start(move |cfg| {
            let runs = runs.clone();
            // Wrong order: actix-web runs the last `wrap` first, so Idempotency sees the
            // request before VerifyWebhook.
            cfg.service(
                web::resource("/webhooks")
                    .wrap(VerifyWebhook::new(verifier()))
                    .wrap(Idempotency::new(guard.clone()))
                    .route(web::post().to(move || {
                        runs.record();
                        async { "processed" }
                    })),
            );
        })
    };

    deliver(&server.url(), &event("evt_1", "order.completed"))
        .await
        .assert_refusal(500, MISCONFIGURED, None);
    assert_eq!(runs.count(), 0);
    server.stop().await;
}

#[actix_web::test]
async fn redis_stopped_gets_503_and_a_restarted_redis_recovers_without_rebuilding_the_app() {
    let mut redis = RedisServer::start();
    let runs = Runs::default();
    let server = counting_server(redis_guard(&redis, FailMode::Closed).await, &runs);
    let (before, during) = (
        event("evt_1", "order.created"),
        event("evt_2", "order.paid"),
    );

    assert_eq!(deliver(&server.url(), &before).await.status, 200);
    redis.stop();
    deliver(&server.url(), &during)
        .await
        .assert_refusal(503, STORE_DOWN, Some("5"));
    assert_eq!(runs.count(), 1, "nothing runs while the store is down");

    redis.restart();
    let mut answer = deliver(&server.url(), &during).await;
    for _ in 0..50 {
        if answer.status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        answer = deliver(&server.url(), &during).await;
    }
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, "processed evt_2")
    );
    deliver(&server.url(), &during)
        .await
        .assert_refusal(200, DUPLICATE, None);
    assert_eq!(runs.count(), 2);
    server.stop().await;
}

#[actix_web::test]
async fn fail_open_runs_the_handler_while_redis_is_down() {
    let mut redis = RedisServer::start();
    let runs = Runs::default();
    let server = counting_server(redis_guard(&redis, FailMode::Open).await, &runs);
    let body = event("evt_1", "order.created");

    redis.stop();
    for _ in 0..2 {
        let answer = deliver(&server.url(), &body).await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (200, "processed evt_1")
        );
    }
    assert_eq!(runs.count(), 2, "at-least-once while the store is down");
    server.stop().await;
}

#[actix_web::test]
async fn two_receivers_sharing_redis_run_an_event_once() {
    let redis = RedisServer::start();
    let runs = Runs::default();
    let slow = |runs: Runs, guard: IdempotencyGuard| {
        Server::start(move |cfg| {
            let runs = runs.clone();
            cfg.service(resource(
                "/webhooks",
                verifier(),
                guard.clone(),
                move || {
                    runs.record();
                    async {
                        tokio::time::sleep(Duration::from_millis(300)).await;
                        "processed"
                    }
                },
            ));
        })
    };
    let a = slow(runs.clone(), redis_guard(&redis, FailMode::Closed).await);
    let b = slow(runs.clone(), redis_guard(&redis, FailMode::Closed).await);
    let body = event("evt_1", "order.completed");

    let urls: Vec<String> = (0..20)
        .map(|n| if n % 2 == 0 { a.url() } else { b.url() })
        .collect();
    let answers = join_all(urls.iter().map(|url| deliver(url, &body))).await;
    let processed = answers.iter().filter(|a| a.body == "processed").count();
    assert_eq!(processed, 1, "{answers:?}");
    for answer in answers.iter().filter(|a| a.body != "processed") {
        assert!(
            answer.status == 409 || answer.body == DUPLICATE,
            "{answer:?}"
        );
    }
    for url in [a.url(), b.url()] {
        deliver(&url, &body)
            .await
            .assert_refusal(200, DUPLICATE, None);
    }
    assert_eq!(runs.count(), 1);
    a.stop().await;
    b.stop().await;
}
