//! Stopping the gateway: one [`CancellationToken`] that the listener, the REST server and every
//! connection watch, and one [`TaskTracker`] holding all their tasks, so a shutdown can wait for
//! them (bounded), then drain the forwarders.

use super::Shared;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// A running gateway: its addresses, its shared state, and a way to stop it.
pub struct Running {
    /// The pile (TCP) address actually bound.
    pub tcp_addr: SocketAddr,
    /// The REST address actually bound.
    pub http_addr: SocketAddr,
    /// Shared state (registry, metrics, forwarders).
    pub shared: Arc<Shared>,
    pub(super) shutdown: CancellationToken,
    pub(super) tasks: TaskTracker,
}

impl Running {
    /// Stops accepting connections and serving REST, and closes every connection (each pile
    /// goes offline). Returns at once; [`Running::shutdown`] also waits.
    pub fn stop(&self) {
        self.shutdown.cancel();
    }

    /// Stops (see [`Running::stop`]), waits for every connection and server task to end,
    /// flushes the journal, then drains the outboxes or forwarders (the piles' offline events
    /// included), all within `grace`. Whatever an outbox did not deliver stays in the journal.
    /// Returns whether everything finished in time.
    pub async fn shutdown(&self, grace: Duration) -> bool {
        let deadline = Instant::now() + grace;
        self.stop();
        self.tasks.close();
        let ended = tokio::time::timeout_at(deadline, self.tasks.wait())
            .await
            .is_ok();
        // Sessions are closed: whatever they queued is committed before the outbox's last look.
        if let Some(j) = &self.shared.journal {
            if let Err(e) = j.flush().await {
                tracing::warn!(error = %e, "journal flush at shutdown failed");
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let (forwarded, outboxed) = tokio::join!(
            self.shared.forwarders.shutdown(left),
            self.shared.outboxes.shutdown(left)
        );
        ended && forwarded && outboxed
    }

    /// A token cancelled when the gateway stops (for tasks that should stop with it).
    pub fn token(&self) -> CancellationToken {
        self.shutdown.clone()
    }
}

/// Resolves on Ctrl-C, or on SIGTERM (how service managers and containers stop a process).
pub(super) async fn signalled() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    // Without a SIGTERM handler, Ctrl-C alone; if even that fails there is no signal to wait for.
    let _ = tokio::signal::ctrl_c().await;
}
