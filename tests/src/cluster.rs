//! A three-node nats-server cluster on loopback (routes, JetStream), for the fleet tests: real
//! processes, each killable with SIGKILL and restartable on its own store.

use crate::parts::{free_port, nats_binary};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::net::TcpStream;

/// One node of the cluster.
struct Node {
    child: Option<Child>,
    port: u16,
    args: Vec<String>,
    /// Its stdout and stderr, every start appended.
    log: PathBuf,
}

/// A nats-server cluster (`ykc-test`), every node with JetStream and its own store.
pub struct NatsCluster {
    nodes: Vec<Node>,
}

impl NatsCluster {
    /// Starts `n` routed nodes with stores under `dir`; waits until JetStream has a leader (a
    /// key-value bucket can be created), at most 30 s.
    pub async fn start(dir: &Path, n: usize) -> NatsCluster {
        let ports: Vec<(u16, u16)> = (0..n).map(|_| (free_port(), free_port())).collect();
        let routes: Vec<String> = ports
            .iter()
            .map(|(_, c)| format!("nats://127.0.0.1:{c}"))
            .collect();
        let nodes = ports
            .iter()
            .enumerate()
            .map(|(i, (port, cport))| {
                let store: PathBuf = dir.join(format!("n{i}"));
                let args = [
                    "-a",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                    "-n",
                    &format!("n{i}"),
                    "--cluster_name",
                    "ykc-test",
                    "--cluster",
                    &format!("nats://127.0.0.1:{cport}"),
                    "--routes",
                    &routes.join(","),
                    "-js",
                    "-sd",
                    &store.display().to_string(),
                ]
                .map(String::from)
                .to_vec();
                Node {
                    child: None,
                    port: *port,
                    args,
                    log: dir.join(format!("n{i}.log")),
                }
            })
            .collect();
        let mut c = NatsCluster { nodes };
        for i in 0..n {
            c.spawn(i);
        }
        for i in 0..n {
            c.wait_accepting(i).await;
        }
        c.wait_jetstream().await;
        c
    }

    fn spawn(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        assert!(node.child.is_none(), "node {i} runs already");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&node.log)
            .expect("nats-server log");
        let child = Command::new(nats_binary())
            .args(&node.args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log fd"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", nats_binary()));
        node.child = Some(child);
    }

    async fn wait_accepting(&self, i: usize) {
        let port = self.nodes[i].port;
        let up = async {
            while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        if tokio::time::timeout(Duration::from_secs(10), up)
            .await
            .is_err()
        {
            let log = std::fs::read_to_string(&self.nodes[i].log).unwrap_or_default();
            let tail: String = log.lines().rev().take(20).collect::<Vec<_>>().join("\n");
            panic!("nats-server node {i} does not accept within 10 s; its log, last lines first:\n{tail}");
        }
    }

    /// Waits until a replicated stream can be created: the JetStream meta leader is elected.
    async fn wait_jetstream(&self) {
        let urls: Vec<async_nats::ServerAddr> = (0..self.nodes.len())
            .map(|i| self.url(i).parse().expect("a URL"))
            .collect();
        let client = async_nats::connect(urls).await.expect("cluster");
        let js = async_nats::jetstream::new(client);
        let ready = async {
            loop {
                let probe = async_nats::jetstream::stream::Config {
                    name: "probe".into(),
                    subjects: vec!["probe.>".into()],
                    num_replicas: self.nodes.len().min(3),
                    storage: async_nats::jetstream::stream::StorageType::Memory,
                    ..Default::default()
                };
                if js.get_or_create_stream(probe).await.is_ok() {
                    let _ = js.delete_stream("probe").await;
                    return;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(30), ready)
            .await
            .expect("the cluster's JetStream is ready within 30 s");
    }

    /// `nats://127.0.0.1:<port>` of node `i`.
    pub fn url(&self, i: usize) -> String {
        format!("nats://127.0.0.1:{}", self.nodes[i].port)
    }

    /// Every node's URL, comma-separated (what `--cluster` takes).
    pub fn urls(&self) -> String {
        (0..self.nodes.len())
            .map(|i| self.url(i))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// SIGKILL node `i`, and reap it.
    pub fn kill9(&mut self, i: usize) {
        if let Some(mut c) = self.nodes[i].child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts node `i` again on its port and store.
    pub async fn restart(&mut self, i: usize) {
        self.spawn(i);
        self.wait_accepting(i).await;
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill9(i);
        }
    }
}
