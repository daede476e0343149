//! `RedisStore::connect` with the URL of one node of a real 3-master Redis Cluster (as
//! `REDIS_URL` is set), or with comma-separated seed URLs: the cluster is detected, and claims
//! for keys in every slot range succeed (no `MOVED`, no 503).

use std::time::Duration;

use webhook_idempotency::redis_target::{RedisTarget, Topology};
use webhook_idempotency::{Fingerprint, IdempotencyGuard, Outcome, RedisStore};
use webhook_testkit::{RedisCluster, RedisServer};

const KEYS: usize = 40;

fn body(key: &str) -> Vec<u8> {
    format!(r#"{{"id":"{key}","type":"order.paid"}}"#).into_bytes()
}

async fn store(url: &str) -> RedisStore {
    RedisStore::builder()
        .command_timeout(Duration::from_secs(5))
        .connect(url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"))
}

/// Claims, completes and re-delivers `KEYS` keys named `<prefix>_<n>` through `store`: every
/// first delivery runs, every later one is a duplicate, none is refused as unavailable.
async fn every_claim_succeeds(store: RedisStore, prefix: &str) {
    let guard = IdempotencyGuard::new(store);
    for n in 0..KEYS {
        let key = format!("{prefix}_{n}");
        let fp = Fingerprint::of(&body(&key));
        let claim = match guard.begin(&key, &fp).await {
            Outcome::First(claim) => claim,
            other => panic!("{key}: the first delivery must run, got {other:?}"),
        };
        let busy = guard.begin(&key, &fp).await;
        assert!(matches!(busy, Outcome::InFlight { .. }), "{key}: {busy:?}");
        claim
            .complete(200)
            .await
            .unwrap_or_else(|e| panic!("{key}: {e}"));
        let again = guard.begin(&key, &fp).await;
        assert!(
            matches!(again, Outcome::Duplicate { status: 200 }),
            "{key}: {again:?}"
        );
    }
}

/// How many keys each node holds, asked of each node directly (no cluster client).
async fn keys_per_node(cluster: &RedisCluster) -> Vec<usize> {
    let mut sizes = Vec::new();
    for url in cluster.urls() {
        let client = redis::Client::open(url.as_str()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        sizes.push(redis::cmd("DBSIZE").query_async(&mut conn).await.unwrap());
    }
    sizes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_with_the_url_of_any_one_node_detects_the_cluster_and_every_claim_succeeds() {
    let cluster = RedisCluster::start(3);
    for (i, url) in cluster.urls().iter().enumerate() {
        let store = store(url).await;
        assert!(
            format!("{store:?}").contains(r#"kind: "cluster""#),
            "{url}: {store:?}"
        );
        every_claim_succeeds(store, &format!("evt_node{i}")).await;
    }
    // The keys really are spread over the nodes: a single-node client would have hit MOVED.
    let sizes = keys_per_node(&cluster).await;
    assert!(sizes.iter().all(|&n| n > 0), "keys per node: {sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), 3 * KEYS, "{sizes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comma_separated_seed_urls_connect_to_the_cluster() {
    let cluster = RedisCluster::start(3);
    let urls = cluster.urls();
    let seeds = format!("{}, {}", urls[0], urls[2]);
    assert_eq!(RedisTarget::new(&seeds).topology(), Topology::Cluster);
    let store = store(&seeds).await;
    assert!(
        format!("{store:?}").contains(r#"kind: "cluster""#),
        "{store:?}"
    );
    every_claim_succeeds(store, "evt_seeds").await;
    let sizes = keys_per_node(&cluster).await;
    assert!(sizes.iter().all(|&n| n > 0), "keys per node: {sizes:?}");
}

#[tokio::test]
async fn a_standalone_redis_is_still_used_as_one_node() {
    let server = RedisServer::start();
    let store = store(&server.url()).await;
    assert!(
        format!("{store:?}").contains(r#"kind: "single""#),
        "{store:?}"
    );
    every_claim_succeeds(store, "evt_single").await;
    assert_eq!(server.command("DBSIZE").trim(), format!(":{KEYS}"));
}
