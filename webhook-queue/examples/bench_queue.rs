//! Benchmark: accept latency of a receiver that queues (verify, claim, `XADD`, 202) versus one
//! that processes inline (verify, claim, a 200 ms handler, 200), side by side against the same
//! Redis; then worker throughput (events/s) draining a pre-filled queue.
//!
//! Run through `scripts/bench-queue.sh`, which starts a Redis on a free port:
//!
//! ```sh
//! cargo run --release -p webhook-queue --example bench_queue -- --redis redis://127.0.0.1:PORT/
//! ```

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router as HttpRouter;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use clap::Parser;
use futures_util::StreamExt as _;
use webhook_idempotency::{IdempotencyGuard, Ran, RedisStore};
use webhook_queue::{
    Acceptor, CancellationToken, Delivery, HandlerError, Job, Queue, QueueConfig, RedisQueue,
    Verification,
};
use webhook_verify::{Rejection, Scheme, Signer, Verifier};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[derive(Parser)]
struct Args {
    /// The Redis to use (its data is flushed by the benchmark's keys only).
    #[arg(long)]
    redis: String,
    /// Requests per mode and round.
    #[arg(long, default_value_t = 1000)]
    requests: usize,
    /// Concurrent senders.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// How long the handler takes, in milliseconds.
    #[arg(long, default_value_t = 200)]
    handler_ms: u64,
    /// Rounds (inline and queued alternate; the median is reported).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Entries pre-filled for the throughput measurement.
    #[arg(long, default_value_t = 20_000)]
    drain: usize,
    /// Handlers a worker runs at once in the throughput measurement.
    #[arg(long, default_value_t = 64)]
    worker_concurrency: usize,
}

#[derive(Clone)]
struct App {
    verifier: Verifier,
    inline_guard: IdempotencyGuard,
    acceptor: Acceptor,
    handler_time: Duration,
}

fn answer(rejection: Rejection) -> Response {
    let status =
        StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, rejection.json_body()).into_response()
}

/// The baseline: verify, claim, run the handler, answer.
async fn inline(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let verified = match app.verifier.verify(&headers, &body) {
        Ok(verified) => verified,
        Err(err) => return answer(err.into()),
    };
    let key = app.inline_guard.key_for(Some(&verified), &headers, &body);
    let handler_time = app.handler_time;
    let ran = app
        .inline_guard
        .run(&key, &body, || async move {
            tokio::time::sleep(handler_time).await; // the work
            Ok::<_, std::convert::Infallible>(())
        })
        .await;
    match ran {
        Ran::Handled(()) => StatusCode::OK.into_response(),
        Ran::Failed(never) => match never {},
        Ran::Skipped(rejection) => answer(rejection),
    }
}

/// With the queue: verify, then the accept step (claim, XADD, mark done), answer 202.
async fn queued(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let verified = match app.verifier.verify(&headers, &body) {
        Ok(verified) => verified,
        Err(err) => return answer(err.into()),
    };
    match app.acceptor.accept(&verified, &headers, body.clone()).await {
        Ok(accepted) => {
            let status = StatusCode::from_u16(accepted.status).unwrap_or(StatusCode::ACCEPTED);
            (status, accepted.json_body()).into_response()
        }
        Err(rejection) => answer(rejection),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Sends `n` signed deliveries to `url` with `concurrency` senders; returns sorted latencies.
async fn load(url: &str, prefix: &str, n: usize, concurrency: usize) -> Vec<Duration> {
    let client = reqwest::Client::new();
    let signer = Signer::new(Scheme::standard(), SECRET).unwrap_or_else(|e| panic!("{e}"));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64;
    let mut latencies: Vec<Duration> = futures_util::stream::iter(0..n)
        .map(|i| {
            let id = format!("{prefix}_{i}");
            let body = format!(r#"{{"id":"{id}","type":"order.paid","created_at":"2025-02-18T10:30:00Z","data":{{"object":{{"n":{i}}}}}}}"#);
            let headers = signer.sign(&id, now, body.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
            let mut request = client.post(url).body(body);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            async move {
                let started = Instant::now();
                let response = request.send().await.unwrap_or_else(|e| panic!("{e}"));
                let status = response.status();
                assert!(status.is_success(), "{status}");
                started.elapsed()
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    latencies.sort();
    latencies
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let handler_time = Duration::from_millis(args.handler_ms);
    let config = QueueConfig::default().concurrency(args.worker_concurrency);
    let queue = RedisQueue::connect(&args.redis, "bench-accept", config.clone())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let store = RedisStore::connect(&args.redis)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let guard = IdempotencyGuard::new(store);
    let app = App {
        verifier: Verifier::new(Scheme::standard(), SECRET).unwrap_or_else(|e| panic!("{e}")),
        inline_guard: guard.for_endpoint("inline"),
        acceptor: Acceptor::new(queue.clone(), guard.for_endpoint("queued")),
        handler_time,
    };
    let http = HttpRouter::new()
        .route("/inline", post(inline))
        .route("/queued", post(queued))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr: SocketAddr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move { axum::serve(listener, http).await });

    // The queued receiver's events are processed in the background by a worker running the
    // same 200 ms handler, as in production.
    let shutdown = CancellationToken::new();
    let background = tokio::spawn({
        let (queue, shutdown) = (queue.clone(), shutdown.clone());
        async move {
            queue
                .run(
                    move |_job: Job| async move {
                        tokio::time::sleep(handler_time).await;
                        Ok::<_, HandlerError>(())
                    },
                    shutdown,
                )
                .await
        }
    });

    println!(
        "accept latency, {} requests per mode and round, {} concurrent senders, handler {} ms",
        args.requests, args.concurrency, args.handler_ms
    );
    let (mut inline_p50, mut inline_p99, mut queued_p50, mut queued_p99) =
        (vec![], vec![], vec![], vec![]);
    for round in 1..=args.rounds {
        let url = format!("http://{addr}/inline");
        let inline = load(
            &url,
            &format!("inline{round}"),
            args.requests,
            args.concurrency,
        )
        .await;
        let url = format!("http://{addr}/queued");
        let queued = load(
            &url,
            &format!("queued{round}"),
            args.requests,
            args.concurrency,
        )
        .await;
        let (i50, i99, q50, q99) = (
            ms(percentile(&inline, 0.5)),
            ms(percentile(&inline, 0.99)),
            ms(percentile(&queued, 0.5)),
            ms(percentile(&queued, 0.99)),
        );
        println!(
            "round {round}: inline p50 {i50:.2} ms p99 {i99:.2} ms | queued p50 {q50:.2} ms p99 {q99:.2} ms"
        );
        inline_p50.push(i50);
        inline_p99.push(i99);
        queued_p50.push(q50);
        queued_p99.push(q99);
    }
    let (i50, i99, q50, q99) = (
        median(&mut inline_p50),
        median(&mut inline_p99),
        median(&mut queued_p50),
        median(&mut queued_p99),
    );
    println!(
        "median: inline p50 {i50:.2} ms p99 {i99:.2} ms | queued p50 {q50:.2} ms p99 {q99:.2} ms | \
         inline/queued: p50 {:.0}x, p99 {:.0}x",
        i50 / q50,
        i99 / q99
    );
    shutdown.cancel();
    let _ = background.await;

    // Worker throughput: pre-fill, then one worker drains with a handler that does nothing.
    let drain = RedisQueue::connect(&args.redis, "bench-drain", config)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let body = br#"{"id":"evt","type":"order.paid","created_at":"2025-02-18T10:30:00Z","data":{"object":{}}}"#;
    let filled: usize = futures_util::stream::iter(0..args.drain)
        .map(|i| {
            let drain = drain.clone();
            async move {
                let delivery = Delivery::new(
                    &body[..],
                    Verification::new("standard").webhook_id(format!("msg_{i}")),
                )
                .header("content-type", "application/json")
                .idempotency_key(format!("msg_{i}"));
                drain.enqueue(&delivery).await.map(|_| 1).unwrap_or(0)
            }
        })
        .buffer_unordered(64)
        .collect::<Vec<usize>>()
        .await
        .into_iter()
        .sum();
    let shutdown = CancellationToken::new();
    let started = Instant::now();
    let worker = tokio::spawn({
        let (drain, shutdown) = (drain.clone(), shutdown.clone());
        async move {
            drain
                .run(|_job: Job| async { Ok::<_, HandlerError>(()) }, shutdown)
                .await
        }
    });
    loop {
        let counts = drain.counts().await.unwrap_or_else(|e| panic!("{e}"));
        if counts.is_drained() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed();
    shutdown.cancel();
    let _ = worker.await;
    println!(
        "worker throughput: {filled} events drained by 1 worker (concurrency {}) in {:.2} s = {:.0} events/s",
        args.worker_concurrency,
        elapsed.as_secs_f64(),
        filled as f64 / elapsed.as_secs_f64()
    );
}
