//! `RedisQueue::connect` with the URL of one node of a real 3-master Redis Cluster (as
//! `REDIS_URL` is set), or with comma-separated seed URLs: the cluster is detected, and the
//! queue (its keys in one hash slot) works the same through every node, the ones that do not
//! own that slot included.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use support::{Log, delivery, fast_config, wait_until};
use tokio_util::sync::CancellationToken;
use webhook_queue::{HandlerError, Job, Queue, QueueError, RedisQueue};
use webhook_testkit::RedisCluster;

/// Whether the node at `url` owns `key`'s slot (asked without a cluster client: a node that
/// does not answers `MOVED`).
async fn owns(url: &str, key: &str) -> bool {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let reply: redis::RedisResult<i64> = redis::cmd("EXISTS").arg(key).query_async(&mut conn).await;
    match reply {
        Ok(_) => true,
        Err(e) if e.code() == Some("MOVED") => false,
        Err(e) => panic!("EXISTS {key} on {url}: {e}"),
    }
}

/// The cluster's node URLs, the one owning queue `name`'s slot first; panics unless exactly one
/// owns it.
async fn owner_first(cluster: &RedisCluster, name: &str) -> Vec<String> {
    let key = format!("webhook-queue:{{{name}}}:stream");
    let mut owners = Vec::new();
    let mut others = Vec::new();
    for url in cluster.urls() {
        if owns(&url, &key).await {
            owners.push(url);
        } else {
            others.push(url);
        }
    }
    assert_eq!(owners.len(), 1, "owners of {key}: {owners:?}");
    assert_eq!(others.len(), 2, "{others:?}");
    owners.extend(others);
    owners
}

async fn connect(url: &str, name: &str) -> RedisQueue {
    RedisQueue::connect(url, name, fast_config())
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"))
}

fn spawn_worker<F, Fut>(
    queue: &RedisQueue,
    handler: F,
) -> (
    CancellationToken,
    tokio::task::JoinHandle<Result<(), QueueError>>,
)
where
    F: Fn(Job) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
{
    let shutdown = CancellationToken::new();
    let task = tokio::spawn({
        let (queue, shutdown) = (queue.clone(), shutdown.clone());
        async move { queue.run(handler, shutdown).await }
    });
    (shutdown, task)
}

async fn stop(
    worker: (
        CancellationToken,
        tokio::task::JoinHandle<Result<(), QueueError>>,
    ),
) {
    worker.0.cancel();
    worker.1.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_with_the_url_of_any_one_node_enqueues_counts_and_works_one_queue() {
    let cluster = RedisCluster::start(3);
    let urls = owner_first(&cluster, "clustered").await;
    // Each node alone, and the comma-separated seeds of the two that do not own the slot.
    let mut targets = urls.clone();
    targets.push(format!("{},{}", urls[1], urls[2]));
    let mut queues = Vec::new();
    for url in &targets {
        queues.push(connect(url, "clustered").await);
    }
    const PER_QUEUE: usize = 10;
    for (i, queue) in queues.iter().enumerate() {
        for n in 0..PER_QUEUE {
            queue
                .enqueue(&delivery(&format!("evt_{i}_{n}"), "order.paid"))
                .await
                .unwrap_or_else(|e| panic!("enqueue through {}: {e}", targets[i]));
        }
    }
    let total = (PER_QUEUE * queues.len()) as u64;
    for (i, queue) in queues.iter().enumerate() {
        let counts = queue.counts().await.unwrap();
        assert_eq!(counts.pending, total, "through {}: {counts:?}", targets[i]);
    }

    // A worker through a node that does not own the slot drains everything, each entry once.
    let seen: Log<String> = Log::default();
    let worker = spawn_worker(&queues[1], {
        let seen = seen.clone();
        move |job: Job| {
            seen.push(job.delivery().key().unwrap_or_default().to_owned());
            async { Ok::<_, HandlerError>(()) }
        }
    });
    wait_until(Duration::from_secs(20), "the queue drained", || async {
        queues[2].counts().await.is_ok_and(|c| c.is_drained())
    })
    .await;
    stop(worker).await;
    let mut runs: HashMap<String, usize> = HashMap::new();
    for key in seen.items() {
        *runs.entry(key).or_default() += 1;
    }
    assert_eq!(runs.len() as u64, total, "{runs:?}");
    assert!(runs.values().all(|&n| n == 1), "{runs:?}");
    // All the queue's keys are on the owner.
    let owner = redis::Client::open(urls[0].as_str()).unwrap();
    let mut conn = owner.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("webhook-queue:*")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        keys.contains(&"webhook-queue:{clustered}:stream".to_owned()),
        "{keys:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_are_listed_replayed_and_discarded_through_nodes_not_owning_the_queue() {
    let cluster = RedisCluster::start(3);
    let urls = owner_first(&cluster, "dead-q").await;
    let queue = connect(&urls[1], "dead-q").await;
    for n in 0..3 {
        queue
            .enqueue(&delivery(&format!("evt_dead_{n}"), "order.paid"))
            .await
            .unwrap();
    }
    let failing = spawn_worker(&queue, |_job: Job| async {
        Err::<(), _>(HandlerError::msg("always fails"))
    });
    wait_until(Duration::from_secs(20), "3 dead letters", || async {
        queue
            .counts()
            .await
            .is_ok_and(|c| c.dead == 3 && c.is_drained())
    })
    .await;
    stop(failing).await;

    let other = Arc::new(
        RedisQueue::inspect(&urls[2], "dead-q", fast_config())
            .await
            .unwrap(),
    );
    let dead = other.dead_letters(None, 10).await.unwrap();
    assert_eq!(dead.len(), 3, "{dead:?}");
    assert!(
        dead.iter().all(|d| d.last_error == "always fails"),
        "{dead:?}"
    );
    // Dead letters are in the order they died: the discarded one is whichever died first.
    let mut replayed: Vec<String> = dead[1..]
        .iter()
        .map(|d| d.delivery.key().unwrap_or_default().to_owned())
        .collect();
    replayed.sort();
    assert!(other.discard(&dead[0].id).await.unwrap());
    assert!(other.replay(&dead[1].id).await.unwrap().is_some());
    assert_eq!(queue.replay_all(10).await.unwrap().len(), 1);
    let counts = other.counts().await.unwrap();
    assert_eq!((counts.pending, counts.dead), (2, 0), "{counts:?}");

    let seen: Log<String> = Log::default();
    let worker = spawn_worker(&queue, {
        let seen = seen.clone();
        move |job: Job| {
            seen.push(job.delivery().key().unwrap_or_default().to_owned());
            async { Ok::<_, HandlerError>(()) }
        }
    });
    wait_until(
        Duration::from_secs(20),
        "the replayed entries ran",
        || async {
            other
                .counts()
                .await
                .is_ok_and(|c| c.is_drained() && c.dead == 0)
        },
    )
    .await;
    stop(worker).await;
    let mut keys = seen.items();
    keys.sort();
    assert_eq!(keys, replayed);
}
