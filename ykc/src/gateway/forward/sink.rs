//! The backend behind one shared client: an HTTP endpoint pool or a NATS connection.

use super::{http, nats, ForwardConfig, ForwardError, Route, SinkKind};
use bytes::Bytes;
use std::time::Duration;

/// The backend, behind one shared client.
pub(crate) enum Sink {
    Http(http::HttpSink),
    Nats(nats::NatsSink),
}

impl Sink {
    /// Builds the client for `config` (NATS connects in the background; see [`super::Forwarder::new`]).
    pub(crate) async fn connect(config: &ForwardConfig) -> Result<Sink, ForwardError> {
        Ok(match config.kind {
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
            SinkKind::Nats => Sink::Nats(nats::NatsSink::connect(config).await?),
        })
    }

    /// One attempt. `id` is the payload's stable id: the HTTP `Idempotency-Key` and the NATS
    /// `Nats-Msg-Id` header, so the backend (or JetStream) can drop a repeated delivery.
    /// `durable`: return only once the backend has it (NATS: flush, or the JetStream ack).
    pub(crate) async fn send(
        &self,
        route: Route,
        body: &Bytes,
        id: Option<&str>,
        durable: bool,
        timeout: Duration,
    ) -> Result<(), ForwardError> {
        match self {
            Sink::Http(h) => h.send(route, body, id, timeout).await,
            Sink::Nats(n) => n.send(route, body, id, durable, timeout).await,
        }
    }

    /// Whether one connection keeps the order of what is sent on it (NATS), so a batch can be
    /// sent at once; HTTP requests in flight together may land in any order.
    pub(crate) fn keeps_order(&self) -> bool {
        matches!(self, Sink::Nats(_))
    }

    /// Sends `items` (route, JSON, stable id) in order; `Ok` only once the backend has all of
    /// them. NATS: one publish each, then one flush (or every JetStream ack). HTTP: one request
    /// after the other.
    pub(crate) async fn send_batch(
        &self,
        items: &[(Route, Bytes, Option<String>)],
        timeout: Duration,
    ) -> Result<(), ForwardError> {
        match self {
            Sink::Http(h) => {
                for (route, body, id) in items {
                    h.send(*route, body, id.as_deref(), timeout).await?;
                }
                Ok(())
            }
            Sink::Nats(n) => n.send_batch(items, timeout).await,
        }
    }

    /// JetStream acks that reported a duplicate (0 for HTTP and core NATS).
    pub(crate) fn duplicates(&self) -> u64 {
        match self {
            Sink::Http(_) => 0,
            Sink::Nats(n) => n.duplicates(),
        }
    }

    /// NATS: whether the client is connected to a server now. HTTP: always `true`.
    pub(crate) fn is_connected(&self) -> bool {
        match self {
            Sink::Http(_) => true,
            Sink::Nats(n) => n.is_connected(),
        }
    }
}
