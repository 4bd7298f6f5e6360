//! Why a payload was not delivered, and whether trying again can help.

use std::time::Duration;

/// Why a payload was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForwardError {
    /// The configuration cannot work (no servers, a bad URL, no tokio runtime, …).
    #[error("forwarding configuration: {0}")]
    Config(String),
    /// The payload could not be serialized.
    #[error("payload serialization: {0}")]
    Encode(String),
    /// The HTTP endpoint answered, but not with 2xx.
    #[error("POST {url}: HTTP status {status}")]
    Status {
        /// The URL posted to.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The HTTP request failed before a status arrived (connection refused, reset, …).
    #[error("POST {url}: {reason}")]
    Http {
        /// The URL posted to.
        url: String,
        /// What went wrong, with its causes.
        reason: String,
    },
    /// The NATS client is not connected to a server (it keeps reconnecting in the background).
    #[error("NATS: not connected to a server")]
    NotConnected,
    /// The NATS publish or flush failed, or JetStream refused the message.
    #[error("NATS: {0}")]
    Nats(String),
    /// JetStream has no stream for the subject: JetStream is off on the server, or the stream
    /// was deleted (it is created again on the next attempt).
    #[error("NATS JetStream: no stream takes {subject}: {reason}")]
    NoStream {
        /// The subject published to (or the stream's subjects, while creating it).
        subject: String,
        /// What the server said.
        reason: String,
    },
    /// One attempt took longer than the configured timeout.
    #[error("{what} timed out after {after:?}")]
    Timeout {
        /// What timed out (`POST <url>`, `NATS publish`, `NATS flush`, `JetStream publish ack`,
        /// `JetStream stream create/bind`).
        what: String,
        /// The timeout.
        after: Duration,
    },
    /// The forwarder is shutting down and takes nothing new.
    #[error("forwarder is shut down")]
    Closed,
}

impl ForwardError {
    /// Whether another attempt may succeed. A 4xx other than 408/429 will not; for a durable
    /// delivery, neither does waiting for NATS to come back (the caller is told at once).
    pub(super) fn is_retryable(&self, durable: bool) -> bool {
        match self {
            ForwardError::Config(_) | ForwardError::Encode(_) | ForwardError::Closed => false,
            ForwardError::Status { status, .. } => {
                !(400..500).contains(status) || *status == 408 || *status == 429
            }
            ForwardError::NotConnected => !durable,
            ForwardError::Http { .. }
            | ForwardError::Nats(_)
            | ForwardError::NoStream { .. }
            | ForwardError::Timeout { .. } => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_rules() {
        let s = |status| ForwardError::Status {
            url: String::new(),
            status,
        };
        assert!(s(500).is_retryable(true));
        assert!(s(429).is_retryable(true));
        assert!(!s(404).is_retryable(false));
        assert!(ForwardError::NotConnected.is_retryable(false));
        assert!(!ForwardError::NotConnected.is_retryable(true));
    }
}
