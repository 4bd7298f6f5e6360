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

/// A heartbeat of `PILE`.
fn heartbeat(seq: [u8; 2]) -> Vec<u8> {
    TestPile::frame(
        0x03,
        seq,
        serde_json::json!({"pile_code": PILE, "gun_no": "01", "gun_status": "normal"}),
        CrcOrder::LowFirst,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirm_after_sink_waits_for_the_backend_while_the_session_keeps_answering() {
    use std::sync::atomic::Ordering;
    let dir = tempfile::tempdir().expect("tempdir");
    let sink = Sink::start().await;
    sink.status.store(500, Ordering::SeqCst);
    let mut c = config(
        &dir.path().join("j.db"),
        format!("http://{}/ykc", sink.addr),
    );
    c.confirm_after = Some(ykc::gateway::config::ConfirmAfter::Sink);
    c.auto_heartbeat_response = true;
    let gw = ykc::gateway::start(c).await.expect("start");
    let mut p = TestPile::connect(gw.tcp_addr, CrcOrder::LowFirst).await;
    p.send(0x01, [1, 0], login(PILE)).await;
    assert_eq!(p.recv(WAIT).await.expect("0x02").header.code, 0x02);
    p.raw(&record(1, [2, 0])).await;
    // The backend refuses: no 0x40, but heartbeats are answered at once meanwhile.
    for n in 3..6u8 {
        p.raw(&heartbeat([n, 0])).await;
        let started = std::time::Instant::now();
        let r = p.recv(WAIT).await.expect("a heartbeat answer");
        assert_eq!(r.header.code, 0x04, "no 0x40 while the backend refuses");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "answered promptly"
        );
    }
    sink.status.store(200, Ordering::SeqCst);
    let ack = p
        .recv(Duration::from_secs(10))
        .await
        .expect("0x40 once the backend has it");
    assert_eq!((ack.header.code, ack.header.seq), (0x40, [2, 0]));
    assert_eq!(serials(&sink).0.len(), 1);
    gw.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_and_frames_arrive_in_order_and_a_drained_shutdown_redelivers_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("j.db");
    let sink = Sink::start().await;
    let url = format!("http://{}/ykc", sink.addr);
    let gw = ykc::gateway::start(config(&db, url.clone()))
        .await
        .expect("start");
    let mut p = TestPile::connect(gw.tcp_addr, CrcOrder::LowFirst).await;
    p.send(0x01, [1, 0], login(PILE)).await;
    assert_eq!(p.recv(WAIT).await.expect("0x02").header.code, 0x02);
    for n in 2..12u8 {
        p.raw(&heartbeat([n, 0])).await;
        assert_eq!(p.recv(WAIT).await.expect("0x04").header.code, 0x04);
    }
    drop(p);
    assert!(
        sink.wait_for("/ykc/offline", WAIT).await,
        "offline delivered"
    );
    assert!(
        gw.shutdown(Duration::from_secs(5)).await,
        "drained within the grace"
    );
    let paths = sink.paths();
    let want: Vec<&str> = ["/ykc/01", "/ykc/online", "/ykc/02"]
        .into_iter()
        .chain(std::iter::repeat_n(["/ykc/03", "/ykc/04"], 10).flatten())
        .chain(["/ykc/offline"])
        .collect();
    assert_eq!(paths, want, "one pile's rows in journal order");
    let ids: Vec<String> = sink
        .received
        .lock()
        .expect("lock")
        .iter()
        .map(|(_, v)| v["id"].as_str().expect("an id").to_owned())
        .collect();
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "one id per row");

    // The cursor was saved at shutdown: a restart delivers nothing again.
    let gw = ykc::gateway::start(config(&db, url))
        .await
        .expect("restart");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.paths().len(), want.len(), "nothing redelivered");
    gw.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sink_added_later_starts_at_the_journals_end_not_its_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("j.db");
    let mut c = config(&db, String::new());
    c.servers.clear();
    let gw = ykc::gateway::start(c).await.expect("start without a sink");
    let mut p = TestPile::connect(gw.tcp_addr, CrcOrder::LowFirst).await;
    p.send(0x01, [1, 0], login(PILE)).await;
    assert_eq!(p.recv(WAIT).await.expect("0x02").header.code, 0x02);
    drop(p);
    assert!(gw.shutdown(Duration::from_secs(5)).await);

    let sink = Sink::start().await;
    let gw = ykc::gateway::start(config(&db, format!("http://{}/ykc", sink.addr)))
        .await
        .expect("restart with a sink");
    let mut p = TestPile::connect(gw.tcp_addr, CrcOrder::LowFirst).await;
    p.send(0x01, [2, 0], login(PILE)).await;
    assert_eq!(p.recv(WAIT).await.expect("0x02").header.code, 0x02);
    assert!(sink.wait_for("/ykc/02", WAIT).await);
    let paths = sink.paths();
    assert_eq!(
        paths,
        ["/ykc/01", "/ykc/online", "/ykc/02"],
        "only what came after it was added"
    );
    gw.stop();
}
