//! A small Redis Cluster (masters only) owned by one test.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::process;

/// A Redis Cluster of `n` masters on free ports, created with `redis-cli --cluster create`.
///
/// ```no_run
/// let cluster = webhook_testkit::RedisCluster::start(3);
/// let urls = cluster.urls(); // one redis:// URL per node
/// # drop(urls);
/// ```
pub struct RedisCluster {
    nodes: Vec<(u16, Child)>,
    dir: PathBuf,
}

impl RedisCluster {
    /// Starts `masters` nodes (at least 3) and joins them into one cluster covering all slots.
    pub fn start(masters: usize) -> Self {
        assert!(masters >= 3, "a Redis Cluster needs at least 3 masters");
        let dir = process::scratch_dir("cluster");
        let mut nodes = Vec::new();
        while nodes.len() < masters {
            let port = crate::free_port();
            let node_dir = dir.join(port.to_string());
            let _ = std::fs::create_dir_all(&node_dir);
            let args = [
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
            ];
            if let Some(child) = process::spawn(port, &node_dir, &args) {
                nodes.push((port, child));
            }
        }
        let cluster = Self { nodes, dir };
        cluster.create();
        cluster
    }

    fn create(&self) {
        let addrs: Vec<String> = self
            .nodes
            .iter()
            .map(|(p, _)| format!("127.0.0.1:{p}"))
            .collect();
        let status = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addrs)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        match status {
            Ok(s) if s.success() => {}
            other => panic!("redis-cli --cluster create failed: {other:?}"),
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let ok = self.nodes.iter().all(|(port, _)| {
                process::command(*port, "CLUSTER INFO")
                    .is_some_and(|r| r.contains("cluster_state:ok"))
            });
            if ok {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("Redis Cluster did not reach cluster_state:ok within 20 s");
    }

    /// One `redis://127.0.0.1:<port>/` URL per node.
    pub fn urls(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|(p, _)| format!("redis://127.0.0.1:{p}/"))
            .collect()
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for (_, child) in &mut self.nodes {
            process::kill(child);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
