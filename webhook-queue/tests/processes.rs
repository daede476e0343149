//! Worker *processes* against a real `redis-server`: one killed with SIGKILL mid-handling, two
//! draining a load. Workers are this test binary re-executed with `WEBHOOK_QUEUE_CHILD_WORKER`
//! set, killed by PID.
//!
//! This file has its own small harness (`harness = false`) so that the child mode is not a test
//! of its own: `cargo test -p webhook-queue --test processes [filter]`.

mod support;

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::StreamExt as _;
use redis::AsyncCommands as _;
use support::{delivery, event_body, fast_config, signed_headers, verifier, wait_until};
use webhook_idempotency::{IdempotencyGuard, RedisStore};
use webhook_queue::{Acceptor, HandlerError, Job, Queue, QueueConfig, RedisQueue};
use webhook_testkit::RedisServer;

const CHILD_ENV: &str = "WEBHOOK_QUEUE_CHILD_WORKER";

fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        child_worker(&spec);
        return;
    }
    let tests: [(&str, fn()); 2] = [
        (
            "sigkilled_worker_process_entries_are_reclaimed_and_processed_by_another",
            sigkilled_worker_process_entries_are_reclaimed_and_processed_by_another,
        ),
        (
            "ten_thousand_accepted_events_drained_by_two_worker_processes_duplicates_once",
            ten_thousand_accepted_events_drained_by_two_worker_processes_duplicates_once,
        ),
    ];
    // The libtest options `cargo test` may pass: filters, `--exact`, `--skip <f>`, `--list`,
    // `--ignored` (none here), and options with a value, which are not filters.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        for (name, _) in &tests {
            println!("{name}: test");
        }
        return;
    }
    let (mut filters, mut skips) = (Vec::new(), Vec::new());
    let mut args_iter = args.iter();
    while let Some(arg) = args_iter.next() {
        match arg.as_str() {
            "--skip" => skips.extend(args_iter.next().cloned()),
            "--test-threads" | "--color" | "--format" | "--logfile" | "-Z" => {
                args_iter.next();
            }
            a if a.starts_with('-') => {}
            a => filters.push(a.to_owned()),
        }
    }
    let exact = args.iter().any(|a| a == "--exact");
    let only_ignored = args.iter().any(|a| a == "--ignored");
    let matches = |name: &str, f: &String| {
        if exact {
            name == f
        } else {
            name.contains(f.as_str())
        }
    };
    let selected: Vec<_> = tests
        .iter()
        .filter(|_| !only_ignored)
        .filter(|(name, _)| filters.is_empty() || filters.iter().any(|f| matches(name, f)))
        .filter(|(name, _)| !skips.iter().any(|f| matches(name, f)))
        .collect();
    println!("\nrunning {} tests", selected.len());
    let mut failed = Vec::new();
    for (name, test) in selected {
        println!("test {name} ...");
        match std::panic::catch_unwind(test) {
            Ok(()) => println!("test {name} ... ok"),
            Err(_) => {
                println!("test {name} ... FAILED");
                failed.push(*name);
            }
        }
    }
    if !failed.is_empty() {
        println!("\nfailures: {failed:?}");
        std::process::exit(101);
    }
    println!("\ntest result: ok");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// What a child worker does, passed as `url|queue|label|sleep_ms|concurrency|claim_idle_ms`.
struct Spec {
    url: String,
    queue: String,
    label: String,
    sleep_ms: u64,
    concurrency: usize,
    claim_idle_ms: u64,
}

impl Spec {
    fn encode(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}",
            self.url, self.queue, self.label, self.sleep_ms, self.concurrency, self.claim_idle_ms
        )
    }

    fn decode(spec: &str) -> Self {
        let parts: Vec<&str> = spec.split('|').collect();
        Self {
            url: parts[0].to_owned(),
            queue: parts[1].to_owned(),
            label: parts[2].to_owned(),
            sleep_ms: parts[3].parse().unwrap(),
            concurrency: parts[4].parse().unwrap(),
            claim_idle_ms: parts[5].parse().unwrap(),
        }
    }

    fn config(&self) -> QueueConfig {
        fast_config()
            .concurrency(self.concurrency)
            .claim_idle(Duration::from_millis(self.claim_idle_ms))
    }
}

/// Starts a worker process.
fn spawn_worker(spec: &Spec) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .env(CHILD_ENV, spec.encode())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// Child mode: run a worker whose handler records `started:<key>` and, after sleeping,
/// `done:<key>` (count) and `by:<key>` (which worker) in Redis hashes.
fn child_worker(spec: &str) {
    let spec = Spec::decode(spec);
    runtime().block_on(async move {
        let queue = RedisQueue::connect(&spec.url, &spec.queue, spec.config())
            .await
            .unwrap();
        let client = redis::Client::open(spec.url.as_str()).unwrap();
        let record = client.get_multiplexed_async_connection().await.unwrap();
        let (label, sleep) = (spec.label.clone(), Duration::from_millis(spec.sleep_ms));
        let handler = move |job: Job| {
            let (mut record, label) = (record.clone(), label.clone());
            async move {
                let key = job.delivery().key().unwrap_or("").to_owned();
                let _: () = record.hincr("started", &key, 1).await?;
                tokio::time::sleep(sleep).await;
                let _: () = record.hincr("done", &key, 1).await?;
                let _: () = record.hset("by", &key, &label).await?;
                Ok::<_, HandlerError>(())
            }
        };
        let shutdown = webhook_queue::CancellationToken::new();
        queue.run(handler, shutdown).await.unwrap();
    });
}

async fn hash(conn: &mut redis::aio::MultiplexedConnection, key: &str) -> HashMap<String, String> {
    conn.hgetall(key).await.unwrap()
}

fn sigkilled_worker_process_entries_are_reclaimed_and_processed_by_another() {
    let redis = RedisServer::start();
    runtime().block_on(async {
        let queue = RedisQueue::connect(&redis.url(), "crash", fast_config())
            .await
            .unwrap();
        let events: Vec<String> = (0..40).map(|i| format!("evt_{i}")).collect();
        for id in &events {
            queue
                .enqueue(&delivery(id, "payment.succeeded"))
                .await
                .unwrap();
        }
        let client = redis::Client::open(redis.url()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();

        // Worker A takes 8 entries and handles each for 30 s: it is killed in the middle.
        let spec = |label: &str, sleep_ms| Spec {
            url: redis.url(),
            queue: "crash".into(),
            label: label.into(),
            sleep_ms,
            concurrency: 8,
            claim_idle_ms: 1000,
        };
        let mut a = spawn_worker(&spec("A", 30_000));
        wait_until(
            Duration::from_secs(20),
            "worker A handling 8 entries",
            || {
                let mut conn = conn.clone();
                async move { hash(&mut conn, "started").await.len() == 8 }
            },
        )
        .await;
        a.kill().unwrap(); // SIGKILL by PID
        a.wait().unwrap();
        let in_flight_at_a: Vec<String> = hash(&mut conn, "started").await.into_keys().collect();
        assert!(
            hash(&mut conn, "done").await.is_empty(),
            "A finished nothing"
        );
        assert_eq!(
            queue.counts().await.unwrap().in_flight,
            8,
            "A's entries are still pending for A"
        );

        // Worker B drains everything, A's entries included once they are idle for 1 s.
        let mut b = spawn_worker(&spec("B", 10));
        wait_until(
            Duration::from_secs(30),
            "every accepted event processed",
            || {
                let (mut conn, total) = (conn.clone(), events.len());
                async move { hash(&mut conn, "done").await.len() == total }
            },
        )
        .await;
        wait_until(Duration::from_secs(5), "queue drained", || async {
            queue.counts().await.unwrap().is_drained()
        })
        .await;
        b.kill().unwrap();
        b.wait().unwrap();

        let done = hash(&mut conn, "done").await;
        let by = hash(&mut conn, "by").await;
        for id in &events {
            assert_eq!(
                done.get(id).map(String::as_str),
                Some("1"),
                "{id} processed exactly once"
            );
        }
        for id in &in_flight_at_a {
            assert_eq!(
                by[id], "B",
                "{id} was reclaimed from the killed worker by B"
            );
        }
        let counts = queue.counts().await.unwrap();
        assert_eq!(
            (
                counts.pending,
                counts.in_flight,
                counts.retrying,
                counts.dead
            ),
            (0, 0, 0, 0)
        );
    });
}

fn ten_thousand_accepted_events_drained_by_two_worker_processes_duplicates_once() {
    const EVENTS: usize = 10_000;
    const RESENT: usize = 1_000;
    let redis = RedisServer::start();
    runtime().block_on(async {
        let config = fast_config().concurrency(32);
        let queue = RedisQueue::connect(&redis.url(), "load", config)
            .await
            .unwrap();
        let guard = IdempotencyGuard::new(RedisStore::connect(&redis.url()).await.unwrap());
        let acceptor = Acceptor::new(queue.clone(), guard);
        let spec = |label: &str| Spec {
            url: redis.url(),
            queue: "load".into(),
            label: label.into(),
            sleep_ms: 0,
            concurrency: 32,
            claim_idle_ms: 5_000,
        };
        let mut workers = [spawn_worker(&spec("A")), spawn_worker(&spec("B"))];

        // 10,000 distinct events, 1,000 of them sent a second time, in a scrambled order.
        let mut sends: Vec<usize> = (0..EVENTS)
            .chain((0..RESENT).map(|i| i * 7 % EVENTS))
            .collect();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for i in (1..sends.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            sends.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let verifier = verifier();
        let mut statuses: HashMap<u16, usize> = HashMap::new();
        let mut to_send = sends;
        while !to_send.is_empty() {
            let answers: Vec<(usize, u16)> = futures_util::stream::iter(to_send.drain(..))
                .map(|n| {
                    let (acceptor, verifier) = (&acceptor, &verifier);
                    async move {
                        let id = format!("evt_{n}");
                        let body = event_body(&id, "order.paid", serde_json::json!({"n": n}));
                        let headers = signed_headers(&format!("msg_{n}"), &body);
                        let verified = verifier.verify(&headers, &body).unwrap();
                        let status = match acceptor.accept(&verified, &headers, body).await {
                            Ok(accepted) => accepted.status,
                            Err(rejection) => rejection.status(),
                        };
                        (n, status)
                    }
                })
                .buffer_unordered(64)
                .collect()
                .await;
            for (n, status) in answers {
                match status {
                    409 | 503 => to_send.push(n), // the sender retries these
                    _ => *statuses.entry(status).or_default() += 1,
                }
            }
            if !to_send.is_empty() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        assert_eq!(
            statuses.get(&202),
            Some(&EVENTS),
            "every distinct event accepted once: {statuses:?}"
        );
        assert_eq!(
            statuses.get(&200),
            Some(&RESENT),
            "every re-sent duplicate answered 200: {statuses:?}"
        );

        let client = redis::Client::open(redis.url()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        wait_until(
            Duration::from_secs(120),
            "every accepted event handled",
            || {
                let mut conn = conn.clone();
                async move {
                    let handled: usize = conn.hlen("done").await.unwrap();
                    handled >= EVENTS
                }
            },
        )
        .await;
        wait_until(Duration::from_secs(10), "queue drained", || async {
            queue.counts().await.unwrap().is_drained()
        })
        .await;
        for worker in &mut workers {
            worker.kill().unwrap();
            worker.wait().unwrap();
        }

        let done = hash(&mut conn, "done").await;
        assert_eq!(done.len(), EVENTS);
        let twice: Vec<_> = done.iter().filter(|(_, count)| *count != "1").collect();
        assert!(twice.is_empty(), "handled more than once: {twice:?}");
        let by = hash(&mut conn, "by").await;
        let by_a = by.values().filter(|w| *w == "A").count();
        assert!(
            by_a > 0 && by_a < EVENTS,
            "both worker processes took part (A: {by_a})"
        );
        assert_eq!(queue.counts().await.unwrap().dead, 0);
    });
}
