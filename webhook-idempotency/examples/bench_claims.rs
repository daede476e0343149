//! Claims per second through `IdempotencyGuard::begin` against a Redis server.
//!
//! Run by `scripts/bench-idempotency.sh`, which starts its own redis-server and compares with
//! `redis-benchmark` running `SET key v NX PX 60000` at the same concurrency:
//!
//! ```sh
//! cargo run --release -p webhook-idempotency --example bench_claims -- --port 6390 -c 50 -n 200000
//! ```
//!
//! Each of `c` tasks claims fresh keys one after another (one `SET NX PX GET` round trip each,
//! plus the claim's lease-renewal task), until `n` claims are made. Claims are held until the
//! end, like handlers still running, so no release traffic is measured.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use clap::Parser;
use webhook_idempotency::{Fingerprint, IdempotencyGuard, Outcome, RedisStore};

#[derive(Parser)]
struct Args {
    /// Redis port on 127.0.0.1.
    #[arg(long)]
    port: u16,
    /// Concurrent deliveries.
    #[arg(short, default_value_t = 50)]
    c: usize,
    /// Total claims.
    #[arg(short, default_value_t = 200_000)]
    n: usize,
    /// Measure plain redis-rs (`SET key v NX PX 60000` through a `ConnectionManager`) instead of
    /// the guard: the client library's own cost, for comparison.
    #[arg(long)]
    raw: bool,
    /// Tokio worker threads (0: Tokio's default, one per core; 1: a current-thread runtime).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let runtime = match args.threads {
        0 => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?,
        1 => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
        n => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build()?,
    };
    if args.raw {
        runtime.block_on(raw(args))
    } else {
        runtime.block_on(bench(args))
    }
}

async fn raw(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{}/", args.port))?;
    let manager = redis::aio::ConnectionManager::new(client).await?;
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..args.c)
        .map(|_| {
            let (mut conn, next) = (manager.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= args.n {
                        break;
                    }
                    let mut cmd = redis::cmd("SET");
                    cmd.arg(format!("key:{i}"))
                        .arg("v")
                        .arg("NX")
                        .arg("PX")
                        .arg(60_000);
                    let _: Option<String> = cmd.query_async(&mut conn).await?;
                }
                Ok::<_, redis::RedisError>(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let elapsed = started.elapsed();
    println!(
        "redis-rs SET NX PX: {} in {:.3} s = {:.2} claims per second (c={})",
        args.n,
        elapsed.as_secs_f64(),
        args.n as f64 / elapsed.as_secs_f64(),
        args.c
    );
    Ok(())
}

async fn bench(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let store = RedisStore::connect(&format!("redis://127.0.0.1:{}/", args.port)).await?;
    let guard = IdempotencyGuard::builder()
        .store(store)
        .endpoint("bench")
        .build();
    let fingerprint = Fingerprint::of(br#"{"id":"evt_bench","type":"bench"}"#);
    let next = Arc::new(AtomicUsize::new(0));

    let started = Instant::now();
    let tasks: Vec<_> = (0..args.c)
        .map(|_| {
            let (guard, fingerprint, next) = (guard.clone(), fingerprint.clone(), next.clone());
            tokio::spawn(async move {
                let mut held = Vec::new();
                let mut refused = 0usize;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= args.n {
                        break;
                    }
                    match guard.begin(&format!("evt_{i}"), &fingerprint).await {
                        Outcome::First(claim) => held.push(claim),
                        _ => refused += 1,
                    }
                }
                (held, refused)
            })
        })
        .collect();
    let mut claims = Vec::with_capacity(args.n);
    let mut refused = 0;
    for task in tasks {
        let (held, r) = task.await?;
        claims.extend(held);
        refused += r;
    }
    let elapsed = started.elapsed();

    let rate = args.n as f64 / elapsed.as_secs_f64();
    println!(
        "guard claims: {} in {:.3} s = {:.2} claims per second (c={}, refused={})",
        args.n,
        elapsed.as_secs_f64(),
        rate,
        args.c,
        refused
    );
    if refused > 0 {
        return Err("some claims were refused: the database was not empty".into());
    }
    // Held claims would be released on drop; the benchmark ends here instead.
    std::process::exit(0);
}
