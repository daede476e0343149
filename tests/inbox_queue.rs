//! The queue examples with `DATABASE_URL` (issue 14), as processes: the inbox table is the
//! queue. On PostgreSQL, 10,000 distinct events plus 1,000 duplicates accepted by a receiver
//! (`WORKER=off`) and drained by two worker processes are each handled once, leaving 10,000
//! `done` rows in the history; a worker SIGKILLed mid-handler leaves its rows, which another
//! worker takes once their lease runs out. On SQLite, a receiver SIGKILLed and started again on
//! the same file keeps its history and finishes what it had queued.
mod support;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use futures_util::{StreamExt as _, stream};
use support::*;
use webhook_inbox::{Inbox, ListFilter};
use webhook_queue::{CancellationToken, DEFAULT_QUEUE_NAME, HandlerError, Job, Queue, QueueConfig};

const CONCURRENCY: usize = 64;
const TYPES: [&str; 4] = [
    "order.created",
    "order.completed",
    "payment.succeeded",
    "resource.updated",
];

/// One event to send: its id, type, body and signed headers.
type Event = (String, &'static str, Vec<u8>, Vec<(String, String)>);

/// `count` distinct events `evt_<tag>_<n>`.
fn events(tag: &str, count: usize) -> Vec<Event> {
    (0..count)
        .map(|i| {
            let id = format!("evt_{tag}_{i:05}");
            let event_type = TYPES[i % TYPES.len()];
            let body = event(&id, event_type);
            let headers = sign(&body);
            (id, event_type, body, headers)
        })
        .collect()
}

/// POSTs the events numbered `which` to `url`, `CONCURRENCY` at a time; returns the answers.
async fn deliver(
    client: &reqwest::Client,
    url: &str,
    events: &[Event],
    which: impl Iterator<Item = usize>,
) -> Vec<(usize, Answer)> {
    stream::iter(which)
        .map(|i| {
            let (_, _, body, headers) = &events[i];
            async move { (i, post(client, url, headers, body).await) }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await
}

/// Every answer has `status` and a body containing `body`.
fn assert_all(answers: &[(usize, Answer)], status: u16, body: &str) {
    for (i, answer) in answers {
        assert!(
            answer.status == status && answer.body.contains(body),
            "event {i}: {answer:?}"
        );
    }
}

/// In the body of a `202` (with the queue entry's id).
const ACCEPTED: &str = r#""status":"accepted""#;

/// Waits until the history shows `done` rows and nothing else in it (nothing queued, in flight,
/// retrying or dead); returns the counts.
async fn wait_all_done(inbox: &Inbox, done: u64, timeout: Duration) -> BTreeMap<String, u64> {
    let deadline = Instant::now() + timeout;
    loop {
        let counts = inbox.status_counts().await.unwrap();
        assert_eq!(counts["dead"], 0, "{counts:?}");
        if counts["done"] == done && counts.values().sum::<u64>() == done {
            return counts;
        }
        assert!(
            Instant::now() < deadline,
            "not all {done} done within {timeout:?}: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every event of `events` handled exactly once over all `lines`, and nothing else.
fn assert_each_once(lines: &[Vec<String>], events: &[Event]) {
    let mut total: HashMap<String, usize> = HashMap::new();
    for (key, n) in lines.iter().flat_map(processed_by_key) {
        *total.entry(key).or_default() += n;
    }
    for (id, event_type, _, _) in events {
        assert_eq!(total.get(id.as_str()), Some(&1), "{id} ({event_type})");
    }
    assert_eq!(
        total.len(),
        events.len(),
        "keys handled that were never sent"
    );
    let all: Vec<&String> = lines.iter().flatten().collect();
    for (id, event_type, _, _) in events.iter().step_by(97) {
        let line = format!("processed {id} {event_type}");
        assert!(all.contains(&&line), "no {line:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_events_and_a_thousand_duplicates_drained_by_two_workers_on_postgres_leave_ten_thousand_done_rows()
 {
    const EVENTS: usize = 10_000;
    let db = TestDatabase::postgres().await;
    let url = db.url();
    let receiver = ExampleProcess::start(
        "axum_queue_receiver",
        &[("DATABASE_URL", url), ("WORKER", "off")],
    );
    let workers = [
        ExampleProcess::start("axum_queue_receiver", &[("DATABASE_URL", url)]),
        ExampleProcess::start("actix_queue_receiver", &[("DATABASE_URL", url)]),
    ];
    let events = events("pg", EVENTS);
    let client = client();
    let started = Instant::now();

    let accepted = deliver(&client, receiver.url(), &events, 0..EVENTS).await;
    assert_all(&accepted, 202, ACCEPTED);
    let accepted_in = started.elapsed();
    // The sender's duplicates (every tenth event again): 200, not queued again.
    let duplicates = deliver(&client, receiver.url(), &events, (0..EVENTS).step_by(10)).await;
    assert_eq!(duplicates.len(), EVENTS / 10);
    assert_all(&duplicates, 200, DUPLICATE);

    let inbox = db.inbox().await;
    wait_all_done(&inbox, EVENTS as u64, Duration::from_secs(180)).await;
    let drained_in = started.elapsed();

    let receiver_lines = receiver.kill();
    assert!(
        processed_by_key(&receiver_lines).is_empty(),
        "the receiver with WORKER=off processed events"
    );
    let [first, second] = workers;
    let per_worker = [first.kill(), second.kill()];
    let shares: Vec<usize> = per_worker
        .iter()
        .map(|lines| processed_by_key(lines).values().sum())
        .collect();
    eprintln!(
        "{EVENTS} events + {} duplicates on PostgreSQL: accepted in {accepted_in:.1?}, all done \
         in {drained_in:.1?}; axum worker handled {}, actix worker {}",
        duplicates.len(),
        shares[0],
        shares[1],
    );
    assert!(
        shares.iter().all(|&n| n > 0),
        "a worker handled nothing: {shares:?}"
    );
    assert_each_once(&per_worker, &events);
}

/// Run as a child process by `a_worker_sigkilled_mid_handler_...` (never on its own): a worker
/// on `$STUCK_WORKER_DATABASE_URL`'s queue with a 2 s lease whose handler prints
/// `handling <key>` and never returns, until the parent SIGKILLs it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a child process of the SIGKILL test"]
async fn stuck_worker() {
    let url = std::env::var("STUCK_WORKER_DATABASE_URL").expect("run by the SIGKILL test");
    let inbox = Inbox::connect(&url).await.unwrap();
    let config = QueueConfig::default()
        .claim_idle(Duration::from_secs(2))
        .concurrency(STUCK);
    let queue = inbox.queue(DEFAULT_QUEUE_NAME, config);
    let handler = std::sync::Arc::new(|job: Job| async move {
        println!("handling {}", job.delivery().key().unwrap_or("-"));
        std::future::pending::<Result<(), HandlerError>>().await
    });
    eprintln!("stuck worker ready");
    queue.work(handler, CancellationToken::new()).await.unwrap();
}

/// How many rows the stuck worker holds when it is killed.
const STUCK: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_sigkilled_mid_handler_leaves_its_rows_to_another_worker_after_the_lease_nothing_lost()
 {
    const EVENTS: usize = 40;
    let db = TestDatabase::postgres().await;
    let url = db.url();
    let receiver = ExampleProcess::start(
        "axum_queue_receiver",
        &[("DATABASE_URL", url), ("WORKER", "off")],
    );
    let events = events("kill", EVENTS);
    let client = client();
    assert_all(
        &deliver(&client, receiver.url(), &events, 0..EVENTS).await,
        202,
        ACCEPTED,
    );

    // A worker takes STUCK rows, runs their handlers (which hang) and is SIGKILLed mid-handler.
    let stuck = ExampleProcess::start_test_child(
        "stuck_worker",
        &[("STUCK_WORKER_DATABASE_URL", url)],
        "stuck worker ready",
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    // (The test harness's "test stuck_worker ... " starts the first line.)
    while stuck.count_lines(|l| l.contains("handling ")) < STUCK {
        assert!(
            Instant::now() < deadline,
            "the stuck worker did not take {STUCK} rows within 30 s; stdout {:?}, stderr:\n{}",
            stuck.lines(),
            stuck.stderr()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let taken: Vec<String> = stuck
        .kill()
        .iter()
        .filter_map(|l| l.split("handling ").nth(1).map(str::to_owned))
        .collect();
    assert_eq!(taken.len(), STUCK);
    let inbox = db.inbox().await;
    assert_eq!(
        inbox.status_counts().await.unwrap()["processing"],
        STUCK as u64
    );

    // Another worker process: the rest at once, the killed worker's rows once its lease ran out.
    let worker = ExampleProcess::start("actix_queue_receiver", &[("DATABASE_URL", url)]);
    wait_all_done(&inbox, EVENTS as u64, Duration::from_secs(60)).await;
    let lines = worker.kill();
    assert_each_once(&[lines], &events);
    for key in &taken {
        let filter = ListFilter {
            key: Some(key.clone()),
            ..ListFilter::default()
        };
        let rows = inbox.list(&filter).await.unwrap();
        assert_eq!(rows.len(), 1, "{key}: one row, never a second");
        assert_eq!(
            (rows[0].status.as_str(), rows[0].attempts),
            ("done", 2),
            "{key}: the killed attempt counted, then done"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_receiver_sigkilled_and_restarted_keeps_its_history_and_finishes_its_queue() {
    const EVENTS: usize = 50;
    let db = TestDatabase::sqlite();
    let url = db.url();
    let events = events("sqlite", EVENTS);
    let client = client();

    // Accepts and queues (no worker), then dies.
    let first = ExampleProcess::start(
        "axum_queue_receiver",
        &[("DATABASE_URL", url), ("WORKER", "off")],
    );
    assert_all(
        &deliver(&client, first.url(), &events, 0..EVENTS).await,
        202,
        ACCEPTED,
    );
    assert!(processed_by_key(&first.kill()).is_empty());

    // Started again on the same file, with its worker: what was queued is handled, once, and
    // the sender's retries are duplicates of the kept history.
    let second = ExampleProcess::start("axum_queue_receiver", &[("DATABASE_URL", url)]);
    let inbox = db.inbox().await;
    wait_all_done(&inbox, EVENTS as u64, Duration::from_secs(60)).await;
    assert_all(
        &deliver(&client, second.url(), &events, 0..EVENTS).await,
        200,
        DUPLICATE,
    );
    assert_each_once(&[second.kill()], &events);
}
