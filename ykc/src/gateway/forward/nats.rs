//! NATS sink: publish to `charge.proxy.ykc.<route>` through one `async_nats::Client` that
//! connects in the background and reconnects for ever; core NATS by default, JetStream (a
//! stored, acknowledged publish; see [`jetstream`]) when configured.

mod jetstream;

use super::{ForwardConfig, ForwardError, Route};
use async_nats::connection::State;
use bytes::Bytes;
use jetstream::JetStream;
use std::sync::Arc;
use std::time::Duration;

/// The longest pause between two reconnect attempts.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(2);

/// The client, and with JetStream on, its JetStream side.
pub(crate) struct NatsSink {
    client: async_nats::Client,
    /// `Some` with [`ForwardConfig::jetstream`]: every send is a JetStream publish and its ack.
    jetstream: Option<Arc<JetStream>>,
}

/// Pause before reconnect attempt `attempts` (1-based): none for the first, then 50 ms doubling
/// up to [`MAX_RECONNECT_DELAY`], so a restarted server is found again within about 2 s.
fn reconnect_delay(attempts: usize) -> Duration {
    if attempts <= 1 {
        return Duration::ZERO;
    }
    let shift = u32::try_from(attempts - 2).unwrap_or(u32::MAX).min(16);
    Duration::from_millis(50u64 << shift).min(MAX_RECONNECT_DELAY)
}

/// A NATS client for `servers` (`host:port` means `nats://host:port`) that connects in the
/// background and reconnects for ever (a restarted server is found again within about 2 s);
/// returns at once, connected or not. `login` is a user and password (a user without a
/// password is a user with an empty one, as the Go proxy sends it). Shared by the forwarding
/// sink and the fleet.
pub(crate) async fn client(
    servers: &[String],
    login: Option<(&str, &str)>,
    timeout: Duration,
    name: &str,
) -> Result<async_nats::Client, String> {
    let addrs = servers
        .iter()
        .map(|s| {
            s.trim()
                .parse::<async_nats::ServerAddr>()
                .map_err(|e| format!("NATS server {s:?}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut options = async_nats::ConnectOptions::new()
        .name(name)
        .retry_on_initial_connect()
        .max_reconnects(None)
        .connection_timeout(timeout)
        .ping_interval(Duration::from_secs(10))
        .reconnect_delay_callback(reconnect_delay)
        .event_callback(|event| async move {
            match event {
                async_nats::Event::Connected => tracing::info!("NATS connected"),
                async_nats::Event::Disconnected => {
                    tracing::warn!("NATS disconnected; reconnecting")
                }
                other => tracing::warn!(event = %other, "NATS event"),
            }
        });
    if let Some((user, password)) = login {
        options = options.user_and_password(user.to_owned(), password.to_owned());
    }
    options
        .connect(addrs)
        .await
        .map_err(|e| format!("NATS client: {e}"))
}

impl NatsSink {
    /// Starts the client ([`client`]); returns at once, connected or not. With JetStream, a
    /// task creates or binds the stream once the client connected (without delaying this).
    pub(super) async fn connect(config: &ForwardConfig) -> Result<Self, ForwardError> {
        let login = config.username.as_deref().map(|user| {
            let password = config.password.as_deref().unwrap_or_default();
            (user, password)
        });
        let client = client(&config.servers, login, config.timeout, "ykc-gateway")
            .await
            .map_err(ForwardError::Config)?;
        let jetstream = config.jetstream.then(|| {
            let js = Arc::new(JetStream::new(client.clone(), config.timeout));
            let (task_js, task_client, timeout) = (js.clone(), client.clone(), config.timeout);
            tokio::spawn(async move { task_js.bind_at_start(&task_client, timeout).await });
            js
        });
        Ok(NatsSink { client, jetstream })
    }

    /// JetStream acks that reported a duplicate (0 for core NATS).
    pub(super) fn duplicates(&self) -> u64 {
        self.jetstream.as_ref().map_or(0, |js| js.duplicates())
    }

    /// Whether the client is connected now.
    pub(super) fn is_connected(&self) -> bool {
        self.client.connection_state() == State::Connected
    }

    /// One attempt: publish (and for `durable`, flush to the server), each under `timeout`.
    /// Fails at once while disconnected instead of buffering in the client. With JetStream,
    /// durable or not: (create or bind the stream if not done yet and) publish, then wait for
    /// the stream's ack, each under `timeout`.
    pub(super) async fn send(
        &self,
        route: Route,
        body: &Bytes,
        id: Option<&str>,
        durable: bool,
        timeout: Duration,
    ) -> Result<(), ForwardError> {
        if !self.is_connected() {
            return Err(ForwardError::NotConnected);
        }
        let subject = route.subject();
        let mut headers = async_nats::HeaderMap::new();
        if let Some(id) = id {
            headers.insert("Nats-Msg-Id", id);
        }
        if let Some(js) = &self.jetstream {
            return js.publish(subject, headers, body.clone(), timeout).await;
        }
        let publish = self
            .client
            .publish_with_headers(subject, headers, body.clone());
        match tokio::time::timeout(timeout, publish).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(ForwardError::Nats(format!("publish: {e}"))),
            Err(_) => {
                return Err(ForwardError::Timeout {
                    what: "NATS publish".into(),
                    after: timeout,
                })
            }
        }
        if durable {
            match tokio::time::timeout(timeout, self.client.flush()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(ForwardError::Nats(format!("flush: {e}"))),
                Err(_) => {
                    return Err(ForwardError::Timeout {
                        what: "NATS flush".into(),
                        after: timeout,
                    })
                }
            }
            // A flush that raced a lost connection may have only reached the client's buffer.
            if !self.is_connected() {
                return Err(ForwardError::NotConnected);
            }
        }
        Ok(())
    }

    /// A batch in order on the one connection: JetStream publishes and waits for every ack;
    /// core NATS publishes all, then flushes once. `Ok` only when the server has all of them.
    pub(super) async fn send_batch(
        &self,
        items: &[(Route, Bytes, Option<String>)],
        timeout: Duration,
    ) -> Result<(), ForwardError> {
        if !self.is_connected() {
            return Err(ForwardError::NotConnected);
        }
        let batch = items.iter().map(|(route, body, id)| {
            let mut headers = async_nats::HeaderMap::new();
            if let Some(id) = id {
                headers.insert("Nats-Msg-Id", id.as_str());
            }
            (route.subject(), headers, body.clone())
        });
        if let Some(js) = &self.jetstream {
            return js.publish_batch(batch.collect(), timeout).await;
        }
        let all = async {
            for (subject, headers, body) in batch {
                self.client
                    .publish_with_headers(subject, headers, body)
                    .await
                    .map_err(|e| ForwardError::Nats(format!("publish: {e}")))?;
            }
            self.client
                .flush()
                .await
                .map_err(|e| ForwardError::Nats(format!("flush: {e}")))
        };
        match tokio::time::timeout(timeout, all).await {
            Ok(Ok(())) if self.is_connected() => Ok(()),
            // A flush that raced a lost connection may have only reached the client's buffer.
            Ok(Ok(())) => Err(ForwardError::NotConnected),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(ForwardError::Timeout {
                what: "NATS publish and flush".into(),
                after: timeout,
            }),
        }
    }

    /// Best-effort flush at shutdown.
    pub(super) async fn flush(&self, timeout: Duration) {
        match tokio::time::timeout(timeout, self.client.flush()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "NATS flush at shutdown failed"),
            Err(_) => tracing::warn!(?timeout, "NATS flush at shutdown timed out"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnect_delay_is_capped() {
        assert_eq!(reconnect_delay(1), Duration::ZERO);
        assert_eq!(reconnect_delay(2), Duration::from_millis(50));
        assert_eq!(reconnect_delay(4), Duration::from_millis(200));
        assert_eq!(reconnect_delay(1000), MAX_RECONNECT_DELAY);
    }
}
