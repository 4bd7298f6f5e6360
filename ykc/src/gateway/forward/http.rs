//! HTTP sink: `POST <endpoint>/<route>` with the JSON body, through one shared
//! `reqwest::Client` (one connection pool for all workers and durable callers).

use super::{ForwardError, Route};
use bytes::Bytes;
use std::error::Error as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The endpoints and the client.
pub(crate) struct HttpSink {
    client: reqwest::Client,
    /// Normalized bases: scheme added, trailing `/` removed.
    endpoints: Vec<String>,
    /// Round-robin position.
    next: AtomicUsize,
}

/// `host:port/path/` → `http://host:port/path`; checks that it is an http(s) URL with a host.
pub(super) fn normalize_endpoint(raw: &str) -> Result<String, ForwardError> {
    let trimmed = raw.trim();
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("http://{trimmed}")
    };
    let base = with_scheme.trim_end_matches('/').to_string();
    let url = reqwest::Url::parse(&base)
        .map_err(|e| ForwardError::Config(format!("HTTP endpoint {raw:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(ForwardError::Config(format!(
            "HTTP endpoint {raw:?}: need http:// or https:// and a host"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ForwardError::Config(format!("HTTP endpoint {raw:?}: no query or fragment allowed (the type is appended as a path segment)")));
    }
    Ok(base)
}

/// An error and its causes, `outer: inner: innermost` (reqwest's Display stops at the outer).
fn chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    let mut depth = 0;
    while let (Some(s), true) = (source, depth < 8) {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
        depth += 1;
    }
    text
}

impl HttpSink {
    /// One client for all endpoints; `workers` sizes the idle pool per host.
    pub(super) fn new(
        servers: &[String],
        timeout: Duration,
        workers: usize,
    ) -> Result<Self, ForwardError> {
        let endpoints = servers
            .iter()
            .map(|s| normalize_endpoint(s))
            .collect::<Result<Vec<_>, _>>()?;
        let client = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .pool_max_idle_per_host(workers.max(4))
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            // The backend is configured explicitly; a proxy from the environment would be a surprise.
            .no_proxy()
            .user_agent(concat!("ykc-gateway/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ForwardError::Config(format!("HTTP client: {}", chain(&e))))?;
        Ok(HttpSink {
            client,
            endpoints,
            next: AtomicUsize::new(0),
        })
    }

    /// The next endpoint, round robin (so a retry goes to another one when there are several).
    fn pick(&self) -> &str {
        let n = self.endpoints.len().max(1);
        let i = self.next.fetch_add(1, Ordering::Relaxed) % n;
        self.endpoints.get(i).map_or("", String::as_str)
    }

    /// One POST, bounded by `timeout` from connect to the last byte of the response.
    pub(super) async fn send(
        &self,
        route: Route,
        body: &Bytes,
        id: Option<&str>,
        timeout: Duration,
    ) -> Result<(), ForwardError> {
        let url = format!("{}/{route}", self.pick());
        let mut request = self
            .client
            .post(&url)
            .timeout(timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        if let Some(id) = id {
            request = request.header("Idempotency-Key", id);
        }
        let sent = request.body(body.clone()).send().await;
        let response = match sent {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                return Err(ForwardError::Timeout {
                    what: format!("POST {url}"),
                    after: timeout,
                })
            }
            Err(e) => {
                return Err(ForwardError::Http {
                    reason: chain(&e),
                    url,
                })
            }
        };
        let status = response.status();
        // Read the (normally tiny) answer so the connection goes back to the pool.
        if let Err(e) = response.bytes().await {
            if status.is_success() {
                tracing::debug!(%url, error = %chain(&e), "reading the 2xx response body failed; counted as delivered");
            }
        }
        if status.is_success() {
            Ok(())
        } else {
            Err(ForwardError::Status {
                url,
                status: status.as_u16(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_get_a_scheme_and_lose_trailing_slashes() {
        assert_eq!(
            normalize_endpoint("127.0.0.1:8080/charge/ykc/messages/").unwrap(),
            "http://127.0.0.1:8080/charge/ykc/messages"
        );
        assert_eq!(
            normalize_endpoint(" https://example.test/hook ").unwrap(),
            "https://example.test/hook"
        );
        assert_eq!(
            normalize_endpoint("localhost:9").unwrap(),
            "http://localhost:9"
        );
        assert!(normalize_endpoint("ftp://x/y").is_err());
        assert!(normalize_endpoint("http://").is_err());
        assert!(normalize_endpoint("http://h/p?x=1").is_err());
    }
}
