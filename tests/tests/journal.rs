//! The journal and outbox inside one process: records confirmed while the backend is down,
//! delivered (once each, by serial) after a restart on the same journal file, and readable
//! through `GET /piles/{pile}/frames`. Process-level faults (kill -9, SIGTERM, full disk) are in
//! `durability.rs`.

use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;
use ykc::gateway::config::ServeConfig;
use ykc::CrcOrder;
use ykc_tests::parts::{login, Sink, TestPile};

const PILE: &str = "32010200000001";
const WAIT: Duration = Duration::from_secs(5);

fn config(journal: &std::path::Path, sink: String) -> ServeConfig {
    ServeConfig {
        host: "127.0.0.1".into(),
        tcp_port: 0,
        http_port: 0,
        auto_verification: true,
        auto_transaction_record_confirm: true,
        servers: vec![sink],
        forward_timeout_ms: 500,
        forward_backoff_ms: 50,
        journal: journal.display().to_string(),
        ..Default::default()
    }
}

/// A 0x3B of `PILE` with serial number `n`.
fn record(n: u8, seq: [u8; 2]) -> Vec<u8> {
    let mut b = vec![0u8; 158];
    b[..16].copy_from_slice(&[
        0x32, 0x01, 0x02, 0, 0, 0, 0x01, 0x01, 0x20, 0x20, 0x03, 0x16, 0x17, 0x14, 0x00, n,
    ]);
    b[16..23].copy_from_slice(&[0x32, 0x01, 0x02, 0, 0, 0, 0x01]);
    let mut out = bytes::BytesMut::new();
    ykc::encode_frame(seq, 0, 0x3B, &b, CrcOrder::LowFirst, &mut out).expect("encode");
    out.to_vec()
}

fn serials(sink: &Sink) -> (BTreeSet<String>, usize, BTreeSet<String>) {
    let got = sink.received.lock().expect("sink lock").clone();
    let records: Vec<&Value> = got
        .iter()
        .filter(|(p, _)| p.ends_with("/3b"))
        .map(|(_, v)| v)
        .collect();
    let serials = records
        .iter()
        .map(|v| v["transaction_serial"].as_str().unwrap_or("?").to_owned())
        .collect();
    let ids = records
        .iter()
        .map(|v| v["id"].as_str().unwrap_or("?").to_owned())
        .collect();
    (serials, records.len(), ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_confirmed_with_the_backend_down_reach_it_after_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("j.db");
    // A backend that refuses: a port nobody listens on.
    let dead = format!("http://127.0.0.1:{}/ykc", ykc_tests::parts::free_port());
    let gw = ykc::gateway::start(config(&db, dead)).await.expect("start");
    let mut p = TestPile::connect(gw.tcp_addr, CrcOrder::LowFirst).await;
    p.send(0x01, [1, 0], login(PILE)).await;
    assert_eq!(p.recv(WAIT).await.expect("0x02").header.code, 0x02);
    for n in 1..=20u8 {
        p.raw(&record(n, [n, 0])).await;
        let ack = p.recv(WAIT).await.expect("0x40 with the backend down");
        assert_eq!((ack.header.code, ack.header.seq), (0x40, [n, 0]));
    }
    // A crash: no graceful shutdown, the outbox never delivered anything.
    gw.stop();
    drop(p);
    drop(gw);
    tokio::time::sleep(Duration::from_millis(200)).await;

    let sink = Sink::start().await;
    let gw = ykc::gateway::start(config(&db, format!("http://{}/ykc", sink.addr)))
        .await
        .expect("restart");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while serials(&sink).0.len() < 20 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (got, deliveries, ids) = serials(&sink);
    assert_eq!(
        got.len(),
        20,
        "every confirmed record reaches the backend: {got:?}"
    );
    assert_eq!(deliveries, ids.len(), "a record delivered twice has one id");
    let url = format!("http://{}/piles/{PILE}/frames?type=3b", gw.http_addr);
    let text = reqwest::get(&url)
        .await
        .expect("GET frames")
        .text()
        .await
        .expect("body");
    let rows: Vec<Value> = serde_json::from_str(&text).expect("a JSON array");
    assert_eq!(rows.len(), 20, "the history shows all 20");
    assert_eq!(rows[0]["journal"]["direction"], "up");
    let metrics = reqwest::get(format!("http://{}/metrics", gw.http_addr))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("ykc_outbox_backlog{sink=\"http\"}"),
        "{metrics}"
    );
    assert!(gw.shutdown(Duration::from_secs(5)).await, "drained");
}
