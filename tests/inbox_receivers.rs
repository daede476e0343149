//! The `axum_receiver` and `actix_receiver` examples with `DATABASE_URL` (issue 14), as
//! processes: both on one PostgreSQL database of the test's own run the migrations at start,
//! deduplicate through the inbox table and print one `processed <key> <type>` line per event;
//! on a PostgreSQL cluster of the test's own that is stopped and restarted, they answer `503`
//! with `Retry-After` while it is down and recover once it is back, no event processed twice.
mod support;

use std::time::{Duration, Instant};

use futures_util::{StreamExt as _, stream};
use support::*;
use webhook_testkit::PostgresCluster;

const PRINT_TIMEOUT: Duration = Duration::from_secs(30);
const STORE_DOWN: &str = r#"{"error":"idempotency store unavailable; retry later"}"#;

/// Both inline examples, `DATABASE_URL=url`, started one after the other (the second finds the
/// migrations done).
fn receivers(url: &str) -> [ExampleProcess; 2] {
    [
        ExampleProcess::start("axum_receiver", &[("DATABASE_URL", url)]),
        ExampleProcess::start("actix_receiver", &[("DATABASE_URL", url)]),
    ]
}

/// Sends a fresh event to each receiver and waits for its line: every line they printed before
/// has been read then (a process's stdout arrives in order).
async fn sync_stdout(client: &reqwest::Client, receivers: &[ExampleProcess], tag: &str) {
    for (n, receiver) in receivers.iter().enumerate() {
        let id = format!("evt_sentinel_{tag}_{n}");
        let body = event(&id, "user.updated");
        let answer = post(client, receiver.url(), &sign(&body), &body).await;
        assert_eq!((answer.status, answer.body.as_str()), (200, "ok"), "{id}");
        receiver
            .wait_for_line(&format!("processed {id} user.updated"), PRINT_TIMEOUT)
            .await;
    }
}

/// How many `processed <key> ...` lines the receivers printed for `key`, in total.
fn times_processed(receivers: &[ExampleProcess], key: &str) -> usize {
    receivers
        .iter()
        .map(|r| processed_by_key(&r.lines()).get(key).copied().unwrap_or(0))
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_event_delivered_1000_times_at_once_to_axum_and_actix_sharing_postgres_runs_once() {
    let db = TestDatabase::postgres().await;
    let receivers = receivers(db.url());
    let body = event("evt_inbox_once", "order.completed");
    let headers = sign(&body);
    let client = client();

    let answers: Vec<Answer> = stream::iter(0..1000)
        .map(|i| post(&client, receivers[i % 2].url(), &headers, &body))
        .buffer_unordered(200)
        .collect()
        .await;
    let (mut processed, mut duplicate, mut in_flight, mut other) = (0, 0, 0, Vec::new());
    for answer in answers {
        match (
            answer.status,
            answer.body.as_str(),
            answer.retry_after.as_deref(),
        ) {
            (200, "ok", None) => processed += 1,
            (200, DUPLICATE, None) => duplicate += 1,
            (409, _, Some(_)) => in_flight += 1,
            _ => other.push(answer),
        }
    }
    eprintln!(
        "1,000 deliveries: {processed} processed, {duplicate} duplicate (200), {in_flight} in flight (409)"
    );
    assert!(other.is_empty(), "answers other than 200/409: {other:?}");
    assert_eq!(processed, 1);
    assert_eq!(processed + duplicate + in_flight, 1000);

    sync_stdout(&client, &receivers, "once").await;
    assert_eq!(times_processed(&receivers, "evt_inbox_once"), 1);
    // Afterwards both answer it as a duplicate, from the table.
    for receiver in &receivers {
        let answer = post(&client, receiver.url(), &headers, &body).await;
        assert_eq!((answer.status, answer.body.as_str()), (200, DUPLICATE));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_answers_503_with_retry_after_and_the_same_receivers_recover_running_no_event_twice()
 {
    const BEFORE: usize = 100;
    const DURING: usize = 100;
    const CONCURRENCY: usize = 20;
    let cluster = PostgresCluster::start();
    let receivers = receivers(&cluster.url());
    let events: Vec<(String, Vec<u8>)> = (0..BEFORE + DURING)
        .map(|i| {
            let id = format!("evt_outage_{i:04}");
            let body = event(&id, "order.created");
            (id, body)
        })
        .collect();
    let signed: Vec<_> = events.iter().map(|(_, body)| sign(body)).collect();
    let client = client();
    let deliver = |i: usize| {
        let (client, url) = (&client, receivers[i % 2].url());
        let (body, headers) = (&events[i].1, &signed[i]);
        async move { (i, post(client, url, headers, body).await) }
    };

    // Under load, the database is up: every event processed.
    let answers: Vec<_> = stream::iter(0..BEFORE)
        .map(deliver)
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    for (i, answer) in &answers {
        assert_eq!((answer.status, answer.body.as_str()), (200, "ok"), "{i}");
    }

    // PostgreSQL stops (by PID, between two deliveries: a stop between an event's claim and
    // its completion is the window where a handler that ran cannot be recorded). The load goes
    // on (all DURING deliveries at once): every one refused with 503 and Retry-After, by both,
    // within the statement timeout.
    cluster.stop();
    let started = Instant::now();
    let refused: Vec<_> = stream::iter(BEFORE..BEFORE + DURING)
        .map(deliver)
        .buffer_unordered(DURING)
        .collect()
        .await;
    for (i, answer) in &refused {
        assert_eq!(
            (
                answer.status,
                answer.body.as_str(),
                answer.retry_after.as_deref()
            ),
            (503, STORE_DOWN, Some("5")),
            "event {i} while PostgreSQL is down"
        );
    }
    // Within the statement timeout (5 s), with slack for 2 loaded cores.
    let refused_in = started.elapsed();
    eprintln!("{DURING} deliveries at once refused in {refused_in:?} while PostgreSQL was down");
    assert!(refused_in < Duration::from_secs(15), "{refused_in:?}");

    // Back up: the same receivers reconnect; the sender retries every event (the ones done
    // before the outage too) until each is answered 200.
    cluster.restart();
    let mut pending: Vec<usize> = (0..BEFORE + DURING).collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut recovered = [false, false];
    while !pending.is_empty() {
        assert!(
            Instant::now() < deadline,
            "{} events still refused 60 s after the restart",
            pending.len()
        );
        let retried: Vec<_> = stream::iter(pending.clone())
            .map(deliver)
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        pending.clear();
        for (i, answer) in retried {
            match (answer.status, answer.body.as_str()) {
                (200, "ok") if i >= BEFORE => recovered[i % 2] = true,
                (200, DUPLICATE) if i < BEFORE => {}
                (503, STORE_DOWN) | (409, _) => pending.push(i),
                _ => panic!("event {i} after the restart: unexpected answer {answer:?}"),
            }
        }
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    assert_eq!(recovered, [true, true], "both receivers recover");
    sync_stdout(&client, &receivers, "outage").await;
    for (id, _) in &events {
        assert_eq!(times_processed(&receivers, id), 1, "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_deliveries_are_kept_as_refusals_with_their_source_address_by_both_examples() {
    let db = TestDatabase::postgres().await;
    let receivers = receivers(db.url());
    let client = client();
    let body = event("evt_inbox_forged", "order.completed");
    let forged = [(
        "x-webhook-signature".to_owned(),
        format!("sha256={}", "00".repeat(32)),
    )];
    for receiver in &receivers {
        let answer = post(&client, receiver.url(), &forged, &body).await;
        assert_eq!(answer.status, 401, "{answer:?}");
    }
    let inbox = webhook_inbox::Inbox::connect(db.url()).await.unwrap();
    // The log writes what it added up every `FLUSH_EVERY`: wait for both refusals.
    let deadline = Instant::now() + PRINT_TIMEOUT;
    let samples = loop {
        let samples = inbox.refusal_samples(10).await.unwrap();
        if samples.len() >= 2 || Instant::now() > deadline {
            break samples;
        }
        tokio::time::sleep(webhook_inbox::FLUSH_EVERY).await;
    };
    assert_eq!(samples.len(), 2, "{samples:?}");
    for sample in &samples {
        assert_eq!(sample.reason, "signature", "{sample:?}");
        assert_eq!(sample.source.as_deref(), Some("127.0.0.1"), "{sample:?}");
        assert_eq!(sample.size, body.len() as u64, "{sample:?}");
    }
    let counted: u64 = inbox
        .refusal_counts()
        .await
        .unwrap()
        .iter()
        .map(|c| c.count)
        .sum();
    assert_eq!(counted, 2);
}
