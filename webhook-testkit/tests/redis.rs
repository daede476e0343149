//! The helpers start real servers and stop them by PID.

use webhook_testkit::{RedisCluster, RedisServer};

#[test]
fn server_answers_until_stopped_and_after_restart() {
    let mut redis = RedisServer::start();
    assert!(redis.is_up());
    assert!(redis.command("SET k v").starts_with("+OK"));
    let pid = redis.pid().unwrap();
    redis.stop();
    assert!(!redis.is_up());
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "process {pid} is gone"
    );
    redis.restart();
    assert!(redis.is_up());
    assert!(
        redis.command("GET k").starts_with("$-1"),
        "data is gone after a restart"
    );
}

#[test]
fn cluster_covers_all_slots() {
    let cluster = RedisCluster::start(3);
    assert_eq!(cluster.urls().len(), 3);
}
