//! Issue 12, pile identity, through the real `ykc serve` binary on loopback: a second login
//! while the first connection lives (refused, or replacing it with `--duplicate-login replace`),
//! a silent holder taken over after the heartbeat timeout, identity pinning (`pin` and `warn`,
//! kept across a restart), and the allowlist reloaded on SIGHUP and on a file change.

use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use ykc::{CrcOrder, Message};
use ykc_tests::fault::{scratch, Gateway};
use ykc_tests::parts::{login, TestPile};

const PILE: &str = "32010200000001";
const WAIT: Duration = Duration::from_secs(5);

/// A login of `pile` with this SIM card number.
fn login_with_sim(pile: &str, sim: &str) -> Value {
    let mut l = login(pile);
    l["sim_card"] = json!(sim);
    l
}

/// Connects and sends `body` as a login; the connection and the 0x02's result name.
async fn try_login(gw: &Gateway, body: Value) -> (TestPile, Option<String>) {
    let mut p = TestPile::connect(gw.tcp_addr(), CrcOrder::LowFirst).await;
    p.send(0x01, [1, 0], body).await;
    let result = p.recv(WAIT).await.and_then(|f| {
        assert_eq!(f.header.code, 0x02, "the login's answer");
        let (m, _) = Message::decode(0x02, &f.body).ok()?;
        let v = ykc::answer::body_json(&m);
        v["login_result"]["name"].as_str().map(str::to_string)
    });
    (p, result)
}

/// Logs in and asserts it was accepted.
async fn logged_in(gw: &Gateway, body: Value) -> TestPile {
    let (p, r) = try_login(gw, body).await;
    assert_eq!(r.as_deref(), Some("success"), "{}", gw.log_tail());
    p
}

/// Asserts the login is refused and the connection closed.
async fn refused(gw: &Gateway, body: Value) -> TestPile {
    let (mut p, r) = try_login(gw, body).await;
    assert_eq!(r.as_deref(), Some("failure"), "{}", gw.log_tail());
    assert!(p.closed(WAIT).await, "a refused login is closed");
    p
}

/// Closes `p` and waits until the gateway has taken its pile offline.
async fn leave(gw: &Gateway, p: TestPile) {
    drop(p);
    let until = Instant::now() + WAIT;
    while gw.get(&format!("/piles/{PILE}")).await.is_some() {
        assert!(
            Instant::now() < until,
            "pile still online:\n{}",
            gw.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn local(p: &TestPile) -> String {
    p.conn.get_ref().local_addr().expect("addr").to_string()
}

async fn metric(gw: &Gateway, series: &str) -> f64 {
    gw.metric(series).await.unwrap_or(0.0)
}

#[tokio::test]
async fn a_second_login_is_refused_while_the_first_lives_and_the_first_keeps_its_commands() {
    let work = scratch("identity-dup");
    let gw = Gateway::start(work.path(), &[]).await;
    let mut first = logged_in(&gw, login(PILE)).await;
    let second = refused(&gw, login(PILE)).await;
    let (a, b) = (local(&first), local(&second));
    // The first connection still holds the pile: a command reaches it and its reply comes back.
    let path = format!("/piles/{PILE}/commands/remote_stop_request?timeout_ms=3000");
    let body = json!({"gun_no": "01"});
    let (cmd, answered) = tokio::join!(gw.post(&path, &body), first.answer_next(WAIT));
    assert_eq!(answered, Some(0x36), "the first connection got the command");
    let (status, body) = cmd.expect("REST answers");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["reply"]["body_data"]["stop_result"]["name"], "success",
        "{body}"
    );
    let pile: Value =
        serde_json::from_str(&gw.get(&format!("/piles/{PILE}")).await.unwrap()).expect("pile JSON");
    assert_eq!(
        pile["remote_addr"],
        a.as_str(),
        "the registry still names the first"
    );
    assert_eq!(
        metric(&gw, "ykc_logins_refused_total{reason=\"duplicate\"}").await,
        1.0
    );
    let log = gw.log_text();
    let line = log
        .lines()
        .find(|l| l.contains("second login refused"))
        .unwrap_or_else(|| panic!("no refusal logged:\n{}", gw.log_tail()));
    assert!(
        line.contains(&a) && line.contains(&b),
        "both addresses: {line}"
    );
}

#[tokio::test]
async fn with_replace_the_newer_login_closes_the_older_connection() {
    let work = scratch("identity-replace");
    let gw = Gateway::start(work.path(), &["--duplicate-login", "replace"]).await;
    let mut first = logged_in(&gw, login(PILE)).await;
    let second = logged_in(&gw, login(PILE)).await;
    assert!(first.closed(WAIT).await, "the older connection is closed");
    let pile: Value =
        serde_json::from_str(&gw.get(&format!("/piles/{PILE}")).await.unwrap()).expect("pile JSON");
    assert_eq!(pile["remote_addr"], local(&second).as_str());
    assert_eq!(metric(&gw, "ykc_logins_replaced_total").await, 1.0);
}

#[tokio::test]
async fn a_holder_silent_past_the_heartbeat_timeout_gives_way() {
    let work = scratch("identity-silent");
    let timeout = ["--heartbeat-interval-secs", "1", "--missed-heartbeats", "2"];
    let gw = Gateway::start(work.path(), &timeout).await;
    let _silent = logged_in(&gw, login(PILE)).await;
    tokio::time::sleep(Duration::from_millis(2300)).await;
    let started = Instant::now();
    let _newer = logged_in(&gw, login(PILE)).await;
    eprintln!(
        "login after a 2 s heartbeat timeout: {:?}",
        started.elapsed()
    );
    assert_eq!(
        metric(&gw, "ykc_logins_refused_total{reason=\"duplicate\"}").await,
        0.0
    );
}

#[tokio::test]
async fn pinned_identities_refuse_in_pin_mode_and_survive_a_restart() {
    let work = scratch("identity-pin");
    let mut gw = Gateway::start(work.path(), &["--pile-identity", "pin"]).await;
    let first = logged_in(&gw, login_with_sim(PILE, "89860000000000000001")).await;
    leave(&gw, first).await;
    refused(&gw, login_with_sim(PILE, "89860000000000000002")).await;
    assert_eq!(
        metric(&gw, "ykc_logins_refused_total{reason=\"identity\"}").await,
        1.0
    );
    assert!(
        gw.log_text().contains("sim_card: pinned"),
        "{}",
        gw.log_tail()
    );
    let again = logged_in(&gw, login_with_sim(PILE, "89860000000000000001")).await;
    leave(&gw, again).await;
    // Pinned in identity.db beside the journal: a restart remembers it.
    assert!(work.path().join("identity.db").is_file());
    gw.kill9();
    gw.restart().await;
    refused(&gw, login_with_sim(PILE, "89860000000000000002")).await;
    logged_in(&gw, login_with_sim(PILE, "89860000000000000001")).await;
}

#[tokio::test]
async fn warn_mode_accepts_a_changed_identity_and_counts_it() {
    let work = scratch("identity-warn");
    let gw = Gateway::start(work.path(), &[]).await;
    let first = logged_in(&gw, login_with_sim(PILE, "89860000000000000001")).await;
    leave(&gw, first).await;
    logged_in(&gw, login_with_sim(PILE, "89860000000000000002")).await;
    assert_eq!(
        metric(&gw, "ykc_identity_checks_total{outcome=\"mismatch\"}").await,
        1.0
    );
    assert_eq!(
        metric(&gw, "ykc_identity_checks_total{outcome=\"pinned\"}").await,
        1.0
    );
    assert!(gw
        .log_text()
        .contains("differs from the pile's pinned identity"));
}

/// Writes the allowlist, keeping its modification time when `keep_mtime` (so only SIGHUP sees it).
fn write_list(path: &Path, text: &str, keep_mtime: bool) {
    let before = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    std::fs::write(path, text).expect("write allowlist");
    if let Some(t) = before.filter(|_| keep_mtime) {
        let f = std::fs::File::options()
            .write(true)
            .open(path)
            .expect("open");
        f.set_modified(t).expect("set mtime");
    }
}

/// Polls logins of `pile` until one gets `want` (each attempt on a new connection).
async fn login_becomes(gw: &Gateway, pile: &str, want: &str, bound: Duration) -> bool {
    let until = Instant::now() + bound;
    loop {
        let (_p, r) = try_login(gw, login(pile)).await;
        if r.as_deref() == Some(want) {
            return true;
        }
        if Instant::now() >= until {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_allowlist_reloads_on_change_and_on_sighup_and_keeps_the_old_list_when_bad() {
    let (a, b, c) = ("32010200000011", "32010200000022", "32010200000033");
    let work = scratch("identity-allow");
    let list = work.path().join("allow.txt");
    write_list(&list, &format!("{a}\n"), false);
    let allow = list.display().to_string();
    let gw = Gateway::start(work.path(), &["--login-allowlist-file", &allow]).await;
    assert!(login_becomes(&gw, a, "success", WAIT).await);
    assert!(login_becomes(&gw, b, "failure", WAIT).await);
    // A changed file is read again within the poll interval.
    let started = Instant::now();
    write_list(&list, &format!("{b}\n"), false);
    assert!(
        login_becomes(&gw, b, "success", Duration::from_secs(8)).await,
        "{}",
        gw.log_tail()
    );
    eprintln!("allowlist change seen after {:?}", started.elapsed());
    assert!(login_becomes(&gw, a, "failure", WAIT).await);
    // Same length and modification time: only SIGHUP reloads it.
    write_list(&list, &format!("{c}\n"), true);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(
        login_becomes(&gw, c, "failure", WAIT).await,
        "not reloaded without a signal"
    );
    let pid = gw.pid().expect("running").to_string();
    let st = Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .expect("kill");
    assert!(st.success());
    assert!(
        login_becomes(&gw, c, "success", WAIT).await,
        "{}",
        gw.log_tail()
    );
    assert!(
        gw.log_text().contains("why=\"SIGHUP\""),
        "{}",
        gw.log_tail()
    );
    // A bad file keeps the previous list.
    write_list(&list, "not a pile code\n", false);
    let until = Instant::now() + Duration::from_secs(8);
    while metric(&gw, "ykc_allowlist_reloads_total{outcome=\"error\"}").await < 1.0 {
        assert!(
            Instant::now() < until,
            "bad file not noticed:\n{}",
            gw.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        login_becomes(&gw, c, "success", WAIT).await,
        "the old list stays"
    );
    assert_eq!(
        metric(&gw, "ykc_allowlist_reloads_total{outcome=\"ok\"}").await,
        2.0
    );
}
