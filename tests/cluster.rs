//! The examples on a 3-master Redis Cluster, as a user runs them: `REDIS_URL` set to the URL of
//! one node (a different node per process), the cluster detected by the libraries. Without
//! that, a single-node client answers `MOVED` for the keys of the other nodes, and the receivers
//! 503 (fail-closed) for about two thirds of the events.
mod support;

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use futures_util::{StreamExt as _, stream};
use support::*;
use webhook_queue::{DEFAULT_QUEUE_NAME, Queue as _, QueueConfig, RedisQueue};
use webhook_testkit::RedisCluster;

const EVENTS: usize = 40;
const PRINT_TIMEOUT: Duration = Duration::from_secs(30);

/// `DBSIZE` of the node at `redis://127.0.0.1:<port>/`, asked with `redis-cli` (no cluster
/// client, so it counts that node's keys only).
fn dbsize(url: &str) -> usize {
    let port = url
        .trim_start_matches("redis://127.0.0.1:")
        .trim_end_matches('/');
    let out = Command::new("redis-cli")
        .args(["-p", port, "DBSIZE"])
        .output()
        .unwrap_or_else(|e| panic!("redis-cli -p {port} DBSIZE: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("DBSIZE on {port}: {text:?}"))
}

/// Sends a fresh signed event to `example` and waits for its `processed` line: every line it
/// printed before is then in `example.lines()`.
async fn sync_stdout(client: &reqwest::Client, example: &ExampleProcess, tag: &str) {
    let id = format!("evt_sentinel_{tag}");
    let body = event(&id, "resource.updated");
    let answer = post(client, example.url(), &sign(&body), &body).await;
    assert_eq!(answer.status, 200, "sentinel {tag}: {answer:?}");
    example
        .wait_for_line(&format!("processed {id} resource.updated"), PRINT_TIMEOUT)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_receivers_on_different_cluster_nodes_process_each_event_once_and_never_503() {
    let cluster = RedisCluster::start(3);
    let urls = cluster.urls();
    let receivers = [
        ExampleProcess::start("axum_receiver", &[("REDIS_URL", &urls[0])]),
        ExampleProcess::start("actix_receiver", &[("REDIS_URL", &urls[1])]),
    ];
    let events: Vec<(String, Vec<u8>)> = (0..EVENTS)
        .map(|i| {
            let id = format!("evt_cluster_{i:02}");
            let body = event(&id, "order.created");
            (id, body)
        })
        .collect();
    let client = client();

    // Each event to both receivers at once, as a sender's duplicate would arrive.
    let answers: Vec<(usize, usize, Answer)> = stream::iter(0..EVENTS * 2)
        .map(|n| {
            let (i, r) = (n / 2, n % 2);
            let (client, receiver) = (&client, &receivers[r]);
            let (body, headers) = (&events[i].1, sign(&events[i].1));
            async move { (i, r, post(client, receiver.url(), &headers, body).await) }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let mut ran = vec![0usize; EVENTS];
    for (i, r, answer) in &answers {
        match (answer.status, answer.body.as_str()) {
            (200, "ok") => ran[*i] += 1,
            (200, DUPLICATE) | (409, _) => {}
            _ => panic!("event {i} at receiver {r}: {answer:?}"),
        }
    }
    assert!(
        ran.iter().all(|&n| n == 1),
        "handler runs per event: {ran:?}"
    );

    // Both now answer every event as a duplicate: they share the keys.
    for (id, body) in &events {
        for receiver in &receivers {
            let again = post(&client, receiver.url(), &sign(body), body).await;
            assert_eq!(
                (again.status, again.body.as_str()),
                (200, DUPLICATE),
                "{id}"
            );
        }
    }

    for (i, receiver) in receivers.iter().enumerate() {
        sync_stdout(&client, receiver, &i.to_string()).await;
    }
    let mut processed: HashMap<String, usize> = HashMap::new();
    for receiver in &receivers {
        for (key, n) in processed_by_key(&receiver.lines()) {
            *processed.entry(key).or_default() += n;
        }
    }
    for (id, _) in &events {
        assert_eq!(processed.get(id), Some(&1), "{id}: {processed:?}");
    }
    // The keys are spread over the three nodes: the cluster really was used as one.
    let sizes: Vec<usize> = urls.iter().map(|u| dbsize(u)).collect();
    assert!(sizes.iter().all(|&n| n > 0), "keys per node: {sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), EVENTS + 2, "{sizes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_receiver_and_two_workers_on_different_cluster_nodes_handle_each_event_once() {
    let cluster = RedisCluster::start(3);
    let urls = cluster.urls();
    let receiver = ExampleProcess::start(
        "axum_queue_receiver",
        &[("REDIS_URL", &urls[0]), ("WORKER", "off")],
    );
    let workers = [
        ExampleProcess::start("axum_queue_receiver", &[("REDIS_URL", &urls[1])]),
        ExampleProcess::start("actix_queue_receiver", &[("REDIS_URL", &urls[2])]),
    ];
    let events: Vec<(String, Vec<u8>)> = (0..EVENTS)
        .map(|i| {
            let id = format!("evt_cluster_queue_{i:02}");
            let body = event(&id, "payment.succeeded");
            (id, body)
        })
        .collect();
    let client = client();
    let deliver = |i: usize| {
        let (client, url) = (&client, receiver.url());
        let (body, headers) = (&events[i].1, sign(&events[i].1));
        async move { (i, post(client, url, &headers, body).await) }
    };
    let answers: Vec<_> = stream::iter(0..EVENTS)
        .map(deliver)
        .buffer_unordered(16)
        .collect()
        .await;
    for (i, answer) in &answers {
        assert_eq!(answer.status, 202, "event {i}: {answer:?}");
    }
    // A sender's duplicate: 200, not queued again.
    let again: Vec<_> = stream::iter(0..EVENTS)
        .map(deliver)
        .buffer_unordered(16)
        .collect()
        .await;
    for (i, answer) in &again {
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (200, DUPLICATE),
            "event {i}"
        );
    }

    // Through the comma-separated form this time: drained, nothing dead.
    let seeds = urls.join(",");
    let queue = RedisQueue::connect(&seeds, DEFAULT_QUEUE_NAME, QueueConfig::default())
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let counts = queue.counts().await.unwrap();
        assert_eq!(counts.dead, 0, "{counts:?}");
        if counts.is_drained() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not drained after 60 s: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let [first, second] = workers;
    let per_worker = [first.kill(), second.kill()];
    let receiver_lines = receiver.kill();
    assert!(
        processed_by_key(&receiver_lines).is_empty(),
        "the receiver with WORKER=off processed events: {receiver_lines:?}"
    );
    let mut total: HashMap<String, usize> = HashMap::new();
    for lines in &per_worker {
        for (key, n) in processed_by_key(lines) {
            *total.entry(key).or_default() += n;
        }
    }
    for (id, _) in &events {
        assert_eq!(total.get(id), Some(&1), "{id}: {total:?}");
    }
    assert_eq!(
        total.len(),
        EVENTS,
        "keys handled that were never sent: {total:?}"
    );
}
