//! JetStream publishing against a real `nats-server -js` on 127.0.0.1, its store in a temporary
//! directory: what the forwarder stores, dedupe by `Nats-Msg-Id`, a server that is down at start,
//! killed and restarted. The stream is read back with async-nats. Every wait is bounded.

use async_nats::jetstream::stream::{Config, StorageType};
use serde_json::value::RawValue;
use std::time::{Duration, Instant};
use ykc::gateway::forward::{ForwardConfig, ForwardError, Forwarded, Forwarder, Payload};
use ykc_tests::parts::{free_port, NatsServer};

/// The per-attempt timeout of these forwarders.
const TIMEOUT: Duration = Duration::from_secs(2);

fn frame(frame_type: u8) -> Payload {
    Payload::Frame(Forwarded {
        frame_type,
        pile_code: Some("32010200000001".into()),
        direction: ykc::Direction::Up,
        sequence: [0x0C, 0x01],
        received_at: ykc::gateway::forward::rfc3339_now(),
        connection_id: 42,
        raw_hex: "680D0C01001332010200000001".into(),
        body_data: RawValue::from_string(r#"{"pile_code":"32010200000001"}"#.into()).unwrap(),
    })
}

/// A JetStream forwarder to `url`: 2 s per attempt, one quick retry.
async fn forwarder(url: String) -> Forwarder {
    let mut c = ForwardConfig::nats(vec![url]);
    c.jetstream = true;
    c.timeout = TIMEOUT;
    c.retries = 1;
    c.backoff = Duration::from_millis(50);
    Forwarder::new(c).await.unwrap()
}

/// Polls `cond` every 20 ms until it holds or `bound` passes.
async fn wait_until(bound: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + bound;
    while !cond() {
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

/// Durable forwarding, tried every 100 ms until it works (`Some(tries)`) or `bound` passes.
async fn durable_until_ok(f: &Forwarder, id: &str, bound: Duration) -> Option<u32> {
    let deadline = Instant::now() + bound;
    let mut tries = 0;
    while Instant::now() < deadline {
        tries += 1;
        if f.forward_durable_with_id(frame(0x3B), id).await.is_ok() {
            return Some(tries);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// A JetStream context of a plain client (the backend's view).
async fn reader(url: &str) -> async_nats::jetstream::Context {
    async_nats::jetstream::new(async_nats::connect(url).await.unwrap())
}

/// The stream's stored message count.
async fn stored(js: &async_nats::jetstream::Context, stream: &str) -> u64 {
    let mut s = js.get_stream(stream).await.unwrap();
    s.info().await.unwrap().state.messages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_send_is_stored_with_its_id_and_subject() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start_jetstream(free_port(), dir.path()).await;
    let f = forwarder(server.url()).await;
    assert!(wait_until(Duration::from_secs(10), || f.is_connected()).await);

    f.forward_durable_with_id(frame(0x3B), "j-1").await.unwrap();
    f.forward_durable(frame(0x13)).await.unwrap();
    // Queued sends are JetStream publishes too: delivered means acked.
    assert!(f.forward(frame(0x19)));
    assert!(wait_until(Duration::from_secs(10), || f.stats().delivered == 3).await);

    let js = reader(&server.url()).await;
    let stream = js.get_stream("YKC").await.unwrap();
    let config = &stream.cached_info().config;
    assert_eq!(config.subjects, ["charge.proxy.ykc.>"]);
    assert_eq!(config.storage, StorageType::File);
    assert_eq!(config.duplicate_window, Duration::from_secs(120));
    assert_eq!(stored(&js, "YKC").await, 3);

    let first = stream.get_raw_message(1).await.unwrap();
    assert_eq!(first.subject.as_str(), "charge.proxy.ykc.3b");
    assert_eq!(
        first.headers.get("Nats-Msg-Id").map(|v| v.as_str()),
        Some("j-1")
    );
    let json: serde_json::Value = serde_json::from_slice(&first.payload).unwrap();
    assert_eq!(json["frame_type"], "0x3B");
    let second = stream.get_raw_message(2).await.unwrap();
    assert_eq!(second.subject.as_str(), "charge.proxy.ykc.13");
    assert!(second.headers.get("Nats-Msg-Id").is_none());

    // Figures: sequential publish + stream ack (file storage, loopback).
    let n = 200u32;
    let started = Instant::now();
    for i in 0..n {
        f.forward_durable_with_id(frame(0x13), &format!("lat-{i}"))
            .await
            .unwrap();
    }
    let took = started.elapsed();
    eprintln!(
        "JetStream publish+ack: {n} sequential in {took:?}, {:?} each, {:.0}/s",
        took / n,
        f64::from(n) / took.as_secs_f64()
    );
    assert_eq!(stored(&js, "YKC").await, 3 + u64::from(n));
    assert!(f.shutdown(Duration::from_secs(5)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_id_twice_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start_jetstream(free_port(), dir.path()).await;
    let f = forwarder(server.url()).await;
    assert!(wait_until(Duration::from_secs(10), || f.is_connected()).await);

    f.forward_durable_with_id(frame(0x3B), "tx-0001")
        .await
        .unwrap();
    // The repeat is acknowledged (the backend has it), as a duplicate.
    f.forward_durable_with_id(frame(0x3B), "tx-0001")
        .await
        .unwrap();
    f.forward_durable_with_id(frame(0x3B), "tx-0002")
        .await
        .unwrap();

    let js = reader(&server.url()).await;
    assert_eq!(stored(&js, "YKC").await, 2);
    let stats = f.stats();
    assert_eq!(stats.delivered, 3);
    assert_eq!(stats.duplicates, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_down_at_start_then_the_first_publish_creates_the_stream() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let started = Instant::now();
    let f = forwarder(format!("127.0.0.1:{port}")).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "start does not wait"
    );
    assert_eq!(
        f.forward_durable(frame(0x3B)).await,
        Err(ForwardError::NotConnected)
    );

    // Past the start-up task's wait (one timeout): the stream is left to the first publish.
    tokio::time::sleep(TIMEOUT + Duration::from_millis(500)).await;
    let server = NatsServer::start_jetstream(port, dir.path()).await;
    let tries = durable_until_ok(&f, "first", Duration::from_secs(15))
        .await
        .expect("a durable send succeeds within 15 s of the server coming up");
    eprintln!("first JetStream publish after the server came up: {tries} tries");

    let js = reader(&server.url()).await;
    assert_eq!(stored(&js, "YKC").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_killed_fails_within_the_timeout_and_restart_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = NatsServer::start_jetstream(port, dir.path()).await;
    let f = forwarder(server.url()).await;
    assert!(wait_until(Duration::from_secs(10), || f.is_connected()).await);
    f.forward_durable_with_id(frame(0x3B), "before")
        .await
        .unwrap();

    server.kill();
    let sent = Instant::now();
    let err = f
        .forward_durable_with_id(frame(0x3B), "during")
        .await
        .expect_err("no ack without a server");
    let took = sent.elapsed();
    eprintln!("durable JetStream send with the server killed: {err} after {took:?}");
    assert!(
        matches!(
            err,
            ForwardError::NotConnected | ForwardError::Timeout { .. } | ForwardError::Nats(_)
        ),
        "{err}"
    );
    // One attempt is at most two timeouts (stream bind + ack); with one retry and its pause.
    let bound = ForwardConfig {
        timeout: TIMEOUT,
        retries: 1,
        backoff: Duration::from_millis(50),
        ..ForwardConfig::nats(vec![])
    }
    .durable_bound();
    assert!(took <= bound + Duration::from_millis(500), "{took:?}");

    let server = NatsServer::start_jetstream(port, dir.path()).await;
    let tries = durable_until_ok(&f, "after", Duration::from_secs(15))
        .await
        .expect("durable sends work again within 15 s of the restart");
    eprintln!("JetStream publish acked again after the restart: {tries} tries");

    // File storage: the message from before the kill is still there, the new one with it.
    let js = reader(&server.url()).await;
    assert_eq!(stored(&js, "YKC").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_server_times_out_and_the_repeat_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start_jetstream(free_port(), dir.path()).await;
    let f = forwarder(server.url()).await;
    assert!(wait_until(Duration::from_secs(10), || f.is_connected()).await);
    f.forward_durable_with_id(frame(0x3B), "before")
        .await
        .unwrap();

    // SIGSTOP: the connection stays up, no ack ever comes; each attempt ends at the timeout.
    server.signal("STOP");
    let sent = Instant::now();
    let err = f
        .forward_durable_with_id(frame(0x3B), "stalled")
        .await
        .expect_err("no ack from a frozen server");
    let took = sent.elapsed();
    server.signal("CONT");
    eprintln!("durable JetStream send to a frozen server: {err} after {took:?}");
    assert!(
        matches!(&err, ForwardError::Timeout { what, .. } if what == "JetStream publish ack"),
        "{err}"
    );
    // Two attempts (one retry), each one ack timeout.
    assert!(took >= TIMEOUT * 2, "{took:?}");
    assert!(took < TIMEOUT * 2 + Duration::from_secs(1), "{took:?}");

    // Resumed: the server stores what it had buffered; the resend of the same id is a duplicate.
    f.forward_durable_with_id(frame(0x3B), "stalled")
        .await
        .unwrap();
    let js = reader(&server.url()).await;
    assert_eq!(stored(&js, "YKC").await, 2, "before + stalled, once");
    assert_eq!(f.stats().duplicates, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_stream_with_other_settings_is_bound_not_changed() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start_jetstream(free_port(), dir.path()).await;
    let js = reader(&server.url()).await;
    js.create_stream(Config {
        name: "PILES".into(),
        subjects: vec!["charge.proxy.>".into()],
        storage: StorageType::Memory,
        duplicate_window: Duration::from_secs(30),
        ..Default::default()
    })
    .await
    .unwrap();

    let f = forwarder(server.url()).await;
    assert!(wait_until(Duration::from_secs(10), || f.is_connected()).await);
    f.forward_durable_with_id(frame(0x3B), "x").await.unwrap();

    assert_eq!(stored(&js, "PILES").await, 1);
    assert!(js.get_stream("YKC").await.is_err(), "no second stream");
    let mut piles = js.get_stream("PILES").await.unwrap();
    let config = piles.info().await.unwrap().config.clone();
    assert_eq!(config.storage, StorageType::Memory);
    assert_eq!(config.duplicate_window, Duration::from_secs(30));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_jetstream_is_a_clear_error() {
    let server = NatsServer::start(free_port(), None).await;
    let f = forwarder(server.url()).await;
    assert!(wait_until(Duration::from_secs(10), || f.is_connected()).await);
    let err = f
        .forward_durable(frame(0x3B))
        .await
        .expect_err("no stream, no ack");
    eprintln!("{err}");
    assert!(matches!(err, ForwardError::NoStream { .. }), "{err}");
    assert!(
        err.to_string().contains("JetStream is not enabled"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_with_jetstream_stores_a_piles_frames() {
    use ykc::gateway::config::{MessagingServerType, ServeConfig};
    use ykc_tests::parts::{login, TestPile};
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start_jetstream(free_port(), dir.path()).await;
    let config = ServeConfig {
        host: "127.0.0.1".into(),
        tcp_port: 0,
        http_port: 0,
        auto_verification: true,
        journal: "off".into(),
        messaging_server_type: MessagingServerType::Nats,
        servers: vec![server.url()],
        jetstream: true,
        ..Default::default()
    };
    let gw = ykc::gateway::start(config).await.expect("gateway starts");
    let forwarder = gw.shared.forwarders.first().expect("a NATS forwarder");
    assert!(forwarder.config().jetstream);
    assert!(wait_until(Duration::from_secs(10), || forwarder.is_connected()).await);

    let mut pile = TestPile::connect(gw.tcp_addr, ykc::CrcOrder::LowFirst).await;
    pile.send(0x01, [0x07, 0x00], login("32010200000001")).await;
    let answer = pile
        .recv(Duration::from_secs(3))
        .await
        .expect("login answer");
    assert_eq!(answer.header.code, 0x02);

    // The login frame and the online event, each acked by the stream.
    assert!(wait_until(Duration::from_secs(10), || forwarder.stats().delivered >= 2).await);
    let js = reader(&server.url()).await;
    let stream = js.get_stream("YKC").await.unwrap();
    let mut subjects = Vec::new();
    for seq in 1..=2 {
        subjects.push(
            stream
                .get_raw_message(seq)
                .await
                .unwrap()
                .subject
                .to_string(),
        );
    }
    subjects.sort();
    assert_eq!(subjects, ["charge.proxy.ykc.01", "charge.proxy.ykc.online"]);
    gw.stop();
}
