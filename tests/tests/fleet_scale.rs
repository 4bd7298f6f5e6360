//! Issue 10's scale setup at a size CI affords: one nats-server with JetStream, six `ykc serve`
//! gateways in one fleet, and `ykc sim` piles at real rates (heartbeat 10 s, real-time data
//! 15 s) spread over all six as a load balancer would. Every pile logs in, nothing fails, every
//! node lists the whole fleet (paginated), and a command through the first gateway reaches a
//! pile held by the last. The 100,000-pile run is `bench/fleet-100k.sh`; speed is measured
//! there, not here.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Duration;
use ykc_tests::fault::{eventually_async, scratch, ykc_bin, Gateway, JetStreamServer};

const GATEWAYS: usize = 6;
const PILES: usize = 1200;
const BASE: u64 = 32010200000001;

/// Every pile `gw` lists, page by page (`limit=500`): pile code → node.
async fn listed(gw: &Gateway) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut after = String::new();
    for _ in 0..=PILES / 500 + 1 {
        let path = format!("/piles?limit=500&after={after}");
        let Some(text) = gw.get(&path).await else {
            break;
        };
        let page: Value = serde_json::from_str(&text).unwrap_or_default();
        for p in page["piles"].as_array().into_iter().flatten() {
            let code = p["pile_code"].as_str().unwrap_or_default().to_owned();
            out.insert(code, p["node"].as_str().unwrap_or_default().to_owned());
        }
        match page["next"].as_str() {
            Some(next) => after = next.to_owned(),
            None => break,
        }
    }
    out
}

/// Resident memory of a process, KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn six_gateways_hold_a_fleet_at_real_rates() {
    let dir = scratch("fleet-scale");
    let nats = JetStreamServer::start(&dir.path().join("nats")).await;
    let mut gws = Vec::new();
    for i in 0..GATEWAYS {
        let work = dir.path().join(format!("gw{i}"));
        std::fs::create_dir_all(&work).expect("work dir");
        let node = format!("gw{i}");
        let args = ["--cluster", &nats.url(), "--node-id", &node];
        gws.push(Gateway::start(&work, &args).await);
    }
    let idle: Vec<u64> = gws
        .iter()
        .map(|g| rss_kib(g.pid().expect("running")))
        .collect();
    let targets: Vec<String> = gws.iter().map(|g| g.tcp_addr().to_string()).collect();
    let out = dir.path().join("sim.json");
    let mut sim = Command::new(ykc_bin())
        .args(["sim", "--piles", &PILES.to_string(), "--duration", "30s"])
        .args(["--target", &targets.join(","), "--ramp", "6s"])
        .args(["--heartbeat-interval", "10s", "--realtime-interval", "15s"])
        .args(["--progress-interval", "0s", "--json"])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).expect("sim output"))
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn ykc sim");

    // Every node sees the whole fleet, six nodes of 200 piles each.
    let whole = eventually_async(Duration::from_secs(20), || async {
        listed(&gws[0]).await.len() == PILES
    })
    .await;
    assert!(
        whole,
        "gw0 lists {} piles of {PILES}",
        listed(&gws[0]).await.len()
    );
    for gw in &gws {
        let piles = listed(gw).await;
        let mut per_node: BTreeMap<&str, usize> = BTreeMap::new();
        for node in piles.values() {
            *per_node.entry(node).or_default() += 1;
        }
        assert_eq!(piles.len(), PILES, "{per_node:?}");
        assert_eq!(per_node.len(), GATEWAYS, "{per_node:?}");
        assert!(
            per_node.values().all(|n| *n == PILES / GATEWAYS),
            "{per_node:?}"
        );
    }
    // Piles go round robin: the last of the first six is on the last gateway.
    let pile = (BASE + GATEWAYS as u64 - 1).to_string();
    assert_eq!(
        listed(&gws[0]).await.get(&pile).map(String::as_str),
        Some("gw5")
    );
    let path = format!("/piles/{pile}/commands/0x92");
    let r = gws[0].post(&path, &json!({ "execute_mode": 1 })).await;
    let (status, body) = r.expect("an answer");
    assert_eq!(
        (status, &body["reply"]["frame_type"]),
        (200, &json!("0x91")),
        "{body}"
    );
    let held: Vec<u64> = gws
        .iter()
        .map(|g| rss_kib(g.pid().expect("running")))
        .collect();

    let finished = sim.wait().expect("sim ends");
    assert!(finished.success(), "ykc sim: {finished}");
    let summary: Value = serde_json::from_slice(&std::fs::read(&out).expect("summary"))
        .expect("the sim's JSON summary");
    eprintln!("sim: {summary}");
    for (i, (idle, held)) in idle.iter().zip(&held).enumerate() {
        let per_pile = held.saturating_sub(*idle) * 1024 / (PILES / GATEWAYS) as u64;
        eprintln!("gw{i}: RSS {idle} KiB idle, {held} KiB with its piles: {per_pile} B per pile (debug build)");
    }
    assert_eq!(summary["logins_ok"], PILES, "{summary}");
    assert_eq!(summary["connections_failed"], 0, "{summary}");
    assert_eq!(summary["errors"], json!({}), "{summary}");
    assert!(
        summary["replies"].as_u64() > Some(PILES as u64),
        "{summary}"
    );
}
