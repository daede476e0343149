//! The queue end to end (issue 7), every part a process of its own on one real `redis-server`:
//! the `axum_queue_receiver` example accepting (`REDIS_URL`, `WORKER=off`), and two worker
//! processes draining the same queue (`webhooks`): the `axum_queue_receiver` and
//! `actix_queue_receiver` examples with their in-process worker on, each printing
//! `processed <key> <type>` per event it handles. 10,000 distinct signed events are POSTed over
//! HTTP, then 1,000 of them again as a sender's duplicates.
mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures_util::{StreamExt as _, stream};
use support::*;
use webhook_queue::{Queue as _, QueueConfig, RedisQueue};

const EVENTS: usize = 10_000;
/// Every `DUPLICATE_EVERY`-th event is delivered a second time.
const DUPLICATE_EVERY: usize = 10;
const CONCURRENCY: usize = 64;
const TYPES: [&str; 4] = [
    "order.created",
    "order.completed",
    "payment.succeeded",
    "resource.updated",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_events_posted_and_drained_by_two_worker_processes_are_each_handled_once() {
    let redis = RedisServer::start();
    let url = redis.url();
    let receiver = ExampleProcess::start(
        "axum_queue_receiver",
        &[("REDIS_URL", &url), ("WORKER", "off")],
    );
    let workers = [
        ExampleProcess::start("axum_queue_receiver", &[("REDIS_URL", &url)]),
        ExampleProcess::start("actix_queue_receiver", &[("REDIS_URL", &url)]),
    ];
    let events: Vec<(String, &str, Vec<u8>)> = (0..EVENTS)
        .map(|i| {
            let id = format!("evt_queue_{i:05}");
            let event_type = TYPES[i % TYPES.len()];
            let body = event(&id, event_type);
            (id, event_type, body)
        })
        .collect();
    let signed: Vec<_> = events.iter().map(|(_, _, body)| sign(body)).collect();
    let client = client();
    let deliver = |i: usize| {
        let (client, url) = (&client, receiver.url());
        let (body, headers) = (&events[i].2, &signed[i]);
        async move { (i, post(client, url, headers, body).await) }
    };
    let started = Instant::now();

    // Every event once: accepted (202), queued.
    let answers: Vec<_> = stream::iter(0..EVENTS)
        .map(deliver)
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    for (i, answer) in &answers {
        assert_eq!(answer.status, 202, "event {i}: {answer:?}");
        assert!(answer.body.contains(r#""status":"accepted""#), "{answer:?}");
    }
    let accepted_in = started.elapsed();

    // The sender's duplicates: answered 200, not queued again.
    let duplicates: Vec<_> = stream::iter((0..EVENTS).step_by(DUPLICATE_EVERY))
        .map(deliver)
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    assert_eq!(duplicates.len(), EVENTS / DUPLICATE_EVERY);
    for (i, answer) in &duplicates {
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (200, DUPLICATE),
            "event {i}"
        );
    }

    // Drained: nothing pending, in flight or retrying (a worker prints before it acknowledges,
    // so every line is written by then), nothing dead.
    let queue = RedisQueue::connect(&url, "webhooks", QueueConfig::default())
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let counts = queue.counts().await.unwrap();
        assert_eq!(counts.dead, 0, "{counts:?}");
        if counts.is_drained() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not drained 120 s after the start: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let drained_in = started.elapsed();

    let [first, second] = workers;
    let per_worker = [first.kill(), second.kill()];
    let receiver_lines = receiver.kill();
    assert!(
        processed_by_key(&receiver_lines).is_empty(),
        "the receiver with WORKER=off processed events: {receiver_lines:?}"
    );
    let handled: Vec<HashMap<String, usize>> = per_worker.iter().map(processed_by_key).collect();
    eprintln!(
        "{EVENTS} events + {} duplicates: accepted in {accepted_in:.1?}, drained in \
         {drained_in:.1?}; axum worker handled {}, actix worker {}",
        duplicates.len(),
        handled[0].values().sum::<usize>(),
        handled[1].values().sum::<usize>(),
    );
    for (i, handled) in handled.iter().enumerate() {
        assert!(!handled.is_empty(), "worker {i} handled nothing");
    }
    let mut total: HashMap<&str, usize> = HashMap::new();
    for (key, n) in handled.iter().flatten() {
        *total.entry(key.as_str()).or_default() += n;
    }
    for (id, event_type, _) in &events {
        assert_eq!(total.get(id.as_str()), Some(&1), "{id} ({event_type})");
    }
    assert_eq!(total.len(), EVENTS, "keys handled that were never sent");
    // Each line names the event's type.
    let lines: Vec<&String> = per_worker.iter().flatten().collect();
    for (id, event_type, _) in events.iter().step_by(997) {
        let line = format!("processed {id} {event_type}");
        assert!(lines.contains(&&line), "no {line:?}");
    }
}
