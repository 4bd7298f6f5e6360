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
//! JetStream ([`ForwardConfig::jetstream`], `--jetstream`): every NATS send, queued or durable,
//! is a JetStream publish that succeeds only on the stream's ack, within the timeout. The stream
//! `YKC` (subjects `charge.proxy.ykc.>`, file storage, 2 min duplicate window, no limits) is
//! created at start, or on the first publish while the server is unreachable; an existing stream
//! holding those subjects is bound as it is, its differing settings logged, never changed. The
//! payload id goes out as `Nats-Msg-Id`, so a repeat within the window is stored once (counted in
//! [`ForwardStats::duplicates`]). The gateway subscribes to no subject, so nothing but forwarded
//! payloads lands in the stream. Off (the default), NATS is core publish as in the Go proxy.
//!
//! One [`Forwarder`] owns one shared HTTP client (one connection pool) or one NATS client.
//! Every attempt has its own timeout and the workers are independent, so one slow request holds
//! one worker for at most the timeout. What happened is counted in [`ForwardStats`].

//!
//! The module is split by concern: [`payload`](Payload) (what goes out and its JSON), `config`
//! ([`ForwardConfig`], one set of defaults), `error`, `stats`, `sink` (+ `http`, `nats`: one
//! attempt against the backend), `queue` (the [`Forwarder`]: queue, workers, retries, shutdown)
//! and `fanout` ([`Forwarders`]: every configured backend at once, as the gateway uses them).

mod config;
mod error;
mod fanout;
mod http;
mod nats;
pub(crate) use nats::client as nats_client;
mod payload;
mod queue;
mod sink;
mod stats;

pub use config::{ForwardConfig, SinkKind, DEFAULT_TIMEOUT, MAX_BACKOFF};
pub use error::ForwardError;
pub use fanout::Forwarders;
pub use payload::{
    raw_hex, rfc3339, rfc3339_now, EventKind, Forwarded, Payload, Route, SUBJECT_PREFIX,
};
pub use queue::Forwarder;
pub(crate) use sink::Sink;
pub(crate) use stats::Counters;
pub use stats::{ForwardStats, LATENCY_BUCKETS};
