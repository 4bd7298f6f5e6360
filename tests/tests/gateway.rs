//! `ykc serve` end to end with real parts: the gateway on 127.0.0.1:0, test piles over TCP
//! speaking through the real codec, and a real HTTP sink.

use serde_json::json;
use std::time::Duration;
use ykc::gateway::config::ServeConfig;
use ykc::{CrcOrder, Message};
use ykc_tests::parts::{login, Sink, TestPile};

const PILE: &str = "32010200000001";
const WAIT: Duration = Duration::from_secs(3);

fn config() -> ServeConfig {
    ServeConfig {
        host: "127.0.0.1".into(),
        tcp_port: 0,
        http_port: 0,
        auto_verification: true,
        auto_heartbeat_response: true,
        auto_billing_model_verify: true,
        auto_transaction_record_confirm: true,
        // These tests pin the in-memory forwarding path; the journal's have their own file.
        journal: "off".into(),
        ..Default::default()
    }
}

async fn gateway(c: ServeConfig) -> ykc::gateway::Running {
    ykc::gateway::start(c).await.expect("gateway starts")
}

async fn logged_in(gw: &ykc::gateway::Running, pile: &str, order: CrcOrder) -> TestPile {
    let mut p = TestPile::connect(gw.tcp_addr, order).await;
    p.send(0x01, [0x07, 0x00], login(pile)).await;
    let r = p.recv(WAIT).await.expect("login answer");
    assert_eq!(r.header.code, 0x02);
    p
}

#[tokio::test]
async fn login_and_heartbeat_answers_are_byte_exact_in_both_crc_orders() {
    let gw = gateway(config()).await;
    for (order, seq) in [
        (CrcOrder::LowFirst, [0x34, 0x12]),
        (CrcOrder::HighFirst, [0x00, 0xDF]),
    ] {
        let pile = if order == CrcOrder::LowFirst {
            "55031412782305"
        } else {
            "55031412782306"
        };
        let mut p = TestPile::connect(gw.tcp_addr, order).await;
        p.send(0x01, seq, login(pile)).await;
        let r = p.recv(WAIT).await.expect("0x02");
        let want = TestPile::frame(
            0x02,
            seq,
            json!({"pile_code": pile, "login_result": "success"}),
            order,
        );
        let mut got = bytes::BytesMut::new();
        r.write_to(&mut got);
        assert_eq!(
            &got[..],
            &want[..],
            "0x02 echoes the sequence bytes and the pile's CRC order"
        );
        p.send(
            0x03,
            [0xFF, 0x01],
            json!({"pile_code": pile, "gun_no": "01", "gun_status": "normal"}),
        )
        .await;
        let hb = p.recv(WAIT).await.expect("0x04");
        let want = TestPile::frame(
            0x04,
            [0xFF, 0x01],
            json!({"pile_code": pile, "gun_no": "01", "heartbeat_reply": 0}),
            order,
        );
        let mut got = bytes::BytesMut::new();
        hb.write_to(&mut got);
        assert_eq!(&got[..], &want[..]);
    }
    gw.stop();
}

#[tokio::test]
async fn split_coalesced_and_garbage_bytes_are_all_handled() {
    let gw = gateway(config()).await;
    let mut p = TestPile::connect(gw.tcp_addr, CrcOrder::LowFirst).await;
    let login_bytes = TestPile::frame(0x01, [1, 0], login(PILE), CrcOrder::LowFirst);
    // Garbage, then a login split across three writes.
    p.raw(b"\x00\xFFAT+OK\r\n").await;
    for part in login_bytes.chunks(7) {
        p.raw(part).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(p.recv(WAIT).await.map(|f| f.header.code), Some(0x02));
    // Two heartbeats and a verify request coalesced in one write, with a bad-CRC frame between.
    let hb = |seq| {
        TestPile::frame(
            0x03,
            seq,
            json!({"pile_code": PILE, "gun_no": "01", "gun_status": 0}),
            CrcOrder::LowFirst,
        )
    };
    let mut bad = hb([9, 9]);
    let n = bad.len();
    bad[n - 1] ^= 0x55;
    let verify = TestPile::frame(
        0x05,
        [3, 0],
        json!({"pile_code": PILE, "billing_model_no": "0100"}),
        CrcOrder::LowFirst,
    );
    let all = [hb([1, 0]), bad, hb([2, 0]), verify].concat();
    p.raw(&all).await;
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(p.recv(WAIT).await.map(|f| (f.header.code, f.header.seq)));
    }
    assert_eq!(
        got,
        vec![
            Some((0x04, [1, 0])),
            Some((0x04, [2, 0])),
            Some((0x06, [3, 0]))
        ]
    );
    assert!(
        gw.shared
            .metrics
            .dropped_bytes
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
    );
    gw.stop();
}

#[tokio::test]
async fn frames_are_forwarded_and_billing_records_confirmed_only_after_delivery() {
    let sink = Sink::start().await;
    let mut c = config();
    c.servers = vec![format!("{}/ykc", sink.addr)];
    c.forward_retries = 1;
    c.forward_backoff_ms = 10;
    c.forward_timeout_ms = 500;
    let gw = gateway(c).await;
    let mut p = logged_in(&gw, PILE, CrcOrder::LowFirst).await;
    assert!(sink.wait_for("/ykc/01", WAIT).await, "{:?}", sink.paths());
    assert!(sink.wait_for("/ykc/online", WAIT).await);
    assert!(
        sink.wait_for("/ykc/02", WAIT).await,
        "auto-answers are forwarded too"
    );
    let record = |seq| {
        let mut b = vec![0u8; 158];
        b[..16].copy_from_slice(&[
            0x32, 0x01, 0x02, 0, 0, 0, 0x01, 0x01, 0x20, 0x20, 0x03, 0x16, 0x17, 0x14, 0x00, 0x01,
        ]);
        b[16..23].copy_from_slice(&[0x32, 0x01, 0x02, 0, 0, 0, 0x01]);
        let mut out = bytes::BytesMut::new();
        ykc::encode_frame(seq, 0, 0x3B, &b, CrcOrder::LowFirst, &mut out).unwrap();
        out.to_vec()
    };
    // The sink fails: no confirmation, so the pile keeps its record and resends.
    sink.status.store(500, std::sync::atomic::Ordering::SeqCst);
    p.raw(&record([5, 0])).await;
    assert!(
        p.recv(Duration::from_millis(1500)).await.is_none(),
        "0x40 withheld while forwarding fails"
    );
    // The sink recovers; the resent record is forwarded, then confirmed.
    sink.status.store(200, std::sync::atomic::Ordering::SeqCst);
    p.raw(&record([6, 0])).await;
    let ack = p.recv(WAIT).await.expect("0x40 after delivery");
    assert_eq!((ack.header.code, ack.header.seq), (0x40, [6, 0]));
    assert!(sink.paths().iter().any(|x| x == "/ykc/3b"));
    let (m, _) = Message::decode(0x40, &ack.body).unwrap();
    assert_eq!(
        ykc::answer::body_json(&m)["transaction_serial"],
        "32010200000001012020031617140001"
    );
    drop(p);
    assert!(sink.wait_for("/ykc/offline", WAIT).await);
    gw.stop();
}

#[tokio::test]
async fn second_login_closes_the_older_connection_and_spoofed_frames_are_dropped() {
    // This test is about replacement; the default refuses a second login while the first lives.
    let c = ServeConfig {
        duplicate_login: ykc::gateway::config::DuplicateLogin::Replace,
        ..config()
    };
    let gw = gateway(c).await;
    let mut first = logged_in(&gw, PILE, CrcOrder::LowFirst).await;
    let mut second = logged_in(&gw, PILE, CrcOrder::LowFirst).await;
    assert!(first.closed(WAIT).await, "the older connection is closed");
    assert_eq!(gw.shared.registry.len(), 1);
    // The second connection may not speak for another pile.
    second
        .send(
            0x03,
            [1, 0],
            json!({"pile_code": "32010200000099", "gun_no": "01", "gun_status": 0}),
        )
        .await;
    assert!(second.recv(Duration::from_millis(500)).await.is_none());
    let dropped = gw
        .shared
        .metrics
        .dropped_frames
        .lock()
        .unwrap()
        .get("pile_code_mismatch")
        .copied();
    assert_eq!(dropped, Some(1));
    // Frames before a login are dropped.
    let mut anon = TestPile::connect(gw.tcp_addr, CrcOrder::LowFirst).await;
    anon.send(
        0x03,
        [1, 0],
        json!({"pile_code": PILE, "gun_no": "01", "gun_status": 0}),
    )
    .await;
    assert!(anon.recv(Duration::from_millis(500)).await.is_none());
    gw.stop();
}

#[tokio::test]
async fn missed_heartbeats_and_missing_logins_close_connections() {
    let mut c = config();
    c.heartbeat_interval_secs = 1;
    c.missed_heartbeats = 1;
    c.login_timeout_secs = 1;
    let gw = gateway(c).await;
    let mut p = logged_in(&gw, PILE, CrcOrder::LowFirst).await;
    let mut silent = TestPile::connect(gw.tcp_addr, CrcOrder::LowFirst).await;
    assert!(
        p.closed(Duration::from_secs(4)).await,
        "closed after the heartbeat timeout"
    );
    assert!(
        silent.closed(Duration::from_secs(4)).await,
        "closed after the login timeout"
    );
    assert_eq!(gw.shared.registry.len(), 0);
    gw.stop();
}

#[tokio::test]
async fn rest_commands_wait_for_the_piles_reply() {
    let gw = gateway(config()).await;
    let mut p = logged_in(&gw, PILE, CrcOrder::LowFirst).await;
    let base = format!("http://{}", gw.http_addr);
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let post = |path: String, body: &'static str| {
        let req = client
            .post(format!("{base}{path}"))
            .header("content-type", "application/json")
            .body(body);
        async move {
            let r = req.send().await.expect("request");
            (r.status().as_u16(), r.text().await.unwrap_or_default())
        }
    };
    let (stop, answered) = tokio::join!(
        post(
            format!("/piles/{PILE}/commands/remote_stop_request"),
            r#"{"gun_no": "01"}"#
        ),
        p.answer_next(WAIT)
    );
    assert_eq!(
        answered,
        Some(0x36),
        "the pile gets the command and answers it"
    );
    assert_eq!(stop.0, 200, "{}", stop.1);
    assert!(
        stop.1
            .contains("\"stop_result\":{\"code\":1,\"name\":\"success\""),
        "{}",
        stop.1
    );
    let offline = post(
        "/piles/32010200000077/commands/0x36".into(),
        r#"{"gun_no": "01"}"#,
    )
    .await;
    assert_eq!(offline.0, 404, "{}", offline.1);
    let bad = post(
        format!("/piles/{PILE}/commands/0x36"),
        r#"{"gun_no": "0x"}"#,
    )
    .await;
    assert_eq!(bad.0, 400, "{}", bad.1);
    assert!(bad.1.contains("gun_no"), "{}", bad.1);
    let (timeout, _) = tokio::join!(
        post(
            format!("/piles/{PILE}/commands/0x92?timeout_ms=300"),
            r#"{"execute_mode": 1}"#
        ),
        p.recv(WAIT)
    );
    assert_eq!(timeout.0, 504, "{}", timeout.1);
    let up = post(format!("/piles/{PILE}/commands/0x01"), "{}").await;
    assert_eq!(
        up.0, 400,
        "pile-to-platform frames cannot be commanded: {}",
        up.1
    );
    let proxied = post(
        "/proxy/92".into(),
        r#"{"id": "32010200000001", "header": {"encrypted": false, "seq": 1}, "execute_mode": 1}"#,
    )
    .await;
    assert_eq!(proxied.0, 200, "{}", proxied.1);
    assert_eq!(p.recv(WAIT).await.map(|f| f.header.code), Some(0x92));
    let text = |path: &str| {
        let request = client.get(format!("{base}{path}"));
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    let health = text("/healthz").await;
    assert!(health.contains("\"piles_online\":1"), "{health}");
    let metrics = text("/metrics").await;
    assert!(
        metrics.contains("ykc_frames_in_total{type=\"01\"} 1")
            && metrics.contains("ykc_commands_timed_out_total 1"),
        "{metrics}"
    );
    gw.stop();
}

fn record_frame(seq: [u8; 2]) -> Vec<u8> {
    let mut b = vec![0u8; 158];
    b[..16].copy_from_slice(&[
        0x32, 0x01, 0x02, 0, 0, 0, 0x01, 0x01, 0x20, 0x20, 0x03, 0x16, 0x17, 0x14, 0x00, 0x02,
    ]);
    b[16..23].copy_from_slice(&[0x32, 0x01, 0x02, 0, 0, 0, 0x01]);
    let mut out = bytes::BytesMut::new();
    ykc::encode_frame(seq, 0, 0x3B, &b, CrcOrder::LowFirst, &mut out).unwrap();
    out.to_vec()
}

#[tokio::test]
async fn nats_forwarding_and_nats_restarts_while_piles_are_served() {
    use futures::StreamExt;
    let port = ykc_tests::parts::free_port();
    let mut nats = ykc_tests::parts::NatsServer::start(port, None).await;
    let mut c = config();
    c.messaging_server_type = ykc::gateway::config::MessagingServerType::Nats;
    c.servers = vec![nats.url()];
    c.forward_timeout_ms = 500;
    c.forward_retries = 0;
    let gw = gateway(c).await;
    let client = async_nats::connect(nats.url())
        .await
        .expect("subscriber connects");
    let mut sub = client.subscribe("charge.proxy.ykc.>").await.unwrap();
    client.flush().await.unwrap();
    // The gateway connects to NATS in the background; frames before that are retried, then counted.
    let forwarder = gw.shared.forwarders.first().expect("a NATS forwarder");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !forwarder.is_connected() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(forwarder.is_connected(), "the gateway connects to NATS");
    let mut p = logged_in(&gw, PILE, CrcOrder::LowFirst).await;
    let mut subjects = Vec::new();
    // Generous and bounded: on a loaded 2-core machine the first publishes can take seconds.
    let until = tokio::time::Instant::now() + Duration::from_secs(15);
    while subjects.len() < 3 {
        match tokio::time::timeout_at(until, sub.next()).await {
            Ok(Some(m)) => subjects.push(m.subject.to_string()),
            _ => break,
        }
    }
    subjects.sort();
    assert_eq!(
        subjects,
        [
            "charge.proxy.ykc.01",
            "charge.proxy.ykc.02",
            "charge.proxy.ykc.online"
        ],
        "forwarder: {:?}, connected {}, subscriber {:?}",
        forwarder.stats(),
        forwarder.is_connected(),
        client.connection_state()
    );
    // NATS goes away: piles are still answered, but billing records are not confirmed.
    nats.kill();
    drop(sub);
    p.send(
        0x03,
        [2, 0],
        json!({"pile_code": PILE, "gun_no": "01", "gun_status": 0}),
    )
    .await;
    assert_eq!(
        p.recv(WAIT).await.map(|f| f.header.code),
        Some(0x04),
        "heartbeats answered without NATS"
    );
    p.raw(&record_frame([3, 0])).await;
    assert!(
        p.recv(Duration::from_millis(1200)).await.is_none(),
        "no 0x40 while NATS is down"
    );
    // NATS returns on the same port: the pile's resent record is forwarded and confirmed.
    let _nats = ykc_tests::parts::NatsServer::start(port, None).await;
    let mut confirmed = false;
    for i in 0..20u8 {
        p.raw(&record_frame([4 + i, 0])).await;
        if let Some(f) = p.recv(Duration::from_millis(500)).await {
            confirmed = f.header.code == 0x40;
            break;
        }
    }
    assert!(confirmed, "0x40 once NATS is back");
    gw.stop();
}

#[tokio::test]
async fn the_go_proxy_bodies_work_for_its_eight_routes() {
    let gw = gateway(config()).await;
    let mut p = logged_in(&gw, PILE, CrcOrder::LowFirst).await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let base = format!("http://{}", gw.http_addr);
    let rate_list: Vec<u8> = (0..48).map(|i| (i % 4) as u8).collect();
    let cases = [
        (
            "02",
            json!({"result": true}),
            0x02,
            json!({"login_result": {"code": 0, "name": "success", "meaning": "登陆成功"}}),
        ),
        (
            "06",
            json!({"billingModelCode": "0100", "result": false}),
            0x06,
            json!({"billing_model_no": "0100", "verify_result": {"code": 1}}),
        ),
        (
            "0a",
            json!({"billingModelCode": "0100", "sharpUnitPrice": 200000, "sharpServiceFee": 40000, "peakUnitPrice": 100000,
            "peakServiceFee": 40000, "flatUnitPrice": 70000, "flatServiceFee": 40000, "valleyUnitPrice": 30000, "valleyServiceFee": 40000,
            "accrualRatio": 0, "rateList": rate_list}),
            0x0A,
            json!({"sharp_energy_price": 2.0, "sharp_service_price": 0.4, "valley_energy_price": 0.3}),
        ),
        (
            "34",
            json!({"tradeSeq": "32010200000001012018061914444680", "gunId": "01", "logicCard": "0000001000000573",
            "physicalCard": "00000000D14B0A54", "balance": 1000000}),
            0x34,
            json!({"account_balance": 10000.0, "logical_card_no": "0000001000000573"}),
        ),
        ("36", json!({"gunId": "01"}), 0x36, json!({"gun_no": "01"})),
        (
            "40",
            json!({"tradeSeq": "32010200000001012018061914444680", "result": 0}),
            0x40,
            json!({"confirm_result": {"code": 0}}),
        ),
        (
            "58",
            json!({"billingModelCode": "0100", "sharpUnitPrice": 200000, "sharpServiceFee": 40000, "peakUnitPrice": 100000,
            "peakServiceFee": 40000, "flatUnitPrice": 70000, "flatServiceFee": 40000, "valleyUnitPrice": 30000, "valleyServiceFee": 40000,
            "accrualRatio": 0, "rateList": (0..48).map(|_| 3).collect::<Vec<u8>>()}),
            0x58,
            json!({"rate_slots": {"47": {"name": "valley"}}}),
        ),
        (
            "92",
            json!({"control": 2}),
            0x92,
            json!({"execute_mode": {"code": 2}}),
        ),
    ];
    for (route, mut body, code, expect) in cases {
        body["id"] = json!(PILE);
        body["header"] = json!({"encrypted": false, "seq": 0x1234});
        let r = client
            .post(format!("{base}/proxy/{route}"))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status().as_u16(),
            200,
            "/proxy/{route}: {}",
            r.text().await.unwrap_or_default()
        );
        let f = p
            .recv(WAIT)
            .await
            .unwrap_or_else(|| panic!("/proxy/{route} reaches the pile"));
        assert_eq!(
            (f.header.code, f.header.seq),
            (code, [0x34, 0x12]),
            "/proxy/{route}: both sequence bytes, little-endian"
        );
        let got = ykc::answer::body_json(&Message::decode(code, &f.body).unwrap().0);
        for (k, want) in expect.as_object().unwrap() {
            let v = &got[k.as_str()];
            match want {
                serde_json::Value::Object(sub) => {
                    for (sk, sv) in sub {
                        let inner = if let Ok(i) = sk.parse::<usize>() {
                            &v[i]
                        } else {
                            v
                        };
                        match sv {
                            serde_json::Value::Object(o) => o.iter().for_each(|(kk, vv)| {
                                assert_eq!(&inner[kk.as_str()], vv, "/proxy/{route} {k}")
                            }),
                            _ => assert_eq!(&v[sk.as_str()], sv, "/proxy/{route} {k}.{sk}"),
                        }
                    }
                }
                _ => assert_eq!(v, want, "/proxy/{route} {k}"),
            }
        }
    }
    gw.stop();
}

#[tokio::test]
async fn simulated_piles_log_in_and_answer_rest_commands() {
    let gw = gateway(config()).await;
    let target = gw.tcp_addr.to_string();
    let args = ykc::sim::SimArgs::try_parse_from([
        "sim",
        "--target",
        &target,
        "--piles",
        "5",
        "--duration",
        "4s",
        "--heartbeat-interval",
        "200ms",
        "--realtime-interval",
        "300ms",
    ])
    .expect("sim args");
    let sim = tokio::spawn(ykc::sim::run(args));
    let deadline = tokio::time::Instant::now() + WAIT;
    while gw.shared.registry.len() < 5 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(gw.shared.registry.len(), 5, "five simulated piles online");
    let pile = gw.shared.registry.list()[2].pile_code.clone();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let body = json!({"transaction_serial": format!("{pile}012026112212000001"), "gun_no": "01",
        "logical_card_no": "0000001000000573", "physical_card_no": "00000000D14B0A54", "account_balance": 100.0});
    let r = client
        .post(format!(
            "http://{}/piles/{pile}/commands/remote_start_request",
            gw.http_addr
        ))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: serde_json::Value = r.json_value().await;
    assert_eq!(v["reply"]["frame_type"], "0x33");
    assert_eq!(v["reply"]["body_data"]["start_result"]["name"], "success");
    assert_eq!(
        v["reply"]["body_data"]["transaction_serial"],
        body["transaction_serial"]
    );
    let summary = sim.await.unwrap().expect("sim runs");
    assert_eq!(summary.logins_ok, 5);
    assert!(
        summary.frames_received > 0 && summary.errors.is_empty(),
        "{summary}"
    );
    gw.stop();
}

trait JsonValue {
    async fn json_value(self) -> serde_json::Value;
}

impl JsonValue for reqwest::Response {
    async fn json_value(self) -> serde_json::Value {
        serde_json::from_str(&self.text().await.unwrap_or_default()).unwrap_or_default()
    }
}

#[tokio::test]
async fn allowlist_billing_model_file_time_sync_and_connection_limit() {
    let dir = std::env::temp_dir().join(format!("ykc-gw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let allow = dir.join("allow.txt");
    std::fs::write(&allow, format!("{PILE}\n")).unwrap();
    let model = dir.join("model.json");
    std::fs::write(&model, r#"{"billing_model_no": "0100", "sharp_energy_price": 1.2, "rate_slots": [3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3]}"#).unwrap();
    let c = ServeConfig {
        login_allowlist_file: Some(allow),
        billing_model_file: Some(model),
        auto_billing_model_response: true,
        time_sync_after_login: true,
        max_connections: 2,
        ..config()
    };
    let gw = gateway(c).await;
    // A pile not on the allowlist is refused and closed.
    let mut stranger = TestPile::connect(gw.tcp_addr, CrcOrder::LowFirst).await;
    stranger.send(0x01, [1, 0], login("32010200000002")).await;
    let r = stranger.recv(WAIT).await.expect("a refusal");
    assert_eq!(
        ykc::answer::body_json(&Message::decode(0x02, &r.body).unwrap().0)["login_result"]["name"],
        "failure"
    );
    assert!(stranger.closed(WAIT).await);
    // The allowed pile logs in and gets the time synced.
    let mut p = logged_in(&gw, PILE, CrcOrder::LowFirst).await;
    let sync = p.recv(WAIT).await.expect("0x56 after login");
    assert_eq!(sync.header.code, 0x56);
    let t = ykc::answer::body_json(&Message::decode(0x56, &sync.body).unwrap().0);
    assert_eq!(t["pile_code"], PILE);
    assert!(t["current_time"].as_str().unwrap().ends_with("+08:00"));
    // Its billing model differs from the configured one: inconsistent; then it asks and gets the file's model.
    p.send(
        0x05,
        [2, 0],
        json!({"pile_code": PILE, "billing_model_no": "0001"}),
    )
    .await;
    let v = p.recv(WAIT).await.expect("0x06");
    assert_eq!(
        ykc::answer::body_json(&Message::decode(0x06, &v.body).unwrap().0)["verify_result"]["name"],
        "inconsistent"
    );
    p.send(
        0x05,
        [3, 0],
        json!({"pile_code": PILE, "billing_model_no": "0100"}),
    )
    .await;
    let v = p.recv(WAIT).await.expect("0x06");
    assert_eq!(
        ykc::answer::body_json(&Message::decode(0x06, &v.body).unwrap().0)["verify_result"]["name"],
        "consistent"
    );
    p.send(0x09, [4, 0], json!({"pile_code": PILE})).await;
    let m = p.recv(WAIT).await.expect("0x0A");
    let body = ykc::answer::body_json(&Message::decode(0x0A, &m.body).unwrap().0);
    assert_eq!(
        (
            body["pile_code"].as_str(),
            body["billing_model_no"].as_str()
        ),
        (Some(PILE), Some("0100"))
    );
    assert_eq!(body["sharp_energy_price"], 1.2);
    assert_eq!(body["rate_slots"][47]["name"], "valley");
    // max_connections = 2: one open pile plus one more; a third is refused.
    let _second = TestPile::connect(gw.tcp_addr, CrcOrder::LowFirst).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = TestPile::connect(gw.tcp_addr, CrcOrder::LowFirst).await;
    assert!(third.closed(WAIT).await, "over the connection limit");
    assert!(
        gw.shared
            .metrics
            .connections_refused
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 1
    );
    std::fs::remove_dir_all(&dir).ok();
    gw.stop();
}

#[tokio::test]
async fn http_and_nats_together_and_billing_records_wait_for_both() {
    use futures::StreamExt;
    let sink = Sink::start().await;
    let port = ykc_tests::parts::free_port();
    let _nats = ykc_tests::parts::NatsServer::start(port, None).await;
    let c = ServeConfig {
        servers: vec![
            format!("http://{}/ykc", sink.addr),
            format!("nats://127.0.0.1:{port}"),
        ],
        forward_timeout_ms: 500,
        forward_retries: 0,
        ..config()
    };
    let gw = gateway(c).await;
    assert_eq!(gw.shared.forwarders.len(), 2);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !gw.shared.forwarders.iter().all(|f| f.is_connected())
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let client = async_nats::connect(format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    let mut sub = client.subscribe("charge.proxy.ykc.3b").await.unwrap();
    client.flush().await.unwrap();
    let mut p = logged_in(&gw, PILE, CrcOrder::LowFirst).await;
    assert!(sink.wait_for("/ykc/01", WAIT).await);
    // HTTP fails: NATS alone is not enough to confirm billing data.
    sink.status.store(503, std::sync::atomic::Ordering::SeqCst);
    p.raw(&record_frame([7, 0])).await;
    assert!(
        p.recv(Duration::from_millis(1200)).await.is_none(),
        "no 0x40 while one sink fails"
    );
    sink.status.store(200, std::sync::atomic::Ordering::SeqCst);
    p.raw(&record_frame([8, 0])).await;
    assert_eq!(p.recv(WAIT).await.map(|f| f.header.code), Some(0x40));
    assert!(sink.paths().iter().any(|x| x == "/ykc/3b"));
    assert!(
        tokio::time::timeout(WAIT, sub.next())
            .await
            .ok()
            .flatten()
            .is_some(),
        "NATS got the record too"
    );
    gw.stop();
}

#[tokio::test]
async fn the_registry_learns_crc_order_and_sequence_style() {
    let gw = gateway(config()).await;
    let mut p = logged_in(&gw, PILE, CrcOrder::HighFirst).await;
    for seq in [[0x00, 0x08], [0x00, 0x09], [0x00, 0x0A]] {
        p.send(
            0x03,
            seq,
            json!({"pile_code": PILE, "gun_no": "01", "gun_status": 0}),
        )
        .await;
        assert!(p.recv(WAIT).await.is_some());
    }
    let key = ykc::Bcd::<7>::from_digits(PILE).unwrap().0;
    let info = gw.shared.registry.get(&key).unwrap();
    assert_eq!(
        (info.crc_order, info.sequence_style),
        (
            Some(CrcOrder::HighFirst),
            ykc::gateway::registry::SequenceStyle::Be
        )
    );
    gw.stop();
}

#[tokio::test]
async fn shutdown_reaches_every_connection_and_drains_the_offline_events() {
    let sink = Sink::start().await;
    let mut c = config();
    c.servers = vec![format!("{}/ykc", sink.addr)];
    let gw = gateway(c).await;
    let mut a = logged_in(&gw, PILE, CrcOrder::LowFirst).await;
    let mut b = logged_in(&gw, "32010200000002", CrcOrder::HighFirst).await;
    let mut anon = TestPile::connect(gw.tcp_addr, CrcOrder::LowFirst).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while gw.shared.gauges().connections_open < 3 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let gauges = gw.shared.gauges();
    assert_eq!((gauges.connections_open, gauges.piles_online), (3, 2));
    assert!(
        gw.shutdown(WAIT).await,
        "connections and forwarders finished within the grace"
    );
    for p in [&mut a, &mut b, &mut anon] {
        assert!(p.closed(WAIT).await, "every connection is closed");
    }
    let gauges = gw.shared.gauges();
    assert_eq!((gauges.connections_open, gauges.piles_online), (0, 0));
    let offline = sink.paths().iter().filter(|p| *p == "/ykc/offline").count();
    assert_eq!(
        offline, 2,
        "both piles went offline, and the backend heard it"
    );
    assert!(
        tokio::net::TcpStream::connect(gw.tcp_addr).await.is_err(),
        "the listener is gone"
    );
}
