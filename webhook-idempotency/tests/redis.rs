//! RedisStore against real redis-servers: round trips, faults, reconnection, Cluster.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use webhook_idempotency::{
    FailMode, Fingerprint, IdempotencyGuard, Outcome, Ran, RedisStore, StoreError,
};
use webhook_testkit::{RedisCluster, RedisServer};

fn body(n: usize) -> Vec<u8> {
    format!(r#"{{"id":"evt_{n}","type":"order.paid"}}"#).into_bytes()
}

#[tokio::test]
async fn a_claim_is_one_command_and_a_completion_is_one_command() {
    let server = RedisServer::start();
    let guard = IdempotencyGuard::new(common::redis_store(&server).await);
    let fp = Fingerprint::of(&body(1));

    let mut monitor = common::Monitor::start(&server);
    server.command("CONFIG RESETSTAT");
    let Outcome::First(claim) = guard.begin("evt_1", &fp).await else {
        panic!("first");
    };
    let stats = common::command_stats(&server);
    let executed: Vec<_> = stats
        .iter()
        .filter(|(name, _)| name != "config|resetstat")
        .collect();
    assert_eq!(executed, [&("set".to_owned(), 1)], "claim: {stats:?}");
    assert_eq!(monitor.client_commands(), ["set"]);

    server.command("CONFIG RESETSTAT");
    claim.complete(200).await.unwrap();
    // One EVALSHA from the client; the GET and SET inside it are the script's, not round trips.
    assert_eq!(monitor.client_commands(), ["evalsha"]);
    let stats = common::command_stats(&server);
    let mut executed: Vec<_> = stats
        .iter()
        .filter(|(name, _)| name != "config|resetstat")
        .cloned()
        .collect();
    executed.sort();
    // INFO commandstats also counts the commands the script runs inside Redis.
    let expected = [("evalsha", 1), ("get", 1), ("set", 1)].map(|(n, c)| (n.to_owned(), c));
    assert_eq!(executed, expected, "completion: {stats:?}");

    // A duplicate costs one command too.
    let outcome = guard.begin("evt_1", &fp).await;
    assert!(matches!(outcome, Outcome::Duplicate { status: 200 }));
    assert_eq!(monitor.client_commands(), ["set"]);
}

#[tokio::test]
async fn connecting_to_a_port_with_no_redis_fails_with_a_clear_error() {
    let port = webhook_testkit::free_port();
    let started = Instant::now();
    let err = RedisStore::builder()
        .command_timeout(Duration::from_millis(500))
        .connect(&format!("redis://user:hunter2@127.0.0.1:{port}/"))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10));
    let message = err.to_string();
    assert!(matches!(err, StoreError::Connect { .. }), "{err:?}");
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
}

#[cfg(not(feature = "tls"))]
#[tokio::test]
async fn a_tls_url_without_the_tls_feature_fails_with_a_clear_error() {
    let err = RedisStore::connect("rediss://127.0.0.1:1/")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Connect { .. }), "{err:?}");
    assert!(
        err.to_string().contains("enable the `tls` feature"),
        "{err}"
    );
}

/// Deliveries of events `evt_<n>` (each twice, concurrently) until `stop` says so, counting
/// handler runs per event and outcomes by status.
struct Load {
    runs: Mutex<HashMap<String, usize>>,
    statuses: Mutex<Vec<(Instant, u16)>>,
}

impl Load {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            runs: Mutex::default(),
            statuses: Mutex::default(),
        })
    }

    async fn deliver(self: &Arc<Self>, guard: &IdempotencyGuard, n: usize) {
        let key = format!("evt_{n}");
        let body = body(n);
        let this = self.clone();
        let ran = guard
            .run(&key, &body, || async {
                *this.runs.lock().unwrap().entry(key.clone()).or_default() += 1;
                tokio::time::sleep(Duration::from_millis(2)).await;
                Ok::<_, ()>(())
            })
            .await;
        let status = match ran {
            Ran::Handled(()) => 200,
            Ran::Failed(()) => 500,
            Ran::Skipped(rejection) => rejection.status(),
        };
        self.statuses.lock().unwrap().push((Instant::now(), status));
    }

    fn max_runs(&self) -> usize {
        self.runs
            .lock()
            .unwrap()
            .values()
            .copied()
            .max()
            .unwrap_or(0)
    }
}

async fn run_load(load: Arc<Load>, guard: IdempotencyGuard, from: usize, for_: Duration) {
    let until = Instant::now() + for_;
    let mut n = from;
    while Instant::now() < until {
        let (a, b) = (load.clone(), load.clone());
        let (ga, gb) = (guard.clone(), guard.clone());
        let _ = tokio::join!(async move { a.deliver(&ga, n).await }, async move {
            b.deliver(&gb, n).await
        });
        n += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_mid_load_gets_503s_and_no_event_runs_twice_then_recovers() {
    let mut server = RedisServer::start();
    let store = RedisStore::builder()
        .command_timeout(Duration::from_millis(300))
        .connect(&server.url())
        .await
        .unwrap();
    let guard = IdempotencyGuard::builder()
        .store(store)
        .retry_after(7)
        .build();
    let load = Load::new();

    let workers: Vec<_> = (0..4)
        .map(|w| {
            tokio::spawn(run_load(
                load.clone(),
                guard.clone(),
                w * 1_000_000,
                Duration::from_millis(1500),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.stop();
    let stopped_at = Instant::now();
    for w in workers {
        w.await.unwrap();
    }

    let statuses = load.statuses.lock().unwrap().clone();
    let before: Vec<u16> = statuses
        .iter()
        .filter(|(t, _)| *t < stopped_at)
        .map(|s| s.1)
        .collect();
    let after: Vec<u16> = statuses
        .iter()
        .filter(|(t, _)| *t > stopped_at + Duration::from_millis(400))
        .map(|s| s.1)
        .collect();
    assert!(
        before.contains(&200),
        "deliveries succeeded before the stop"
    );
    assert!(
        !after.is_empty() && after.iter().all(|s| *s == 503),
        "after the stop: {after:?}"
    );
    assert!(
        statuses.iter().all(|(_, s)| [200, 409, 503].contains(s)),
        "{statuses:?}"
    );
    assert_eq!(load.max_runs(), 1, "an event's handler ran twice");

    // Redis comes back (empty): the same guard works again, without being rebuilt.
    server.restart();
    let deadline = Instant::now() + Duration::from_secs(15);
    let recovered = loop {
        match guard
            .begin("evt_after_restart", &Fingerprint::of(b"{}"))
            .await
        {
            Outcome::First(claim) => {
                claim.complete(200).await.unwrap();
                break true;
            }
            Outcome::Unavailable { retry_after, .. } => assert_eq!(retry_after, 7),
            other => panic!("unexpected {other:?}"),
        }
        if Instant::now() > deadline {
            break false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(recovered, "the guard did not recover after Redis restarted");
    let again = guard
        .begin("evt_after_restart", &Fingerprint::of(b"{}"))
        .await;
    assert!(matches!(again, Outcome::Duplicate { .. }), "{again:?}");
}

#[test]
fn fail_open_runs_the_handler_and_says_so_in_the_logs() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let logs = common::LogCapture::default();
    let _subscriber = logs.install();
    runtime.block_on(async {
        let mut server = RedisServer::start();
        let store = RedisStore::builder()
            .command_timeout(Duration::from_millis(300))
            .connect(&server.url())
            .await
            .unwrap();
        let guard = IdempotencyGuard::builder()
            .store(store)
            .fail_mode(FailMode::Open)
            .build();
        server.stop();

        let mut runs = 0;
        for _ in 0..2 {
            let ran = guard
                .run("evt_1", &body(1), || async {
                    runs += 1;
                    Ok::<_, ()>(())
                })
                .await;
            assert!(matches!(ran, Ran::Handled(())), "{ran:?}");
        }
        // At-least-once while Redis is down: both deliveries ran.
        assert_eq!(runs, 2);
        let outcome = guard.begin("evt_1", &Fingerprint::of(&body(1))).await;
        assert!(matches!(outcome, Outcome::Unguarded(_)), "{outcome:?}");

        // Redis back: deduplication resumes with the same guard.
        server.restart();
        let deadline = Instant::now() + Duration::from_secs(15);
        while !guard
            .begin("evt_2", &Fingerprint::of(&body(2)))
            .await
            .is_first()
        {
            assert!(Instant::now() < deadline, "fail-open guard did not recover");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let text = logs.text();
    assert!(text.contains("WARN"), "{text}");
    assert!(text.contains("fail-open"), "{text}");
    assert!(text.contains("webhook:default:evt_1"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_redis_answers_503_within_the_command_timeout() {
    let server = RedisServer::start();
    let store = RedisStore::builder()
        .command_timeout(Duration::from_millis(300))
        .connect(&server.url())
        .await
        .unwrap();
    let guard = IdempotencyGuard::new(store);
    let pid = server.pid().unwrap().to_string();
    let signal = |sig: &str| {
        let status = std::process::Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap();
        assert!(status.success());
    };
    signal("-STOP");
    let started = Instant::now();
    let outcome = guard.begin("evt_1", &Fingerprint::of(b"{}")).await;
    let waited = started.elapsed();
    signal("-CONT");
    assert!(
        matches!(
            outcome,
            Outcome::Unavailable {
                error: StoreError::Timeout(_),
                ..
            }
        ),
        "{outcome:?}"
    );
    assert!(waited < Duration::from_secs(2), "waited {waited:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_claims_completes_and_deduplicates_keys_on_every_node() {
    let cluster = RedisCluster::start(3);
    let store = RedisStore::builder()
        .command_timeout(Duration::from_secs(5))
        .connect_cluster(cluster.urls())
        .await
        .unwrap();
    let guard = IdempotencyGuard::new(store);
    // 30 keys spread over the 16,384 slots, so every master holds some.
    for n in 0..30 {
        let key = format!("evt_{n}");
        let fp = Fingerprint::of(&body(n));
        let Outcome::First(claim) = guard.begin(&key, &fp).await else {
            panic!("first {key}");
        };
        assert!(matches!(
            guard.begin(&key, &fp).await,
            Outcome::InFlight { .. }
        ));
        claim.complete(200).await.unwrap();
        let outcome = guard.begin(&key, &fp).await;
        assert!(
            matches!(outcome, Outcome::Duplicate { status: 200 }),
            "{key}: {outcome:?}"
        );
        let conflict = guard.begin(&key, &Fingerprint::of(b"other")).await;
        assert!(matches!(conflict, Outcome::Conflict), "{key}: {conflict:?}");
    }
    // Keys really are on different nodes.
    let mut nodes_with_keys = 0;
    for url in cluster.urls() {
        let client = redis::Client::open(url.as_str()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let size: usize = redis::cmd("DBSIZE").query_async(&mut conn).await.unwrap();
        nodes_with_keys += usize::from(size > 0);
    }
    assert_eq!(nodes_with_keys, 3);
}
