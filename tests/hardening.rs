//! The attacks a receiver on the open internet meets, against the `axum_receiver` and
//! `actix_receiver` examples as processes, over real sockets:
//!
//! - connections that never send anything, or a head and one body byte, held open by the
//!   thousand while the receiver's open-file limit is 1,024: a valid delivery is still answered
//!   `2xx` within 15 s (the 10 s head timeout frees the slots) or 45 s (the 30 s body timeout),
//!   and a stalled body is answered `408` (or closed) within the body timeout plus 1 s;
//! - an HTTP/1.1 request without `Host` is `400` (RFC 9112);
//! - an empty `WEBHOOK_SECRET` stops the example at start with exit status 2;
//! - logs written to a file or a pipe carry no ANSI colour codes.
//!
//! Each flood is bounded: 1,100 connections to 127.0.0.1, closed when the test ends.
mod support;

use std::time::{Duration, Instant};

use support::*;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

/// The receivers' open-file limit in the flood tests (soft and hard: it cannot be raised).
const FILE_LIMIT: u32 = 1024;
/// Connections the attacker holds open: more than the receiver has descriptors for.
const FLOOD: usize = 1100;

const EXAMPLES: [&str; 2] = ["axum_receiver", "actix_receiver"];

/// The attacker's connections: each has sent `prefix` (maybe nothing) and then goes silent.
async fn flood(url: &str, prefix: &'static [u8]) -> Vec<TcpStream> {
    // The test process itself needs more than 1,100 descriptors.
    webhook_verify::server::raise_open_file_limit();
    let addr = authority(url);
    let mut held = Vec::with_capacity(FLOOD);
    for _ in 0..FLOOD {
        let mut stream = TcpStream::connect(&addr)
            .await
            .expect("connect to the receiver");
        if !prefix.is_empty() {
            stream.write_all(prefix).await.expect("send the prefix");
        }
        held.push(stream);
    }
    held
}

/// `127.0.0.1:<port>` of `http://127.0.0.1:<port>/webhooks`.
fn authority(url: &str) -> String {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    rest.split('/').next().expect("a host").to_owned()
}

/// A head announcing a 100-byte body, then one byte of it.
const STALLED_BODY: &[u8] = b"POST /webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\n\
    Content-Type: application/json\r\nX-Webhook-Signature: sha256=00\r\n\
    Content-Length: 100\r\n\r\n{";

/// Sends one signed event and returns the status and how long the answer took.
async fn deliver(url: &str, id: &str) -> (u16, Duration) {
    let body = event(id, "resource.created");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(90))
        .build()
        .unwrap();
    let started = Instant::now();
    let answer = post(&client, url, &sign(&body), &body).await;
    (answer.status, started.elapsed())
}

/// Reads until the peer closes or `limit` passes; what it sent, and whether it closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    let seen = webhook_testkit::read_until_closed(stream, limit).await;
    (seen.received, seen.closed_after.is_some())
}

async fn idle_connections_do_not_lock_out_a_delivery(name: &str) {
    let example = ExampleProcess::start_with_file_limit(name, &[], FILE_LIMIT);
    let mut held = flood(example.url(), b"").await;
    let (status, took) = deliver(example.url(), &format!("evt_idle_{name}")).await;
    assert_eq!(status, 200, "{name}: {}", example.stderr());
    assert!(
        took < Duration::from_secs(15),
        "{name}: a delivery behind {FLOOD} idle connections took {took:?}"
    );
    // The first idle connection was closed by the head timeout (10 s), not held for ever.
    let (_, closed) = read_until_closed(&mut held[0], Duration::from_secs(5)).await;
    assert!(
        closed,
        "{name}: an idle connection is still open after the head timeout"
    );
}

async fn stalled_bodies_get_408_and_do_not_lock_out_a_delivery(name: &str) {
    let example = ExampleProcess::start_with_file_limit(name, &[], FILE_LIMIT);
    // One stalled body first, timed from its last byte; then the flood behind it.
    let mut first = TcpStream::connect(authority(example.url())).await.unwrap();
    first.write_all(STALLED_BODY).await.unwrap();
    let stalled_at = Instant::now();
    let first = tokio::spawn(async move {
        let answer = read_until_closed(&mut first, Duration::from_secs(40)).await;
        (answer, stalled_at.elapsed())
    });
    let flood_at = Instant::now();
    let _held = flood(example.url(), STALLED_BODY).await;
    eprintln!(
        "{name}: {FLOOD} more stalled bodies sent in {:?}",
        flood_at.elapsed()
    );
    let (status, took) = deliver(example.url(), &format!("evt_stall_{name}")).await;
    assert_eq!(status, 200, "{name}: {}", example.stderr());
    assert!(
        took < Duration::from_secs(45),
        "{name}: a delivery behind {FLOOD} stalled bodies took {took:?}"
    );
    let ((answer, closed), after) = first.await.unwrap();
    assert!(
        closed,
        "{name}: a stalled body's connection was never closed"
    );
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{name}: a stalled body was answered {answer:?}"
    );
    assert!(
        // 30 s body timeout, plus scheduling slack: the test's own 1,100 connections share the
        // receiver's cores (31.01 s seen on a loaded 2-core CI machine).
        after < Duration::from_secs(33),
        "{name}: a stalled body was ended after {after:?}, past the 30 s body timeout + 3 s"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_receiver_survives_idle_connections() {
    idle_connections_do_not_lock_out_a_delivery(EXAMPLES[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_receiver_survives_idle_connections() {
    idle_connections_do_not_lock_out_a_delivery(EXAMPLES[1]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_receiver_ends_stalled_bodies() {
    stalled_bodies_get_408_and_do_not_lock_out_a_delivery(EXAMPLES[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_receiver_ends_stalled_bodies() {
    stalled_bodies_get_408_and_do_not_lock_out_a_delivery(EXAMPLES[1]).await;
}

#[tokio::test]
async fn a_request_without_host_is_400_on_both_examples() {
    for name in EXAMPLES {
        let example = ExampleProcess::start(name, &[]);
        let mut stream = TcpStream::connect(authority(example.url())).await.unwrap();
        let body = event(&format!("evt_nohost_{name}"), "resource.created");
        let signature = &sign(&body)[0];
        let head = format!(
            "POST /webhooks HTTP/1.1\r\nContent-Type: application/json\r\n{}: {}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            signature.0,
            signature.1,
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(&body).await.unwrap();
        let (answer, _) = read_until_closed(&mut stream, Duration::from_secs(10)).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{name}: {answer:?}");
        assert!(
            example.lines().is_empty(),
            "{name} processed it: {:?}",
            example.lines()
        );
    }
}

#[test]
fn an_empty_webhook_secret_stops_every_example_with_status_2() {
    for name in [
        "axum_receiver",
        "actix_receiver",
        "axum_queue_receiver",
        "actix_queue_receiver",
    ] {
        for empty in ["", "  "] {
            let output = std::process::Command::new(example_path(name))
                .env("WEBHOOK_SECRET", empty)
                .env("PORT", "0")
                .env_remove("REDIS_URL")
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
            assert!(
                stderr.contains("WEBHOOK_SECRET is set but empty"),
                "{name}: {stderr}"
            );
            assert!(!stderr.contains("listening"), "{name} started: {stderr}");
        }
    }
}

#[test]
fn the_development_secret_is_refused_off_loopback() {
    let output = std::process::Command::new(example_path("axum_receiver"))
        .env_remove("WEBHOOK_SECRET")
        .env("HOST", "0.0.0.0")
        .env("PORT", "0")
        .env_remove("REDIS_URL")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("loopback only"), "{stderr}");
}

#[tokio::test]
async fn logs_to_a_pipe_carry_no_colour_codes() {
    for name in EXAMPLES {
        let example = ExampleProcess::start(name, &[]);
        let body = event(&format!("evt_ansi_{name}"), "resource.created");
        let forged = post(&client(), example.url(), &sign_with("forged", &body), &body).await;
        assert_eq!(forged.status, 401);
        let what = format!("{name} never logged the refusal");
        wait_until(Duration::from_secs(10), &what, || {
            example.stderr().contains("webhook refused")
        })
        .await;
        let stderr = example.stderr();
        assert!(
            !stderr.contains('\u{1b}'),
            "{name} logged ANSI codes: {stderr:?}"
        );
    }
}
