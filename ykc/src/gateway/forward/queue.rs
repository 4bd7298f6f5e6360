//! The [`Forwarder`]: a bounded queue drained by worker tasks, and the durable path that
//! delivers on the caller's task. Workers are tracked, so [`Forwarder::shutdown`] waits for them.

use super::sink::Sink;
use super::stats::Counters;
use super::{ForwardConfig, ForwardError, ForwardStats, Payload, Route};
use bytes::Bytes;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// What the workers and the durable path share.
struct Shared {
    sink: Sink,
    config: ForwardConfig,
    counters: Counters,
    closed: AtomicBool,
    /// Payloads accepted into the queue and not yet finished by a worker.
    pending: AtomicUsize,
}

impl Shared {
    /// Serializes once, then attempts up to `1 + retries` times with backoff.
    async fn deliver(&self, payload: &Payload, durable: bool) -> Result<(), ForwardError> {
        let route = payload.route();
        let body = match payload.to_json() {
            Ok(b) => Bytes::from(b),
            Err(e) => return Err(self.give_up(route, e, 0, durable)),
        };
        let started = Instant::now();
        let mut attempt = 0u32;
        loop {
            match self
                .sink
                .send(route, &body, payload.id(), durable, self.config.timeout)
                .await
            {
                Ok(()) => {
                    self.counters.record_delivery(started.elapsed());
                    return Ok(());
                }
                Err(e) if attempt < self.config.retries && e.is_retryable(durable) => {
                    self.counters.retries.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(%route, attempt, error = %e, "forward attempt failed, retrying");
                    tokio::time::sleep(self.config.delay(attempt)).await;
                    attempt += 1;
                }
                Err(e) => return Err(self.give_up(route, e, attempt + 1, durable)),
            }
        }
    }

    /// Counts a failure; logs the first ones and then every 10 000th, so a dead backend does
    /// not flood the log (the counter has the full story).
    fn give_up(
        &self,
        route: Route,
        error: ForwardError,
        attempts: u32,
        durable: bool,
    ) -> ForwardError {
        let failed = self
            .counters
            .failed
            .fetch_add(1, Ordering::Relaxed)
            .saturating_add(1);
        if durable || failed <= 10 || failed.is_multiple_of(10_000) {
            tracing::warn!(%route, attempts, durable, failed_total = failed, %error, "forwarding failed");
        }
        error
    }
}

/// Forwards payloads to one backend; see the module documentation.
///
/// Dropping it closes the queue: the workers finish what is queued (each attempt bounded by the
/// timeout) and end. [`Forwarder::shutdown`] instead waits for them, up to a bound.
pub struct Forwarder {
    tx: mpsc::Sender<Payload>,
    shared: Arc<Shared>,
    /// The worker tasks, so shutdown can wait for them (a bare `JoinHandle` was never awaited).
    workers: TaskTracker,
    /// Tells the workers to stop, once the queue drained or the grace ran out.
    stop: CancellationToken,
}

impl fmt::Debug for Forwarder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Forwarder")
            .field("config", &self.shared.config)
            .field("workers", &self.workers.len())
            .field("stopped", &self.stop.is_cancelled())
            .finish()
    }
}

impl Forwarder {
    /// Builds the client and starts the workers. Must run inside a tokio runtime.
    ///
    /// NATS: succeeds while no server is reachable; the client connects in the background and
    /// reconnects for ever (check [`Forwarder::is_connected`]). Fails only for a configuration
    /// that cannot work: no servers, an unparsable URL, a queue or worker count of 0.
    pub async fn new(config: ForwardConfig) -> Result<Forwarder, ForwardError> {
        if config.servers.is_empty() {
            return Err(ForwardError::Config("no servers given".into()));
        }
        if config.queue == 0 || config.workers == 0 {
            return Err(ForwardError::Config(
                "queue and workers must be at least 1".into(),
            ));
        }
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|e| ForwardError::Config(format!("no tokio runtime: {e}")))?;
        let sink = Sink::connect(&config).await?;
        let (tx, rx) = mpsc::channel(config.queue);
        let workers_n = config.workers;
        let shared = Arc::new(Shared {
            sink,
            config,
            counters: Counters::default(),
            closed: AtomicBool::new(false),
            pending: AtomicUsize::new(0),
        });
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        let (workers, stop) = (TaskTracker::new(), CancellationToken::new());
        for _ in 0..workers_n {
            workers.spawn_on(worker(rx.clone(), shared.clone(), stop.clone()), &runtime);
        }
        // No more workers: `wait` returns once the spawned ones ended.
        workers.close();
        Ok(Forwarder {
            tx,
            shared,
            workers,
            stop,
        })
    }

    /// Queues a payload and returns at once: `true` when queued, `false` when it was dropped
    /// (queue full, or shut down) — and counted either way.
    pub fn forward(&self, payload: Payload) -> bool {
        if self.shared.closed.load(Ordering::Relaxed) {
            self.shared
                .counters
                .dropped_closed
                .fetch_add(1, Ordering::Relaxed);
            return false;
        }
        self.shared.pending.fetch_add(1, Ordering::AcqRel);
        match self.tx.try_send(payload) {
            Ok(()) => {
                self.shared
                    .counters
                    .enqueued
                    .fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(e) => {
                self.shared.pending.fetch_sub(1, Ordering::AcqRel);
                let counter = match e {
                    mpsc::error::TrySendError::Full(_) => &self.shared.counters.dropped_queue_full,
                    mpsc::error::TrySendError::Closed(_) => &self.shared.counters.dropped_closed,
                };
                let n = counter.fetch_add(1, Ordering::Relaxed).saturating_add(1);
                if n.is_power_of_two() {
                    tracing::warn!(
                        dropped_total = n,
                        "forward queue full or closed, payload dropped"
                    );
                }
                false
            }
        }
    }

    /// Delivers a payload now, on the caller's task, and returns `Ok` only once the backend has
    /// it: an HTTP 2xx (retrying with backoff; at most [`ForwardConfig::durable_bound`]), or a
    /// NATS publish and a successful flush. While NATS is disconnected it fails at once with
    /// [`ForwardError::NotConnected`].
    pub async fn forward_durable(&self, payload: Payload) -> Result<(), ForwardError> {
        if self.shared.closed.load(Ordering::Relaxed) {
            self.shared
                .counters
                .dropped_closed
                .fetch_add(1, Ordering::Relaxed);
            return Err(ForwardError::Closed);
        }
        self.shared.deliver(&payload, true).await
    }

    /// The counters now.
    pub fn stats(&self) -> ForwardStats {
        let queued = self.tx.max_capacity().saturating_sub(self.tx.capacity());
        ForwardStats {
            duplicates: self.shared.sink.duplicates(),
            ..self.shared.counters.snapshot(queued)
        }
    }

    /// NATS: whether the client is connected to a server now. HTTP: always `true` (there is no
    /// standing connection to speak of).
    pub fn is_connected(&self) -> bool {
        self.shared.sink.is_connected()
    }

    /// The configuration in force.
    pub fn config(&self) -> &ForwardConfig {
        &self.shared.config
    }

    /// Stops taking payloads (`forward` drops and counts, `forward_durable` fails with
    /// [`ForwardError::Closed`]) and waits up to `grace` for the queue to drain; then stops the
    /// workers (a delivery still running is abandoned) and waits for them to end. Returns whether
    /// everything queued was finished (delivered or given up on) in time.
    pub async fn shutdown(&self, grace: Duration) -> bool {
        self.shared.closed.store(true, Ordering::Relaxed);
        let deadline = Instant::now() + grace;
        let drained = loop {
            if self.shared.pending.load(Ordering::Acquire) == 0 {
                break true;
            }
            if Instant::now() >= deadline {
                break false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        if let Sink::Nats(n) = &self.shared.sink {
            let left = deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(100));
            n.flush(left).await;
        }
        self.stop.cancel();
        // Cancelled workers end at their next poll; the bound only guards against a stuck runtime.
        let ended = tokio::time::timeout(WORKER_EXIT, self.workers.wait()).await;
        drained && ended.is_ok()
    }
}

/// How long [`Forwarder::shutdown`] waits for cancelled workers to end.
const WORKER_EXIT: Duration = Duration::from_secs(1);

/// Takes payloads off the queue until it is closed (the [`Forwarder`] dropped) or `stop` is
/// cancelled (by [`Forwarder::shutdown`], after the grace).
async fn worker(
    rx: Arc<tokio::sync::Mutex<mpsc::Receiver<Payload>>>,
    shared: Arc<Shared>,
    stop: CancellationToken,
) {
    let work = async {
        loop {
            let next = {
                let mut rx = rx.lock().await;
                rx.recv().await
            };
            let Some(payload) = next else { break };
            // The error is counted and logged in `deliver`; the payload is dropped.
            let _ = shared.deliver(&payload, false).await;
            shared.pending.fetch_sub(1, Ordering::AcqRel);
        }
    };
    tokio::select! {
        () = work => {}
        () = stop.cancelled() => {}
    }
}
