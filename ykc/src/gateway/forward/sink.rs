//! The backend behind one shared client: an HTTP endpoint pool or a NATS connection.

use super::{http, nats, ForwardError, Route};
use bytes::Bytes;
use std::time::Duration;

/// The backend, behind one shared client.
pub(super) enum Sink {
    Http(http::HttpSink),
    Nats(nats::NatsSink),
}

impl Sink {
    /// One attempt.
    pub(super) async fn send(
        &self,
        route: Route,
        body: &Bytes,
        durable: bool,
        timeout: Duration,
    ) -> Result<(), ForwardError> {
        match self {
            Sink::Http(h) => h.send(route, body, timeout).await,
            Sink::Nats(n) => n.send(route, body, durable, timeout).await,
        }
    }
}
