//! Accepts per second through the SQL guard: each delivery is a claim then a completion (the
//! guard's two statements), `CONCURRENCY` at once, distinct keys.
//!
//! `cargo run --release -p webhook-inbox --example bench_accepts -- URL [COUNT] [CONCURRENCY]`
//! (`postgres://postgres@127.0.0.1/test` or `sqlite:/tmp/bench.db`). Prints one line:
//! `accepts <count> in <secs> s: <rate>/s`.

use std::sync::Arc;
use std::time::Instant;

use webhook_idempotency::{Fingerprint, IdempotencyGuard, Outcome};
use webhook_inbox::Inbox;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: bench_accepts URL [COUNT] [CONCURRENCY]")?;
    let count: usize = args.next().map_or(Ok(20_000), |s| s.parse())?;
    let concurrency: usize = args.next().map_or(Ok(50), |s| s.parse())?;
    let schema = format!("bench_{}", std::process::id());
    let inbox = Inbox::builder()
        .schema(&schema)
        .max_connections(u32::try_from(concurrency)?)
        .connect(&url)
        .await?;
    inbox.migrate().await?;
    let guard = IdempotencyGuard::builder()
        .store(inbox.store())
        .endpoint("bench")
        .build();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (guard, next) = (guard.clone(), next.clone());
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= count {
                    return Ok::<_, String>(());
                }
                let body = format!(r#"{{"id":"evt_{i}"}}"#);
                match guard
                    .begin(&format!("evt_{i}"), &Fingerprint::of(body.as_bytes()))
                    .await
                {
                    Outcome::First(claim) => {
                        claim.complete(202).await.map_err(|e| e.to_string())?
                    }
                    other => return Err(format!("unexpected {other:?}")),
                }
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "accepts {count} in {secs:.2} s: {:.0}/s",
        count as f64 / secs
    );
    if url.starts_with("postgres") {
        use sqlx::Connection as _;
        let mut conn = sqlx::PgConnection::connect(&url).await?;
        sqlx::query(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
            .execute(&mut conn)
            .await?;
    }
    Ok(())
}
