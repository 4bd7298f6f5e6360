//! Forwarding of decoded frames and pile online/offline events to the operator's backend,
//! over HTTP (`POST <endpoint>/<type hex>`) or NATS (`charge.proxy.ykc.<type hex>`), the
//! destinations of the Go `ykc-proxy-server` this gateway replaces.
//!
//! Two ways in:
//! - [`Forwarder::forward`] — fire-and-forget. The payload goes into a bounded queue drained by
//!   worker tasks; a full queue drops the payload and counts it. It never waits, so a slow or
//!   dead backend can never stall a pile's connection task.
//! - [`Forwarder::forward_durable`] — returns `Ok` only once the backend has the payload: an HTTP
//!   2xx (after retries with exponential backoff, each attempt under the timeout), or a NATS
//!   publish followed by a successful `flush()` to the server. The gateway sends 0x40 for a 0x3B
//!   transaction record only after this succeeded, so a record the backend never got is not
//!   confirmed and the pile sends it again.
//!
//! One [`Forwarder`] owns one shared HTTP client (one connection pool) or one NATS client.
//! Every attempt has its own timeout and the workers are independent, so one slow request holds
//! one worker for at most the timeout. What happened is counted in [`ForwardStats`].

use bytes::Bytes;
use serde::ser::{Serialize, Serializer};
use serde_json::value::RawValue;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

mod http;
mod nats;

/// The NATS subject prefix of the Go proxy: frames go to `charge.proxy.ykc.<type hex>`.
pub const SUBJECT_PREFIX: &str = "charge.proxy.ykc";

/// The longest pause between two attempts, however many retries are configured.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Upper bounds (seconds) of the delivery latency histogram, as Prometheus `le` labels;
/// a last `+Inf` bucket follows them.
pub const LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Microsecond bounds of [`LATENCY_BUCKETS`], for the hot path.
const LATENCY_BOUNDS_US: [u64; 13] = [
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    5_000_000, 10_000_000,
];

/// One decoded frame as the backend receives it.
#[derive(Debug, Clone)]
pub struct Forwarded {
    /// The frame type byte (0x13 real-time data, 0x3B transaction record, …).
    pub frame_type: u8,
    /// The pile the connection logged in as, when it has.
    pub pile_code: Option<String>,
    /// `"up"` (pile → platform) or `"down"` (platform → pile).
    pub direction: &'static str,
    /// The two sequence bytes as they were on the wire.
    pub sequence: [u8; 2],
    /// When the gateway received (or sent) the frame, RFC 3339 (see [`rfc3339`]).
    pub received_at: String,
    /// The gateway's id of the TCP connection.
    pub connection_id: u64,
    /// The whole frame, header to CRC, in hex.
    pub raw_hex: String,
    /// The decoded body, the same JSON as `ykc parse`'s `body_data`.
    pub body_data: Box<RawValue>,
}

/// Which pile event an [`Payload::Event`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The pile logged in.
    Online,
    /// The pile's connection closed (or was closed by the gateway).
    Offline,
}

impl EventKind {
    /// `"online"` or `"offline"`: the JSON `event`, the last path segment and subject token.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Online => "online",
            EventKind::Offline => "offline",
        }
    }
}

/// What is forwarded: a frame, or a pile going online or offline.
#[derive(Debug, Clone)]
pub enum Payload {
    /// A decoded frame, either direction.
    Frame(Forwarded),
    /// A pile came online or went offline.
    Event {
        /// Online or offline.
        kind: EventKind,
        /// The pile.
        pile_code: String,
        /// The gateway's id of the TCP connection.
        connection_id: u64,
        /// The pile's address, `ip:port`.
        remote_addr: String,
        /// When, RFC 3339 (see [`rfc3339`]).
        at: String,
    },
}

/// Where a payload goes: the last HTTP path segment and the last NATS subject token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// A frame: two lowercase hex digits of its type (`13`, `3b`).
    Frame(u8),
    /// `online`.
    Online,
    /// `offline`.
    Offline,
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Route::Frame(t) => write!(f, "{t:02x}"),
            Route::Online => f.write_str("online"),
            Route::Offline => f.write_str("offline"),
        }
    }
}

impl Route {
    /// The NATS subject: `charge.proxy.ykc.13`, `charge.proxy.ykc.online`.
    pub fn subject(self) -> String {
        format!("{SUBJECT_PREFIX}.{self}")
    }
}

impl Payload {
    /// Where this payload goes.
    pub fn route(&self) -> Route {
        match self {
            Payload::Frame(f) => Route::Frame(f.frame_type),
            Payload::Event {
                kind: EventKind::Online,
                ..
            } => Route::Online,
            Payload::Event {
                kind: EventKind::Offline,
                ..
            } => Route::Offline,
        }
    }

    /// The JSON body the sinks receive (one compact object, see the `Serialize` impl).
    pub fn to_json(&self) -> Result<Vec<u8>, ForwardError> {
        serde_json::to_vec(self).map_err(|e| ForwardError::Encode(e.to_string()))
    }
}

/// `"0x13"`, as `ykc parse` writes `frame_type`.
struct TypeHex(u8);

impl Serialize for TypeHex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("0x{:02X}", self.0))
    }
}

/// `"0C00"`: the two sequence bytes in wire order, as `ykc parse` writes `sequence_hex`.
struct SeqHex([u8; 2]);

impl Serialize for SeqHex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{:02X}{:02X}", self.0[0], self.0[1]))
    }
}

#[derive(serde::Serialize)]
struct FrameJson<'a> {
    event: &'static str,
    frame_type: TypeHex,
    pile_code: Option<&'a str>,
    direction: &'a str,
    sequence_number: u16,
    sequence_hex: SeqHex,
    received_at: &'a str,
    connection_id: u64,
    raw_hex: &'a str,
    body_data: &'a RawValue,
}

#[derive(serde::Serialize)]
struct EventJson<'a> {
    event: &'static str,
    pile_code: &'a str,
    connection_id: u64,
    remote_addr: &'a str,
    at: &'a str,
}

/// A frame serializes as
/// `{"event":"frame","frame_type":"0x13","pile_code":"…"|null,"direction":"up","sequence_number":12,
/// "sequence_hex":"0C00","received_at":"…","connection_id":7,"raw_hex":"68…","body_data":{…}}`
/// (`sequence_number` is the two bytes read little-endian; `frame_type`, `sequence_*` and
/// `body_data` are spelled as in `ykc parse`), an event as
/// `{"event":"online","pile_code":"…","connection_id":7,"remote_addr":"…","at":"…"}`.
impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Payload::Frame(f) => FrameJson {
                event: "frame",
                frame_type: TypeHex(f.frame_type),
                pile_code: f.pile_code.as_deref(),
                direction: f.direction,
                sequence_number: u16::from_le_bytes(f.sequence),
                sequence_hex: SeqHex(f.sequence),
                received_at: &f.received_at,
                connection_id: f.connection_id,
                raw_hex: &f.raw_hex,
                body_data: &f.body_data,
            }
            .serialize(s),
            Payload::Event {
                kind,
                pile_code,
                connection_id,
                remote_addr,
                at,
            } => EventJson {
                event: kind.as_str(),
                pile_code,
                connection_id: *connection_id,
                remote_addr,
                at,
            }
            .serialize(s),
        }
    }
}

/// Why a payload was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForwardError {
    /// The configuration cannot work (no servers, a bad URL, no tokio runtime, …).
    #[error("forwarding configuration: {0}")]
    Config(String),
    /// The payload could not be serialized.
    #[error("payload serialization: {0}")]
    Encode(String),
    /// The HTTP endpoint answered, but not with 2xx.
    #[error("POST {url}: HTTP status {status}")]
    Status {
        /// The URL posted to.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The HTTP request failed before a status arrived (connection refused, reset, …).
    #[error("POST {url}: {reason}")]
    Http {
        /// The URL posted to.
        url: String,
        /// What went wrong, with its causes.
        reason: String,
    },
    /// The NATS client is not connected to a server (it keeps reconnecting in the background).
    #[error("NATS: not connected to a server")]
    NotConnected,
    /// The NATS publish or flush failed.
    #[error("NATS: {0}")]
    Nats(String),
    /// One attempt took longer than the configured timeout.
    #[error("{what} timed out after {after:?}")]
    Timeout {
        /// What timed out (`POST <url>`, `NATS publish`, `NATS flush`).
        what: String,
        /// The timeout.
        after: Duration,
    },
    /// The forwarder is shutting down and takes nothing new.
    #[error("forwarder is shut down")]
    Closed,
}

impl ForwardError {
    /// Whether another attempt may succeed. A 4xx other than 408/429 will not; for a durable
    /// delivery, neither does waiting for NATS to come back (the caller is told at once).
    fn is_retryable(&self, durable: bool) -> bool {
        match self {
            ForwardError::Config(_) | ForwardError::Encode(_) | ForwardError::Closed => false,
            ForwardError::Status { status, .. } => {
                !(400..500).contains(status) || *status == 408 || *status == 429
            }
            ForwardError::NotConnected => !durable,
            ForwardError::Http { .. } | ForwardError::Nats(_) | ForwardError::Timeout { .. } => {
                true
            }
        }
    }
}

/// Which kind of backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkKind {
    /// `POST <endpoint>/<type hex>`.
    Http,
    /// Publish to `charge.proxy.ykc.<type hex>`.
    Nats,
}

/// How to forward. `ForwardConfig::http(..)` / `::nats(..)` give the defaults.
#[derive(Clone)]
pub struct ForwardConfig {
    /// HTTP or NATS.
    pub kind: SinkKind,
    /// HTTP: endpoint URLs (`host:port/path` means `http://host:port/path`); each payload goes to
    /// one of them, round robin, and a retry goes to the next. NATS: server URLs
    /// (`host:port` means `nats://host:port`), all of one cluster.
    pub servers: Vec<String>,
    /// NATS user name (ignored for HTTP).
    pub username: Option<String>,
    /// NATS password (ignored for HTTP).
    pub password: Option<String>,
    /// Capacity of the fire-and-forget queue; a payload that finds it full is dropped and counted.
    pub queue: usize,
    /// Worker tasks draining the queue, i.e. concurrent fire-and-forget deliveries. With more
    /// than one, payloads may reach the backend out of order (NATS with 1 keeps publish order).
    pub workers: usize,
    /// Limit of one attempt: the whole HTTP request and response, or a NATS publish, or a flush.
    pub timeout: Duration,
    /// Attempts after the first one that failed.
    pub retries: u32,
    /// Pause before the first retry; doubled each retry up to [`MAX_BACKOFF`].
    pub backoff: Duration,
}

impl fmt::Debug for ForwardConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForwardConfig")
            .field("kind", &self.kind)
            .field("servers", &self.servers)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("queue", &self.queue)
            .field("workers", &self.workers)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("backoff", &self.backoff)
            .finish()
    }
}

impl ForwardConfig {
    /// Defaults: queue 10 000; 8 workers for HTTP (concurrent POSTs), 1 for NATS (a publish only
    /// hands the bytes to the client, and one worker keeps them in order); 3 s per attempt (the Go
    /// proxy's HTTP timeout); 3 retries; 200 ms first backoff.
    pub fn new(kind: SinkKind, servers: Vec<String>) -> Self {
        ForwardConfig {
            kind,
            servers,
            username: None,
            password: None,
            queue: 10_000,
            workers: match kind {
                SinkKind::Http => 8,
                SinkKind::Nats => 1,
            },
            timeout: Duration::from_secs(3),
            retries: 3,
            backoff: Duration::from_millis(200),
        }
    }

    /// HTTP endpoints with the defaults.
    pub fn http(servers: Vec<String>) -> Self {
        Self::new(SinkKind::Http, servers)
    }

    /// NATS servers with the defaults.
    pub fn nats(servers: Vec<String>) -> Self {
        Self::new(SinkKind::Nats, servers)
    }

    /// The pause after failed attempt `attempt` (0-based): `backoff · 2^attempt`, at most [`MAX_BACKOFF`].
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.backoff
            .saturating_mul(factor)
            .min(MAX_BACKOFF.max(self.backoff))
    }

    /// The longest a [`Forwarder::forward_durable`] can take: every attempt timing out, plus the
    /// pauses (a durable NATS attempt is a publish and a flush, two timeouts).
    pub fn durable_bound(&self) -> Duration {
        let per_attempt = match self.kind {
            SinkKind::Http => self.timeout,
            SinkKind::Nats => self.timeout.saturating_mul(2),
        };
        let pauses =
            (0..self.retries).fold(Duration::ZERO, |acc, a| acc.saturating_add(self.delay(a)));
        per_attempt
            .saturating_mul(self.retries.saturating_add(1))
            .saturating_add(pauses)
    }
}

/// A snapshot of the counters, for logs and the Prometheus export.
#[derive(Debug, Clone, PartialEq)]
pub struct ForwardStats {
    /// Payloads accepted into the queue.
    pub enqueued: u64,
    /// Payloads delivered (queued and durable).
    pub delivered: u64,
    /// Payloads given up on after their last attempt (queued and durable).
    pub failed: u64,
    /// Payloads dropped because the queue was full.
    pub dropped_queue_full: u64,
    /// Payloads refused because the forwarder was shut down.
    pub dropped_closed: u64,
    /// Retries made (attempts after a first one).
    pub retries: u64,
    /// Payloads in the queue right now.
    pub queued: usize,
    /// Delivered payloads whose latency was measured (= `delivered`).
    pub latency_count: u64,
    /// Sum of their latencies (first attempt start to success), seconds.
    pub latency_sum_seconds: f64,
    /// Cumulative histogram: for each bound of [`LATENCY_BUCKETS`], how many took at most that;
    /// the last entry (`f64::INFINITY`) equals `latency_count`.
    pub latency_buckets: Vec<(f64, u64)>,
}

/// The live counters behind [`ForwardStats`].
#[derive(Debug, Default)]
struct Counters {
    enqueued: AtomicU64,
    delivered: AtomicU64,
    failed: AtomicU64,
    dropped_queue_full: AtomicU64,
    dropped_closed: AtomicU64,
    retries: AtomicU64,
    latency_sum_us: AtomicU64,
    latency_count: AtomicU64,
    /// Non-cumulative counts per bucket; the last one is `+Inf`.
    latency_buckets: [AtomicU64; 14],
}

impl Counters {
    fn record_delivery(&self, took: Duration) {
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.delivered.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_us.fetch_add(us, Ordering::Relaxed);
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        let slot = LATENCY_BOUNDS_US
            .iter()
            .position(|b| us <= *b)
            .unwrap_or(LATENCY_BOUNDS_US.len());
        if let Some(c) = self.latency_buckets.get(slot) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn snapshot(&self, queued: usize) -> ForwardStats {
        let mut running = 0u64;
        let mut latency_buckets = Vec::with_capacity(self.latency_buckets.len());
        for (i, c) in self.latency_buckets.iter().enumerate() {
            running = running.saturating_add(c.load(Ordering::Relaxed));
            latency_buckets.push((
                LATENCY_BUCKETS.get(i).copied().unwrap_or(f64::INFINITY),
                running,
            ));
        }
        ForwardStats {
            enqueued: self.enqueued.load(Ordering::Relaxed),
            delivered: self.delivered.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            dropped_queue_full: self.dropped_queue_full.load(Ordering::Relaxed),
            dropped_closed: self.dropped_closed.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            queued,
            latency_count: self.latency_count.load(Ordering::Relaxed),
            latency_sum_seconds: self.latency_sum_us.load(Ordering::Relaxed) as f64 / 1e6,
            latency_buckets,
        }
    }
}

/// The backend, behind one shared client.
enum Sink {
    Http(http::HttpSink),
    Nats(nats::NatsSink),
}

impl Sink {
    /// One attempt.
    async fn send(
        &self,
        route: Route,
        body: &Bytes,
        durable: bool,
        timeout: Duration,
    ) -> Result<(), ForwardError> {
        match self {
            Sink::Http(h) => h.send(route, body, timeout).await,
            Sink::Nats(n) => n.send(route, body, durable, timeout).await,
        }
    }
}

/// What the workers and the durable path share.
struct Shared {
    sink: Sink,
    config: ForwardConfig,
    counters: Counters,
    closed: AtomicBool,
    /// Payloads accepted into the queue and not yet finished by a worker.
    pending: AtomicUsize,
}

impl Shared {
    /// Serializes once, then attempts up to `1 + retries` times with backoff.
    async fn deliver(&self, payload: &Payload, durable: bool) -> Result<(), ForwardError> {
        let route = payload.route();
        let body = match payload.to_json() {
            Ok(b) => Bytes::from(b),
            Err(e) => return Err(self.give_up(route, e, 0, durable)),
        };
        let started = Instant::now();
        let mut attempt = 0u32;
        loop {
            match self
                .sink
                .send(route, &body, durable, self.config.timeout)
                .await
            {
                Ok(()) => {
                    self.counters.record_delivery(started.elapsed());
                    return Ok(());
                }
                Err(e) if attempt < self.config.retries && e.is_retryable(durable) => {
                    self.counters.retries.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(%route, attempt, error = %e, "forward attempt failed, retrying");
                    tokio::time::sleep(self.config.delay(attempt)).await;
                    attempt += 1;
                }
                Err(e) => return Err(self.give_up(route, e, attempt + 1, durable)),
            }
        }
    }

    /// Counts a failure; logs the first ones and then every 10 000th, so a dead backend does
    /// not flood the log (the counter has the full story).
    fn give_up(
        &self,
        route: Route,
        error: ForwardError,
        attempts: u32,
        durable: bool,
    ) -> ForwardError {
        let failed = self
            .counters
            .failed
            .fetch_add(1, Ordering::Relaxed)
            .saturating_add(1);
        if durable || failed <= 10 || failed.is_multiple_of(10_000) {
            tracing::warn!(%route, attempts, durable, failed_total = failed, %error, "forwarding failed");
        }
        error
    }
}

/// Forwards payloads to one backend; see the module documentation.
///
/// Dropping it closes the queue: the workers finish what is queued (each attempt bounded by the
/// timeout) and end.
pub struct Forwarder {
    tx: mpsc::Sender<Payload>,
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
}

impl fmt::Debug for Forwarder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Forwarder")
            .field("config", &self.shared.config)
            .field("workers", &self.workers.len())
            .finish()
    }
}

impl Forwarder {
    /// Builds the client and starts the workers. Must run inside a tokio runtime.
    ///
    /// NATS: succeeds while no server is reachable; the client connects in the background and
    /// reconnects for ever (check [`Forwarder::is_connected`]). Fails only for a configuration
    /// that cannot work: no servers, an unparsable URL, a queue or worker count of 0.
    pub async fn new(config: ForwardConfig) -> Result<Forwarder, ForwardError> {
        if config.servers.is_empty() {
            return Err(ForwardError::Config("no servers given".into()));
        }
        if config.queue == 0 || config.workers == 0 {
            return Err(ForwardError::Config(
                "queue and workers must be at least 1".into(),
            ));
        }
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|e| ForwardError::Config(format!("no tokio runtime: {e}")))?;
        let sink = match config.kind {
            SinkKind::Http => {
                if config.username.is_some() || config.password.is_some() {
                    tracing::warn!(
                        "username/password apply to NATS only; ignored for HTTP forwarding"
                    );
                }
                Sink::Http(http::HttpSink::new(
                    &config.servers,
                    config.timeout,
                    config.workers,
                )?)
            }
            SinkKind::Nats => Sink::Nats(nats::NatsSink::connect(&config).await?),
        };
        let (tx, rx) = mpsc::channel(config.queue);
        let workers_n = config.workers;
        let shared = Arc::new(Shared {
            sink,
            config,
            counters: Counters::default(),
            closed: AtomicBool::new(false),
            pending: AtomicUsize::new(0),
        });
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        let workers = (0..workers_n)
            .map(|_| runtime.spawn(worker(rx.clone(), shared.clone())))
            .collect();
        Ok(Forwarder {
            tx,
            shared,
            workers,
        })
    }

    /// Queues a payload and returns at once: `true` when queued, `false` when it was dropped
    /// (queue full, or shut down) — and counted either way.
    pub fn forward(&self, payload: Payload) -> bool {
        if self.shared.closed.load(Ordering::Relaxed) {
            self.shared
                .counters
                .dropped_closed
                .fetch_add(1, Ordering::Relaxed);
            return false;
        }
        self.shared.pending.fetch_add(1, Ordering::AcqRel);
        match self.tx.try_send(payload) {
            Ok(()) => {
                self.shared
                    .counters
                    .enqueued
                    .fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(e) => {
                self.shared.pending.fetch_sub(1, Ordering::AcqRel);
                let counter = match e {
                    mpsc::error::TrySendError::Full(_) => &self.shared.counters.dropped_queue_full,
                    mpsc::error::TrySendError::Closed(_) => &self.shared.counters.dropped_closed,
                };
                let n = counter.fetch_add(1, Ordering::Relaxed).saturating_add(1);
                if n.is_power_of_two() {
                    tracing::warn!(
                        dropped_total = n,
                        "forward queue full or closed, payload dropped"
                    );
                }
                false
            }
        }
    }

    /// Delivers a payload now, on the caller's task, and returns `Ok` only once the backend has
    /// it: an HTTP 2xx (retrying with backoff; at most [`ForwardConfig::durable_bound`]), or a
    /// NATS publish and a successful flush. While NATS is disconnected it fails at once with
    /// [`ForwardError::NotConnected`].
    pub async fn forward_durable(&self, payload: Payload) -> Result<(), ForwardError> {
        if self.shared.closed.load(Ordering::Relaxed) {
            self.shared
                .counters
                .dropped_closed
                .fetch_add(1, Ordering::Relaxed);
            return Err(ForwardError::Closed);
        }
        self.shared.deliver(&payload, true).await
    }

    /// The counters now.
    pub fn stats(&self) -> ForwardStats {
        let queued = self.tx.max_capacity().saturating_sub(self.tx.capacity());
        self.shared.counters.snapshot(queued)
    }

    /// NATS: whether the client is connected to a server now. HTTP: always `true` (there is no
    /// standing connection to speak of).
    pub fn is_connected(&self) -> bool {
        match &self.shared.sink {
            Sink::Http(_) => true,
            Sink::Nats(n) => n.is_connected(),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &ForwardConfig {
        &self.shared.config
    }

    /// Stops taking payloads (`forward` drops and counts, `forward_durable` fails with
    /// [`ForwardError::Closed`]) and waits up to `grace` for the queue to drain. Returns whether
    /// everything queued was finished (delivered or given up on) in time.
    pub async fn shutdown(&self, grace: Duration) -> bool {
        self.shared.closed.store(true, Ordering::Relaxed);
        let deadline = Instant::now() + grace;
        let drained = loop {
            if self.shared.pending.load(Ordering::Acquire) == 0 {
                break true;
            }
            if Instant::now() >= deadline {
                break false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        if let Sink::Nats(n) = &self.shared.sink {
            let left = deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(100));
            n.flush(left).await;
        }
        drained
    }
}

/// Takes payloads off the queue until it is closed (the [`Forwarder`] dropped).
async fn worker(rx: Arc<tokio::sync::Mutex<mpsc::Receiver<Payload>>>, shared: Arc<Shared>) {
    loop {
        let next = {
            let mut rx = rx.lock().await;
            rx.recv().await
        };
        let Some(payload) = next else { break };
        // The error is counted and logged in `deliver`; the payload is dropped.
        let _ = shared.deliver(&payload, false).await;
        shared.pending.fetch_sub(1, Ordering::AcqRel);
    }
}

/// `t` as RFC 3339 in UTC with milliseconds: `2024-05-01T08:30:00.125Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (y, m, d) = crate::value::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// The current time as [`rfc3339`].
pub fn rfc3339_now() -> String {
    rfc3339(SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> Payload {
        Payload::Frame(Forwarded {
            frame_type: 0x3B,
            pile_code: Some("32010200000001".into()),
            direction: "up",
            sequence: [0x0C, 0x01],
            received_at: "2024-05-01T08:30:00.125Z".into(),
            connection_id: 7,
            raw_hex: "680C".into(),
            body_data: RawValue::from_string(r#"{"pile_code":"32010200000001","gun_no":1}"#.into())
                .unwrap(),
        })
    }

    #[test]
    fn frame_json_embeds_body_and_both_sequence_forms() {
        let text = String::from_utf8(frame().to_json().unwrap()).unwrap();
        assert_eq!(
            text,
            r#"{"event":"frame","frame_type":"0x3B","pile_code":"32010200000001","direction":"up","sequence_number":268,"sequence_hex":"0C01","received_at":"2024-05-01T08:30:00.125Z","connection_id":7,"raw_hex":"680C","body_data":{"pile_code":"32010200000001","gun_no":1}}"#
        );
        assert_eq!(frame().route().to_string(), "3b");
        assert_eq!(frame().route().subject(), "charge.proxy.ykc.3b");
    }

    #[test]
    fn event_json_and_routes() {
        let p = Payload::Event {
            kind: EventKind::Offline,
            pile_code: "p".into(),
            connection_id: 3,
            remote_addr: "127.0.0.1:9".into(),
            at: "t".into(),
        };
        assert_eq!(
            String::from_utf8(p.to_json().unwrap()).unwrap(),
            r#"{"event":"offline","pile_code":"p","connection_id":3,"remote_addr":"127.0.0.1:9","at":"t"}"#
        );
        assert_eq!(p.route(), Route::Offline);
        assert_eq!(Route::Online.subject(), "charge.proxy.ykc.online");
        assert_eq!(Route::Frame(0x05).to_string(), "05");
    }

    #[test]
    fn rfc3339_known_instants() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_millis(951_782_400_007)),
            "2000-02-29T00:00:00.007Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_714_552_200)),
            "2024-05-01T08:30:00.000Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(4_102_444_799)),
            "2099-12-31T23:59:59.000Z"
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_bounds_durable_time() {
        let mut c = ForwardConfig::http(vec!["x".into()]);
        c.backoff = Duration::from_millis(100);
        assert_eq!(c.delay(0), Duration::from_millis(100));
        assert_eq!(c.delay(3), Duration::from_millis(800));
        assert_eq!(c.delay(40), MAX_BACKOFF);
        c.retries = 2;
        c.timeout = Duration::from_secs(1);
        assert_eq!(c.durable_bound(), Duration::from_millis(3_300));
    }

    #[test]
    fn retry_rules() {
        let s = |status| ForwardError::Status {
            url: String::new(),
            status,
        };
        assert!(s(500).is_retryable(true));
        assert!(s(429).is_retryable(true));
        assert!(!s(404).is_retryable(false));
        assert!(ForwardError::NotConnected.is_retryable(false));
        assert!(!ForwardError::NotConnected.is_retryable(true));
    }

    #[test]
    fn histogram_is_cumulative() {
        let c = Counters::default();
        c.record_delivery(Duration::from_micros(500));
        c.record_delivery(Duration::from_millis(30));
        c.record_delivery(Duration::from_secs(60));
        let s = c.snapshot(0);
        assert_eq!(s.latency_count, 3);
        assert_eq!(s.latency_buckets.first(), Some(&(0.001, 1)));
        assert_eq!(s.latency_buckets.get(5), Some(&(0.05, 2)));
        assert_eq!(s.latency_buckets.last().map(|b| b.1), Some(3));
        assert!(s.latency_buckets.last().is_some_and(|b| b.0.is_infinite()));
    }

    #[test]
    fn password_is_not_in_debug_output() {
        let mut c = ForwardConfig::nats(vec!["127.0.0.1:4222".into()]);
        c.password = Some("hunter2".into());
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
