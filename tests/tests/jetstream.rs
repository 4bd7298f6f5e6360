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
    frame_with_id(frame_type, None)
}

/// A frame with its stable id (the journal's, in the gateway), sent as `Nats-Msg-Id`.
fn with_id(frame_type: u8, id: &str) -> Payload {
    frame_with_id(frame_type, Some(id.into()))
}

fn frame_with_id(frame_type: u8, id: Option<String>) -> Payload {
    Payload::Frame(Forwarded {
        id,
        transaction_serial: None,
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
        if f.forward_durable(with_id(0x3B, id)).await.is_ok() {
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

    f.forward_durable(with_id(0x3B, "j-1")).await.unwrap();
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

    // Figures: publish + stream ack (file storage, loopback), one at a time and 16 in flight.
    let n = 200u32;
    let started = Instant::now();
    for i in 0..n {
        f.forward_durable(with_id(0x13, &format!("seq-{i}")))
            .await
            .unwrap();
    }
    let took = started.elapsed();
    eprintln!(
        "JetStream publish+ack, sequential: {n} in {took:?}, {:?} each, {:.0}/s",
        took / n,
        f64::from(n) / took.as_secs_f64()
    );
    let started = Instant::now();
    let sends = (0..n).map(|i| f.forward_durable(with_id(0x13, &format!("par-{i}"))));
    let results = futures::future::join_all(sends).await;
    let took = started.elapsed();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    eprintln!(
        "JetStream publish+ack, all {n} in flight at once: {took:?}, {:.0}/s",
        f64::from(n) / took.as_secs_f64()
    );
    assert_eq!(stored(&js, "YKC").await, 3 + 2 * u64::from(n));
    assert!(f.shutdown(Duration::from_secs(5)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_id_twice_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start_jetstream(free_port(), dir.path()).await;
    let f = forwarder(server.url()).await;
    assert!(wait_until(Duration::from_secs(10), || f.is_connected()).await);

    f.forward_durable(with_id(0x3B, "tx-0001")).await.unwrap();
    // The repeat is acknowledged (the backend has it), as a duplicate.
    f.forward_durable(with_id(0x3B, "tx-0001")).await.unwrap();
    f.forward_durable(with_id(0x3B, "tx-0002")).await.unwrap();

    let js = reader(&server.url()).await;
    assert_eq!(stored(&js, "YKC").await, 2);
    let stats = f.stats();
    assert_eq!(stats.delivered, 3);
    assert_eq!(stats.duplicates, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_stream_is_created_again_on_the_retry() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start_jetstream(free_port(), dir.path()).await;
    let f = forwarder(server.url()).await;
    assert!(wait_until(Duration::from_secs(10), || f.is_connected()).await);
    f.forward_durable(with_id(0x3B, "a")).await.unwrap();

    let js = reader(&server.url()).await;
    js.delete_stream("YKC").await.unwrap();
    // The first attempt finds no stream; the retry creates it and is acked.
    f.forward_durable(with_id(0x3B, "b")).await.unwrap();
    assert_eq!(f.stats().retries, 1);
    assert_eq!(stored(&js, "YKC").await, 1);
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
    f.forward_durable(with_id(0x3B, "before")).await.unwrap();

    server.kill();
    let sent = Instant::now();
    let err = f
        .forward_durable(with_id(0x3B, "during"))
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

    // File storage: the message from before the kill is still there, the new one with it. The
    // send that failed may still have been stored, from the client's buffer on reconnect: a
    // failure means "not known to be stored", never "not stored" (hence the ids).
    let js = reader(&server.url()).await;
    let n = stored(&js, "YKC").await;
    assert!((2..=3).contains(&n), "{n} messages stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_server_times_out_and_the_repeat_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start_jetstream(free_port(), dir.path()).await;
    let f = forwarder(server.url()).await;
    assert!(wait_until(Duration::from_secs(10), || f.is_connected()).await);
    f.forward_durable(with_id(0x3B, "before")).await.unwrap();

    // SIGSTOP: the connection stays up, no ack ever comes; each attempt ends at the timeout.
    server.freeze();
    let sent = Instant::now();
    let err = f
        .forward_durable(with_id(0x3B, "stalled"))
        .await
        .expect_err("no ack from a frozen server");
    let took = sent.elapsed();
    server.thaw();
    eprintln!("durable JetStream send to a frozen server: {err} after {took:?}");
    assert!(
        matches!(&err, ForwardError::Timeout { what, .. } if what == "JetStream publish ack"),
        "{err}"
    );
    // Two attempts (one retry), each one ack timeout.
    assert!(took >= TIMEOUT * 2, "{took:?}");
    assert!(took < TIMEOUT * 2 + Duration::from_secs(1), "{took:?}");

    // Resumed: the server stores what it had buffered; the resend of the same id is a duplicate.
    f.forward_durable(with_id(0x3B, "stalled")).await.unwrap();
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
    f.forward_durable(with_id(0x3B, "x")).await.unwrap();

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

/// The gateway's configuration for these tests: NATS with JetStream at `url`, `journal` a path
/// or `off`.
fn gateway_config(url: String, journal: String) -> ykc::gateway::config::ServeConfig {
    ykc::gateway::config::ServeConfig {
        host: "127.0.0.1".into(),
        tcp_port: 0,
        http_port: 0,
        auto_verification: true,
        journal,
        messaging_server_type: ykc::gateway::config::MessagingServerType::Nats,
        servers: vec![url],
        jetstream: true,
        ..Default::default()
    }
}

/// A pile logged in to `gw`.
async fn logged_in(gw: &ykc::gateway::Running) -> ykc_tests::parts::TestPile {
    use ykc_tests::parts::{login, TestPile};
    let mut pile = TestPile::connect(gw.tcp_addr, ykc::CrcOrder::LowFirst).await;
    pile.send(0x01, [0x07, 0x00], login("32010200000001")).await;
    let answer = pile
        .recv(Duration::from_secs(3))
        .await
        .expect("login answer");
    assert_eq!(answer.header.code, 0x02);
    pile
}

/// The stream's stored message count, 0 while it does not exist yet.
async fn stored_if_any(js: &async_nats::jetstream::Context, stream: &str) -> u64 {
    match js.get_stream(stream).await {
        Ok(mut s) => s.info().await.map_or(0, |i| i.state.messages),
        Err(_) => 0,
    }
}

/// Waits (bounded) until the stream `YKC` holds `n` messages; returns them in stream order.
async fn stored_messages(
    js: &async_nats::jetstream::Context,
    n: u64,
) -> Vec<async_nats::jetstream::message::StreamMessage> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while stored_if_any(js, "YKC").await < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stream = js.get_stream("YKC").await.unwrap();
    let mut out = Vec::new();
    for seq in 1..=n {
        out.push(stream.get_raw_message(seq).await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_outbox_publishes_journal_ids_to_the_stream() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start_jetstream(free_port(), &dir.path().join("nats")).await;
    let journal = dir.path().join("journal.db").to_string_lossy().into_owned();
    let gw = ykc::gateway::start(gateway_config(server.url(), journal))
        .await
        .expect("gateway starts");
    let _pile = logged_in(&gw).await;

    // The online event and the login frame, from the journal, each with its journal id.
    let js = reader(&server.url()).await;
    let messages = stored_messages(&js, 2).await;
    let mut seen: Vec<_> = messages
        .iter()
        .map(|m| {
            let id = m.headers.get("Nats-Msg-Id").map(|v| v.as_str().to_owned());
            let json: serde_json::Value = serde_json::from_slice(&m.payload).unwrap();
            assert_eq!(id.as_deref(), json["id"].as_str(), "header = payload id");
            (m.subject.to_string(), id.is_some())
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("charge.proxy.ykc.01".to_owned(), true),
            ("charge.proxy.ykc.online".to_owned(), true)
        ]
    );
    gw.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_with_jetstream_stores_a_piles_frames() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start_jetstream(free_port(), dir.path()).await;
    let gw = ykc::gateway::start(gateway_config(server.url(), "off".into()))
        .await
        .expect("gateway starts");
    let forwarder = gw.shared.forwarders.first().expect("a NATS forwarder");
    assert!(forwarder.config().jetstream);
    let _pile = logged_in(&gw).await;

    // Without a journal: the in-memory forwarder, its sends acked by the stream all the same.
    let js = reader(&server.url()).await;
    let mut subjects: Vec<_> = stored_messages(&js, 2)
        .await
        .iter()
        .map(|m| m.subject.to_string())
        .collect();
    subjects.sort();
    assert_eq!(subjects, ["charge.proxy.ykc.01", "charge.proxy.ykc.online"]);
    assert!(forwarder.stats().delivered >= 2);
    gw.stop();
}
