//! JetStream publishing: every payload goes into the stream [`STREAM_NAME`] on
//! `charge.proxy.ykc.>` and counts as delivered only once the stream acknowledged it.
//!
//! The stream is created (or an existing one bound) by a task started with the client, as soon
//! as the server answers; while it cannot be, the first publish tries again, and so does every
//! later one until it worked. A stream that vanished (deleted, or a server restarted without its
//! store) is created again on the next attempt.

use super::super::{ForwardError, SUBJECT_PREFIX};
use async_nats::connection::State;
use async_nats::jetstream::context::{CreateStreamErrorKind, PublishErrorKind};
use async_nats::jetstream::stream::{Config, StorageType};
use async_nats::jetstream::ErrorCode;
use async_nats::jetstream::{self, Context};
use bytes::Bytes;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Mutex;

/// The stream the gateway creates when none takes its subjects.
pub(crate) const STREAM_NAME: &str = "YKC";

/// How long the stream remembers a `Nats-Msg-Id` to drop a repeated publish: the server's own
/// default, 2 minutes. Redeliveries after a gateway restart come sooner than that (the outbox
/// resends from its cursor at start); older repeats are left to the backend's dedupe by id.
pub(crate) const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// The stream's subjects: everything the gateway publishes, `charge.proxy.ykc.>`.
fn stream_subjects() -> String {
    format!("{SUBJECT_PREFIX}.>")
}

/// The stream the gateway asks for: file storage, the duplicate window, no other limits
/// (retention is the operator's: set `max_age`/`max_bytes` on the stream, the gateway keeps them).
fn wanted() -> Config {
    Config {
        name: STREAM_NAME.into(),
        subjects: vec![stream_subjects()],
        storage: StorageType::File,
        duplicate_window: DUPLICATE_WINDOW,
        ..Default::default()
    }
}

/// The JetStream side of a NATS sink.
pub(crate) struct JetStream {
    context: Context,
    /// The stream our subjects go to, once created or bound; the lock also makes concurrent
    /// senders wait for one creation instead of racing their own.
    stream: Mutex<Option<String>>,
    /// Acks that said `duplicate: true`.
    duplicates: AtomicU64,
    /// The bound of the context's API requests (the context does not expose it back).
    timeout: Duration,
}

impl JetStream {
    /// The context over `client`; JetStream API requests and acks are bounded by `timeout`.
    pub(crate) fn new(client: async_nats::Client, timeout: Duration) -> JetStream {
        JetStream {
            context: jetstream::ContextBuilder::new()
                .timeout(timeout)
                .build(client),
            stream: Mutex::new(None),
            duplicates: AtomicU64::new(0),
            timeout,
        }
    }

    /// At start: once the client connected (within `timeout`), creates or binds the stream.
    /// Not connected by then, or failing, is only logged; the first publish tries again.
    pub(crate) async fn bind_at_start(&self, client: &async_nats::Client, timeout: Duration) {
        let connected = tokio::time::timeout(timeout, async {
            while client.connection_state() != State::Connected {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        if connected.is_err() {
            tracing::info!(
                "NATS not reachable yet; the JetStream stream is set up on first publish"
            );
            return;
        }
        if let Err(e) = self.ensure_stream(timeout).await {
            tracing::warn!(error = %e, "JetStream stream not set up at start; retried on publish");
        }
    }

    /// Acks that reported a duplicate so far.
    pub(crate) fn duplicates(&self) -> u64 {
        self.duplicates.load(Ordering::Relaxed)
    }

    /// Publishes and waits for the stream's ack, each step under `timeout`: `Ok` only once the
    /// stream stored the message (or already had its `Nats-Msg-Id`).
    pub(crate) async fn publish(
        &self,
        subject: String,
        headers: async_nats::HeaderMap,
        body: Bytes,
        timeout: Duration,
    ) -> Result<(), ForwardError> {
        self.ensure_stream(timeout).await?;
        let acked = tokio::time::timeout(timeout, async {
            let ack = self
                .context
                .publish_with_headers(subject.clone(), headers, body)
                .await?;
            ack.await
        })
        .await;
        match acked {
            Ok(Ok(ack)) => {
                self.count(&ack, &subject);
                Ok(())
            }
            Ok(Err(e)) => Err(self.failed(subject, e, timeout).await),
            Err(_) => Err(ack_timeout(timeout)),
        }
    }

    /// Publishes a batch in order, then waits for all their acks (the server acks them as it
    /// stores them, so the batch costs about one round trip): `Ok` only once every message is
    /// stored (or was already, by its `Nats-Msg-Id`).
    pub(crate) async fn publish_batch(
        &self,
        batch: Vec<(String, async_nats::HeaderMap, Bytes)>,
        timeout: Duration,
    ) -> Result<(), ForwardError> {
        self.ensure_stream(timeout).await?;
        let acked = tokio::time::timeout(timeout, async {
            let mut pending = Vec::with_capacity(batch.len());
            for (subject, headers, body) in batch {
                let ack = self
                    .context
                    .publish_with_headers(subject.clone(), headers, body)
                    .await
                    .map_err(|e| (subject.clone(), e))?;
                pending.push((subject, ack));
            }
            let mut acks = Vec::with_capacity(pending.len());
            for (subject, ack) in pending {
                acks.push((ack.await.map_err(|e| (subject.clone(), e))?, subject));
            }
            Ok::<_, (String, async_nats::jetstream::context::PublishError)>(acks)
        })
        .await;
        match acked {
            Ok(Ok(acks)) => {
                acks.iter()
                    .for_each(|(ack, subject)| self.count(ack, subject));
                Ok(())
            }
            Ok(Err((subject, e))) => Err(self.failed(subject, e, timeout).await),
            Err(_) => Err(ack_timeout(timeout)),
        }
    }

    fn count(&self, ack: &async_nats::jetstream::publish::PublishAck, subject: &str) {
        if ack.duplicate {
            self.duplicates.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(%subject, stream = %ack.stream, seq = ack.sequence, "JetStream: duplicate, stored once");
        }
    }

    /// The error of a failed publish; a stream gone since it was bound is created again next time.
    async fn failed(
        &self,
        subject: String,
        error: async_nats::jetstream::context::PublishError,
        timeout: Duration,
    ) -> ForwardError {
        match error.kind() {
            PublishErrorKind::TimedOut => ack_timeout(timeout),
            PublishErrorKind::StreamNotFound => {
                *self.stream.lock().await = None;
                ForwardError::NoStream {
                    subject,
                    reason: "no responders (stream deleted, or JetStream off on the server)".into(),
                }
            }
            _ => ForwardError::Nats(format!("JetStream publish to {subject}: {error}")),
        }
    }

    /// Creates or binds the stream unless done already; waiting for the lock counts against
    /// `timeout` too.
    async fn ensure_stream(&self, timeout: Duration) -> Result<(), ForwardError> {
        let work = async {
            let mut stream = self.stream.lock().await;
            if stream.is_none() {
                let name = self.create_or_bind().await?;
                *stream = Some(name);
            }
            Ok(())
        };
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| ForwardError::Timeout {
                what: "JetStream stream create/bind".into(),
                after: timeout,
            })?
    }

    /// `get_or_create` the stream [`STREAM_NAME`]; when another stream already holds our
    /// subjects, binds to that one. Differences from [`wanted`] are logged, never changed.
    async fn create_or_bind(&self) -> Result<String, ForwardError> {
        let wanted = wanted();
        let subjects = stream_subjects();
        match self.context.get_or_create_stream(wanted.clone()).await {
            Ok(stream) => {
                let config = &stream.cached_info().config;
                log_differences(&wanted, config);
                tracing::info!(stream = %config.name, subjects = ?config.subjects, "JetStream stream ready");
                Ok(config.name.clone())
            }
            Err(e) => match e.kind() {
                CreateStreamErrorKind::JetStream(js)
                    if js.error_code() == ErrorCode::STREAM_SUBJECT_OVERLAP =>
                {
                    self.bind_by_subject(&subjects).await
                }
                CreateStreamErrorKind::JetStreamUnavailable => Err(ForwardError::NoStream {
                    subject: subjects,
                    reason: "JetStream is not enabled on the server (nats-server -js)".into(),
                }),
                CreateStreamErrorKind::TimedOut => Err(ForwardError::Timeout {
                    what: "JetStream stream create/bind".into(),
                    after: self.timeout,
                }),
                _ => Err(ForwardError::Nats(format!(
                    "JetStream stream {STREAM_NAME} on {subjects}: {e}"
                ))),
            },
        }
    }

    /// Binds to the existing stream that holds `subjects` (its name differs from ours).
    async fn bind_by_subject(&self, subjects: &str) -> Result<String, ForwardError> {
        let name = self
            .context
            .stream_by_subject(subjects)
            .await
            .map_err(|e| ForwardError::NoStream {
                subject: subjects.into(),
                reason: format!("another stream overlaps it but cannot be found: {e}"),
            })?;
        let mut stream = self
            .context
            .get_stream(&name)
            .await
            .map_err(|e| ForwardError::Nats(format!("JetStream stream {name}: {e}")))?;
        let info = stream
            .info()
            .await
            .map_err(|e| ForwardError::Nats(format!("JetStream stream {name} info: {e}")))?;
        tracing::warn!(stream = %name, subjects = ?info.config.subjects, "JetStream: another stream holds {subjects}; publishing into it");
        log_differences(&wanted(), &info.config);
        Ok(name)
    }
}

/// Logs, once per bind, every setting of the bound stream that differs from [`wanted`].
fn log_differences(wanted: &Config, actual: &Config) {
    for (what, want, have) in differences(wanted, actual) {
        tracing::warn!(stream = %actual.name, setting = what, wanted = %want, actual = %have, "JetStream stream differs from what the gateway would create; kept as it is");
    }
}

/// `(setting, wanted, actual)` for each setting the gateway cares about that differs.
fn differences(wanted: &Config, actual: &Config) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    if wanted.name != actual.name {
        out.push(("name", wanted.name.clone(), actual.name.clone()));
    }
    if wanted.subjects != actual.subjects {
        out.push((
            "subjects",
            format!("{:?}", wanted.subjects),
            format!("{:?}", actual.subjects),
        ));
    }
    if wanted.storage != actual.storage {
        out.push((
            "storage",
            format!("{:?}", wanted.storage),
            format!("{:?}", actual.storage),
        ));
    }
    if wanted.duplicate_window != actual.duplicate_window {
        out.push((
            "duplicate_window",
            format!("{:?}", wanted.duplicate_window),
            format!("{:?}", actual.duplicate_window),
        ));
    }
    out
}

/// The ack did not come within `timeout`.
fn ack_timeout(timeout: Duration) -> ForwardError {
    ForwardError::Timeout {
        what: "JetStream publish ack".into(),
        after: timeout,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_takes_every_gateway_subject_and_nothing_else() {
        let w = wanted();
        assert_eq!(w.name, "YKC");
        assert_eq!(w.subjects, ["charge.proxy.ykc.>"]);
        assert_eq!(w.storage, StorageType::File);
        assert_eq!(w.duplicate_window, Duration::from_secs(120));
    }

    #[test]
    fn differences_name_each_setting() {
        let mut other = wanted();
        assert!(differences(&wanted(), &other).is_empty());
        other.storage = StorageType::Memory;
        other.duplicate_window = Duration::from_secs(1);
        let d = differences(&wanted(), &other);
        let names: Vec<_> = d.iter().map(|x| x.0).collect();
        assert_eq!(names, ["storage", "duplicate_window"]);
    }
}
