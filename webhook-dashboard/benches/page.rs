//! The dashboard's index page (`GET /`, the page a user opens) with 100,000 deliveries in a
//! SQLite inbox, side by side in one run with the same page over an empty inbox (the floor:
//! the in-memory log, the chart and the HTML, which both pages render alike) and with the
//! inbox's queries alone at 100,000 rows.
//!
//! Both dashboards show a full in-memory log (1,000 deliveries: nine in ten accepted, one in ten
//! refused), the inbox's queue (its counts) and the inbox (rows by status, refusal counts, the
//! latest rows). The 100,000 rows are filled through the public API: enqueued by 50 tasks while
//! a worker drains them, one in fifty failing into the dead letters.
//!
//! `cargo bench -p webhook-dashboard --bench page`; `BENCH_ROWS` changes the 100,000 (1,000 when
//! `cargo test` runs it once). The SQLite
//! files are created in the temporary directory and removed at the end.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use webhook_dashboard::{Dashboard, DeliveryLog, Request};
use webhook_inbox::{Inbox, ListFilter};
use webhook_queue::{
    CancellationToken, Delivery, HandlerError, Job, Queue, QueueConfig, Verification,
};
use webhook_verify::{Rejection, Scheme, Signer, Verifier, VerifyError, delivery, receiver};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const TOKEN: &str = "bench-token";
const LOGGED: usize = 1000;

/// `BENCH_ROWS`, else 100,000; 1,000 when run as a test (`cargo test --benches` runs each
/// benchmark once, without `--bench`).
fn rows() -> u64 {
    let benching = std::env::args().any(|arg| arg == "--bench");
    std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if benching { 100_000 } else { 1_000 })
}

fn body(i: u64) -> String {
    format!(r#"{{"id":"evt_{i}","type":"order.paid","data":{{"amount":4200,"currency":"eur"}}}}"#)
}

/// A log of `LOGGED` deliveries recorded through the receiver core, as an adapter records them.
fn full_log() -> DeliveryLog {
    let log = DeliveryLog::new(LOGGED);
    let verifier = Verifier::builder(Scheme::standard())
        .secret(SECRET)
        .recorder(log.clone())
        .build()
        .expect("verifier");
    let signer = Signer::new(Scheme::standard(), SECRET).expect("signer");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    for i in 0..LOGGED as u64 {
        let body = Bytes::from(body(i));
        let id = format!("msg_{i}");
        let headers = signer.sign(&id, now, &body).expect("sign");
        let headers = headers.as_slice();
        let mut captured = delivery::capture(&verifier, "/webhooks", headers, &body);
        if i % 10 == 9 {
            let rejection = Rejection::from(VerifyError::NoMatchingSignature);
            receiver::refused(&verifier, &rejection, "/webhooks", headers, captured);
            continue;
        }
        let verified = verifier.verify(headers, &body).expect("authentic");
        receiver::verified(
            &verifier,
            &verified,
            body.len(),
            Duration::ZERO,
            &mut captured,
        );
        receiver::answered(
            &verifier,
            Some(Duration::from_millis(2)),
            200,
            None,
            captured,
        );
    }
    log
}

/// A fresh SQLite inbox file in the temporary directory.
async fn inbox(name: &str) -> (Inbox, PathBuf) {
    let path =
        std::env::temp_dir().join(format!("dashboard-bench-{name}-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let inbox = Inbox::connect(&format!("sqlite:{}?mode=rwc", path.display()))
        .await
        .expect("SQLite inbox");
    inbox.migrate().await.expect("migrations");
    (inbox, path)
}

/// Fills `queue` with `n` deliveries through the public API while a worker drains them; one in
/// fifty fails and goes to the dead letters.
async fn fill(queue: Arc<dyn Queue>, n: u64) {
    let started = Instant::now();
    let shutdown = CancellationToken::new();
    let handler = Arc::new(|job: Job| async move {
        let key = job.delivery().key().unwrap_or_default();
        if key.ends_with("00") || key.ends_with("50") {
            return Err(HandlerError::msg("downstream refused the order"));
        }
        Ok::<_, HandlerError>(())
    });
    let worker = tokio::spawn({
        let (queue, shutdown) = (queue.clone(), shutdown.clone());
        async move { queue.work(handler, shutdown).await }
    });
    let next = Arc::new(AtomicU64::new(0));
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (queue, next) = (queue.clone(), next.clone());
        senders.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return;
                }
                let verification = Verification::new("standard").webhook_id(format!("msg_{i}"));
                let delivery = Delivery::new(body(i).into_bytes(), verification)
                    .header("content-type", "application/json")
                    .idempotency_key(format!("evt_{i:06}"));
                queue.enqueue(&delivery).await.expect("enqueue");
            }
        });
    }
    while let Some(done) = senders.join_next().await {
        done.expect("sender");
    }
    while !queue.counts().await.expect("counts").is_drained() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    shutdown.cancel();
    worker.await.expect("worker").expect("worker ran");
    eprintln!(
        "filled {n} rows in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

fn dashboard(log: &DeliveryLog, inbox: &Inbox) -> Dashboard {
    let queue: Arc<dyn Queue> = Arc::new(inbox.queue("orders", config()));
    Dashboard::new(log.clone(), TOKEN)
        .expect("token")
        .queue(queue)
        .inbox(inbox.clone())
}

fn config() -> QueueConfig {
    QueueConfig::default().concurrency(64).max_attempts(1)
}

async fn index(dashboard: &Dashboard) -> usize {
    let answer = dashboard
        .answer(Request {
            method: "GET",
            path: "/",
            authorization: Some("Bearer bench-token"),
            origin: None,
            host: Some("127.0.0.1"),
            body: b"",
        })
        .await;
    assert_eq!(answer.status, 200);
    answer.body.len()
}

fn page(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let n = rows();
    let log = full_log();
    let (full, full_path) = runtime.block_on(inbox("full"));
    let (empty, empty_path) = runtime.block_on(inbox("empty"));
    runtime.block_on(fill(Arc::new(full.queue("orders", config())), n));
    let counts = runtime.block_on(full.status_counts()).expect("counts");
    assert_eq!(counts.values().sum::<u64>(), n, "{counts:?}");
    eprintln!("inbox rows by status: {counts:?}");

    let (with_rows, without_rows) = (dashboard(&log, &full), dashboard(&log, &empty));
    let mut group = c.benchmark_group("dashboard index page");
    group.bench_function(format!("{n} inbox rows"), |b| {
        b.iter(|| runtime.block_on(index(&with_rows)))
    });
    group.bench_function("empty inbox (floor)", |b| {
        b.iter(|| runtime.block_on(index(&without_rows)))
    });
    let queue = full.queue("orders", config());
    group.bench_function(format!("the inbox's queries alone, {n} rows"), |b| {
        b.iter(|| {
            runtime.block_on(async {
                let counts = queue.counts().await.expect("queue counts");
                let statuses = full.status_counts().await.expect("status counts");
                let refusals = full.refusal_counts().await.expect("refusal counts");
                let latest = ListFilter {
                    limit: Some(20),
                    ..Default::default()
                };
                let rows = full.list(&latest).await.expect("rows");
                (counts, statuses, refusals, rows)
            })
        })
    });
    group.finish();
    runtime.block_on(async {
        full.close().await;
        empty.close().await;
    });
    for path in [full_path, empty_path] {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(5));
    targets = page
}
criterion_main!(benches);
