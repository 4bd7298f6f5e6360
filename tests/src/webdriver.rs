//! Headless Chromium for the console's browser test, driven through chromedriver with the W3C
//! WebDriver protocol (JSON over HTTP on loopback).
//!
//! Why not a WebDriver crate: the ones that fit (fantoccini, thirtyfour) pull `time` with its
//! `macros` feature through `cookie`, and that feature difference makes the test build and
//! `cargo build -p ykc` (which `fault::ykc_bin` runs) rebuild each other's `ykc`, `time` and
//! `async-nats` on every switch. The few commands the test needs are small; this speaks them with
//! the `reqwest` the tests already use.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

use crate::parts::free_port;

/// The key under which WebDriver returns an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The first of `names` on `PATH` or in /usr/bin.
///
/// # Panics
/// When none is installed, naming the Debian packages: the browser test fails, never skips.
pub fn installed(names: &[&str]) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .collect();
    names
        .iter()
        .flat_map(|n| dirs.iter().map(move |d| d.join(n)))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{names:?} not found: the console's browser test needs the Debian packages \
                 chromium and chromium-driver (apt-get install -y chromium chromium-driver; \
                 .ci/run installs them)"
            )
        })
}

/// A chromedriver process on a free loopback port; killed on drop.
pub struct Driver {
    child: Child,
    url: String,
    http: reqwest::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    /// Starts chromedriver (its log in `work/chromedriver.log`) and waits until it answers.
    ///
    /// # Panics
    /// When it is not installed or not ready within 10 s.
    pub async fn start(work: &Path) -> Driver {
        let port = free_port();
        let log = std::fs::File::create(work.join("chromedriver.log")).expect("chromedriver log");
        let child = Command::new(installed(&["chromedriver"]))
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log fd"))
            .stderr(log)
            .spawn()
            .expect("start chromedriver");
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("HTTP client");
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            http,
        };
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            let status = driver.http.get(format!("{}/status", driver.url)).send();
            if let Ok(r) = status.await {
                if r.status().is_success() {
                    return driver;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chromedriver did not answer within 10 s");
    }

    /// A new headless Chromium with a fresh profile under `work`, its window `width`×`height`.
    pub async fn browser(&self, work: &Path, width: u32, height: u32) -> Browser {
        let profile = work.join(format!("chromium-{width}x{height}"));
        let args = [
            "--headless=new".to_string(),
            // CI runs as root, where Chromium's sandbox refuses to start.
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--no-first-run".into(),
            format!("--user-data-dir={}", profile.display()),
            format!("--window-size={width},{height}"),
        ];
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": installed(&["chromium", "chromium-browser"]),
                "args": args,
            },
        } } });
        let v = call(
            &self.http,
            "POST",
            &format!("{}/session", self.url),
            Some(caps),
        )
        .await
        .unwrap_or_else(|e| panic!("no Chromium session: {e}"));
        let id = v["sessionId"].as_str().expect("a session id").to_string();
        Browser {
            http: self.http.clone(),
            session: format!("{}/session/{id}", self.url),
        }
    }
}

/// One WebDriver command: the answer's `value`, or the error WebDriver named.
async fn call(
    http: &reqwest::Client,
    method: &str,
    url: &str,
    body: Option<Value>,
) -> Result<Value, String> {
    let req = match method {
        "GET" => http.get(url),
        "DELETE" => http.delete(url),
        _ => http
            .post(url)
            .header("content-type", "application/json")
            .body(body.unwrap_or_else(|| json!({})).to_string()),
    };
    let r = req
        .send()
        .await
        .map_err(|e| format!("{method} {url}: {e}"))?;
    let ok = r.status().is_success();
    let text = r.text().await.map_err(|e| e.to_string())?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
    let value = v.get("value").cloned().unwrap_or(Value::Null);
    if ok {
        Ok(value)
    } else {
        Err(format!("{} {}", value["error"], value["message"]))
    }
}

/// A browser session.
pub struct Browser {
    http: reqwest::Client,
    session: String,
}

/// An element of the page.
pub struct Element<'b> {
    browser: &'b Browser,
    id: String,
}

impl Browser {
    async fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        call(&self.http, method, &format!("{}{path}", self.session), body).await
    }

    /// Opens `url`.
    pub async fn goto(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url })))
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// The first element matching `css`, if there is one now.
    pub async fn find(&self, css: &str) -> Option<Element<'_>> {
        let q = json!({ "using": "css selector", "value": css });
        let v = self.cmd("POST", "/element", Some(q)).await.ok()?;
        Some(Element {
            browser: self,
            id: v[ELEMENT].as_str()?.to_string(),
        })
    }

    /// Every element matching `css` now.
    pub async fn find_all(&self, css: &str) -> Vec<Element<'_>> {
        let q = json!({ "using": "css selector", "value": css });
        let v = self.cmd("POST", "/elements", Some(q)).await;
        v.ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e[ELEMENT].as_str())
            .map(|id| Element {
                browser: self,
                id: id.to_string(),
            })
            .collect()
    }

    /// Waits (at most `bound`) for an element matching `css`.
    ///
    /// # Panics
    /// When none appears in time.
    pub async fn wait_for(&self, css: &str, bound: Duration) -> Element<'_> {
        let until = Instant::now() + bound;
        loop {
            if let Some(e) = self.find(css).await {
                return e;
            }
            assert!(
                Instant::now() < until,
                "`{css}` did not appear within {bound:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits (at most `bound`) until the first element matching `css` shows `want`; its text.
    ///
    /// # Panics
    /// When it does not in time (with what it showed).
    pub async fn text_with(&self, css: &str, want: &str, bound: Duration) -> String {
        let until = Instant::now() + bound;
        let mut last = String::new();
        loop {
            if let Some(e) = self.find(css).await {
                last = e.text().await;
                if last.contains(want) {
                    return last;
                }
            }
            assert!(
                Instant::now() < until,
                "`{css}` did not show `{want}` within {bound:?}; it shows: {last:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The page as a PNG.
    pub async fn screenshot(&self) -> Vec<u8> {
        let v = self
            .cmd("GET", "/screenshot", None)
            .await
            .expect("screenshot");
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .expect("the screenshot is base64")
    }

    /// Ends the session (closes Chromium).
    pub async fn close(self) {
        let _ = self.cmd("DELETE", "", None).await;
    }
}

impl Element<'_> {
    fn path(&self, what: &str) -> String {
        format!("/element/{}/{what}", self.id)
    }

    /// Its rendered text.
    pub async fn text(&self) -> String {
        let v = self.browser.cmd("GET", &self.path("text"), None).await;
        v.ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// An attribute's value.
    pub async fn attr(&self, name: &str) -> Option<String> {
        let v = self
            .browser
            .cmd("GET", &self.path(&format!("attribute/{name}")), None)
            .await;
        v.ok()?.as_str().map(str::to_string)
    }

    /// Clicks it.
    pub async fn click(&self) {
        self.browser
            .cmd("POST", &self.path("click"), None)
            .await
            .unwrap_or_else(|e| panic!("click: {e}"));
    }

    /// Empties an input.
    pub async fn clear(&self) {
        self.browser
            .cmd("POST", &self.path("clear"), None)
            .await
            .unwrap_or_else(|e| panic!("clear: {e}"));
    }

    /// Types `text` into it.
    pub async fn send_keys(&self, text: &str) {
        self.browser
            .cmd("POST", &self.path("value"), Some(json!({ "text": text })))
            .await
            .unwrap_or_else(|e| panic!("type: {e}"));
    }
}
