//! Fleet mode's NATS layer against a real nats-server with JetStream: presence written by one
//! node is found by another, requests reach the holder and its answer comes back, and a node
//! that stops renewing is seen dead. (The three-gateway cluster tests use real processes.)

use bytes::Bytes;
use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use ykc::gateway::fleet::{Answerer, Ask, Fleet, FleetConfig, Presence, Reply, Request};
use ykc_tests::fault::{eventually, scratch, JetStreamServer};

const PILE: &str = "32010200000001";

/// Answers commands with the request's pieces echoed, and holds no piles.
struct Echo;

impl Answerer for Echo {
    fn answer(&self, ask: Ask, r: Request) -> BoxFuture<'static, Reply> {
        Box::pin(async move {
            let body = serde_json::json!({
                "ask": format!("{ask:?}"), "pile": r.pile, "frame": r.frame, "query": r.query,
                "caller": r.caller, "body": String::from_utf8_lossy(&r.body),
            });
            Reply {
                status: 200,
                body: Bytes::from(body.to_string()),
            }
        })
    }

    fn alive(&self) -> Vec<[u8; 7]> {
        Vec::new()
    }

    fn presence(&self, _: &[u8; 7]) -> Option<(String, Presence)> {
        None
    }

    fn held(&self) -> usize {
        0
    }
}

fn config(url: &str, node: &str) -> FleetConfig {
    FleetConfig {
        servers: vec![url.to_owned()],
        login: None,
        node: node.into(),
        pile_ttl: Duration::from_secs(90),
        renew: Duration::from_secs(30),
        timeout: Duration::from_secs(2),
    }
}

#[tokio::test]
async fn presence_lookup_requests_and_node_death() {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let store = scratch("fleet");
    let nats = JetStreamServer::start(store.path()).await;
    let tasks = TaskTracker::new();
    let (stop_a, stop_b) = (CancellationToken::new(), CancellationToken::new());
    let a = Fleet::start(
        config(&nats.url(), "a"),
        Arc::new(Echo),
        stop_a.clone(),
        &tasks,
    );
    let a = a.await.expect("node a joins");
    let b = Fleet::start(
        config(&nats.url(), "b"),
        Arc::new(Echo),
        stop_b.clone(),
        &tasks,
    );
    let b = b.await.expect("node b joins");

    let here = Presence {
        node: "a".into(),
        connection_id: 7,
        since: "2026-12-02T00:00:00.000Z".into(),
        remote_addr: "127.0.0.1:4000".into(),
    };
    a.announce(PILE, &here).await.expect("announced");
    let found = eventually(Duration::from_secs(10), || b.lookup(PILE).is_some()).await;
    assert!(found, "b finds the pile a holds");
    assert_eq!(b.lookup(PILE), Some(here.clone()));
    assert_eq!(b.nodes(), vec!["a".to_string(), "b".to_string()]);
    let (page, more) = b.page(None, 10);
    assert_eq!((page.len(), more), (1, false));

    let request = Request {
        pile: PILE.into(),
        frame: "0x92".into(),
        query: "timeout_ms=2000".into(),
        caller: "token ops from 127.0.0.1".into(),
        body: Bytes::from_static(b"{\"execute_mode\": 1}"),
        ..Request::default()
    };
    let reply = b
        .ask("a", Ask::Command, &request, Duration::from_secs(2))
        .await;
    let reply = reply.expect("a answers");
    let v: serde_json::Value = serde_json::from_slice(&reply.body).expect("JSON");
    assert_eq!(reply.status, 200);
    assert_eq!(v["ask"], "Command");
    assert_eq!(v["frame"], "0x92");
    assert_eq!(v["query"], "timeout_ms=2000");
    assert_eq!(v["body"], "{\"execute_mode\": 1}");
    let nobody = b
        .ask("zz", Ask::Pile, &request, Duration::from_secs(1))
        .await;
    assert!(nobody.is_err(), "nobody answers for an unknown node");

    // Withdrawn by a connection that no longer holds it: kept; by its own: gone.
    a.withdraw(PILE, 8).await.expect("withdraw");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        b.lookup(PILE).is_some(),
        "another connection's close leaves it"
    );
    a.withdraw(PILE, 7).await.expect("withdraw");
    let gone = eventually(Duration::from_secs(10), || b.lookup(PILE).is_none()).await;
    assert!(gone, "the holder's close removes it");

    // Node a stops (its entry deleted at shutdown): its piles are unreachable at once.
    a.announce(PILE, &here).await.expect("announced");
    assert!(eventually(Duration::from_secs(10), || b.lookup(PILE).is_some()).await);
    stop_a.cancel();
    let dead = eventually(Duration::from_secs(8), || b.lookup(PILE).is_none()).await;
    assert!(dead, "a pile on a stopped node is not reachable");
    assert_eq!(b.nodes(), vec!["b".to_string()]);
    stop_b.cancel();
    tasks.close();
    tokio::time::timeout(Duration::from_secs(5), tasks.wait())
        .await
        .expect("fleet tasks end");
}

/// How long every node may take to see presence written after a NATS node was killed: the
/// watches whose consumers died with it are found silent and made again (2 s of silence, then
/// JetStream's leader elections).
const RECOVERY: Duration = Duration::from_secs(10);

/// Waits until every node of `fleet` finds `pile` on `node`; how long each took, or the nodes
/// that did not within `bound`.
async fn seen_by_all(
    fleet: &[Arc<Fleet>],
    pile: &str,
    node: &str,
    bound: Duration,
) -> Result<Vec<Duration>, Vec<String>> {
    let since = std::time::Instant::now();
    let mut took = vec![None; fleet.len()];
    eventually(bound, || {
        for (i, f) in fleet.iter().enumerate() {
            if took[i].is_none() && f.lookup(pile).is_some_and(|p| p.node == node) {
                took[i] = Some(since.elapsed());
            }
        }
        took.iter().all(Option::is_some)
    })
    .await;
    let missing: Vec<String> = (fleet.iter().zip(&took))
        .filter(|(_, t)| t.is_none())
        .map(|(f, _)| f.node().to_owned())
        .collect();
    match missing.is_empty() {
        true => Ok(took.into_iter().flatten().collect()),
        false => Err(missing),
    }
}

/// A NATS node is killed (kill -9) under a fleet of three gateways, each connected to a
/// different NATS node: requests still reach their node, presence is still written, and every
/// node sees presence written after the kill within [`RECOVERY`], however the watches' consumers
/// were placed.
#[tokio::test]
async fn a_three_node_nats_cluster_losing_a_node_keeps_the_fleet_working() {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let dir = scratch("fleet-cluster");
    let mut nats = ykc_tests::cluster::NatsCluster::start(dir.path(), 3).await;
    let tasks = TaskTracker::new();
    let stop = CancellationToken::new();
    let mut fleet = Vec::new();
    for (i, node) in ["a", "b", "c"].into_iter().enumerate() {
        // Each gateway knows every NATS node, its own first (as operators write it).
        let mut c = config(&nats.url(i), node);
        c.servers
            .extend((0..3).filter(|j| *j != i).map(|j| nats.url(j)));
        let f = Fleet::start(c, Arc::new(Echo), stop.clone(), &tasks).await;
        fleet.push(f.unwrap_or_else(|e| panic!("node {node} joins: {e}")));
    }
    let on_c = Presence {
        node: "c".into(),
        connection_id: 1,
        since: "2026-12-02T00:00:00.000Z".into(),
        remote_addr: "127.0.0.1:4000".into(),
    };
    fleet[2].announce(PILE, &on_c).await.expect("announced");
    let before = seen_by_all(&fleet, PILE, "c", Duration::from_secs(10)).await;
    before.unwrap_or_else(|missing| panic!("{missing:?} do not see the pile on c"));

    nats.kill9(0);
    let killed = std::time::Instant::now();
    // Node a's client moves to another NATS node; the replicated buckets keep their entries.
    let request = Request {
        pile: PILE.into(),
        ..Request::default()
    };
    let mut asked = None;
    for _ in 0..50 {
        match fleet[0]
            .ask("c", Ask::Pile, &request, Duration::from_secs(1))
            .await
        {
            Ok(r) => {
                asked = Some(r);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    assert_eq!(
        asked.map(|r| r.status),
        Some(200),
        "a reaches c without NATS node 0"
    );
    let moved = Presence {
        node: "b".into(),
        ..on_c.clone()
    };
    let mut announced = false;
    for _ in 0..50 {
        if fleet[1].announce(PILE, &moved).await.is_ok() {
            announced = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        announced,
        "presence is written with two NATS nodes of three"
    );
    let written = killed.elapsed();
    let took = seen_by_all(&fleet, PILE, "b", RECOVERY).await;
    let took = took.unwrap_or_else(|missing| {
        panic!("{missing:?} do not see the pile move within {RECOVERY:?} (written {written:?} after the kill)")
    });
    eprintln!("move written {written:?} after the kill; seen by a, b, c after {took:?}");
    // Every node sees every node alive again (the node bucket's watches are back too)...
    let all_alive = || fleet.iter().all(|f| f.nodes() == ["a", "b", "c"]);
    assert!(
        eventually(RECOVERY, all_alive).await,
        "every node sees every node alive"
    );
    // ...and then a change reaches every node at once.
    fleet[2].announce(PILE, &on_c).await.expect("announced");
    let back = seen_by_all(&fleet, PILE, "c", Duration::from_secs(3)).await;
    let back = back.unwrap_or_else(|missing| panic!("{missing:?} do not see the pile back on c"));
    eprintln!(
        "every node alive everywhere {:?} after the kill; move back seen after {back:?}",
        killed.elapsed()
    );
    stop.cancel();
    tasks.close();
    tokio::time::timeout(Duration::from_secs(10), tasks.wait())
        .await
        .expect("fleet tasks end");
}
