//! The forwarding layer against real parts: an axum HTTP sink and a real `nats-server` process,
//! all on 127.0.0.1. Every wait is bounded; timing is only ever checked with generous bounds.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use futures::StreamExt;
use serde_json::value::RawValue;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use ykc::gateway::forward::{
    EventKind, ForwardConfig, ForwardError, Forwarded, Forwarder, Payload,
};
use ykc_tests::parts::{free_port, NatsServer};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn frame(frame_type: u8) -> Payload {
    Payload::Frame(Forwarded {
        id: None,
        transaction_serial: None,
        frame_type,
        pile_code: Some("32010200000001".into()),
        direction: ykc::Direction::Up,
        sequence: [0x0C, 0x01],
        received_at: ykc::gateway::forward::rfc3339_now(),
        connection_id: 42,
        raw_hex: "680D0C01001332010200000001".into(),
        body_data: RawValue::from_string(
            r#"{"pile_code":"32010200000001","gun_no":"01","voltage":220.5}"#.into(),
        )
        .unwrap(),
    })
}

fn event(kind: EventKind) -> Payload {
    Payload::Event {
        id: None,
        kind,
        pile_code: "32010200000001".into(),
        connection_id: 42,
        remote_addr: "127.0.0.1:50000".into(),
        at: ykc::gateway::forward::rfc3339_now(),
    }
}

/// Polls `cond` every 20 ms until it holds or `bound` passes.
async fn wait_until(bound: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + bound;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[derive(Debug, Clone)]
struct Hit {
    method: Method,
    path: String,
    content_type: String,
    body: Value,
}

struct SinkState {
    hits: Mutex<Vec<Hit>>,
    status: AtomicU16,
    /// Requests whose path ends with this sleep 30 s before answering.
    slow_suffix: Option<&'static str>,
}

/// An axum server on 127.0.0.1:0 recording every request; aborted on drop.
struct HttpSink {
    addr: SocketAddr,
    state: Arc<SinkState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for HttpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn record(
    State(s): State<Arc<SinkState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let path = uri.path().to_string();
    if s.slow_suffix.is_some_and(|suffix| path.ends_with(suffix)) {
        tokio::time::sleep(Duration::from_secs(30)).await;
    }
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    s.hits.lock().unwrap().push(Hit {
        method,
        path,
        content_type,
        body,
    });
    StatusCode::from_u16(s.status.load(Ordering::SeqCst)).unwrap()
}

impl HttpSink {
    async fn start(slow_suffix: Option<&'static str>) -> HttpSink {
        let state = Arc::new(SinkState {
            hits: Mutex::new(Vec::new()),
            status: AtomicU16::new(200),
            slow_suffix,
        });
        let app = axum::Router::new()
            .fallback(record)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        HttpSink { addr, state, task }
    }

    fn hits(&self) -> Vec<Hit> {
        self.state.hits.lock().unwrap().clone()
    }

    fn set_status(&self, status: u16) {
        self.state.status.store(status, Ordering::SeqCst);
    }
}

fn http_config(endpoint: String) -> ForwardConfig {
    let mut c = ForwardConfig::http(vec![endpoint]);
    c.timeout = Duration::from_secs(5);
    c.retries = 2;
    c.backoff = Duration::from_millis(20);
    c
}

/// A free 127.0.0.1 port: bind :0, read the port, let it go.
fn nats_config(url: String) -> ForwardConfig {
    let mut c = ForwardConfig::nats(vec![url]);
    c.timeout = Duration::from_secs(2);
    c.retries = 1;
    c.backoff = Duration::from_millis(20);
    c
}

/// Subscribes to `charge.proxy.ykc.>` and returns once the server has the subscription
/// (a probe published on the same connection came back).
async fn subscribe_ready(client: &async_nats::Client) -> async_nats::Subscriber {
    let mut sub = client.subscribe("charge.proxy.ykc.>").await.unwrap();
    client
        .publish("charge.proxy.ykc.probe", "probe".into())
        .await
        .unwrap();
    let probe = tokio::time::timeout(Duration::from_secs(5), sub.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(probe.subject.as_str(), "charge.proxy.ykc.probe");
    sub
}

async fn next_message(sub: &mut async_nats::Subscriber) -> async_nats::Message {
    tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .expect("a message within 10 s")
        .expect("subscription open")
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_frames_and_events_arrive_at_their_paths_with_the_json() {
    let sink = HttpSink::start(None).await;
    let f = Forwarder::new(http_config(format!(
        "http://{}/charge/ykc/messages/",
        sink.addr
    )))
    .await
    .unwrap();

    assert!(f.forward(frame(0x13)));
    assert!(f.forward(event(EventKind::Online)));
    assert!(f.forward(event(EventKind::Offline)));
    f.forward_durable(frame(0x3B)).await.unwrap();
    assert!(
        wait_until(Duration::from_secs(10), || sink.hits().len() == 4).await,
        "hits: {:?}",
        sink.hits()
    );
    assert!(f.shutdown(Duration::from_secs(5)).await);

    let hits = sink.hits();
    assert!(hits
        .iter()
        .all(|h| h.method == Method::POST && h.content_type == "application/json"));
    let mut paths: Vec<&str> = hits.iter().map(|h| h.path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "/charge/ykc/messages/13",
            "/charge/ykc/messages/3b",
            "/charge/ykc/messages/offline",
            "/charge/ykc/messages/online"
        ]
    );

    let rt = &hits.iter().find(|h| h.path.ends_with("/13")).unwrap().body;
    assert_eq!(rt["event"], "frame");
    assert_eq!(rt["frame_type"], "0x13");
    assert_eq!(rt["pile_code"], "32010200000001");
    assert_eq!(rt["direction"], "up");
    assert_eq!(rt["sequence_number"], 0x010C);
    assert_eq!(rt["sequence_hex"], "0C01");
    assert_eq!(rt["connection_id"], 42);
    assert_eq!(rt["raw_hex"], "680D0C01001332010200000001");
    assert_eq!(
        rt["body_data"]["voltage"], 220.5,
        "body_data is embedded JSON, not a string"
    );
    assert!(rt["received_at"].as_str().unwrap().ends_with('Z'));

    let online = &hits
        .iter()
        .find(|h| h.path.ends_with("/online"))
        .unwrap()
        .body;
    assert_eq!(online["event"], "online");
    assert_eq!(online["remote_addr"], "127.0.0.1:50000");
    assert_eq!(online["pile_code"], "32010200000001");

    let s = f.stats();
    assert_eq!(
        (
            s.enqueued,
            s.delivered,
            s.failed,
            s.dropped_queue_full,
            s.retries
        ),
        (3, 4, 0, 0, 0)
    );
    assert_eq!(s.latency_count, 4);
    assert_eq!(s.latency_buckets.last().map(|b| b.1), Some(4));
    assert_eq!(s.queued, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheme_less_endpoint_means_http() {
    let sink = HttpSink::start(None).await;
    let f = Forwarder::new(http_config(format!("127.0.0.1:{}/hook", sink.addr.port())))
        .await
        .unwrap();
    f.forward_durable(frame(0x13)).await.unwrap();
    let hits = sink.hits();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].path, "/hook/13");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durable_fails_after_retries_while_the_sink_fails_and_succeeds_once_it_recovers() {
    let sink = HttpSink::start(None).await;
    sink.set_status(500);
    let f = Forwarder::new(http_config(format!("http://{}", sink.addr)))
        .await
        .unwrap();

    // The gateway would withhold 0x40 here.
    let err = f.forward_durable(frame(0x3B)).await.unwrap_err();
    assert!(
        matches!(err, ForwardError::Status { status: 500, .. }),
        "{err}"
    );
    assert_eq!(sink.hits().len(), 3, "1 attempt + 2 retries");
    let s = f.stats();
    assert_eq!((s.retries, s.failed, s.delivered), (2, 1, 0));

    // The sink recovers: the resent record goes through and 0x40 may be sent.
    sink.set_status(200);
    f.forward_durable(frame(0x3B)).await.unwrap();
    assert_eq!(sink.hits().len(), 4);
    assert!(sink.hits().iter().all(|h| h.path == "/3b"));
    let s = f.stats();
    assert_eq!((s.retries, s.failed, s.delivered), (2, 1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_endpoints_share_the_load_and_a_retry_fails_over() {
    let good = HttpSink::start(None).await;
    let bad = HttpSink::start(None).await;
    bad.set_status(503);
    let mut c = http_config(format!("http://{}", good.addr));
    c.servers.push(format!("{}", bad.addr));
    c.retries = 1;
    let f = Forwarder::new(c).await.unwrap();
    for _ in 0..4 {
        f.forward_durable(frame(0x13)).await.unwrap();
    }
    assert_eq!(
        good.hits().len(),
        4,
        "every payload ends up at the healthy endpoint"
    );
    assert!(
        !bad.hits().is_empty(),
        "round robin tried the other one too"
    );
    assert_eq!(f.stats().retries as usize, bad.hits().len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_error_is_not_retried_and_a_dead_endpoint_fails() {
    let sink = HttpSink::start(None).await;
    sink.set_status(404);
    let f = Forwarder::new(http_config(format!("http://{}", sink.addr)))
        .await
        .unwrap();
    let err = f.forward_durable(frame(0x3B)).await.unwrap_err();
    assert!(
        matches!(err, ForwardError::Status { status: 404, .. }),
        "{err}"
    );
    assert_eq!(sink.hits().len(), 1);

    // Nothing listens on this port: connection refused, retried, then given up.
    let dead = Forwarder::new(http_config(format!("127.0.0.1:{}", free_port())))
        .await
        .unwrap();
    let err = tokio::time::timeout(Duration::from_secs(30), dead.forward_durable(frame(0x3B)))
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, ForwardError::Http { .. }), "{err}");
    assert_eq!(dead.stats().retries, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_endpoint_does_not_stall_other_forwards() {
    // Requests to .../3b hang for 30 s; everything else is answered at once.
    let sink = HttpSink::start(Some("/3b")).await;
    let mut c = http_config(format!("http://{}", sink.addr));
    c.timeout = Duration::from_secs(4);
    c.retries = 0;
    c.workers = 2;
    c.queue = 4;
    let f = Arc::new(Forwarder::new(c).await.unwrap());

    // Three durable callers and both queue workers stuck on the slow route …
    let slow: Vec<_> = (0..3)
        .map(|_| {
            let f = f.clone();
            tokio::spawn(async move { f.forward_durable(frame(0x3B)).await })
        })
        .collect();
    for _ in 0..4 {
        f.forward(frame(0x3B));
    }
    assert!(
        wait_until(Duration::from_secs(3), || f.stats().queued <= 2).await,
        "workers take the first payloads"
    );

    // … and a durable forward of another frame is answered while all of them still hang.
    f.forward_durable(frame(0x13)).await.unwrap();
    assert!(
        slow.iter().all(|h| !h.is_finished()),
        "the healthy forward finished before the slow ones timed out"
    );
    assert!(sink.hits().iter().any(|h| h.path == "/13"));

    // The slow ones end with a timeout, not never.
    for h in slow {
        let r = tokio::time::timeout(Duration::from_secs(30), h)
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(r, Err(ForwardError::Timeout { .. })), "{r:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_drops_and_counts_and_shutdown_refuses_more() {
    let sink = HttpSink::start(Some("/3b")).await;
    let mut c = http_config(format!("http://{}", sink.addr));
    c.timeout = Duration::from_secs(3);
    c.retries = 0;
    c.workers = 1;
    c.queue = 2;
    let f = Forwarder::new(c).await.unwrap();

    let started = Instant::now();
    let accepted = (0..10).filter(|_| f.forward(frame(0x3B))).count() as u64;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "forward never waits"
    );
    let s = f.stats();
    assert_eq!(s.enqueued, accepted);
    assert_eq!(s.enqueued + s.dropped_queue_full, 10);
    assert!(s.dropped_queue_full >= 7, "{s:?}");

    assert!(
        !f.shutdown(Duration::from_millis(100)).await,
        "the queue cannot drain behind a hanging sink"
    );
    assert!(!f.forward(frame(0x13)));
    assert_eq!(
        f.forward_durable(frame(0x13)).await,
        Err(ForwardError::Closed)
    );
    assert_eq!(f.stats().dropped_closed, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_configurations_are_refused() {
    assert!(matches!(
        Forwarder::new(ForwardConfig::http(vec![])).await,
        Err(ForwardError::Config(_))
    ));
    assert!(matches!(
        Forwarder::new(ForwardConfig::http(vec!["ftp://127.0.0.1/x".into()])).await,
        Err(ForwardError::Config(_))
    ));
    assert!(matches!(
        Forwarder::new(ForwardConfig::nats(vec!["127.0.0.1:notaport".into()])).await,
        Err(ForwardError::Config(_))
    ));
    let mut c = ForwardConfig::http(vec!["127.0.0.1:1".into()]);
    c.queue = 0;
    assert!(matches!(
        Forwarder::new(c).await,
        Err(ForwardError::Config(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// NATS
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_frames_and_events_get_their_subjects() {
    let server = NatsServer::start(free_port(), None).await;
    let f = Forwarder::new(nats_config(server.url())).await.unwrap();
    assert!(wait_until(Duration::from_secs(10), || f.is_connected()).await);

    let client = async_nats::connect(server.url()).await.unwrap();
    let mut sub = subscribe_ready(&client).await;

    f.forward_durable(frame(0x13)).await.unwrap();
    assert!(f.forward(event(EventKind::Online)));
    let a = next_message(&mut sub).await;
    let b = next_message(&mut sub).await;
    let mut subjects = [a.subject.to_string(), b.subject.to_string()];
    subjects.sort();
    assert_eq!(subjects, ["charge.proxy.ykc.13", "charge.proxy.ykc.online"]);

    let rt = if a.subject.as_str().ends_with(".13") {
        &a
    } else {
        &b
    };
    let json: Value = serde_json::from_slice(&rt.payload).unwrap();
    assert_eq!(json["frame_type"], "0x13");
    assert_eq!(json["sequence_number"], 0x010C);
    assert_eq!(json["body_data"]["gun_no"], "01");
    assert!(wait_until(Duration::from_secs(5), || f.stats().delivered == 2).await);
    assert!(f.shutdown(Duration::from_secs(5)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_username_and_password() {
    let server = NatsServer::start(free_port(), Some(("u", "p"))).await;

    let mut c = nats_config(server.url());
    c.username = Some("u".into());
    c.password = Some("p".into());
    let f = Forwarder::new(c).await.unwrap();
    assert!(wait_until(Duration::from_secs(10), || f.is_connected()).await);

    let client = async_nats::ConnectOptions::new()
        .user_and_password("u".into(), "p".into())
        .connect(server.url())
        .await
        .unwrap();
    let mut sub = subscribe_ready(&client).await;
    f.forward_durable(frame(0x3B)).await.unwrap();
    assert_eq!(
        next_message(&mut sub).await.subject.as_str(),
        "charge.proxy.ykc.3b"
    );

    // Wrong password: the forwarder still starts, never connects, and durable forwarding fails fast.
    let mut c = nats_config(server.url());
    c.username = Some("u".into());
    c.password = Some("wrong".into());
    let bad = Forwarder::new(c).await.unwrap();
    assert!(!wait_until(Duration::from_millis(1500), || bad.is_connected()).await);
    assert_eq!(
        bad.forward_durable(frame(0x3B)).await,
        Err(ForwardError::NotConnected)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_down_at_start_then_up() {
    let port = free_port();
    let started = Instant::now();
    let f = Forwarder::new(nats_config(format!("127.0.0.1:{port}")))
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "new() does not wait for the server"
    );
    assert!(!f.is_connected());
    assert_eq!(
        f.forward_durable(frame(0x3B)).await,
        Err(ForwardError::NotConnected)
    );
    // A queued payload is retried once, then counted as failed.
    assert!(f.forward(frame(0x13)));
    assert!(
        wait_until(Duration::from_secs(10), || f.stats().failed == 2).await,
        "{:?}",
        f.stats()
    );

    let _server = NatsServer::start(port, None).await;
    let mut ok = false;
    for _ in 0..150 {
        if f.forward_durable(frame(0x3B)).await.is_ok() {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        ok,
        "durable forwarding works within 15 s of the server coming up"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_killed_then_restarted_on_the_same_port() {
    let port = free_port();
    let mut server = NatsServer::start(port, None).await;
    let f = Forwarder::new(nats_config(server.url())).await.unwrap();
    assert!(wait_until(Duration::from_secs(10), || f.is_connected()).await);
    f.forward_durable(frame(0x3B)).await.unwrap();

    server.kill();
    let mut failed = None;
    for _ in 0..100 {
        match f.forward_durable(frame(0x3B)).await {
            Err(e) => {
                failed = Some(e);
                break;
            }
            Ok(()) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let err = failed.expect("durable forwarding fails within 10 s of the server dying");
    eprintln!("durable forward after the kill: {err}");
    assert!(
        matches!(
            err,
            ForwardError::NotConnected | ForwardError::Timeout { .. } | ForwardError::Nats(_)
        ),
        "{err}"
    );

    let server = NatsServer::start(port, None).await;
    let client = async_nats::connect(server.url()).await.unwrap();
    let mut sub = subscribe_ready(&client).await;
    let mut ok = false;
    for _ in 0..150 {
        if f.forward_durable(frame(0x3B)).await.is_ok() {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        ok,
        "durable forwarding works again within 15 s of the restart"
    );
    assert_eq!(
        next_message(&mut sub).await.subject.as_str(),
        "charge.proxy.ykc.3b"
    );
    assert!(f.is_connected());
}
