//! Shared helpers for the end-to-end tests: the checked-in corpus and the spec.

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// One corpus frame (see `ykc_gen::corpus::CorpusFrame`).
#[derive(Debug, Clone)]
pub struct CorpusFrame {
    /// File it came from.
    pub file: String,
    /// Frame type code.
    pub code: u8,
    /// Frame name.
    pub name: String,
    /// The whole frame.
    pub bytes: Vec<u8>,
    /// True when printed bytes were right as printed.
    pub printed_crc_ok: bool,
}

/// Every frame of `tests/corpus/*.json`, in file order.
///
/// # Panics
/// On anything wrong with the corpus (a file that cannot be read, is not JSON, or lacks a field),
/// naming the file: a test must never pass on an empty or half-read corpus.
pub fn corpus() -> Vec<CorpusFrame> {
    let dir = root().join("tests/corpus");
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list the corpus {}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|e| {
            e.unwrap_or_else(|e| panic!("cannot list the corpus {}: {e}", dir.display()))
                .path()
        })
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus files in {}", dir.display());
    files.iter().flat_map(|f| corpus_file(f)).collect()
}

/// The frames of one corpus file; panics naming the file and the frame on any defect.
fn corpus_file(path: &Path) -> Vec<CorpusFrame> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {shown}: {e}"));
    let list: Vec<serde_json::Value> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{shown} is not a JSON list: {e}"));
    let file = path
        .file_name()
        .unwrap_or_else(|| panic!("{shown} has no file name"))
        .to_string_lossy()
        .into_owned();
    list.iter()
        .enumerate()
        .map(|(i, v)| {
            let field = |k: &str| {
                v.get(k)
                    .unwrap_or_else(|| panic!("{shown} frame {i} has no `{k}`"))
            };
            let text = |k: &str| {
                field(k)
                    .as_str()
                    .unwrap_or_else(|| panic!("{shown} frame {i}: `{k}` is not a string"))
            };
            let code = field("code").as_u64().and_then(|c| u8::try_from(c).ok());
            CorpusFrame {
                file: file.clone(),
                code: code.unwrap_or_else(|| panic!("{shown} frame {i}: `code` is not a byte")),
                name: text("name").to_string(),
                bytes: ykc::hex::decode(text("hex"))
                    .unwrap_or_else(|e| panic!("{shown} frame {i}: {e}")),
                printed_crc_ok: field("printed_crc_ok")
                    .as_bool()
                    .unwrap_or_else(|| panic!("{shown} frame {i}: `printed_crc_ok` is not a bool")),
            }
        })
        .collect()
}

/// The body of a whole frame (after the 6 header bytes, before the CRC).
///
/// # Panics
/// When `frame` is shorter than the 8 bytes of the smallest frame.
pub fn body(frame: &[u8]) -> &[u8] {
    frame
        .get(6..frame.len().saturating_sub(2))
        .unwrap_or_else(|| panic!("not a whole frame: {} bytes", frame.len()))
}

/// Frames generated from `tests/fixtures/vendor-spec` by the build script: proof that
/// adding a frame takes one YAML file and no Rust.
pub mod vendor {
    include!(concat!(env!("OUT_DIR"), "/frames.rs"));
}

pub mod cluster;
pub mod fault;

/// Headless Chromium through chromedriver, for the console's browser test.
pub mod webdriver;

/// Real parts for end-to-end tests: a test pile over TCP and an HTTP sink, on loopback only.
pub mod parts {
    use futures::StreamExt;
    use std::sync::atomic::{AtomicU16, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpStream;
    use tokio_util::codec::Framed;
    use ykc::{CrcOrder, FrameCodec, Message, OwnedFrame, StreamItem};

    /// A pile speaking through the real stream codec.
    pub struct TestPile {
        /// The framed connection.
        pub conn: Framed<TcpStream, FrameCodec>,
        /// CRC order it writes.
        pub order: CrcOrder,
    }

    impl TestPile {
        /// Connects to the gateway.
        pub async fn connect(addr: std::net::SocketAddr, order: CrcOrder) -> TestPile {
            let s = TcpStream::connect(addr).await.expect("connect");
            TestPile {
                conn: Framed::new(s, FrameCodec::new().with_default_order(order)),
                order,
            }
        }

        /// The bytes of a frame built from JSON fields.
        pub fn frame(
            code: u8,
            seq: [u8; 2],
            fields: serde_json::Value,
            order: CrcOrder,
        ) -> Vec<u8> {
            let msg = Message::from_json(code, &fields).expect("fields");
            msg.to_frame(seq, order).expect("frame").to_vec()
        }

        /// Sends a frame built from JSON fields.
        pub async fn send(&mut self, code: u8, seq: [u8; 2], fields: serde_json::Value) {
            let b = Self::frame(code, seq, fields, self.order);
            self.raw(&b).await;
        }

        /// Writes raw bytes (split or garbage included).
        pub async fn raw(&mut self, bytes: &[u8]) {
            self.conn.get_mut().write_all(bytes).await.expect("write");
        }

        /// The next frame from the gateway, if one comes within `wait`.
        pub async fn recv(&mut self, wait: Duration) -> Option<OwnedFrame> {
            loop {
                match tokio::time::timeout(wait, self.conn.next()).await {
                    Ok(Some(Ok(StreamItem::Frame(f)))) => return Some(f),
                    Ok(Some(Ok(StreamItem::Dropped { .. }))) => continue,
                    _ => return None,
                }
            }
        }

        /// True when the gateway closed the connection within `wait`.
        pub async fn closed(&mut self, wait: Duration) -> bool {
            let deadline = tokio::time::Instant::now() + wait;
            loop {
                match tokio::time::timeout_at(deadline, self.conn.next()).await {
                    Ok(None) | Ok(Some(Err(_))) => return true,
                    Ok(Some(Ok(_))) => continue,
                    Err(_) => return false,
                }
            }
        }

        /// Answers one platform command with the spec's default answer; returns the command's code.
        pub async fn answer_next(&mut self, wait: Duration) -> Option<u8> {
            let f = self.recv(wait).await?;
            let (m, _) = Message::decode(f.header.code, &f.body).ok()?;
            let reply = ykc::answer::answer(&m, &serde_json::Map::new()).ok()?;
            let frame = reply.to_frame(f.header.seq, f.crc_order).ok()?;
            self.conn.get_mut().write_all(&frame).await.ok()?;
            Some(f.header.code)
        }
    }

    /// A login frame body for `pile`.
    pub fn login(pile: &str) -> serde_json::Value {
        serde_json::json!({"pile_code": pile, "pile_type": "dc", "gun_count": 2, "protocol_version": 1.6,
            "program_version": "V1.0", "network_type": "lan", "sim_card": "0", "carrier": "other"})
    }

    /// What an HTTP sink received: (path, JSON body).
    pub type Received = Arc<Mutex<Vec<(String, serde_json::Value)>>>;

    /// A real HTTP sink on 127.0.0.1:0 that records every POST; `status` sets its answer.
    pub struct Sink {
        /// Its address.
        pub addr: std::net::SocketAddr,
        /// What it received.
        pub received: Received,
        /// The status it answers with (200 unless changed).
        pub status: Arc<AtomicU16>,
    }

    impl Sink {
        /// Starts the sink.
        pub async fn start() -> Sink {
            use axum::extract::{OriginalUri, State};
            let received: Received = Arc::default();
            let status = Arc::new(AtomicU16::new(200));
            let state = (received.clone(), status.clone());
            let app = axum::Router::new()
                .fallback(axum::routing::post(
                    |State((rec, st)): State<(Received, Arc<AtomicU16>)>,
                     OriginalUri(uri): OriginalUri,
                     body: axum::body::Bytes| async move {
                        let code = st.load(Ordering::SeqCst);
                        if code == 200 {
                            // A body that is not JSON is recorded as null: the tests then
                            // fail on its content, naming what they expected.
                            let v = serde_json::from_slice(&body).unwrap_or_default();
                            if let Ok(mut r) = rec.lock() {
                                r.push((uri.path().to_string(), v));
                            }
                        }
                        axum::http::StatusCode::from_u16(code).unwrap_or(axum::http::StatusCode::OK)
                    },
                ))
                .with_state(state);
            let l = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = l.local_addr().expect("addr");
            tokio::spawn(async move { axum::serve(l, app).await.ok() });
            Sink {
                addr,
                received,
                status,
            }
        }

        /// Paths received so far.
        pub fn paths(&self) -> Vec<String> {
            self.received
                .lock()
                .map(|r| r.iter().map(|(p, _)| p.clone()).collect())
                .unwrap_or_default()
        }

        /// Waits (bounded) until a path was received.
        pub async fn wait_for(&self, path: &str, wait: Duration) -> bool {
            let deadline = tokio::time::Instant::now() + wait;
            while tokio::time::Instant::now() < deadline {
                if self.paths().iter().any(|p| p == path) {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            false
        }
    }

    use std::process::{Child, Command, Stdio};

    /// A free port on 127.0.0.1 (bound, released), below the kernel's ephemeral range: a port
    /// taken from that range (`bind` to port 0) is released before the server under test binds
    /// it, and meanwhile any outgoing connection (a NATS route, a client) may get it as its
    /// local port — `address already in use`. Ports are handed out in turn from an offset
    /// chosen per process, so one test never gets the same port twice.
    pub fn free_port() -> u16 {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        const LOW: u32 = 10_000;
        let high = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
            .ok()
            .and_then(|r| r.split_whitespace().next()?.parse::<u32>().ok())
            .filter(|h| *h > LOW + 1_000)
            .unwrap_or(32_768);
        static START: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
        let start = *START.get_or_init(|| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            nanos ^ std::process::id().wrapping_mul(7_919)
        });
        for _ in 0..1_000 {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let port = LOW + start.wrapping_add(n) % (high - LOW);
            let port = u16::try_from(port).expect("below the ephemeral range");
            if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
                return port;
            }
        }
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        l.local_addr().expect("bound").port()
    }

    /// The nats-server binary: `$NATS_SERVER`, on `PATH`, or /usr/sbin.
    pub fn nats_binary() -> String {
        if let Ok(p) = std::env::var("NATS_SERVER") {
            return p;
        }
        let in_path = std::env::var_os("PATH")
            .map(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join("nats-server"))
                    .any(|p| p.is_file())
            })
            .unwrap_or(false);
        if in_path {
            "nats-server".into()
        } else {
            "/usr/sbin/nats-server".into()
        }
    }

    /// A `nats-server` child on 127.0.0.1:`port`; killed on drop.
    pub struct NatsServer {
        child: Option<Child>,
        port: u16,
    }

    impl NatsServer {
        /// Starts nats-server on 127.0.0.1:`port` and waits until it accepts.
        pub async fn start(port: u16, auth: Option<(&str, &str)>) -> NatsServer {
            let args = auth.map_or_else(Vec::new, |(u, p)| vec!["--user", u, "--pass", p]);
            Self::spawn(port, &args).await
        }

        /// Starts nats-server with JetStream on (`-js`), its store under `store` (file storage
        /// survives a kill and a restart on the same directory), and waits until it accepts.
        pub async fn start_jetstream(port: u16, store: &std::path::Path) -> NatsServer {
            Self::spawn(port, &["-js", "-sd", &store.to_string_lossy()]).await
        }

        async fn spawn(port: u16, extra: &[&str]) -> NatsServer {
            let mut cmd = Command::new(nats_binary());
            cmd.args(["-a", "127.0.0.1", "-p", &port.to_string()])
                .args(extra)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let child = cmd.spawn().unwrap_or_else(|e| {
                panic!(
                    "starting {} (apt-get install -y nats-server): {e}",
                    nats_binary()
                )
            });
            let server = NatsServer {
                child: Some(child),
                port,
            };
            let mut accepted = false;
            for _ in 0..250 {
                if tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .is_ok()
                {
                    accepted = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            assert!(
                accepted,
                "nats-server did not accept on 127.0.0.1:{port} within 5 s"
            );
            server
        }

        /// Its URL.
        pub fn url(&self) -> String {
            format!("127.0.0.1:{}", self.port)
        }

        /// Freezes it (SIGSTOP): its connections stay open, nothing is answered. Returns once
        /// the kernel reports it stopped.
        pub fn freeze(&self) {
            let pid = self.signal("STOP");
            let stat = format!("/proc/{pid}/stat");
            for _ in 0..200 {
                let text = std::fs::read_to_string(&stat).unwrap_or_default();
                // The state follows the parenthesised command name: `T` is stopped.
                if text
                    .rsplit_once(") ")
                    .is_some_and(|(_, rest)| rest.starts_with('T'))
                {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            panic!("nats-server not stopped 2 s after SIGSTOP");
        }

        /// Resumes it after [`NatsServer::freeze`] (SIGCONT).
        pub fn thaw(&self) {
            self.signal("CONT");
        }

        /// Sends `signal` to the child (never to anything else); returns its pid.
        fn signal(&self, signal: &str) -> u32 {
            let pid = self.child.as_ref().expect("nats-server is running").id();
            let status = Command::new("kill")
                .args(["-s", signal, &pid.to_string()])
                .status()
                .expect("kill(1) runs");
            assert!(status.success(), "kill -s {signal} nats-server: {status}");
            pid
        }

        /// Kills it.
        pub fn kill(&mut self) {
            if let Some(mut c) = self.child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }

    impl Drop for NatsServer {
        fn drop(&mut self) {
            self.kill();
        }
    }
}
