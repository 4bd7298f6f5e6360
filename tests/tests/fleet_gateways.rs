//! Issue 10, fleet mode with real processes on loopback: three `ykc serve` gateways joined over
//! a three-node nats-server cluster (routes, JetStream), and `ykc sim` piles spread over them
//! as a TCP load balancer would.
//!
//! - A command through A reaches a pile held by C and returns the pile's 0x91; so does the Go
//!   proxy's `POST /proxy/92`.
//! - B lists that pile, with C as its node (REST and the console).
//! - After kill -9 of C, the pile reconnects to B and a command through A works again, within
//!   15 s of the kill.
//! - A second login of that pile through A is refused while B's connection lives.
//! - With a NATS node killed, commands through A still reach the pile, and follow it when it
//!   moves again (kill -9 of B, back to C, restarted meanwhile).

use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use ykc::{CrcOrder, Message};
use ykc_tests::cluster::NatsCluster;
use ykc_tests::fault::{eventually_async, scratch, ykc_bin, Gateway};
use ykc_tests::parts::{login, TestPile};

const PILE: &str = "32010200000001";

/// A gateway of the fleet: node `node`, with every NATS node of `nats`, `first` first.
async fn gateway(dir: &Path, node: &str, nats: &NatsCluster, first: usize) -> Gateway {
    let work = dir.join(node);
    std::fs::create_dir_all(&work).expect("work dir");
    let mut servers = vec![nats.url(first)];
    servers.extend((0..3).filter(|j| *j != first).map(|j| nats.url(j)));
    let cluster = servers.join(",");
    let args = [
        "--cluster",
        &cluster,
        "--node-id",
        node,
        "--heartbeat-interval-secs",
        "2",
    ];
    Gateway::start(&work, &args).await
}

/// `ykc sim` with one pile, connecting to `targets` in turn (the first first).
fn sim(dir: &Path, targets: &[&Gateway]) -> Child {
    let targets: Vec<String> = targets.iter().map(|g| g.tcp_addr().to_string()).collect();
    let log = std::fs::File::create(dir.join("sim.log")).expect("sim log");
    Command::new(ykc_bin())
        .args(["sim", "--piles", "1", "--duration", "120s"])
        .args(["--target", &targets.join(",")])
        .args(["--heartbeat-interval", "1s", "--reconnect-delay", "300ms"])
        .args(["--max-reconnects", "20", "--progress-interval", "0s"])
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log fd"))
        .stderr(log)
        .spawn()
        .expect("spawn ykc sim")
}

/// POST a remote reboot (0x92) of the pile through `gw`: the status and body.
async fn reboot(gw: &Gateway) -> Option<(u16, Value)> {
    let path = format!("/piles/{PILE}/commands/0x92?timeout_ms=3000");
    gw.post(&path, &json!({ "execute_mode": 1 })).await
}

/// Whether `gw` sees the pile held by `node`.
async fn held_by(gw: &Gateway, node: &str) -> bool {
    let Some(text) = gw.get(&format!("/piles/{PILE}")).await else {
        return false;
    };
    let v: Value = serde_json::from_str(&text).unwrap_or_default();
    v["node"] == node
}

/// A command answered by the pile's 0x91.
fn answered(r: &Option<(u16, Value)>) -> bool {
    matches!(r, Some((200, v)) if v["reply"]["frame_type"] == "0x91")
}

/// Sends commands through `gw` until one is answered by the pile's 0x91, for at most 15 s.
async fn answered_within_15s(gw: &Gateway, after: &str) {
    let since = Instant::now();
    let works = eventually_async(Duration::from_secs(15), || async {
        answered(&reboot(gw).await)
    })
    .await;
    eprintln!(
        "{after}: a command through A was answered after {:?}",
        since.elapsed()
    );
    assert!(
        works,
        "{after}: no 0x91 through A within 15 s:\n{}",
        gw.log_tail()
    );
}

#[tokio::test]
async fn three_gateways_route_commands_list_piles_and_fail_over() {
    let dir = scratch("fleet-gateways");
    let mut nats = NatsCluster::start(dir.path(), 3).await;
    let a = gateway(dir.path(), "a", &nats, 0).await;
    let mut b = gateway(dir.path(), "b", &nats, 1).await;
    let mut c = gateway(dir.path(), "c", &nats, 2).await;
    let mut pile = sim(dir.path(), &[&c, &b]);

    let on_c = eventually_async(Duration::from_secs(15), || held_by(&a, "c")).await;
    assert!(on_c, "A sees the pile on C:\n{}", c.log_tail());
    let r = reboot(&a).await;
    assert!(answered(&r), "the 0x91 through A: {r:?}\n{}", a.log_tail());

    let proxied = a
        .post("/proxy/92", &json!({ "id": PILE, "execute_mode": 1 }))
        .await;
    let (status, v) = proxied.expect("an answer");
    assert_eq!(
        (status, &v["sent"]),
        (200, &json!(true)),
        "the Go proxy route through A: {v}"
    );

    let list: Value = serde_json::from_str(&b.get("/piles").await.expect("B lists")).unwrap();
    let listed = list["piles"].as_array().expect("piles");
    assert_eq!(listed.len(), 1, "{list}");
    assert_eq!(
        (&listed[0]["pile_code"], &listed[0]["node"]),
        (&json!(PILE), &json!("c"))
    );
    let console: Value =
        serde_json::from_str(&b.get("/console/fleet").await.expect("console")).expect("JSON");
    assert_eq!(
        console["online"], 1,
        "B's console counts the fleet: {console}"
    );
    assert_eq!(console["piles"][0]["node"], "c", "{console}");

    c.kill9();
    answered_within_15s(&a, "after kill -9 of C").await;
    assert!(
        held_by(&b, "b").await && held_by(&a, "b").await,
        "the pile is on B"
    );

    // A second login of the pile, through A, while B's connection lives: refused.
    let mut second = TestPile::connect(a.tcp_addr(), CrcOrder::LowFirst).await;
    second.send(0x01, [1, 0], login(PILE)).await;
    let f = second
        .recv(Duration::from_secs(5))
        .await
        .expect("an answer");
    let (m, _) = Message::decode(0x02, &f.body).expect("a 0x02");
    let v = ykc::answer::body_json(&m);
    assert_eq!(v["login_result"]["name"], "failure", "{}", a.log_tail());
    assert!(held_by(&a, "b").await, "B keeps the pile");

    // NATS node 0, A's first server, dies: A's client moves on and commands still route.
    c.restart().await;
    nats.kill9(0);
    answered_within_15s(&a, "with NATS node 0 killed").await;
    // And the fleet still follows a move: B dies, the pile goes back to C (restarted).
    b.kill9();
    answered_within_15s(&a, "without NATS node 0, after kill -9 of B").await;
    assert!(held_by(&a, "c").await, "A finds the pile on C");
    let _ = pile.kill();
    let _ = pile.wait();
}
