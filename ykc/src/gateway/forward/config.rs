//! How to forward: [`ForwardConfig`] and its one set of defaults.

use std::fmt;
use std::time::Duration;

/// Limit of one delivery attempt unless configured: 5 s, the same default as `ykc serve`'s
/// `forward_timeout_ms` (one number for both, so a library user and the gateway agree).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(5_000);

/// The longest pause between two attempts, however many retries are configured.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Which kind of backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkKind {
    /// `POST <endpoint>/<type hex>`.
    Http,
    /// Publish to `charge.proxy.ykc.<type hex>`.
    Nats,
}

impl SinkKind {
    /// `"http"` or `"nats"`: the `sink` label of the metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            SinkKind::Http => "http",
            SinkKind::Nats => "nats",
        }
    }
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
    /// NATS only (ignored for HTTP): publish to JetStream and count a payload delivered only once
    /// the stream acknowledged it, every send alike (queued or durable). The stream `YKC` on
    /// `charge.proxy.ykc.>` is created or bound at start. Off (core NATS, as the Go proxy): a
    /// publish is fire-and-forget and a durable one ends with a flush.
    pub jetstream: bool,
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
            .field("jetstream", &self.jetstream)
            .finish()
    }
}

impl ForwardConfig {
    /// Defaults: queue 10 000; 8 workers for HTTP (concurrent POSTs), 1 for NATS (a publish only
    /// hands the bytes to the client, and one worker keeps them in order); [`DEFAULT_TIMEOUT`] per
    /// attempt; 3 retries; 200 ms first backoff; core NATS (no JetStream).
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
            timeout: DEFAULT_TIMEOUT,
            retries: 3,
            backoff: Duration::from_millis(200),
            jetstream: false,
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

    /// The longest a [`Forwarder::forward_durable`](super::Forwarder::forward_durable) can take: every attempt timing out, plus the
    /// pauses (a durable NATS attempt is a publish and a flush, two timeouts; with JetStream,
    /// creating or binding the stream and the publish with its ack, two timeouts as well).
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn password_is_not_in_debug_output() {
        let mut c = ForwardConfig::nats(vec!["127.0.0.1:4222".into()]);
        c.password = Some("hunter2".into());
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
