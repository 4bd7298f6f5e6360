//! The console in a real browser: headless Chromium, driven through chromedriver (WebDriver),
//! against a real `ykc serve` with three `ykc sim` piles. The page must show the piles with
//! their guns, switch language, show a pile's frames as they pass, offer the spec's commands and
//! send one (the pile's reply shown, decoded), name the field a bad command got wrong, and
//! decode the spec's login sample with its CRC in both byte orders.
//!
//! Chromium and chromedriver are the Debian packages `chromium` and `chromium-driver`, which
//! `.ci/run` installs: without them this test fails (it does not skip). With
//! `YKC_SCREENSHOTS=1` it also writes the README's screenshots, `docs/console-*.png`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ykc::Direction;
use ykc_tests::fault::{scratch, ykc_bin, Gateway};
use ykc_tests::webdriver::{Browser, Driver};

/// The spec's login sample (§6.1) as printed: it decodes, with a CRC that matches neither order
/// (ERRATA F2).
const LOGIN_SAMPLE: &str =
    "68 22 0000 00 01 55031412782305 00 02 0F 56342E312E353000 01 01010101010101010101 04 675A";

/// The simulated piles' codes (`ykc sim`'s default base, three piles).
const PILES: [&str; 3] = ["32010200000001", "32010200000002", "32010200000003"];

/// Every wait for the page is bounded by this.
const WAIT: Duration = Duration::from_secs(15);

/// A child process killed (and reaped) on drop.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Saves a screenshot as `docs/console-<name>.png` when `YKC_SCREENSHOTS` is set.
async fn screenshot(b: &Browser, name: &str) {
    if std::env::var_os("YKC_SCREENSHOTS").is_none() {
        return;
    }
    let path = ykc_tests::root().join(format!("docs/console-{name}.png"));
    std::fs::write(&path, b.screenshot().await).expect("write the screenshot");
}

/// Three simulated piles with two guns each, reporting every second.
fn sim(gw: &Gateway) -> Killed {
    let child = Command::new(ykc_bin())
        .args([
            "sim",
            "--target",
            &gw.tcp_addr().to_string(),
            "--piles",
            "3",
        ])
        .args([
            "--guns",
            "2",
            "--duration",
            "90s",
            "--heartbeat-interval",
            "1s",
        ])
        .args(["--realtime-interval", "1s", "--progress-interval", "0s"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ykc sim");
    Killed(child)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_shows_piles_sends_commands_and_decodes() {
    let work = scratch("console");
    let gw = Gateway::start(work.path(), &[]).await;
    let started = Instant::now();
    let _sim = sim(&gw);
    let driver = Driver::start(work.path()).await;
    let b = driver.browser(work.path(), 1280, 900).await;
    let base = gw.base();

    fleet(&b, &base).await;
    pile(&b, &base).await;
    commands(&b, &base).await;
    decoder(&b, &base).await;
    b.close().await;

    // At phone width the fleet is one card per pile (a screenshot for the README).
    if std::env::var_os("YKC_SCREENSHOTS").is_some() {
        let phone = driver.browser(work.path(), 390, 844).await;
        phone.goto(&format!("{base}/#/fleet")).await;
        phone.wait_for("#fleet-rows .state", WAIT).await;
        screenshot(&phone, "phone").await;
        phone.close().await;
    }
    let took = started.elapsed();
    eprintln!("console browser test: {took:?} after the gateway started");
    assert!(
        took < Duration::from_secs(60),
        "took {took:?}; keep it under 60 s"
    );
}

/// Fleet: the three pile codes, each gun's state, and the language switch.
async fn fleet(b: &Browser, base: &str) {
    b.goto(&format!("{base}/#/fleet")).await;
    for pile in PILES {
        let row = format!("#fleet-rows tr[data-pile=\"{pile}\"]");
        b.text_with(&row, pile, WAIT).await;
        // Two guns, each with a state from the last status frames (0x03 and 0x13).
        b.text_with(&row, "02", WAIT).await;
        b.wait_for(&format!("{row} .state"), WAIT).await;
    }
    let shown = b.find("#fleet-rows").await.expect("rows").text().await;
    assert!(shown.contains("127.0.0.1"), "the piles' addresses: {shown}");
    screenshot(b, "fleet").await;

    // zh by default; the switch relabels the page, and back.
    b.text_with("nav a[data-page=fleet]", "在线桩", WAIT).await;
    b.find("#lang-switch").await.expect("switch").click().await;
    b.text_with("nav a[data-page=fleet]", "Fleet", WAIT).await;
    b.text_with("#fleet-table thead", "Pile code", WAIT).await;
    b.find("#lang-switch").await.expect("switch").click().await;
    b.text_with("nav a[data-page=fleet]", "在线桩", WAIT).await;
}

/// Pile: its frames as they pass, decoded into named fields.
async fn pile(b: &Browser, base: &str) {
    b.goto(&format!("{base}/#/pile/{}", PILES[0])).await;
    b.text_with("#pile-live details summary", "0x", WAIT).await;
    b.find("#pile-live details summary")
        .await
        .expect("a frame")
        .click()
        .await;
    b.wait_for(
        "#pile-live details[open] td.value[data-field=pile_code]",
        WAIT,
    )
    .await;
    screenshot(b, "pile").await;
}

/// Commands: the spec's platform→pile frames, remote reboot sent from the form with the pile's
/// reply shown, and a bad value's error naming its field.
async fn commands(b: &Browser, base: &str) {
    b.goto(&format!("{base}/#/commands/{}", PILES[1])).await;
    b.wait_for("#cmd-frame option", WAIT).await;
    let mut offered = Vec::new();
    for o in b.find_all("#cmd-frame option").await {
        offered.push(o.attr("value").await.unwrap_or_default());
    }
    let mut spec: Vec<String> = ykc::frames::FRAMES
        .iter()
        .filter(|m| m.direction == Direction::Down)
        .map(|m| format!("0x{:02X}", m.code))
        .collect();
    offered.sort();
    spec.sort();
    assert_eq!(offered, spec, "the spec's platform→pile frames are offered");
    assert!(
        offered.iter().any(|c| c == "0x92"),
        "remote reboot is offered"
    );

    b.find("#cmd-frame option[value=\"0x92\"]")
        .await
        .expect("0x92")
        .click()
        .await;
    b.wait_for("#cmd-fields select[data-path=execute_mode]", WAIT)
        .await;
    b.find("#cmd-send").await.expect("send").click().await;
    let reply = b
        .text_with("#cmd-reply[data-frame=\"0x91\"]", "result", WAIT)
        .await;
    assert!(
        reply.contains("成功"),
        "the reply's result by its spec meaning: {reply}"
    );
    assert!(
        reply.contains(PILES[1]),
        "the reply names the pile: {reply}"
    );
    screenshot(b, "commands").await;

    b.find("#cmd-frame option[value=\"0x36\"]")
        .await
        .expect("0x36")
        .click()
        .await;
    let gun = b
        .wait_for("#cmd-fields input[data-path=gun_no]", WAIT)
        .await;
    gun.clear().await;
    gun.send_keys("9x").await;
    b.find("#cmd-send").await.expect("send").click().await;
    let error = b.text_with("#cmd-error", "gun_no", WAIT).await;
    assert!(error.contains("400"), "{error}");
    b.wait_for("#cmd-fields [data-path=gun_no][aria-invalid=true]", WAIT)
        .await;
}

/// Decoder: the login sample's fields by their spec names, and its CRC in both byte orders.
async fn decoder(b: &Browser, base: &str) {
    b.goto(&format!("{base}/#/decoder")).await;
    let input = b.wait_for("#decoder-input", WAIT).await;
    input.clear().await;
    input.send_keys(LOGIN_SAMPLE).await;
    b.find("#decoder-parse").await.expect("parse").click().await;
    let card = b
        .text_with("#decoder-results article", "55031412782305", WAIT)
        .await;
    let login = ykc::Message::meta_of(0x01).expect("the spec's login frame");
    for f in login.fields {
        assert!(
            card.contains(f.name_zh),
            "the decoder shows {}: {card}",
            f.name_zh
        );
        b.wait_for(
            &format!("#decoder-results td.value[data-field={}]", f.name),
            WAIT,
        )
        .await;
    }
    for order in ["low_first", "high_first"] {
        let cell = b
            .wait_for(&format!("#decoder-results td.bad[data-crc={order}]"), WAIT)
            .await;
        assert!(cell.text().await.contains("0x"), "the CRC {order}");
    }
    b.text_with("#decoder-results .messages .warning", "CRC", WAIT)
        .await;
    screenshot(b, "decoder").await;
}
