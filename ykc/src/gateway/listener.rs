//! The TCP listener: accepts pile connections within `max_connections`, the open-file limit
//! and the per-address limits, and spawns one tracked task per connection, until the
//! gateway's token is cancelled. A failing accept (EMFILE) backs off instead of spinning.

use super::limits::{render_counts, Refusal, Tally};
use super::{connection, Shared};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::OwnedSemaphorePermit;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::warn;

/// The first pause after a failed `accept` (e.g. out of file descriptors, EMFILE); doubled per
/// failure in a row up to [`ACCEPT_BACKOFF_MAX`]. The connection that failed stays in the
/// backlog, so retrying at once would spin; waiting lets closing connections free descriptors.
const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(10);

/// The longest pause after failed accepts: a pile waits at most this long once files free up.
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// The kernel send buffer of a pile socket (Linux doubles it). Frames to a pile are at most
/// 259 bytes and a few a minute, so this is ample; without it the kernel's autotuning grows a
/// socket whose pile stopped reading to megabytes (`tcp_wmem`), which hides the stall from
/// `write_timeout` for minutes and lets each such socket hold that much of the host's memory.
const PILE_SEND_BUFFER: usize = 16 << 10;

/// Accepts connections until `shutdown` is cancelled.
pub(super) struct Listener {
    pub(super) tcp: TcpListener,
    pub(super) shared: Arc<Shared>,
    pub(super) shutdown: CancellationToken,
    pub(super) tasks: TaskTracker,
}

/// What the listener logs, each summarised at most once per interval: a flood of refused
/// sockets or a run of EMFILE must not become a flood of log lines.
struct Logs {
    refused: Tally<Refusal>,
    accept_errors: Tally<()>,
    /// The latest accept error, for the summary line.
    last_error: Option<std::io::Error>,
}

impl Listener {
    pub(super) async fn run(self) {
        // Connection ids, in accept order (only this task hands them out).
        let mut next_id = 1u64;
        let mut backoff = ACCEPT_BACKOFF_MIN;
        let mut logs = Logs {
            refused: Tally::new(),
            accept_errors: Tally::new(),
            last_error: None,
        };
        loop {
            let due = [logs.refused.due(), logs.accept_errors.due()];
            let due = due.into_iter().flatten().min();
            let (stream, peer) = tokio::select! {
                () = self.shutdown.cancelled() => return,
                // Counts kept since the last line are written once due, even if nothing more comes.
                () = sleep_until_some(due) => {
                    logs.flush(Instant::now());
                    continue;
                }
                accepted = self.tcp.accept() => match accepted {
                    Ok(x) => {
                        backoff = ACCEPT_BACKOFF_MIN;
                        x
                    }
                    Err(e) => {
                        self.shared.metrics.accept_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        logs.accept_failed(e, backoff);
                        // Still stops at once on shutdown while backing off.
                        tokio::select! {
                            () = self.shutdown.cancelled() => return,
                            () = tokio::time::sleep(backoff) => {}
                        }
                        backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
                        continue;
                    }
                },
            };
            let permit = match self.admit(peer) {
                Ok(permit) => permit,
                Err(reason) => {
                    self.shared.metrics.refused(reason.label());
                    logs.refused(reason, peer);
                    continue;
                }
            };
            self.shared
                .metrics
                .connections_total
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            spawn_connection(&self.tasks, permit, self.serve(stream, peer, next_id));
            next_id += 1;
        }
    }

    /// A slot for a connection from `peer`: a `max_connections` permit and a count in its
    /// address's limits (released when the connection ends), or why there is none.
    fn admit(&self, peer: SocketAddr) -> Result<OwnedSemaphorePermit, Refusal> {
        let shared = &self.shared;
        let permit = shared
            .connections
            .clone()
            .try_acquire_owned()
            .map_err(|_| {
                if shared.connection_limit < shared.config.max_connections {
                    Refusal::OpenFiles
                } else {
                    Refusal::MaxConnections
                }
            })?;
        // On refusal the permit drops here, freeing the slot.
        shared.sources.admit(peer.ip())?;
        Ok(permit)
    }

    /// The connection's task. It owns the address count taken by [`Listener::admit`].
    fn serve(
        &self,
        stream: TcpStream,
        peer: SocketAddr,
        id: u64,
    ) -> impl Future<Output = ()> + Send + 'static {
        // Frames are small and answers are awaited: no Nagle delay. A failure only costs latency
        // (or, for the buffer, a later write timeout).
        let _ = stream.set_nodelay(true);
        let _ = socket2::SockRef::from(&stream).set_send_buffer_size(PILE_SEND_BUFFER);
        connection::serve(self.shared.clone(), stream, peer, id, self.shutdown.clone())
    }
}

/// Sleeps until `at`, or forever when there is nothing to wait for.
async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

impl Logs {
    fn refused(&mut self, reason: Refusal, peer: SocketAddr) {
        let now = Instant::now();
        if !self.refused.add(reason, 1, now) {
            return;
        }
        let counts = render_counts(&self.refused.take(now), Refusal::label);
        warn!(%peer, refused = counts, "connections refused (max_connections, open files or per-address limits); further refusals are summarised every 10 s");
    }

    fn accept_failed(&mut self, e: std::io::Error, backoff: Duration) {
        let now = Instant::now();
        let log = self.accept_errors.add((), 1, now);
        if log {
            let n = self.accept_errors.take(now).first().map_or(0, |c| c.1);
            warn!(error = %e, failures = n, ?backoff, "accept failed (out of file descriptors?); retrying with a growing pause, summarised every 10 s");
        }
        self.last_error = Some(e);
    }

    /// Writes the summaries that are due.
    fn flush(&mut self, now: Instant) {
        if self.refused.due().is_some_and(|d| d <= now) {
            let counts = render_counts(&self.refused.take(now), Refusal::label);
            warn!(refused = counts, "connections refused in the last 10 s");
        }
        if self.accept_errors.due().is_some_and(|d| d <= now) {
            let n = self.accept_errors.take(now).first().map_or(0, |c| c.1);
            let error = self.last_error.as_ref().map(ToString::to_string);
            warn!(failures = n, error, "accepts failed in the last 10 s");
        }
    }
}

/// Spawns a connection's task holding its `max_connections` permit. The permit is owned by the
/// task's future, so it is released however the task ends: returned, cancelled or panicked.
pub(super) fn spawn_connection<F>(tasks: &TaskTracker, permit: OwnedSemaphorePermit, conn: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    tasks.spawn(async move {
        let _permit = permit;
        conn.await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::Semaphore;

    #[tokio::test]
    async fn a_panicking_connection_releases_its_permit() {
        let limit = Arc::new(Semaphore::new(1));
        let tasks = TaskTracker::new();
        let permit = limit.clone().try_acquire_owned().expect("a free slot");
        assert_eq!(limit.available_permits(), 0);
        spawn_connection(&tasks, permit, async { panic!("a bug in a session") });
        tasks.close();
        tasks.wait().await;
        assert_eq!(limit.available_permits(), 1, "the slot is free again");
        let permit = limit.clone().try_acquire_owned().expect("a free slot");
        spawn_connection(&tasks, permit, async {});
        tasks.wait().await;
        assert_eq!(limit.available_permits(), 1);
    }
}
