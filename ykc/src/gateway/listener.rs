//! The TCP listener: accepts pile connections within `max_connections` and spawns one tracked
//! task per connection, until the gateway's token is cancelled.

use super::{connection, Shared};
use std::future::Future;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::OwnedSemaphorePermit;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::warn;

/// Pause after a failed `accept` (e.g. out of file descriptors) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Accepts connections until `shutdown` is cancelled.
pub(super) struct Listener {
    pub(super) tcp: TcpListener,
    pub(super) shared: Arc<Shared>,
    pub(super) shutdown: CancellationToken,
    pub(super) tasks: TaskTracker,
}

impl Listener {
    pub(super) async fn run(self) {
        // Connection ids, in accept order (only this task hands them out).
        let mut next_id = 1u64;
        loop {
            let (stream, peer) = tokio::select! {
                () = self.shutdown.cancelled() => return,
                accepted = self.tcp.accept() => match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        warn!(error = %e, "accept failed");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                        continue;
                    }
                },
            };
            let m = &self.shared.metrics;
            let Ok(permit) = self.shared.connections.clone().try_acquire_owned() else {
                m.connections_refused.fetch_add(1, Relaxed);
                warn!(%peer, "connection refused: max_connections reached");
                continue;
            };
            m.connections_total.fetch_add(1, Relaxed);
            // Frames are small and answers are awaited: no Nagle delay. A failure only costs latency.
            let _ = stream.set_nodelay(true);
            let conn = connection::serve(
                self.shared.clone(),
                stream,
                peer,
                next_id,
                self.shutdown.clone(),
            );
            spawn_connection(&self.tasks, permit, conn);
            next_id += 1;
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
