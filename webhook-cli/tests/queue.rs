//! `webhook queue ...` run for real against a `redis-server` this test starts on a free port:
//! events made dead by an always-failing handler, then counted, listed, replayed and processed.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, UNIX_EPOCH};

use webhook_queue::{
    CancellationToken, DEFAULT_QUEUE_NAME, Delivery, HandlerError, Job, Queue as _, QueueConfig,
    RedisQueue, Verification,
};
use webhook_testkit::{RedisCluster, RedisServer};

// ---------------------------------------------------------------------------------------------
// Helpers.

/// What one run of the binary produced.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `webhook args...` with `REDIS_URL` unset unless `env` sets it (off the async runtime).
async fn webhook_with_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_webhook"));
        command
            .args(&args)
            .env_remove("REDIS_URL")
            .stdin(Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
        let output = command.output().expect("the webhook binary runs");
        Run {
            code: output.status.code().expect("exited, not killed"),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    })
    .await
    .expect("runner thread")
}

async fn webhook(args: &[&str]) -> Run {
    webhook_with_env(args, &[]).await
}

/// `webhook queue <args> --redis URL --queue orders`, expected to succeed.
async fn queue_cmd(redis: &RedisServer, args: &[&str]) -> String {
    let url = redis.url();
    let mut all = vec!["queue"];
    all.extend_from_slice(args);
    all.extend(["--redis", &url, "--queue", "orders"]);
    let run = webhook(&all).await;
    assert_eq!(run.code, 0, "webhook {all:?} failed: {}", run.stderr);
    run.stdout
}

/// `webhook queue stats` parsed into (name, count) pairs.
async fn stats(redis: &RedisServer) -> Vec<(String, u64)> {
    queue_cmd(redis, &["stats"])
        .await
        .lines()
        .map(|line| {
            let (name, n) = line.split_once(": ").expect("`name: n` lines");
            (name.to_owned(), n.parse().expect("a count"))
        })
        .collect()
}

fn count(stats: &[(String, u64)], name: &str) -> u64 {
    stats
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no `{name}:` line in {stats:?}"))
        .1
}

/// Fails fast: 2 attempts, 50 ms backoff.
fn fast_config() -> QueueConfig {
    QueueConfig::default()
        .max_attempts(2)
        .backoff(Duration::from_millis(50), Duration::from_millis(100))
        .block(Duration::from_millis(50))
        .shutdown_grace(Duration::from_secs(2))
}

/// Received 2025-02-18T10:30:00Z.
const RECEIVED_UNIX: u64 = 1_739_874_600;

/// A Standard Webhooks delivery of a `{"type": event_type}` event with webhook id `id`.
fn delivery(id: &str, event_type: &str) -> Delivery {
    let body = serde_json::json!({ "id": id, "type": event_type, "data": { "object": {} } });
    Delivery::new(
        serde_json::to_vec(&body).unwrap(),
        Verification::new("standard").webhook_id(id),
    )
    .header("content-type", "application/json")
    .idempotency_key(id)
    .received_at(UNIX_EPOCH + Duration::from_secs(RECEIVED_UNIX))
}

async fn wait_until<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if condition().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// Enqueues one delivery per `(webhook id, event type)` into queue `orders` and runs a worker
/// whose handler always fails with `error` until all of them are dead letters. Returns the queue
/// and the dead-letter ids, oldest first.
async fn dead_letters(
    redis: &RedisServer,
    events: &[(&str, &str)],
    error: &'static str,
) -> (RedisQueue, Vec<String>) {
    dead_letters_at(&redis.url(), events, error).await
}

/// [`dead_letters`] in the Redis at `url` (one node, a cluster node, cluster seeds).
async fn dead_letters_at(
    url: &str,
    events: &[(&str, &str)],
    error: &'static str,
) -> (RedisQueue, Vec<String>) {
    let queue = RedisQueue::connect(url, "orders", fast_config())
        .await
        .unwrap();
    for (id, event_type) in events {
        queue.enqueue(&delivery(id, event_type)).await.unwrap();
    }
    let shutdown = CancellationToken::new();
    let worker = tokio::spawn({
        let (queue, shutdown) = (queue.clone(), shutdown.clone());
        async move {
            queue
                .run(
                    move |_job: Job| async move { Err::<(), _>(HandlerError::msg(error)) },
                    shutdown,
                )
                .await
        }
    });
    let n = events.len() as u64;
    wait_until("every event dead", || async {
        queue.counts().await.unwrap().dead == n
    })
    .await;
    shutdown.cancel();
    worker.await.unwrap().unwrap();
    let ids = queue
        .dead_letters(None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    (queue, ids)
}

// ---------------------------------------------------------------------------------------------
// stats, dead list, dead replay.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_are_counted_listed_replayed_and_then_processed() {
    let redis = RedisServer::start();
    let (queue, dead) = dead_letters(
        &redis,
        &[
            ("msg_pay1", "payment.failed"),
            ("msg_ord1", "order.created"),
        ],
        "payment service down",
    )
    .await;
    assert_eq!(dead.len(), 2);

    let before = stats(&redis).await;
    assert_eq!(count(&before, "pending"), 0);
    assert_eq!(count(&before, "in_flight"), 0);
    assert_eq!(count(&before, "retrying"), 0);
    assert_eq!(count(&before, "dead"), 2);

    // The table: a header row, then one row per dead letter, oldest first.
    let table = queue_cmd(&redis, &["dead", "list"]).await;
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("ID "), "{table}");
    // They died in whichever order the concurrent handlers failed.
    let letters = queue.dead_letters(None, 10).await.unwrap();
    for (line, letter) in lines[1..].iter().zip(&letters) {
        let event_type = match letter.delivery.verification().webhook_id.as_deref() {
            Some("msg_pay1") => "payment.failed",
            Some("msg_ord1") => "order.created",
            other => panic!("unexpected dead letter {other:?}"),
        };
        let columns: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(columns[0], letter.id, "{line}");
        assert_eq!(columns[1], event_type, "{line}");
        assert_eq!(columns[2], "2", "attempts: {line}");
        assert_eq!(columns[3], "2025-02-18T10:30:00Z", "received: {line}");
        assert!(line.ends_with("payment service down"), "{line}");
    }

    // Replay one by id: it leaves the dead letters and goes back to the stream.
    let replayed = queue_cmd(&redis, &["dead", "replay", &dead[0]]).await;
    assert!(
        replayed.starts_with(&format!("replayed {} as ", dead[0])),
        "{replayed}"
    );
    let after_one = stats(&redis).await;
    assert_eq!(count(&after_one, "dead"), 1);
    assert_eq!(count(&after_one, "pending"), 1);

    // --all replays the rest.
    let replayed = queue_cmd(&redis, &["dead", "replay", "--all"]).await;
    assert_eq!(replayed.lines().count(), 1, "{replayed}");
    assert!(
        replayed.starts_with(&format!("replayed {} as ", dead[1])),
        "{replayed}"
    );

    // A fixed handler processes both; nothing is left anywhere.
    let handled = Arc::new(Mutex::new(Vec::new()));
    let shutdown = CancellationToken::new();
    let worker = tokio::spawn({
        let (queue, shutdown, handled) = (queue.clone(), shutdown.clone(), handled.clone());
        async move {
            queue
                .run(
                    move |job: Job| {
                        let handled = handled.clone();
                        async move {
                            let id = job.delivery().verification().webhook_id.clone();
                            handled.lock().unwrap().push((id, job.attempt()));
                            Ok::<_, HandlerError>(())
                        }
                    },
                    shutdown,
                )
                .await
        }
    });
    wait_until("both replayed events handled", || async {
        queue.counts().await.unwrap().is_drained()
    })
    .await;
    shutdown.cancel();
    worker.await.unwrap().unwrap();
    let mut handled = handled.lock().unwrap().clone();
    handled.sort();
    assert_eq!(
        handled,
        [
            (Some("msg_ord1".to_owned()), 1),
            (Some("msg_pay1".to_owned()), 1)
        ]
    );
    let after = stats(&redis).await;
    assert_eq!(count(&after, "dead"), 0);
    assert_eq!(count(&after, "pending"), 0);
    assert_eq!(count(&after, "retrying"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_and_dead_list_of_a_missing_queue_read_empty_and_create_nothing() {
    let redis = RedisServer::start();
    let counts: serde_json::Value =
        serde_json::from_str(&queue_cmd(&redis, &["stats", "--json"]).await).unwrap();
    assert_eq!(
        counts,
        serde_json::json!({"queue": "orders", "pending": 0, "in_flight": 0, "retrying": 0, "dead": 0})
    );
    assert_eq!(queue_cmd(&redis, &["dead", "list", "--json"]).await, "[]\n");
    // Reading made no stream, group or key: a mistyped --queue leaves no trace.
    assert_eq!(redis.command("DBSIZE"), ":0\r\n");
    // Changing the queue still sets it up as workers need it.
    queue_cmd(&redis, &["dead", "replay", "--all"]).await;
    assert_ne!(redis.command("DBSIZE"), ":0\r\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_and_dead_list_print_json_with_json() {
    let redis = RedisServer::start();
    let (queue, dead) = dead_letters(
        &redis,
        &[("msg_user1", "user.deleted")],
        "downstream said 500",
    )
    .await;
    queue
        .enqueue(&delivery("msg_new", "user.created"))
        .await
        .unwrap();

    let counts: serde_json::Value =
        serde_json::from_str(&queue_cmd(&redis, &["stats", "--json"]).await).unwrap();
    assert_eq!(
        counts,
        serde_json::json!({"queue": "orders", "pending": 1, "in_flight": 0, "retrying": 0, "dead": 1})
    );

    let list: serde_json::Value =
        serde_json::from_str(&queue_cmd(&redis, &["dead", "list", "--json"]).await).unwrap();
    let letters = list.as_array().expect("an array");
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!(letter["id"], dead[0].as_str());
    assert_eq!(letter["event_type"], "user.deleted");
    assert_eq!(letter["webhook_id"], "msg_user1");
    assert_eq!(letter["key"], "msg_user1");
    assert_eq!(letter["scheme"], "standard");
    assert_eq!(letter["attempts"], 2);
    assert_eq!(letter["last_error"], "downstream said 500");
    assert_eq!(letter["received_at"], "2025-02-18T10:30:00Z");
    assert!(letter["body_bytes"].as_u64().unwrap() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_list_pages_with_limit_and_after() {
    let redis = RedisServer::start();
    let (_queue, dead) = dead_letters(
        &redis,
        &[
            ("msg_a", "order.created"),
            ("msg_b", "order.created"),
            ("msg_c", "order.created"),
        ],
        "nope",
    )
    .await;
    let url = redis.url();
    let run = webhook(&[
        "queue", "dead", "list", "--redis", &url, "--queue", "orders", "--limit", "2",
    ])
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ids: Vec<&str> = run
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(ids, [dead[0].as_str(), dead[1].as_str()]);
    assert!(
        run.stderr.contains(&format!("--after {}", dead[1])),
        "{}",
        run.stderr
    );

    let rest = queue_cmd(&redis, &["dead", "list", "--after", &dead[1]]).await;
    let ids: Vec<&str> = rest
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(ids, [dead[2].as_str()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaying_an_unknown_id_exits_1_and_still_replays_the_known_one() {
    let redis = RedisServer::start();
    let (queue, dead) = dead_letters(&redis, &[("msg_x", "order.created")], "nope").await;
    let url = redis.url();
    let run = webhook(&[
        "queue", "dead", "replay", "--redis", &url, "--queue", "orders", "1-0", &dead[0],
    ])
    .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("no dead letter 1-0"), "{}", run.stderr);
    assert!(
        run.stdout.starts_with(&format!("replayed {} as ", dead[0])),
        "{}",
        run.stdout
    );
    let counts = queue.counts().await.unwrap();
    assert_eq!((counts.dead, counts.pending), (0, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_id_is_a_usage_error_and_replays_nothing() {
    let redis = RedisServer::start();
    let (queue, dead) = dead_letters(&redis, &[("msg_y", "order.created")], "nope").await;
    let url = redis.url();
    let run = webhook(&[
        "queue", "dead", "replay", "--redis", &url, "--queue", "orders", &dead[0], "msg_y",
    ])
    .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("not a dead-letter id"),
        "{}",
        run.stderr
    );
    assert_eq!(queue.counts().await.unwrap().dead, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_needs_ids_or_all() {
    let run = webhook(&["queue", "dead", "replay", "--redis", "redis://127.0.0.1:1/"]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------------
// Where the queue is: $REDIS_URL, the default name, unreachable Redis, passwords.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_url_comes_from_the_environment_and_the_queue_name_defaults() {
    let redis = RedisServer::start();
    let queue = RedisQueue::connect(&redis.url(), DEFAULT_QUEUE_NAME, QueueConfig::default())
        .await
        .unwrap();
    queue
        .enqueue(&delivery("msg_1", "order.created"))
        .await
        .unwrap();
    queue
        .enqueue(&delivery("msg_2", "order.created"))
        .await
        .unwrap();
    let url = redis.url();
    let run = webhook_with_env(&["queue", "stats"], &[("REDIS_URL", &url)]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("pending: 2\n"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_redis_url_at_all_exits_2_naming_the_option() {
    let run = webhook(&["queue", "stats"]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--redis"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_exits_1_with_a_clear_message_and_no_password() {
    let mut redis = RedisServer::start();
    let port = redis.port();
    redis.stop();
    let url = format!("redis://:hunter2-pw@127.0.0.1:{port}/");
    for command in [
        &["queue", "stats"][..],
        &["queue", "dead", "list"],
        &["queue", "dead", "replay", "--all"],
    ] {
        let started = Instant::now();
        let run = webhook_with_env(command, &[("REDIS_URL", &url)]).await;
        assert_eq!(run.code, 1, "{command:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!(
                "error: cannot connect to Redis at redis://:***@127.0.0.1:{port}/"
            )),
            "{command:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{:?}",
            started.elapsed()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_exits_1_and_is_never_printed() {
    let redis = RedisServer::start();
    let port = redis.port();
    assert!(
        redis
            .command("CONFIG SET requirepass right-pw-42")
            .starts_with("+OK")
    );

    let right = format!("redis://:right-pw-42@127.0.0.1:{port}/");
    let run = webhook(&["queue", "stats", "--redis", &right]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("dead: 0"), "{}", run.stdout);

    let wrong = format!("redis://:wrong-pw-17@127.0.0.1:{port}/");
    let run = webhook(&["queue", "stats", "--redis", &wrong]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "error: cannot connect to Redis at redis://:***@127.0.0.1:{port}/"
        )),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("wrong-pw-17"), "{}", run.stderr);
    assert!(!run.stderr.contains("right-pw-42"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_never_shows_the_redis_url_from_the_environment() {
    let run = webhook_with_env(
        &["queue", "stats", "--help"],
        &[("REDIS_URL", "redis://:env-pw-99@127.0.0.1:1/")],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("REDIS_URL"), "{}", run.stdout);
    assert!(!run.stdout.contains("env-pw-99"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_in_a_stored_error_are_escaped_in_the_table() {
    let redis = RedisServer::start();
    let (_queue, dead) = dead_letters(
        &redis,
        &[("msg_ctl", "order.created")],
        "line one\nline two \u{1b}[31mred",
    )
    .await;
    let table = queue_cmd(&redis, &["dead", "list"]).await;
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "one row, on one line: {table:?}");
    assert!(lines[1].starts_with(&dead[0]), "{table:?}");
    assert!(
        lines[1].ends_with("line one\\nline two \\u{1b}[31mred"),
        "{table:?}"
    );
    assert!(!table.contains('\u{1b}'), "{table:?}");
}

// ---------------------------------------------------------------------------------------------
// Redis Cluster: `--redis` / `$REDIS_URL` naming any node, or comma-separated seeds.

/// `webhook queue <args> --redis <url> --queue orders`, expected to succeed.
async fn queue_cmd_at(url: &str, args: &[&str]) -> String {
    let mut all = vec!["queue"];
    all.extend_from_slice(args);
    all.extend(["--redis", url, "--queue", "orders"]);
    let run = webhook(&all).await;
    assert_eq!(run.code, 0, "webhook {all:?} failed: {}", run.stderr);
    run.stdout
}

/// The cluster's node URLs, the one owning queue `orders`' hash slot first (a node that does
/// not own it answers `MOVED` to a plain client).
async fn owner_of_orders_first(cluster: &RedisCluster) -> Vec<String> {
    let (mut owners, mut others) = (Vec::new(), Vec::new());
    for url in cluster.urls() {
        let client = redis::Client::open(url.as_str()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let reply: redis::RedisResult<i64> = redis::cmd("EXISTS")
            .arg("webhook-queue:{orders}:stream")
            .query_async(&mut conn)
            .await;
        match reply {
            Ok(_) => owners.push(url),
            Err(e) if e.code() == Some("MOVED") => others.push(url),
            Err(e) => panic!("EXISTS on {url}: {e}"),
        }
    }
    assert_eq!(
        (owners.len(), others.len()),
        (1, 2),
        "{owners:?} {others:?}"
    );
    owners.extend(others);
    owners
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_queue_command_works_through_any_node_of_a_cluster_or_its_seed_list() {
    let cluster = RedisCluster::start(3);
    let nodes = owner_of_orders_first(&cluster).await;
    let (owner, other, third) = (&nodes[0], &nodes[1], &nodes[2]);
    let seeds = format!("{other},{third}");
    // Made through a node that does not own the queue's slot.
    let (_queue, dead) = dead_letters_at(
        other,
        &[
            ("msg_c1", "order.created"),
            ("msg_c2", "order.created"),
            ("msg_c3", "payment.failed"),
        ],
        "cluster says no",
    )
    .await;
    assert_eq!(dead.len(), 3);

    for url in [owner, other, third, &seeds] {
        let stats = queue_cmd_at(url, &["stats"]).await;
        assert_eq!(
            stats, "pending: 0\nin_flight: 0\nretrying: 0\ndead: 3\n",
            "through {url}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&queue_cmd_at(url, &["stats", "--json"]).await).unwrap();
        assert_eq!(json["dead"], 3, "through {url}: {json}");

        let table = queue_cmd_at(url, &["dead", "list"]).await;
        let ids: Vec<&str> = table
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().next().unwrap())
            .collect();
        assert_eq!(ids, dead, "through {url}: {table}");
        assert!(table.contains("cluster says no"), "{table}");
        let list: serde_json::Value =
            serde_json::from_str(&queue_cmd_at(url, &["dead", "list", "--json"]).await).unwrap();
        assert_eq!(
            list.as_array().map(Vec::len),
            Some(3),
            "through {url}: {list}"
        );
        let page = queue_cmd_at(url, &["dead", "list", "--limit", "1", "--after", &dead[0]]).await;
        assert_eq!(page.lines().count(), 2, "through {url}: {page}");
    }

    // Replays: one by id through a node that does not own the slot, one through the other such
    // node given as $REDIS_URL, the rest with --all through the seed list.
    let replayed = queue_cmd_at(other, &["dead", "replay", &dead[0]]).await;
    assert!(
        replayed.starts_with(&format!("replayed {} as ", dead[0])),
        "{replayed}"
    );
    let run = webhook_with_env(
        &["queue", "dead", "replay", "--queue", "orders", &dead[1]],
        &[("REDIS_URL", third)],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(&format!("replayed {} as ", dead[1])),
        "{}",
        run.stdout
    );
    let replayed = queue_cmd_at(&seeds, &["dead", "replay", "--all"]).await;
    assert!(
        replayed.starts_with(&format!("replayed {} as ", dead[2])),
        "{replayed}"
    );

    let run = webhook_with_env(
        &["queue", "stats", "--queue", "orders"],
        &[("REDIS_URL", owner)],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "pending: 3\nin_flight: 0\nretrying: 0\ndead: 0\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_down_cluster_seed_list_exits_1_masking_every_password() {
    let ports = [webhook_testkit::free_port(), webhook_testkit::free_port()];
    let url = format!(
        "redis://:pw-one-11@127.0.0.1:{},redis://:pw-one-11@127.0.0.1:{}",
        ports[0], ports[1]
    );
    let run = webhook(&["queue", "stats", "--redis", &url]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let shown = format!(
        "redis://:***@127.0.0.1:{},redis://:***@127.0.0.1:{}",
        ports[0], ports[1]
    );
    assert!(
        run.stderr
            .contains(&format!("error: cannot connect to Redis at {shown}")),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("pw-one-11"), "{}", run.stderr);

    // Seeds with different passwords are refused as a usage error, neither password shown.
    let url = url.replacen("pw-one-11", "pw-two-22", 1);
    let run = webhook(&["queue", "stats", "--redis", &url]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("--redis {shown}")),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("pw-one-11"), "{}", run.stderr);
    assert!(!run.stderr.contains("pw-two-22"), "{}", run.stderr);
}
