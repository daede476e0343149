//! Benchmark of the inbox, side by side in one run on one machine:
//!
//! 1. Accepts per second through the SQL guard against PostgreSQL at 50 concurrent deliveries
//!    (the `Acceptor` on the inbox: sign, verify, one `INSERT ... ON CONFLICT ... RETURNING`
//!    per delivery, 202), alternating A/B/A/B with `pgbench` running the equivalent single
//!    `INSERT ... ON CONFLICT DO NOTHING` into the same table (same columns, same indexes,
//!    prepared) at the same client count; the ratio is printed.
//! 2. Worker throughput (events/s): one worker (64 handlers at once, a no-op handler) draining
//!    pre-filled events from the PostgreSQL inbox, the SQLite inbox and the Redis Streams queue.
//! 3. Accepts per second on one SQLite file at 50 concurrent deliveries.
//!
//! `cargo bench -p webhook-inbox --bench accept`. Environment: `BENCH_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`), `BENCH_REDIS_URL` (default
//! `redis://127.0.0.1:6379`), `BENCH_SECS` per accept round (default 10), `BENCH_ROUNDS`
//! (default 2), `BENCH_DRAIN` events per drain (default 10000); `cargo test` runs it once as a
//! smoke test (1 s, one round, 500 events). `pgbench` is looked up on the
//! `PATH`, then under `/usr/lib/postgresql/*/bin`. Everything it creates (a schema, a SQLite
//! file, Redis keys) is removed at the end.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use webhook_idempotency::IdempotencyGuard;
use webhook_inbox::Inbox;
use webhook_queue::{
    Acceptor, CancellationToken, Delivery, HandlerError, Job, Queue, QueueConfig, RedisQueue,
    Verification,
};
use webhook_verify::{Scheme, Signer, Verifier};

const CLIENTS: usize = 50;
const SECRET: &str = "bench-secret";

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A delivery's body, as the accept rounds send and the pgbench script writes.
fn body(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","type":"order.paid","data":{{"object":{{"amount":4200,"currency":"eur"}}}}}}"#
    )
}

fn pgbench() -> PathBuf {
    if Command::new("pgbench").arg("--version").output().is_ok() {
        return PathBuf::from("pgbench");
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dir| {
            dir.filter_map(|e| e.ok().map(|e| e.path().join("bin/pgbench")))
                .filter(|p| p.exists())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
        .pop()
        .expect("pgbench is not installed (apt-get install postgresql-contrib)")
}

/// The pgbench script: one `INSERT ... ON CONFLICT DO NOTHING` of a row like the accept's (the
/// key's colons written `\072`: pgbench would read `:bench` as a variable).
fn pgbench_script(dir: &Path, schema: &str) -> PathBuf {
    let sample = body("evt_pgbench_0000000000");
    let hex: String = sample.bytes().map(|b| format!("{b:02x}")).collect();
    let script = format!(
        "\\set k random(1, 9000000000000000000)\n\
         INSERT INTO \"{schema}\".webhook_deliveries (queue, idem_key, received_at, scheme, \
         webhook_id, delivery_key, body_sha256, body, headers, secret_index, signed_at, \
         event_type, status, attempts, next_attempt_at, answered_status) VALUES ('pgbench', \
         E'webhook\\072bench\\072' || (:k)::text, 1764700000000, 'hmac-sha256', NULL, 'evt_' || (:k)::text, \
         '{fingerprint}', '\\x{hex}'::bytea, '[[\"content-type\",\"application/json\"]]', 0, \
         NULL, 'order.paid', 'queued', 0, 1764700000000, 202) \
         ON CONFLICT (idem_key) DO NOTHING;\n",
        fingerprint = webhook_idempotency::Fingerprint::of(sample.as_bytes()).as_str(),
    );
    let path = dir.join("accept.sql");
    std::fs::write(&path, script).expect("write the pgbench script");
    path
}

/// One pgbench run: its tps (without the initial connection time).
fn run_pgbench(bin: &Path, script: &Path, url: &str, secs: u64) -> f64 {
    let output = Command::new(bin)
        .args([
            "-n",
            "-M",
            "prepared",
            "-c",
            &CLIENTS.to_string(),
            "-j",
            "2",
            "-T",
        ])
        .arg(secs.to_string())
        .arg("-f")
        .arg(script)
        .arg(url)
        .output()
        .expect("run pgbench");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "pgbench failed: {text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    text.lines()
        .find_map(|line| {
            let rest = line.strip_prefix("tps = ")?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .unwrap_or_else(|| panic!("no tps in pgbench's output: {text}"))
}

async fn connect(url: &str, schema: Option<&str>) -> Inbox {
    let mut builder = Inbox::builder().max_connections(u32::try_from(CLIENTS).unwrap_or(50));
    if let Some(schema) = schema {
        builder = builder.schema(schema);
    }
    let inbox = builder.connect(url).await.expect("connect to the database");
    inbox.migrate().await.expect("migrate");
    inbox
}

/// `CLIENTS` senders for `secs`: sign, verify, accept (202 expected); accepts per second.
async fn accept_round(inbox: &Inbox, round: &str, secs: u64) -> f64 {
    let guard = IdempotencyGuard::builder()
        .store(inbox.store())
        .endpoint("bench")
        .build();
    let acceptor = Arc::new(Acceptor::new(
        inbox.queue("bench", QueueConfig::default()),
        guard,
    ));
    let verifier = Arc::new(Verifier::new(Scheme::hmac_sha256(), SECRET).expect("verifier"));
    let signer = Arc::new(Signer::new(Scheme::hmac_sha256(), SECRET).expect("signer"));
    let accepted = Arc::new(AtomicU64::new(0));
    let one = move |i: String| {
        let (acceptor, verifier, signer) = (acceptor.clone(), verifier.clone(), signer.clone());
        async move {
            let body = body(&i);
            let headers = signer.sign("", 0, body.as_bytes()).expect("sign");
            let verified = verifier.verify(&headers, body.as_bytes()).expect("verify");
            let answer = acceptor.accept(&verified, &headers, body.clone()).await;
            assert_eq!(answer.map(|a| a.status).ok(), Some(202), "accept {i}");
        }
    };
    // Warm-up: every connection opened and its statements prepared.
    let warm: Vec<_> = (0..CLIENTS)
        .map(|c| tokio::spawn(one(format!("evt_{round}_warm_{c}"))))
        .collect();
    for task in warm {
        task.await.expect("warm-up");
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..CLIENTS {
        let (one, accepted, round) = (one.clone(), accepted.clone(), round.to_owned());
        tasks.spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                one(format!("evt_{round}_{c}_{n}")).await;
                n += 1;
                accepted.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("sender");
    }
    accepted.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// Pre-fills `n` events, then one worker (64 handlers) drains them: events per second.
async fn drain(queue: Arc<dyn Queue>, n: u64) -> f64 {
    let mut fill = tokio::task::JoinSet::new();
    let next = Arc::new(AtomicU64::new(0));
    for _ in 0..CLIENTS {
        let (queue, next) = (queue.clone(), next.clone());
        fill.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return;
                }
                let delivery = Delivery::new(
                    body(&format!("evt_drain_{i}")).into_bytes(),
                    Verification::new("hmac-sha256"),
                )
                .idempotency_key(format!("evt_drain_{i}"));
                queue.enqueue(&delivery).await.expect("enqueue");
            }
        });
    }
    while let Some(done) = fill.join_next().await {
        done.expect("fill");
    }
    let shutdown = CancellationToken::new();
    let handler = Arc::new(|_job: Job| async { Ok::<_, HandlerError>(()) });
    let started = Instant::now();
    let worker = tokio::spawn({
        let (queue, shutdown) = (queue.clone(), shutdown.clone());
        async move { queue.work(handler, shutdown).await }
    });
    loop {
        if queue.counts().await.expect("counts").is_drained() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    shutdown.cancel();
    worker.await.expect("worker").expect("worker ran");
    rate
}

fn drain_config() -> QueueConfig {
    QueueConfig::default().concurrency(64)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(bench());
}

async fn bench() {
    let pg = env_or(
        "BENCH_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/test",
    );
    let redis = env_or("BENCH_REDIS_URL", "redis://127.0.0.1:6379");
    // `cargo test` runs this binary once without `--bench`: a short smoke run of every part.
    let benching = std::env::args().any(|arg| arg == "--bench");
    let secs = env_num("BENCH_SECS", if benching { 10 } else { 1 });
    let rounds = env_num("BENCH_ROUNDS", if benching { 2 } else { 1 });
    let drained = env_num("BENCH_DRAIN", if benching { 10_000 } else { 500 });
    let id = std::process::id();
    let schema = format!("bench_inbox_{id}");
    let dir = std::env::temp_dir().join(format!("bench_inbox_{id}"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let pgbench = pgbench();
    connect(&pg, Some(&schema)).await.close().await;
    let script = pgbench_script(&dir, &schema);

    println!("accepts at {CLIENTS} concurrent, {secs} s per run, A/B alternating:");
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let tps = tokio::task::spawn_blocking({
            let (pgbench, script, pg) = (pgbench.clone(), script.clone(), pg.clone());
            move || run_pgbench(&pgbench, &script, &pg, secs)
        })
        .await
        .expect("pgbench thread");
        println!("  round {round}: pgbench INSERT ... ON CONFLICT DO NOTHING  {tps:>9.0} tps");
        // Our pool is closed while pgbench runs: both get the server's connections.
        let inbox = connect(&pg, Some(&schema)).await;
        let rate = accept_round(&inbox, &format!("r{round}"), secs).await;
        inbox.close().await;
        println!(
            "  round {round}: Acceptor on the PostgreSQL inbox        {rate:>9.0} accepts/s ({:.0} %)",
            100.0 * rate / tps
        );
        theirs.push(tps);
        ours.push(rate);
    }
    let (sum_ours, sum_theirs): (f64, f64) = (ours.iter().sum(), theirs.iter().sum());
    println!(
        "PostgreSQL accepts: {:.0}/s vs pgbench {:.0} tps (means of {rounds} runs each): {:.0} %",
        sum_ours / rounds as f64,
        sum_theirs / rounds as f64,
        100.0 * sum_ours / sum_theirs
    );

    let sqlite_url = format!("sqlite:{}", dir.join("accept.db").display());
    let sqlite = connect(&sqlite_url, None).await;
    let rate = accept_round(&sqlite, "sqlite", secs).await;
    sqlite.close().await;
    println!("SQLite accepts on one file: {rate:.0} accepts/s");

    println!("worker throughput, {drained} events, one worker with 64 handlers, no-op handler:");
    let inbox = connect(&pg, Some(&schema)).await;
    let rate = drain(Arc::new(inbox.queue("drain", drain_config())), drained).await;
    inbox.close().await;
    println!("  PostgreSQL inbox     {rate:>9.0} events/s");
    let sqlite = connect(&format!("sqlite:{}", dir.join("drain.db").display()), None).await;
    let rate = drain(Arc::new(sqlite.queue("drain", drain_config())), drained).await;
    sqlite.close().await;
    println!("  SQLite inbox         {rate:>9.0} events/s");
    let name = format!("bench-inbox-drain-{id}");
    let queue = RedisQueue::connect(&redis, &name, drain_config())
        .await
        .expect("connect to Redis");
    let rate = drain(Arc::new(queue), drained).await;
    println!("  Redis Streams queue  {rate:>9.0} events/s");

    // Clean up: the schema, the SQLite files, the Redis keys.
    {
        use sqlx::Connection as _;
        let mut conn = sqlx::PgConnection::connect(&pg).await.expect("connect");
        sqlx::query(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
            .execute(&mut conn)
            .await
            .expect("drop the schema");
    }
    let _ = std::fs::remove_dir_all(&dir);
    let client = redis::Client::open(redis.as_str()).expect("redis url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect to Redis");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("webhook-queue:{{{name}}}:*"))
        .query_async(&mut conn)
        .await
        .expect("KEYS");
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL")
            .arg(&keys)
            .query_async(&mut conn)
            .await
            .expect("DEL");
    }
}
