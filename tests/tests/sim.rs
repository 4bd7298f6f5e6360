//! `ykc sim` against a tiny fake platform built from the real `ykc::FrameCodec`, over 127.0.0.1.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Map, Value};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::{timeout, Instant};
use tokio_util::codec::Framed;
use ykc::answer::{answer, body_json, correlates};
use ykc::frames::*;
use ykc::sim::{run, run_until, SimArgs, Summary};
use ykc::{CrcOrder, Direction, FrameCodec, Message, OutFrame, OwnedFrame, StreamItem};

/// How the fake platform behaves.
#[derive(Default)]
struct Opts {
    /// Answer 0x05 with "inconsistent" (the pile then asks for the model with 0x09).
    inconsistent: bool,
    /// Transaction records (0x3B) to leave unconfirmed before confirming again.
    withhold_acks: AtomicU32,
    /// Answer 0x01 with "login failed".
    refuse_login: bool,
    /// Never answer heartbeats.
    silent_heartbeats: bool,
}

/// One frame the platform received.
#[derive(Debug)]
struct Event {
    pile: String,
    frame: OwnedFrame,
    msg: Message,
}

/// A fake platform: auto-answers what the pile asks (login, heartbeat, billing model,
/// transaction records) with `ykc::answer`, reports every frame it gets, and sends what a
/// test tells it to a pile by pile code.
struct Platform {
    addr: SocketAddr,
    events: mpsc::UnboundedReceiver<Event>,
    piles: Arc<Mutex<HashMap<String, mpsc::UnboundedSender<OutFrame>>>>,
    received: Arc<AtomicU64>,
    sent: Arc<AtomicU64>,
    conns: Arc<Mutex<JoinSet<()>>>,
    stop: Arc<AtomicBool>,
}

impl Platform {
    async fn start(opts: Opts) -> Platform {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, events) = mpsc::unbounded_channel();
        let piles: Arc<Mutex<HashMap<String, mpsc::UnboundedSender<OutFrame>>>> = Arc::default();
        let received = Arc::new(AtomicU64::new(0));
        let sent = Arc::new(AtomicU64::new(0));
        let conns: Arc<Mutex<JoinSet<()>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let opts = Arc::new(opts);
        {
            let (piles, received, sent, conns, stop) = (
                piles.clone(),
                received.clone(),
                sent.clone(),
                conns.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                while !stop.load(SeqCst) {
                    let Ok(Ok((sock, _))) =
                        timeout(Duration::from_millis(100), listener.accept()).await
                    else {
                        continue;
                    };
                    let c = Conn {
                        tx: tx.clone(),
                        piles: piles.clone(),
                        received: received.clone(),
                        sent: sent.clone(),
                        opts: opts.clone(),
                    };
                    conns.lock().unwrap().spawn(c.serve(sock));
                }
            });
        }
        Platform {
            addr,
            events,
            piles,
            received,
            sent,
            conns,
            stop,
        }
    }

    /// The next frame matching `pred` (others are skipped); fails after 3 s.
    async fn expect(&mut self, what: &str, pred: impl Fn(&Event) -> bool) -> Event {
        let until = Instant::now() + Duration::from_secs(3);
        loop {
            match tokio::time::timeout_at(until, self.events.recv()).await {
                Ok(Some(e)) if pred(&e) => return e,
                Ok(Some(_)) => {}
                Ok(None) => panic!("platform gone while waiting for {what}"),
                Err(_) => panic!("timed out waiting for {what}"),
            }
        }
    }

    /// Sends `msg` to pile `pile` with sequence bytes `seq`.
    fn send(&self, pile: &str, seq: [u8; 2], msg: &Message) {
        let mut body = BytesMut::new();
        msg.encode(&mut body).unwrap();
        let tx = self
            .piles
            .lock()
            .unwrap()
            .get(pile)
            .cloned()
            .expect("pile connected");
        tx.send(OutFrame::new(seq, msg.code(), body.freeze()))
            .unwrap();
    }

    /// Waits until every connection has closed; returns (frames received, frames sent).
    async fn finish(self) -> (u64, u64) {
        self.stop.store(true, SeqCst);
        let mut set = std::mem::take(&mut *self.conns.lock().unwrap());
        timeout(Duration::from_secs(3), async {
            while set.join_next().await.is_some() {}
        })
        .await
        .expect("connections close");
        (self.received.load(SeqCst), self.sent.load(SeqCst))
    }
}

struct Conn {
    tx: mpsc::UnboundedSender<Event>,
    piles: Arc<Mutex<HashMap<String, mpsc::UnboundedSender<OutFrame>>>>,
    received: Arc<AtomicU64>,
    sent: Arc<AtomicU64>,
    opts: Arc<Opts>,
}

impl Conn {
    async fn serve(self, sock: tokio::net::TcpStream) {
        let mut framed = Framed::new(sock, FrameCodec::new());
        let (out_tx, mut out_rx) = mpsc::unbounded_channel::<OutFrame>();
        loop {
            tokio::select! {
                item = framed.next() => {
                    let Some(Ok(StreamItem::Frame(frame))) = item else { break };
                    self.received.fetch_add(1, SeqCst);
                    let (msg, _) = Message::decode(frame.header.code, &frame.body).unwrap();
                    // A frame without a pile code (none the simulator sends) is filed under "".
                    let pile = body_json(&msg).get("pile_code").and_then(Value::as_str).unwrap_or_default().to_string();
                    if matches!(msg, Message::LoginRequest(_)) {
                        self.piles.lock().unwrap().insert(pile.clone(), out_tx.clone());
                    }
                    if let Some(reply) = self.auto_answer(&msg) {
                        let mut body = BytesMut::new();
                        reply.encode(&mut body).unwrap();
                        if framed.send(OutFrame::reply_to(&frame, reply.code(), body.freeze())).await.is_err() {
                            break;
                        }
                        self.sent.fetch_add(1, SeqCst);
                    }
                    let _ = self.tx.send(Event { pile, frame, msg });
                }
                Some(out) = out_rx.recv() => {
                    if framed.send(out).await.is_err() {
                        break;
                    }
                    self.sent.fetch_add(1, SeqCst);
                }
            }
        }
    }

    fn auto_answer(&self, msg: &Message) -> Option<Message> {
        let o = &self.opts;
        let overrides: Map<String, Value> = match msg {
            Message::LoginRequest(_) if o.refuse_login => json!({"login_result": "failure"}),
            Message::HeartbeatRequest(_) if o.silent_heartbeats => return None,
            Message::BillingModelVerifyRequest(_) if o.inconsistent => {
                json!({"verify_result": "inconsistent"})
            }
            Message::BillingModelRequest(_) => json!({
                "billing_model_no": "0100",
                "peak_energy_price": 1.0, "peak_service_price": 0.4,
                "flat_energy_price": 0.8, "flat_service_price": 0.4,
                "rate_slots": vec!["flat"; 48],
            }),
            Message::TransactionRecord(_) => {
                if o.withhold_acks.load(SeqCst) > 0 {
                    o.withhold_acks.fetch_sub(1, SeqCst);
                    return None;
                }
                json!({})
            }
            Message::LoginRequest(_)
            | Message::HeartbeatRequest(_)
            | Message::BillingModelVerifyRequest(_) => json!({}),
            _ => return None,
        }
        .as_object()
        .cloned()
        .expect("every override above is a JSON object");
        Some(answer(msg, &overrides).unwrap())
    }
}

fn args(addr: SocketAddr, extra: &[&str]) -> SimArgs {
    let target = addr.to_string();
    let mut v = vec!["sim"];
    if !extra.contains(&"--target") {
        v.extend_from_slice(&["--target", target.as_str()]);
    }
    if !extra.contains(&"--progress-interval") {
        v.extend_from_slice(&["--progress-interval", "0s"]);
    }
    v.extend_from_slice(extra);
    SimArgs::try_parse_from(v).unwrap()
}

const PILE: &str = "32010200000001";
const SERIAL: &str = "32010200000001012024061514300001";

fn code_of(e: &Event) -> u8 {
    e.frame.header.code
}

#[tokio::test]
async fn login_model_heartbeats_charging_cycle_and_commands() {
    let mut p = Platform::start(Opts {
        inconsistent: true,
        withhold_acks: AtomicU32::new(1),
        ..Opts::default()
    })
    .await;
    let a = args(
        p.addr,
        &[
            "--duration",
            "20s",
            "--heartbeat-interval",
            "200ms",
            "--realtime-interval",
            "250ms",
            "--record-resend-interval",
            "300ms",
            "--reply-timeout",
            "5s",
        ],
    );
    let (stop_sim, sim_stopped) = tokio::sync::oneshot::channel::<()>();
    let began = Instant::now();
    let sim = tokio::spawn(run_until(a, sim_stopped));

    // Login, billing model verify ("inconsistent") → model request, heartbeat, idle real-time data.
    let login = p.expect("0x01", |e| code_of(e) == 0x01).await;
    assert_eq!(login.pile, PILE);
    let Message::LoginRequest(l) = &login.msg else {
        unreachable!()
    };
    assert_eq!((l.gun_count, l.protocol_version), (1, 16));
    let verify = p.expect("0x05", |e| code_of(e) == 0x05).await;
    assert_eq!(body_json(&verify.msg)["billing_model_no"], "0000");
    p.expect("0x09", |e| code_of(e) == 0x09).await;
    let hb = p.expect("0x03", |e| code_of(e) == 0x03).await;
    assert_eq!(body_json(&hb.msg)["gun_no"], "01");
    let idle = p.expect("idle 0x13", |e| code_of(e) == 0x13).await;
    let Message::RealtimeData(rt) = &idle.msg else {
        unreachable!()
    };
    assert_eq!(rt.status, RealtimeDataStatus::Idle);

    // 0x34 remote start → 0x33 success, same sequence bytes and serial.
    let start = Message::from_json(
        0x34,
        &json!({"transaction_serial": SERIAL, "pile_code": PILE, "gun_no": "01",
                "logical_card_no": "0000001000000573", "physical_card_no": "00000000D14B0A54", "account_balance": 1000.0}),
    )
    .unwrap();
    p.send(PILE, [0x7C, 0x01], &start);
    let started = p.expect("0x33", |e| code_of(e) == 0x33).await;
    assert_eq!(started.frame.header.seq, [0x7C, 0x01]);
    let Message::RemoteStartResponse(r) = &started.msg else {
        unreachable!()
    };
    assert_eq!(r.transaction_serial.to_string(), SERIAL);
    assert_eq!(r.start_result, RemoteStartResponseStartResult::Success);
    assert!(correlates(&start, &started.msg));

    // Charging: 0x13 carries status charging, the serial and rising energy/amount.
    let is_charging = |e: &Event| matches!(&e.msg, Message::RealtimeData(r) if r.status == RealtimeDataStatus::Charging);
    let first = p.expect("charging 0x13", is_charging).await;
    let mut later = p.expect("charging 0x13", is_charging).await;
    for _ in 0..3 {
        if let (Message::RealtimeData(a), Message::RealtimeData(b)) = (&first.msg, &later.msg) {
            if b.charged_energy > a.charged_energy {
                break;
            }
        }
        later = p.expect("charging 0x13", is_charging).await;
    }
    let (Message::RealtimeData(a), Message::RealtimeData(b)) = (&first.msg, &later.msg) else {
        unreachable!()
    };
    assert_eq!(b.transaction_no.to_string(), SERIAL);
    assert!(
        b.charged_energy > a.charged_energy && b.charged_amount >= a.charged_amount,
        "{a:?} → {b:?}"
    );
    assert_eq!(b.gun_plugged, RealtimeDataGunPlugged::Yes);

    // A second 0x34 while charging fails with "gun already charging".
    p.send(PILE, [0x7C, 0x02], &start);
    let again = p.expect("0x33", |e| code_of(e) == 0x33).await;
    let Message::RemoteStartResponse(r) = &again.msg else {
        unreachable!()
    };
    assert_eq!(
        (r.start_result, r.fail_reason),
        (
            RemoteStartResponseStartResult::Failure,
            RemoteStartResponseFailReason::GunAlreadyCharging
        )
    );

    // 0x36 remote stop → 0x35, 0x19, 0x3B (withheld once: resent), then confirmed.
    let stop = Message::from_json(0x36, &json!({"pile_code": PILE, "gun_no": "01"})).unwrap();
    p.send(PILE, [0x36, 0x00], &stop);
    let stopped = p.expect("0x35", |e| code_of(e) == 0x35).await;
    assert_eq!(stopped.frame.header.seq, [0x36, 0x00]);
    let Message::RemoteStopResponse(r) = &stopped.msg else {
        unreachable!()
    };
    assert_eq!(r.stop_result, RemoteStopResponseStopResult::Success);
    let end = p.expect("0x19", |e| code_of(e) == 0x19).await;
    assert_eq!(body_json(&end.msg)["transaction_serial"], SERIAL);
    let rec1 = p.expect("0x3B", |e| code_of(e) == 0x3B).await;
    let Message::TransactionRecord(t) = &rec1.msg else {
        unreachable!()
    };
    assert_eq!(t.transaction_serial.to_string(), SERIAL);
    assert!(
        t.total_energy > 0 && t.meter_stop == t.meter_start + u64::from(t.total_energy),
        "{t:?}"
    );
    assert_eq!(t.physical_card_no.0, [0, 0, 0, 0, 0xD1, 0x4B, 0x0A, 0x54]);
    assert_eq!(t.stop_reason, StopReason::CompleteAppStop);
    let rec2 = p.expect("resent 0x3B", |e| code_of(e) == 0x3B).await;
    assert_eq!(rec2.frame.body, rec1.frame.body, "the same record, resent");
    assert_ne!(rec2.frame.header.seq, rec1.frame.header.seq);
    let idle = p
        .expect(
            "idle 0x13",
            |e| matches!(&e.msg, Message::RealtimeData(r) if r.status == RealtimeDataStatus::Idle),
        )
        .await;
    assert_eq!(body_json(&idle.msg)["gun_no"], "01");

    // Stop when not charging → failure.
    p.send(PILE, [0x36, 0x01], &stop);
    let again = p.expect("0x35", |e| code_of(e) == 0x35).await;
    let Message::RemoteStopResponse(r) = &again.msg else {
        unreachable!()
    };
    assert_eq!(r.fail_reason, RemoteStopResponseFailReason::GunNotCharging);

    // 0x92 → 0x91, 0x56 → 0x55 (time echoed), 0x12 → 0x13, all with the sequence bytes echoed.
    let reboot = Message::from_json(
        0x92,
        &json!({"pile_code": PILE, "execute_mode": "immediate"}),
    )
    .unwrap();
    p.send(PILE, [0x92, 0xAB], &reboot);
    let r = p.expect("0x91", |e| code_of(e) == 0x91).await;
    assert_eq!(r.frame.header.seq, [0x92, 0xAB]);
    let Message::RemoteRebootResponse(rr) = &r.msg else {
        unreachable!()
    };
    assert_eq!(rr.result, RemoteRebootResponseResult::Success);
    let sync = Message::from_json(
        0x56,
        &json!({"pile_code": PILE, "current_time": "2024-06-15T14:30:00.000+08:00"}),
    )
    .unwrap();
    p.send(PILE, [0x56, 0xCD], &sync);
    let r = p.expect("0x55", |e| code_of(e) == 0x55).await;
    assert_eq!(r.frame.header.seq, [0x56, 0xCD]);
    assert_eq!(
        body_json(&r.msg)["current_time"],
        "2024-06-15T14:30:00.000+08:00"
    );
    assert!(correlates(&sync, &r.msg));
    let read = Message::from_json(0x12, &json!({"pile_code": PILE, "gun_no": "01"})).unwrap();
    p.send(PILE, [0x12, 0xEF], &read);
    let r = p
        .expect("0x13 reply", |e| {
            code_of(e) == 0x13 && e.frame.header.seq == [0x12, 0xEF]
        })
        .await;
    assert!(correlates(&read, &r.msg));

    // Stopped early (not at --duration): the pile still says goodbye cleanly.
    stop_sim.send(()).unwrap();
    let s: Summary = sim.await.unwrap().unwrap();
    assert!(
        began.elapsed() < Duration::from_secs(10) && s.duration_s < 10.0,
        "{s}"
    );
    let (received, sent) = p.finish().await;
    assert_eq!(
        (s.connections_ok, s.connections_failed, s.logins_ok),
        (1, 0, 1)
    );
    assert_eq!(s.frames_sent, received, "{s}");
    assert_eq!(s.frames_received, sent, "{s}");
    assert_eq!(s.errors.get("record_resent"), Some(&1), "{s}");
    // The withheld record's reply may or may not time out before the end; nothing else went wrong.
    let other: Vec<_> = s
        .errors
        .keys()
        .filter(|k| !["record_resent", "reply_timeout_0x40"].contains(&k.as_str()))
        .collect();
    assert!(other.is_empty(), "{s}");
    // Everything the platform sent but its 7 commands was an answer the pile matched.
    assert_eq!(s.replies, sent - 7, "{s}");
    assert!(
        s.replies >= 5
            && s.reply_latency_p50_ms > 0.0
            && s.reply_latency_max_ms >= s.reply_latency_p99_ms,
        "{s}"
    );
}

/// Every platform → pile frame with a reply gets that reply, its sequence bytes echoed and its
/// copied fields (pile, gun, serial …) matching.
#[tokio::test]
async fn every_platform_request_is_answered() {
    let mut p = Platform::start(Opts::default()).await;
    let sim = tokio::spawn(run(args(
        p.addr,
        &["--duration", "2s", "--crc-order", "be"],
    )));
    let login = p.expect("0x01", |e| code_of(e) == 0x01).await;
    assert_eq!(login.frame.crc_order, CrcOrder::HighFirst);
    p.expect("idle 0x13", |e| code_of(e) == 0x13).await;
    let mut answered = BTreeSet::new();
    for meta in FRAMES.iter().filter(|m| m.direction == Direction::Down) {
        let Some(reply) = meta.reply else { continue };
        let (zero, _) = Message::decode(meta.code, &vec![0u8; meta.body_len.fixed]).unwrap();
        let mut body = body_json(&zero);
        body.insert("pile_code".into(), json!(PILE));
        if body.contains_key("gun_no") {
            body.insert("gun_no".into(), json!("01"));
        }
        let request = Message::from_json(meta.code, &Value::Object(body)).unwrap();
        let seq = [meta.code, 0xA5];
        p.send(PILE, seq, &request);
        let r = p
            .expect(&format!("reply 0x{reply:02X}"), |e| {
                code_of(e) == reply && e.frame.header.seq == seq
            })
            .await;
        assert_eq!(
            r.frame.crc_order,
            CrcOrder::HighFirst,
            "replies in the pile's CRC order"
        );
        assert!(
            correlates(&request, &r.msg),
            "0x{:02X} → {:?}",
            meta.code,
            r.msg
        );
        answered.insert(meta.code);
    }
    let all = BTreeSet::from([
        0x12, 0x34, 0x36, 0x42, 0x44, 0x46, 0x48, 0x52, 0x56, 0x58, 0x62, 0x92, 0x94, 0xA4,
    ]);
    assert_eq!(answered, all, "{answered:02X?}");
    let s = sim.await.unwrap().unwrap();
    let (received, sent) = p.finish().await;
    assert_eq!((s.frames_sent, s.frames_received), (received, sent), "{s}");
    // Zero bodies hold impossible dates (day 0), which the pile notes as decode warnings.
    assert!(
        s.errors.keys().all(|k| k.starts_with("decode_warning_0x")),
        "{s}"
    );
}

#[tokio::test]
async fn five_piles_distinct_codes_counts_add_up() {
    let mut p = Platform::start(Opts::default()).await;
    let a = args(
        p.addr,
        &[
            "--piles",
            "5",
            "--guns",
            "2",
            "--duration",
            "1500ms",
            "--ramp",
            "200ms",
            "--heartbeat-interval",
            "200ms",
            "--realtime-interval",
            "250ms",
        ],
    );
    let sim = tokio::spawn(run(a));
    let mut codes = BTreeSet::new();
    for _ in 0..5 {
        codes.insert(p.expect("0x01", |e| code_of(e) == 0x01).await.pile);
    }
    let want: BTreeSet<String> = (1..=5).map(|i| format!("3201020000000{i}")).collect();
    assert_eq!(codes, want);
    let s = sim.await.unwrap().unwrap();
    let (received, sent) = p.finish().await;
    assert_eq!(
        (s.piles, s.connections_ok, s.connections_failed, s.logins_ok),
        (5, 5, 0, 5),
        "{s}"
    );
    assert_eq!(s.frames_sent, received, "{s}");
    assert_eq!(s.frames_received, sent, "{s}");
    // The platform only answers, and every answer was matched to its request.
    assert_eq!(s.replies, sent, "{s}");
    assert!(s.errors.is_empty(), "{s}");
    // Per pile, 2 guns: login, verify, ~7 heartbeat rounds (200 ms), ~6 real-time rounds (250 ms).
    assert!(s.frames_sent > 5 * (1 + 1 + 2 * 10), "{s}");
    let fps = (s.frames_sent + s.frames_received) as f64 / s.duration_s;
    assert!((s.frames_per_sec - fps).abs() < 1e-6);
    assert!(s.duration_s >= 1.5 && s.duration_s < 3.0, "{s}");
}

#[tokio::test]
async fn refused_login_and_lost_heartbeats_reconnect_bounded() {
    let p = Platform::start(Opts {
        refuse_login: true,
        ..Opts::default()
    })
    .await;
    let a = args(
        p.addr,
        &[
            "--duration",
            "2s",
            "--max-reconnects",
            "2",
            "--reconnect-delay",
            "50ms",
        ],
    );
    let s = run(a).await.unwrap();
    p.finish().await;
    assert_eq!((s.connections_ok, s.logins_ok), (3, 0), "{s}");
    assert_eq!(s.errors.get("login_refused"), Some(&3), "{s}");
    assert_eq!(s.errors.get("gave_up_reconnecting"), Some(&1), "{s}");

    let p = Platform::start(Opts {
        silent_heartbeats: true,
        ..Opts::default()
    })
    .await;
    let a = args(
        p.addr,
        &[
            "--duration",
            "2s",
            "--max-reconnects",
            "0",
            "--heartbeat-interval",
            "100ms",
        ],
    );
    let s = run(a).await.unwrap();
    p.finish().await;
    assert_eq!((s.connections_ok, s.logins_ok), (1, 1), "{s}");
    assert_eq!(s.errors.get("heartbeat_lost"), Some(&1), "{s}");
    assert!(s.duration_s < 1.5, "gave up at once: {s}");
}

#[tokio::test]
async fn several_targets_round_robin_and_the_next_one_after_a_loss() {
    let mut a = Platform::start(Opts::default()).await;
    let mut b = Platform::start(Opts::default()).await;
    let targets = format!("{},{}", a.addr, b.addr);
    let opts = ["--piles", "4", "--duration", "1s", "--target", &targets];
    let s = run(args(a.addr, &opts)).await.unwrap();
    // Piles 0 and 2 on the first target, 1 and 3 on the second.
    let first = a.expect("0x01 on A", |e| code_of(e) == 0x01).await.pile;
    let second = b.expect("0x01 on B", |e| code_of(e) == 0x01).await.pile;
    assert!(first.ends_with('1') || first.ends_with('3'), "{first}");
    assert!(second.ends_with('2') || second.ends_with('4'), "{second}");
    assert_eq!((s.connections_ok, s.logins_ok), (4, 4), "{s}");
    let (ra, rb) = (a.finish().await.0, b.finish().await.0);
    assert!(ra > 0 && rb > 0, "both targets got frames: {ra} {rb}");

    // A target that refuses: its piles try the next target and log in there.
    let mut c = Platform::start(Opts::default()).await;
    let dead = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let targets = format!("{dead},{}", c.addr);
    let opts = [
        "--piles",
        "2",
        "--duration",
        "1s",
        "--reconnect-delay",
        "20ms",
        "--target",
        &targets,
    ];
    let s = run(args(c.addr, &opts)).await.unwrap();
    for _ in 0..2 {
        c.expect("0x01 on the live target", |e| code_of(e) == 0x01)
            .await;
    }
    c.finish().await;
    assert_eq!((s.connections_failed, s.logins_ok), (1, 2), "{s}");
}

#[tokio::test]
async fn piles_connect_from_several_source_addresses() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accept = tokio::spawn(async move {
        let mut peers = BTreeSet::new();
        let mut socks = Vec::new();
        while peers.len() < 3 {
            let (sock, peer) = listener.accept().await.unwrap();
            peers.insert(peer.ip().to_string());
            socks.push(sock);
        }
        peers
    });
    let opts = ["--piles", "3", "--duration", "500ms", "--source-addrs", "3"];
    let s = run(args(addr, &opts)).await.unwrap();
    let peers = timeout(Duration::from_secs(3), accept)
        .await
        .unwrap()
        .unwrap();
    let want: BTreeSet<String> = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
        .map(String::from)
        .into();
    assert_eq!(peers, want);
    assert_eq!(s.connections_ok, 3, "{s}");
}

#[tokio::test]
async fn nothing_listening_counts_failed_connections() {
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let a = args(
        port,
        &[
            "--duration",
            "1s",
            "--max-reconnects",
            "2",
            "--reconnect-delay",
            "20ms",
        ],
    );
    let s = run(a).await.unwrap();
    assert_eq!(
        (s.connections_ok, s.connections_failed, s.logins_ok),
        (0, 3, 0),
        "{s}"
    );
    assert_eq!(s.errors.get("connect_refused"), Some(&3), "{s}");
}

/// A quick load figure against this test platform (not the gateway):
/// `cargo test --release --test sim -- --ignored --nocapture load`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn load_against_test_platform() {
    let piles = std::env::var("SIM_PILES").unwrap_or_else(|_| "200".into());
    let duration = std::env::var("SIM_DURATION").unwrap_or_else(|_| "10s".into());
    let p = Platform::start(Opts::default()).await;
    let a = args(
        p.addr,
        &[
            "--piles",
            &piles,
            "--duration",
            &duration,
            "--ramp",
            "1s",
            "--heartbeat-interval",
            "1s",
            "--realtime-interval",
            "1s",
            "--progress-interval",
            "2s",
        ],
    );
    let s = run(a).await.unwrap();
    let (received, sent) = p.finish().await;
    println!("{s}\nplatform: {received} received, {sent} sent");
    assert_eq!(s.frames_sent, received);
}
