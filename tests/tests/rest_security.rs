//! Issue 12's REST tests, through the real `ykc serve` binary on loopback: bearer tokens (none,
//! wrong, right, read scope), protected mode (loopback served without a token; the decision for
//! other addresses is unit-tested in `gateway::api::auth`), TLS with a self-signed certificate,
//! and every bad REST value the issue lists. Every wait is bounded.

use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use ykc::{CrcOrder, Message};
use ykc_tests::fault::{scratch, ykc_bin, Gateway};
use ykc_tests::parts::{free_port, login, TestPile};

const PILE: &str = "55031412782305";
const TOKEN: &str = "ops-0123456789abcdef0123456789";
const READ_TOKEN: &str = "ro-0123456789abcdef0123456789";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// A request's (status, WWW-Authenticate, JSON body).
async fn call(req: reqwest::RequestBuilder) -> (u16, Option<String>, Value) {
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let challenge = r
        .headers()
        .get("www-authenticate")
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned);
    let text = r.text().await.expect("body");
    (
        status,
        challenge,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

/// Every route, as (method, path).
fn routes() -> Vec<(reqwest::Method, String)> {
    use reqwest::Method;
    vec![
        (Method::GET, "/metrics".into()),
        (Method::GET, "/openapi.json".into()),
        (Method::GET, "/piles".into()),
        (Method::GET, format!("/piles/{PILE}")),
        (Method::GET, format!("/piles/{PILE}/frames")),
        (Method::POST, format!("/piles/{PILE}/commands/0x92")),
        (Method::POST, "/proxy/92".into()),
        (Method::GET, "/no/such/route".into()),
    ]
}

fn command_body(path: &str) -> String {
    if path.starts_with("/proxy") {
        json!({"id": PILE, "control": 1}).to_string()
    } else {
        json!({"execute_mode": 1}).to_string()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_guard_every_route_but_healthz() {
    let work = scratch("rest-tokens");
    let tokens = format!("grafana:read:{READ_TOKEN}");
    let gw = Gateway::start(
        work.path(),
        &["--api-token", TOKEN, "--api-tokens", &tokens],
    )
    .await;
    let c = client();
    let url = |p: &str| format!("{}{p}", gw.base());
    let healthz = call(c.get(url("/healthz"))).await;
    assert_eq!(healthz.0, 200, "/healthz needs no token");
    for (method, path) in routes() {
        let req = || {
            c.request(method.clone(), url(&path))
                .body(command_body(&path))
        };
        for (auth, what) in [
            (None, "no token"),
            (Some("Bearer wrong-0123456789abcdef0123"), "a wrong token"),
            (Some("Basic b3BzOnB3"), "basic credentials"),
        ] {
            let r = match auth {
                Some(a) => req().header("authorization", a),
                None => req(),
            };
            let (status, challenge, body) = call(r).await;
            assert_eq!(status, 401, "{method} {path} with {what}: {body}");
            assert!(challenge.is_some_and(|c| c.starts_with("Bearer")), "{path}");
            assert!(
                body["error"].as_str().is_some(),
                "{path}: JSON error {body}"
            );
        }
        let (status, _, body) = call(req().bearer_auth(TOKEN)).await;
        let want: &[u16] = match path.as_str() {
            "/metrics" | "/openapi.json" | "/piles" => &[200],
            // Offline pile; the journaled frames of a pile with none; the unknown route.
            p if p.ends_with("/frames") => &[200],
            _ => &[404],
        };
        assert!(
            want.contains(&status),
            "{method} {path} with the token: {status} {body}"
        );
        let (status, _, body) = call(req().bearer_auth(READ_TOKEN)).await;
        if method == reqwest::Method::POST {
            assert_eq!(status, 403, "{path} with a read token: {body}");
            let why = body["error"].as_str().unwrap_or_default();
            assert!(why.contains("scope read"), "{why}");
        } else {
            assert!(
                want.contains(&status),
                "GET {path} with a read token: {status}"
            );
        }
    }
    // Every command was logged with its token's name, and journaled.
    let log = gw.log_text();
    assert!(log.contains("REST API: bearer tokens required"), "{log}");
    assert!(!log.contains(TOKEN), "a token reached the log");
    let audit = |who: &str| {
        log.lines()
            .filter(|l| l.contains("REST command") && l.contains(&format!("token={who}")))
            .count()
    };
    assert_eq!((audit("default"), audit("grafana")), (2, 0), "{log}");
    let rows = wait_command_rows(&gw, 2).await;
    let by_default: Vec<&Value> = rows.iter().filter(|r| r["token"] == "default").collect();
    assert_eq!(by_default.len(), 2, "{rows:?}");
    for r in by_default {
        assert_eq!(r["status"], 404, "{r}");
        assert_eq!(r["frame"], "0x92", "{r}");
        assert_eq!(r["pile_code"], PILE, "{r}");
        assert!(
            r["remote_addr"]
                .as_str()
                .is_some_and(|a| a.starts_with("127.0.0.1:")),
            "{r}"
        );
    }
}

/// The journal's `command` rows of 0x92, once at least `n` are there (bounded wait).
async fn wait_command_rows(gw: &Gateway, n: usize) -> Vec<Value> {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let rows: Vec<Value> = gw
            .journal_cli(None, "92")
            .into_iter()
            .filter(|r| r["event"] == "command")
            .collect();
        if rows.len() >= n || Instant::now() > until {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protected_mode_serves_loopback_without_a_token() {
    let work = scratch("rest-protected");
    let gw = Gateway::start(work.path(), &[]).await;
    let c = client();
    let (status, _, _) = call(c.get(format!("{}/piles", gw.base()))).await;
    assert_eq!(status, 200);
    let cmd = format!("{}/piles/{PILE}/commands/0x92", gw.base());
    let (status, _, body) = call(c.post(cmd).body(r#"{"execute_mode":1}"#)).await;
    assert_eq!(status, 404, "offline pile: {body}");
    let log = gw.log_text();
    assert!(log.contains("protected mode"), "{log}");
    assert!(log.contains("token=loopback"), "{log}");
}

/// A logged-in pile that answers every command and keeps each command's body.
async fn answering_pile(gw: &Gateway) -> Arc<Mutex<Vec<(u8, Vec<u8>)>>> {
    let mut pile = TestPile::connect(gw.tcp_addr(), CrcOrder::LowFirst).await;
    pile.send(0x01, [0, 0], login(PILE)).await;
    let accepted = pile
        .recv(Duration::from_secs(5))
        .await
        .expect("login answer");
    assert_eq!(accepted.header.code, 0x02);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let keep = seen.clone();
    tokio::spawn(async move {
        while let Some(f) = pile.recv(Duration::from_secs(30)).await {
            keep.lock().unwrap().push((f.header.code, f.body.to_vec()));
            let Ok((m, _)) = Message::decode(f.header.code, &f.body) else {
                continue;
            };
            let Ok(reply) = ykc::answer::answer(&m, &serde_json::Map::new()) else {
                continue; // a command without a reply (0x92 has one)
            };
            let frame = reply
                .to_frame(f.header.seq, f.crc_order)
                .expect("reply frame");
            if pile.conn.get_mut().write_all(&frame).await.is_err() {
                return;
            }
        }
    });
    seen
}

fn start_body(balance: Value) -> Value {
    json!({"transaction_serial": "55031412782305012018061914444680", "gun_no": 1,
        "logical_card_no": "1000000573", "physical_card_no": "D14B0A54", "account_balance": balance})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rest_values_are_400_naming_the_field() {
    let work = scratch("rest-values");
    let gw = Gateway::start(work.path(), &[]).await;
    let seen = answering_pile(&gw).await;
    let c = client();
    let cmd = |frame: &str| format!("{}/piles/{PILE}/commands/{frame}", gw.base());
    let post_json = |url: String, body: Value| {
        c.post(url)
            .header("content-type", "application/json")
            .body(body.to_string())
    };
    // Out of range: named with the field's range, nothing sent.
    for mode in [999, 256] {
        let (status, _, body) = call(post_json(cmd("0x92"), json!({"execute_mode": mode}))).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["field"], "execute_mode");
        let want = format!("execute_mode: {mode} is out of range 0..=255");
        assert_eq!(body["error"], want.as_str());
    }
    for (balance, why) in [
        (json!(-12), "-12 is out of range 0..=42949672.95"),
        (json!("12.345"), "3 decimal places"),
        (json!("12元"), "not a decimal number"),
        (json!(42_949_673), "out of range"),
    ] {
        let (status, _, body) = call(post_json(cmd("0x34"), start_body(balance.clone()))).await;
        assert_eq!(
            (status, &body["field"]),
            (400, &json!("account_balance")),
            "{balance}: {body}"
        );
        let err = body["error"].as_str().unwrap_or_default();
        assert!(err.contains(why), "{balance}: {err}");
    }
    let mut long_card = start_body(json!(12));
    long_card["logical_card_no"] = json!("12345678901234567");
    let (status, _, body) = call(post_json(cmd("0x34"), long_card)).await;
    assert_eq!(
        (status, &body["field"]),
        (400, &json!("logical_card_no")),
        "{body}"
    );
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("at most 16"),
        "{body}"
    );
    assert!(
        seen.lock().unwrap().is_empty(),
        "a refused command reached the pile"
    );

    // "12" and 12 are the same 12.00 元: identical frames reach the pile.
    for balance in [json!("12"), json!(12), json!(12.0), json!("12.00")] {
        let (status, _, body) = call(post_json(cmd("0x34"), start_body(balance.clone()))).await;
        assert_eq!(status, 200, "{balance}: {body}");
        let sent = &body["command"]["body_data"]["account_balance"];
        assert_eq!(sent.as_f64(), Some(12.0), "{balance}: {body}");
    }
    let bodies: Vec<Vec<u8>> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|(_, b)| b.clone())
        .collect();
    assert_eq!(bodies.len(), 4);
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "frames differ: {bodies:02X?}"
    );
    assert_eq!(
        bodies[0][40..44],
        1200u32.to_le_bytes(),
        "12.00 元 is raw 1200"
    );

    // The path's pile code rules: a body naming another pile, an empty or malformed path.
    let other = json!({"execute_mode": 1, "pile_code": "55031412782306"});
    let (status, _, body) = call(post_json(cmd("0x92"), other)).await;
    assert_eq!(
        (status, &body["field"]),
        (400, &json!("pile_code")),
        "{body}"
    );
    let same = json!({"execute_mode": 1, "pile_code": PILE});
    assert_eq!(call(post_json(cmd("0x92"), same)).await.0, 200);
    for path in [
        "/piles//commands/0x92",
        "/piles/5503141278230A/commands/0x92",
    ] {
        let url = format!("{}{path}", gw.base());
        let (status, _, body) = call(post_json(url, json!({"execute_mode": 1}))).await;
        assert_eq!(
            (status, &body["field"]),
            (400, &json!("pile")),
            "{path}: {body}"
        );
    }
    let proxy = format!("{}/proxy/92", gw.base());
    let (status, _, body) = call(c.post(&proxy).body(r#"{"id":"","control":1}"#)).await;
    assert_eq!((status, &body["field"]), (400, &json!("id")), "{body}");

    // Bodies are JSON whatever the Content-Type; a broken one says what is wrong.
    let plain = r#"{"execute_mode": 1}"#;
    assert_eq!(
        call(c.post(cmd("0x92")).body(plain)).await.0,
        200,
        "no Content-Type"
    );
    let text = c
        .post(cmd("0x92"))
        .header("content-type", "text/plain")
        .body(plain);
    assert_eq!(call(text).await.0, 200, "text/plain");
    let (status, _, body) = call(
        c.post(&proxy)
            .body(format!(r#"{{"id":"{PILE}","control":1}}"#)),
    )
    .await;
    assert_eq!(status, 200, "Go proxy body without Content-Type: {body}");
    for (bad, why) in [
        (r#"{"execute_mode":"#, "not valid JSON"),
        ("[1,2]", "got an array"),
        (r#"{"execute_mode": "soon"}"#, "execute_mode"),
    ] {
        let (status, _, body) = call(c.post(cmd("0x92")).body(bad)).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(
            body["error"].as_str().unwrap_or_default().contains(why),
            "{bad}: {body}"
        );
    }
}

/// `ykc serve` over TLS, not through [`Gateway`] (whose readiness probe speaks plain HTTP).
struct TlsGateway(Child);

impl Drop for TlsGateway {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_tls(dir: &Path, http: u16) -> TlsGateway {
    let log = std::fs::File::create(dir.join("gateway.log")).expect("log");
    let child = Command::new(ykc_bin())
        .args([
            "serve",
            "--host",
            "127.0.0.1",
            "--journal",
            "off",
            "--tcp-port",
        ])
        .arg(free_port().to_string())
        .arg("--http-port")
        .arg(http.to_string())
        .arg("--api-tls-cert")
        .arg(dir.join("cert.pem"))
        .arg("--api-tls-key")
        .arg(dir.join("key.pem"))
        .env("YKC_API_TOKEN", TOKEN)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log fd"))
        .stderr(log)
        .spawn()
        .expect("spawn ykc serve");
    TlsGateway(child)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_round_trip_with_a_self_signed_certificate() {
    let work = scratch("rest-tls");
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("cert");
    std::fs::write(work.path().join("cert.pem"), cert.cert.pem()).expect("write cert");
    std::fs::write(work.path().join("key.pem"), cert.key_pair.serialize_pem()).expect("key");
    let http = free_port();
    let _gw = spawn_tls(work.path(), http);
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], http));
    let trusted = reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).expect("pem");
    let c = reqwest::Client::builder()
        .no_proxy()
        .resolve("localhost", addr)
        .add_root_certificate(trusted)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let base = format!("https://localhost:{http}");
    let started = Instant::now();
    while c.get(format!("{base}/healthz")).send().await.is_err() {
        let log = std::fs::read_to_string(work.path().join("gateway.log")).unwrap_or_default();
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no TLS server:\n{log}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, _, body) = call(c.get(format!("{base}/piles")).bearer_auth(TOKEN)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(call(c.get(format!("{base}/piles"))).await.0, 401);
    let cmd = c
        .post(format!("{base}/piles/{PILE}/commands/0x92"))
        .bearer_auth(TOKEN)
        .body(r#"{"execute_mode":1}"#);
    assert_eq!(call(cmd).await.0, 404, "offline pile over TLS");
    // Plain HTTP on the TLS port gets no answer, and an untrusting client refuses the server.
    let plain = client()
        .get(format!("http://127.0.0.1:{http}/healthz"))
        .send()
        .await;
    assert!(plain.map(|r| r.status().as_u16() != 200).unwrap_or(true));
    let untrusting = reqwest::Client::builder()
        .no_proxy()
        .resolve("localhost", addr)
        .build()
        .expect("client");
    assert!(untrusting
        .get(format!("{base}/healthz"))
        .send()
        .await
        .is_err());
}
