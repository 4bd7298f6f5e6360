//! Real processes for the fault tests (`tests/tests/durability.rs`): the `ykc` binary, a
//! gateway process that can be killed, stopped and restarted on the same ports and journal, an
//! HTTP sink whose faults are switched at run time, a JetStream nats-server that can be killed
//! and restarted on its store, and a pile that keeps heartbeating and resends its transaction
//! records until confirmed, as a real one does. Everything listens on 127.0.0.1 only.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_util::codec::Framed;
use ykc::{CrcOrder, FrameCodec, Message, StreamItem};

use crate::parts::{free_port, login, nats_binary};

/// Locks a mutex, a poisoned one too (a panicking test thread must not hide the data).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Polls `cond` every 50 ms until it holds or `bound` passes; whether it held.
pub async fn eventually(bound: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + bound;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= until {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// [`eventually`] for a condition that has to wait (a request): polled every 100 ms.
pub async fn eventually_async<F, Fut>(bound: Duration, mut cond: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let until = Instant::now() + bound;
    loop {
        if tokio::time::timeout_at(until.into(), cond()).await == Ok(true) {
            return true;
        }
        if Instant::now() >= until {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The `ykc` binary of this build, built once per test process.
///
/// `$YKC_BIN` when set; otherwise `cargo build -p ykc --bin ykc` into the target directory
/// this test binary runs from (so `cargo test -p ykc-tests` alone never tests a stale binary).
///
/// # Panics
/// When the build fails or the binary is not where cargo puts it.
pub fn ykc_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("YKC_BIN") {
            return PathBuf::from(p);
        }
        let exe = std::env::current_exe().expect("the test binary's path");
        // target/<profile>/deps/<test binary>
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("test binary under target/<profile>/deps");
        let target_dir = profile_dir.parent().expect("target dir");
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args([
            "build",
            "--quiet",
            "-p",
            "ykc",
            "--bin",
            "ykc",
            "--target-dir",
        ])
        .arg(target_dir)
        .current_dir(crate::root());
        // The variables cargo set for this test (package name, version, manifest dir …) would
        // differ from the outer cargo's, and ring's build script tracks them: ring and all above
        // it were rebuilt on every run, by this build and then by the next `cargo test`.
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            let set_by_cargo = [
                "CARGO_PKG_",
                "CARGO_MANIFEST_",
                "CARGO_CRATE_",
                "CARGO_BIN_",
            ]
            .iter()
            .any(|p| k.starts_with(p));
            if set_by_cargo || k == "OUT_DIR" || k == "CARGO_PRIMARY_PACKAGE" {
                cmd.env_remove(&key);
            }
        }
        if release {
            cmd.arg("--release");
        }
        let st = cmd.status().expect("run cargo build for the ykc binary");
        assert!(st.success(), "cargo build -p ykc --bin ykc failed: {st}");
        let bin = profile_dir.join("ykc");
        assert!(bin.is_file(), "no ykc binary at {}", bin.display());
        bin
    })
    .clone()
}

/// A scratch directory, removed on drop (a tmpfs under it is unmounted by its owner first);
/// kept, for reading the gateway's log and journal, when `$YKC_FAULT_KEEP` is set.
pub fn scratch(name: &str) -> tempfile::TempDir {
    let mut d = tempfile::Builder::new()
        .prefix(&format!("ykc-fault-{name}-"))
        .tempdir()
        .expect("scratch dir");
    if std::env::var_os("YKC_FAULT_KEEP").is_some() {
        d.disable_cleanup(true);
        eprintln!("keeping {}", d.path().display());
    }
    d
}

/// One `ykc serve` child process; SIGKILLed on drop.
pub struct Gateway {
    child: Option<Child>,
    /// Pile TCP port on 127.0.0.1 (the same across restarts).
    pub tcp: u16,
    /// REST/metrics port on 127.0.0.1 (the same across restarts).
    pub http: u16,
    args: Vec<String>,
    /// Its stdout and stderr, every start appended.
    pub log: PathBuf,
    /// Its journal file.
    pub journal: PathBuf,
    client: reqwest::Client,
}

impl Gateway {
    /// Starts `ykc serve` on fresh loopback ports with its journal at `work/journal.db`, its log
    /// at `work/gateway.log`, auto-login, auto-confirm, auto billing-model check and `extra`
    /// options; waits until ready.
    pub async fn start(work: &Path, extra: &[&str]) -> Gateway {
        Gateway::start_with_journal(work, &work.join("journal.db"), extra).await
    }

    /// [`Gateway::start`] with the journal at `journal`.
    pub async fn start_with_journal(work: &Path, journal: &Path, extra: &[&str]) -> Gateway {
        Gateway::start_wrapped(work, journal, &[], extra).await
    }

    /// [`Gateway::start_with_journal`], run through `wrapper` (a command line that ends by
    /// executing its arguments, e.g. `sh -c '…; exec "$0" "$@"'`): the ykc binary and its
    /// options follow it.
    pub async fn start_wrapped(
        work: &Path,
        journal: &Path,
        wrapper: &[&str],
        extra: &[&str],
    ) -> Gateway {
        let (tcp, http) = (free_port(), free_port());
        let mut args: Vec<String> = wrapper.iter().map(|s| s.to_string()).collect();
        args.push(ykc_bin().display().to_string());
        args.extend(
            [
                "serve",
                "--host",
                "127.0.0.1",
                "--auto-verification",
                "true",
                "--auto-transaction-record-confirm",
                "true",
                "--auto-billing-model-verify",
                "true",
                "--journal",
            ]
            .map(String::from),
        );
        args.push(journal.display().to_string());
        args.extend(["--tcp-port".into(), tcp.to_string()]);
        args.extend(["--http-port".into(), http.to_string()]);
        args.extend(extra.iter().map(|s| s.to_string()));
        let mut g = Gateway {
            child: None,
            tcp,
            http,
            args,
            log: work.join("gateway.log"),
            journal: journal.to_path_buf(),
            client: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("client"),
        };
        g.restart().await;
        g
    }

    /// Starts the process again (same ports, journal and options) and waits until it serves.
    ///
    /// # Panics
    /// When it is still running, or does not serve within 20 s (with its log).
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "restart of a running gateway");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("gateway log");
        let (program, args) = self.args.split_first().expect("a command line");
        let child = Command::new(program)
            .args(args)
            .env("YKC_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log fd"))
            .stderr(log)
            .spawn()
            .expect("spawn ykc serve");
        self.child = Some(child);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if let Some(st) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                panic!("ykc serve exited at start ({st}):\n{}", self.log_tail());
            }
            let tcp_up = TcpStream::connect(("127.0.0.1", self.tcp)).await.is_ok();
            if tcp_up && self.get("/healthz").await.is_some() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("ykc serve not ready within 20 s:\n{}", self.log_tail());
    }

    /// The OS process id, while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILL, and reap.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM; waits up to `bound` for the exit. Returns its status (None = still running at
    /// `bound`, then killed) and how long the exit took.
    pub async fn sigterm(&mut self, bound: Duration) -> (Option<ExitStatus>, Duration) {
        let Some(mut c) = self.child.take() else {
            return (None, Duration::ZERO);
        };
        let started = Instant::now();
        let st = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status()
            .expect("run kill");
        assert!(st.success(), "kill -TERM failed");
        while started.elapsed() < bound {
            if let Ok(Some(st)) = c.try_wait() {
                return (Some(st), started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = c.kill();
        let _ = c.wait();
        (None, started.elapsed())
    }

    /// Where piles connect.
    pub fn tcp_addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.tcp))
    }

    /// `http://127.0.0.1:<http port>`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.http)
    }

    /// GET `path`: the body when the status is 2xx.
    pub async fn get(&self, path: &str) -> Option<String> {
        let r = self
            .client
            .get(format!("{}{path}", self.base()))
            .send()
            .await
            .ok()?;
        if !r.status().is_success() {
            return None;
        }
        r.text().await.ok()
    }

    /// POST JSON to `path`: (status, JSON body or null); None when the request failed.
    pub async fn post(&self, path: &str, body: &Value) -> Option<(u16, Value)> {
        let r = self
            .client
            .post(format!("{}{path}", self.base()))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .ok()?;
        let status = r.status().as_u16();
        let text = r.text().await.ok()?;
        Some((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// The `/metrics` text ("" when it does not answer).
    pub async fn metrics(&self) -> String {
        self.get("/metrics").await.unwrap_or_default()
    }

    /// One Prometheus series, e.g. `ykc_outbox_backlog{sink="http"}`; None when absent.
    pub async fn metric(&self, series: &str) -> Option<f64> {
        prom_value(&self.metrics().await, series)
    }

    /// Everything the process logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last 40 lines of its log.
    pub fn log_tail(&self) -> String {
        let t = self.log_text();
        let lines: Vec<&str> = t.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// `ykc journal <journal> [--pile P] --type T --format json --limit 0`: one JSON object a line.
    pub fn journal_cli(&self, pile: Option<&str>, code: &str) -> Vec<Value> {
        let mut cmd = Command::new(ykc_bin());
        cmd.arg("journal").arg(&self.journal);
        if let Some(p) = pile {
            cmd.args(["--pile", p]);
        }
        let out = cmd
            .args(["--type", code, "--format", "json", "--limit", "0"])
            .output()
            .expect("run ykc journal");
        assert!(
            out.status.success(),
            "ykc journal failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// The value of `series` (name with its labels, exactly as printed) in Prometheus text.
pub fn prom_value(text: &str, series: &str) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// The transaction serial of a forwarded 0x3B payload: top level, else in `body_data`.
pub fn serial_of(body: &Value) -> Option<String> {
    body.get("transaction_serial")
        .or_else(|| body.get("body_data")?.get("transaction_serial"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// How a [`FaultSink`] behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 200, and the payload counts as delivered.
    Ok,
    /// This status, nothing delivered.
    Status(u16),
    /// Accepts and reads the request, never answers (until the mode changes; then 503).
    Stall,
    /// Nothing listens on the port, and open connections are cut.
    Refuse,
}

/// One payload a [`FaultSink`] took (answered 200).
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Request path, e.g. `/ykc/3b`.
    pub path: String,
    /// Its `Idempotency-Key` header.
    pub key: Option<String>,
    /// The JSON body (null when not JSON).
    pub body: Value,
}

impl Delivery {
    /// The payload's `id` field.
    pub fn id(&self) -> Option<&str> {
        self.body.get("id").and_then(Value::as_str)
    }
}

/// The sink's shared state.
#[derive(Clone)]
struct SinkState {
    mode: watch::Sender<Mode>,
    got: Arc<Mutex<Vec<Delivery>>>,
    requests: Arc<AtomicU64>,
    /// Bumped when connections must be cut; a connection from an older generation fails I/O.
    generation: Arc<AtomicU64>,
}

/// A real HTTP sink on 127.0.0.1 with switchable faults ([`Mode`]), recording what it took.
pub struct FaultSink {
    port: u16,
    state: SinkState,
    server: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl FaultSink {
    /// Starts the sink in [`Mode::Ok`].
    pub async fn start() -> FaultSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind sink");
        let port = listener.local_addr().expect("addr").port();
        let sink = FaultSink {
            port,
            state: SinkState {
                mode: watch::Sender::new(Mode::Ok),
                got: Arc::default(),
                requests: Arc::default(),
                generation: Arc::default(),
            },
            server: Mutex::new(None),
        };
        sink.serve(listener);
        sink
    }

    fn serve(&self, listener: TcpListener) {
        use axum::extract::{OriginalUri, State};
        use axum::http::{HeaderMap, StatusCode};
        let app = axum::Router::new()
            .fallback(axum::routing::post(
                |State(s): State<SinkState>,
                 OriginalUri(uri): OriginalUri,
                 headers: HeaderMap,
                 body: axum::body::Bytes| async move {
                    s.requests.fetch_add(1, Ordering::SeqCst);
                    let mut rx = s.mode.subscribe();
                    let mode = *rx.borrow_and_update();
                    match mode {
                        Mode::Ok => {
                            let key = headers
                                .get("idempotency-key")
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_string);
                            lock(&s.got).push(Delivery {
                                path: uri.path().to_string(),
                                key,
                                body: serde_json::from_slice(&body).unwrap_or_default(),
                            });
                            StatusCode::OK
                        }
                        Mode::Status(c) => {
                            StatusCode::from_u16(c).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
                        }
                        Mode::Stall | Mode::Refuse => {
                            // Hold the request until the fault ends (bounded for safety).
                            let _ = tokio::time::timeout(Duration::from_secs(300), async {
                                while *rx.borrow_and_update() == mode {
                                    if rx.changed().await.is_err() {
                                        break;
                                    }
                                }
                            })
                            .await;
                            StatusCode::SERVICE_UNAVAILABLE
                        }
                    }
                },
            ))
            .with_state(self.state.clone());
        let l = CuttableListener {
            inner: listener,
            generation: self.state.generation.clone(),
        };
        let task = tokio::spawn(async move {
            let _ = axum::serve(l, app).await;
        });
        *lock(&self.server) = Some(task);
    }

    /// The endpoint for `--servers`: `http://127.0.0.1:<port>/ykc`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/ykc", self.port)
    }

    /// Switches the mode. Into [`Mode::Refuse`]: the listener closes and open connections are
    /// cut; out of it: the sink listens on the same port again.
    pub async fn set(&self, mode: Mode) {
        let was = *self.state.mode.borrow();
        if was == mode {
            return;
        }
        if mode == Mode::Refuse {
            let server = lock(&self.server).take();
            if let Some(t) = server {
                t.abort();
                let _ = t.await;
            }
            self.state.generation.fetch_add(1, Ordering::SeqCst);
        }
        self.state.mode.send_replace(mode);
        if was == Mode::Refuse {
            let mut tries = 0;
            let l = loop {
                match TcpListener::bind(("127.0.0.1", self.port)).await {
                    Ok(l) => break l,
                    Err(e) if tries < 100 => {
                        tries += 1;
                        let _ = e;
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Err(e) => panic!("sink cannot listen on {} again: {e}", self.port),
                }
            };
            self.serve(l);
        }
    }

    /// Every payload taken so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.state.got).clone()
    }

    /// Requests received in any mode.
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// Transaction records taken: serial → the ids (payload `id`, else "") they came with,
    /// and the number of copies.
    pub fn records(&self) -> BTreeMap<String, (BTreeSet<String>, usize)> {
        let mut out: BTreeMap<String, (BTreeSet<String>, usize)> = BTreeMap::new();
        for d in lock(&self.state.got).iter() {
            if !d.path.ends_with("/3b") {
                continue;
            }
            if let Some(s) = serial_of(&d.body) {
                let e = out.entry(s).or_default();
                e.0.insert(d.id().unwrap_or_default().to_string());
                e.1 += 1;
            }
        }
        out
    }

    /// Waits (bounded) until every serial of `want` was taken; whether they were.
    pub async fn wait_records(&self, want: &BTreeSet<String>, bound: Duration) -> bool {
        eventually(bound, || {
            let got = self.records();
            want.iter().all(|s| got.contains_key(s))
        })
        .await
    }
}

impl Drop for FaultSink {
    fn drop(&mut self) {
        if let Some(t) = lock(&self.server).take() {
            t.abort();
        }
        self.state.generation.fetch_add(1, Ordering::SeqCst);
        self.state.mode.send_replace(Mode::Refuse);
    }
}

/// A listener whose connections can all be cut at once (by bumping the generation).
struct CuttableListener {
    inner: TcpListener,
    generation: Arc<AtomicU64>,
}

impl axum::serve::Listener for CuttableListener {
    type Io = CuttableStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            if let Ok((s, a)) = self.inner.accept().await {
                let born = self.generation.load(Ordering::SeqCst);
                let io = CuttableStream {
                    inner: s,
                    generation: self.generation.clone(),
                    born,
                };
                return (io, a);
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A TCP stream that fails every read and write once its listener's generation moved on.
struct CuttableStream {
    inner: TcpStream,
    generation: Arc<AtomicU64>,
    born: u64,
}

impl CuttableStream {
    fn cut(&self) -> bool {
        self.generation.load(Ordering::SeqCst) != self.born
    }
}

fn cut_error() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "sink refusing")
}

impl AsyncRead for CuttableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.cut() {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for CuttableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.cut() {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A nats-server child with JetStream on, its store in a directory kept across restarts.
pub struct JetStreamServer {
    child: Option<Child>,
    /// Its port on 127.0.0.1.
    pub port: u16,
    store: PathBuf,
}

impl JetStreamServer {
    /// Starts nats-server `-js` on a free port with its store under `store`.
    pub async fn start(store: &Path) -> JetStreamServer {
        let mut s = JetStreamServer {
            child: None,
            port: free_port(),
            store: store.to_path_buf(),
        };
        s.restart().await;
        s
    }

    /// Starts it again on the same port and store; waits until it accepts (10 s).
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "restart of a running nats-server");
        let child = Command::new(nats_binary())
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(&self.store)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", nats_binary()));
        self.child = Some(child);
        let up = async {
            while TcpStream::connect(("127.0.0.1", self.port)).await.is_err() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), up)
            .await
            .expect("nats-server accepts within 10 s");
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// SIGKILL, and reap.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for JetStreamServer {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Every message of JetStream stream `stream` on the server at `url`: (subject, `Nats-Msg-Id`
/// header, JSON body), read from its first to its last sequence.
pub async fn stream_messages(url: &str, stream: &str) -> Vec<(String, Option<String>, Value)> {
    let Ok(client) = async_nats::connect(url).await else {
        return Vec::new();
    };
    let js = async_nats::jetstream::new(client);
    let Ok(mut st) = js.get_stream(stream).await else {
        return Vec::new();
    };
    let Ok(info) = st.info().await else {
        return Vec::new();
    };
    let (first, last) = (info.state.first_sequence, info.state.last_sequence);
    let mut out = Vec::new();
    for seq in first..=last {
        if let Ok(m) = st.get_raw_message(seq).await {
            let id = m.headers.get("Nats-Msg-Id").map(|v| v.as_str().to_string());
            let body = serde_json::from_slice(&m.payload).unwrap_or_default();
            out.push((m.subject.to_string(), id, body));
        }
    }
    out
}

/// A 0x3B transaction record frame (158-byte body, zero apart from serial and pile code).
///
/// # Panics
/// When `serial` is not 32 digits or `pile` not 14.
pub fn record_frame(serial: &str, pile: &str, seq: [u8; 2]) -> Vec<u8> {
    let s = ykc::hex::decode(serial).expect("serial digits");
    let p = ykc::hex::decode(pile).expect("pile digits");
    assert_eq!((s.len(), p.len()), (16, 7), "serial 32 digits, pile 14");
    let mut b = vec![0u8; 158];
    b[..16].copy_from_slice(&s);
    b[16..23].copy_from_slice(&p);
    let mut out = bytes::BytesMut::new();
    ykc::encode_frame(seq, 0, 0x3B, &b, CrcOrder::LowFirst, &mut out).expect("0x3B encodes");
    out.to_vec()
}

/// What a [`ScriptedPile`] saw.
#[derive(Debug, Default)]
pub struct PileLog {
    /// Serials confirmed by 0x40 (success), with when.
    pub confirmed: BTreeMap<String, Instant>,
    /// Serials handed to the pile, unconfirmed ones included.
    pub records: Vec<String>,
    /// Heartbeats sent and answered.
    pub heartbeats: (u64, u64),
    /// Longest heartbeat → 0x04 time.
    pub heartbeat_max: Duration,
    /// Heartbeats awaiting a reply: sequence → sent.
    pending: HashMap<[u8; 2], Instant>,
    /// Sessions logged in.
    pub logins: u64,
    /// 0x40 frames received (any result).
    pub acks: u64,
    /// Bytes the codec dropped (not a frame).
    pub dropped: u64,
}

impl PileLog {
    /// The longest heartbeat wait, unanswered ones counted up to now.
    pub fn heartbeat_worst(&self) -> Duration {
        let open = self.pending.values().map(Instant::elapsed).max();
        self.heartbeat_max.max(open.unwrap_or_default())
    }
}

/// A pile that logs in, heartbeats every `heartbeat`, sends the records it is given one at a
/// time ([`WINDOW`]) and resends an unconfirmed one every `resend` (and after each reconnect),
/// reconnecting when the link is lost — as a real pile does.
pub struct ScriptedPile {
    /// What it saw.
    pub log: Arc<Mutex<PileLog>>,
    task: tokio::task::JoinHandle<()>,
    /// Pile code.
    pub pile: String,
}

impl ScriptedPile {
    /// Starts the pile against `addr`.
    pub fn start(
        addr: std::net::SocketAddr,
        pile: &str,
        heartbeat: Duration,
        resend: Duration,
    ) -> ScriptedPile {
        let log: Arc<Mutex<PileLog>> = Arc::default();
        let task = tokio::spawn(pile_loop(
            addr,
            pile.to_string(),
            heartbeat,
            resend,
            log.clone(),
        ));
        ScriptedPile {
            log,
            task,
            pile: pile.to_string(),
        }
    }

    /// Hands the pile a transaction record to send (and resend until confirmed).
    pub fn record(&self, serial: &str) {
        lock(&self.log).records.push(serial.to_string());
    }

    /// Serials confirmed so far.
    pub fn confirmed(&self) -> BTreeSet<String> {
        lock(&self.log).confirmed.keys().cloned().collect()
    }

    /// A one-line account: records handed, confirmed, 0x40s, dropped bytes, logins.
    pub fn summary(&self) -> String {
        let l = lock(&self.log);
        format!(
            "pile {}: {} records, {} confirmed, {} 0x40 received, {} bytes dropped, {} logins",
            self.pile,
            l.records.len(),
            l.confirmed.len(),
            l.acks,
            l.dropped,
            l.logins
        )
    }

    /// Logins so far.
    pub fn logins(&self) -> u64 {
        lock(&self.log).logins
    }

    /// (sent, answered, worst latency) of heartbeats.
    pub fn heartbeats(&self) -> (u64, u64, Duration) {
        let l = lock(&self.log);
        (l.heartbeats.0, l.heartbeats.1, l.heartbeat_worst())
    }

    /// Resets the heartbeat figures (to measure one phase).
    pub fn reset_heartbeats(&self) {
        let mut l = lock(&self.log);
        l.heartbeats = (0, 0);
        l.heartbeat_max = Duration::ZERO;
        l.pending.clear();
    }

    /// Waits (bounded) until `n` records are confirmed.
    pub async fn wait_confirmed(&self, n: usize, bound: Duration) -> bool {
        eventually(bound, || lock(&self.log).confirmed.len() >= n).await
    }
}

impl Drop for ScriptedPile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Records a [`ScriptedPile`] has sent and awaits the 0x40 of, at most.
pub const WINDOW: usize = 1;

async fn pile_loop(
    addr: std::net::SocketAddr,
    pile: String,
    heartbeat: Duration,
    resend: Duration,
    log: Arc<Mutex<PileLog>>,
) {
    let mut seq: u16 = 0;
    loop {
        if let Ok(s) = TcpStream::connect(addr).await {
            let mut conn = Framed::new(s, FrameCodec::new());
            let _ = pile_session(&mut conn, &pile, heartbeat, resend, &log, &mut seq).await;
        }
        lock(&log).pending.clear();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// One connection; returns when it is lost.
async fn pile_session(
    conn: &mut Framed<TcpStream, FrameCodec>,
    pile: &str,
    heartbeat: Duration,
    resend: Duration,
    log: &Mutex<PileLog>,
    seq: &mut u16,
) -> io::Result<()> {
    let next = |s: &mut u16| {
        *s = s.wrapping_add(1);
        s.to_le_bytes()
    };
    let frame = |code, seq, v| crate::parts::TestPile::frame(code, seq, v, CrcOrder::LowFirst);
    conn.get_mut()
        .write_all(&frame(0x01, next(seq), login(pile)))
        .await?;
    // Wait for the login answer.
    loop {
        match tokio::time::timeout(Duration::from_secs(5), conn.next()).await {
            Ok(Some(Ok(StreamItem::Frame(f)))) if f.header.code == 0x02 => break,
            Ok(Some(Ok(_))) => continue,
            _ => return Err(io::ErrorKind::TimedOut.into()),
        }
    }
    lock(log).logins += 1;
    // serial → when last sent in this session (None = not yet).
    let mut sent: HashMap<String, Instant> = HashMap::new();
    let mut hb = tokio::time::interval(heartbeat);
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            _ = hb.tick() => {
                let s = next(seq);
                let v = serde_json::json!({"pile_code": pile, "gun_no": "01", "gun_status": 0});
                conn.get_mut().write_all(&frame(0x03, s, v)).await?;
                let mut l = lock(log);
                l.heartbeats.0 += 1;
                l.pending.insert(s, Instant::now());
            }
            _ = tick.tick() => {
                // One record at a time, as a real pile uploads: the next goes after the
                // previous one's 0x40 (or with its resend).
                let due: Vec<String> = {
                    let l = lock(log);
                    let open: Vec<&String> =
                        l.records.iter().filter(|r| !l.confirmed.contains_key(*r)).collect();
                    let waiting = open
                        .iter()
                        .filter(|r| sent.get(**r).is_some_and(|t| t.elapsed() < resend))
                        .count();
                    open.into_iter()
                        .filter(|r| sent.get(*r).is_none_or(|t| t.elapsed() >= resend))
                        .take(WINDOW.saturating_sub(waiting))
                        .cloned()
                        .collect()
                };
                for r in due {
                    conn.get_mut().write_all(&record_frame(&r, pile, next(seq))).await?;
                    sent.insert(r, Instant::now());
                }
            }
            item = conn.next() => match item {
                Some(Ok(StreamItem::Frame(f))) => on_frame(&f, log),
                Some(Ok(StreamItem::Dropped { bytes, .. })) => lock(log).dropped += bytes as u64,
                Some(Err(e)) => return Err(e),
                None => return Err(io::ErrorKind::UnexpectedEof.into()),
            },
        }
    }
}

fn on_frame(f: &ykc::OwnedFrame, log: &Mutex<PileLog>) {
    let mut l = lock(log);
    match f.header.code {
        0x04 => {
            if let Some(t) = l.pending.remove(&f.header.seq) {
                l.heartbeats.1 += 1;
                l.heartbeat_max = l.heartbeat_max.max(t.elapsed());
            }
        }
        0x40 => {
            l.acks += 1;
            let Ok((m, _)) = Message::decode(0x40, &f.body) else {
                return;
            };
            let v = ykc::answer::body_json(&m);
            let ok = v["confirm_result"]["name"] == "success" || v["confirm_result"] == 0;
            if let (Some(s), true) = (v["transaction_serial"].as_str(), ok) {
                l.confirmed
                    .entry(s.to_string())
                    .or_insert_with(Instant::now);
            }
        }
        _ => {}
    }
}

/// A 32-digit transaction serial: the pile code, gun 01, then `n` in 16 digits.
pub fn serial(pile: &str, n: u64) -> String {
    format!("{pile}01{n:016}")
}
