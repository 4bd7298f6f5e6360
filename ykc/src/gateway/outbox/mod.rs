//! The outbox: forwarding that reads from the journal, not from memory.
//!
//! One [`Outbox`] per sink (HTTP, NATS). The session only writes the journal; the outbox reads
//! what was committed, in id order, and delivers it:
//! - **Nothing is lost.** A row leaves the outbox only once the sink acknowledged it (HTTP 2xx,
//!   NATS flush, JetStream ack); a failing sink is retried with backoff for as long as it takes.
//!   The sink's cursor (everything at or below it is delivered) is persisted in the journal
//!   every second and at shutdown, so a restart — after SIGTERM or kill -9 — resumes from it
//!   and redelivers at most what was in flight, with the same ids (at-least-once).
//! - **Stable ids.** Every payload carries `<journal uid>-<journal id>`, also sent as the HTTP
//!   `Idempotency-Key` and the NATS `Nats-Msg-Id`, so the backend (or JetStream) can drop a
//!   repeated delivery; a transaction record also carries its serial.
//! - **Order and fairness.** A pile's rows are delivered one at a time in journal order; piles
//!   take turns; a flooding pile is parked and re-read from the journal ([`lanes`]), so it can
//!   neither exhaust memory nor delay the other piles' rows.
//! - **No session waits for a sink.** The session's only wait is the journal's queue.
//!
//! Tasks: one *pump* reads the journal (on the blocking pool: SQLite is synchronous) into the
//! lanes and persists the cursor; `workers` tasks deliver. Both stop on [`Outbox::shutdown`].

mod lanes;
mod payload;

use self::lanes::{Key, Lanes};
use super::forward::{Counters, ForwardConfig, ForwardError, ForwardStats, Route, Sink};
use crate::journal::{now_ms, Journal, Query, Reader, Row};
use bytes::Bytes;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Rows read per journal query.
const READ_BATCH: usize = 512;
/// Most rows held in memory per outbox; beyond it the pump stops reading until rows are
/// delivered (the journal holds the rest).
const MAX_HELD: usize = 20_000;
/// Most rows one NATS delivery publishes before its flush (or acks).
const NATS_BATCH: usize = 256;
/// Most rows held per pile before the pile is parked (see [`lanes`]).
const LANE_CAP: usize = 64;
/// How often the cursor is persisted while rows are delivered.
const CURSOR_EVERY: Duration = Duration::from_secs(1);
/// Failed attempts logged per outbox before logging only every 1,000th (the counters keep all).
const LOGGED_FAILURES: u64 = 10;

/// What the pump and the workers share.
struct Inner {
    name: &'static str,
    sink: Sink,
    config: ForwardConfig,
    journal: Journal,
    lanes: Mutex<Lanes>,
    /// Rows were offered: wakes an idle worker.
    work: Notify,
    /// Bumped on every delivered row: wakes the pump (refills, cursor) and delivery waiters.
    progress: watch::Sender<u64>,
    counters: Counters,
    /// Rows that could not be turned into a payload (skipped, logged).
    skipped: std::sync::atomic::AtomicU64,
}

impl Inner {
    fn lanes(&self) -> MutexGuard<'_, Lanes> {
        // A panic while holding the lock would be a bug in `Lanes`; keep serving what is there.
        self.lanes.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Forwards the journal to one sink; see the module documentation.
pub struct Outbox {
    inner: Arc<Inner>,
    tasks: TaskTracker,
    stop: CancellationToken,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("sink", &self.inner.name)
            .finish()
    }
}

/// An outbox's state for `/metrics`.
#[derive(Debug, Clone)]
pub struct OutboxStats {
    /// `http` or `nats`.
    pub sink: &'static str,
    /// Deliveries, failures, retries and latency, as the in-memory forwarder counts them.
    pub forward: ForwardStats,
    /// Rows not yet delivered: those read and held, one per parked pile (its further rows are
    /// counted once re-read), and the journal ids not read yet (rows the sink never gets count
    /// there too, so it is an upper bound while the outbox is behind).
    pub backlog: u64,
    /// Age of the oldest row read and not yet delivered, seconds (0 when none).
    pub backlog_age_seconds: f64,
    /// Everything at or below this journal id is delivered.
    pub cursor: i64,
    /// Rows skipped because they could not be decoded.
    pub skipped: u64,
}

impl Outbox {
    /// Starts the outbox of `config`'s sink on `journal`, resuming from the sink's cursor.
    pub async fn start(config: ForwardConfig, journal: Journal) -> Result<Outbox, ForwardError> {
        let name = config.kind.as_str();
        let reader = journal
            .reader()
            .map_err(|e| ForwardError::Config(format!("outbox {name}: {e}")))?;
        let cursor = start_cursor(name, &reader, &journal).await?;
        let sink = Sink::connect(&config).await?;
        let workers = config.workers.max(1);
        let inner = Arc::new(Inner {
            name,
            sink,
            config,
            journal,
            lanes: Mutex::new(Lanes::new(cursor, LANE_CAP)),
            work: Notify::new(),
            progress: watch::Sender::new(0),
            counters: Counters::default(),
            skipped: Default::default(),
        });
        tracing::info!(sink = name, cursor, "outbox resumes after its cursor");
        let (tasks, stop) = (TaskTracker::new(), CancellationToken::new());
        tasks.spawn(pump(inner.clone(), reader, stop.clone()));
        for _ in 0..workers {
            tasks.spawn(worker(inner.clone(), stop.clone()));
        }
        tasks.close();
        Ok(Outbox { inner, tasks, stop })
    }

    /// The sink's name (`http`, `nats`).
    pub fn name(&self) -> &'static str {
        self.inner.name
    }

    /// Resolves once row `id` (of pile `pile`, or of connection `conn` before a login) has been
    /// delivered; `false` when the outbox stopped first.
    pub async fn delivered(&self, id: i64, key: &Key) -> bool {
        let mut progress = self.inner.progress.subscribe();
        loop {
            if self.inner.lanes().is_delivered(id, key) {
                return true;
            }
            tokio::select! {
                changed = progress.changed() => if changed.is_err() { return false },
                () = self.stop.cancelled() => return false,
            }
        }
    }

    /// The numbers for `/metrics`.
    pub fn stats(&self) -> OutboxStats {
        let last = *self.inner.journal.committed().borrow();
        let lanes = self.inner.lanes();
        let cursor = lanes.watermark();
        let age_ms = lanes
            .oldest_ms()
            .map_or(0, |t| now_ms().saturating_sub(t).max(0));
        OutboxStats {
            sink: self.inner.name,
            forward: ForwardStats {
                duplicates: self.inner.sink.duplicates(),
                ..self.inner.counters.snapshot(lanes.held())
            },
            backlog: lanes.backlog(last),
            backlog_age_seconds: age_ms as f64 / 1000.0,
            cursor,
            skipped: self.inner.skipped.load(Relaxed),
        }
    }

    /// Whether everything committed to the journal so far has been delivered.
    pub fn drained(&self) -> bool {
        let last = *self.inner.journal.committed().borrow();
        self.inner.lanes().watermark() >= last
    }

    /// Lets the outbox drain for at most `grace`, then stops it and persists its cursor.
    /// Returns whether it drained: what did not stays in the journal for the next start.
    pub async fn shutdown(&self, grace: Duration) -> bool {
        let deadline = Instant::now() + grace;
        let mut drained = self.drained();
        while !drained && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
            drained = self.drained();
        }
        self.stop.cancel();
        // Workers end at their next await; the bound only guards against a stuck runtime.
        let _ = tokio::time::timeout(Duration::from_secs(1), self.tasks.wait()).await;
        let cursor = self.inner.lanes().watermark();
        let saved = self.inner.journal.set_cursor(self.inner.name, cursor).await;
        if saved.is_err() || self.inner.journal.flush().await.is_err() {
            tracing::warn!(sink = self.inner.name, cursor, "outbox cursor not saved: the journal is closed; undelivered rows are resent after the next start");
        }
        drained
    }
}

/// Where the sink resumes: its saved cursor; for a sink the journal has never had, the journal's
/// end now, saved at once. A sink added to a gateway with a month of history starts with what
/// comes next instead of receiving the month; and since it is saved before any pile connects,
/// a crash right after the first start still resumes from there (nothing journaled is skipped).
async fn start_cursor(
    name: &'static str,
    reader: &Reader,
    journal: &Journal,
) -> Result<i64, ForwardError> {
    let failed =
        |e: crate::journal::JournalError| ForwardError::Config(format!("outbox {name}: {e}"));
    if let Some(cursor) = reader.saved_cursor(name).map_err(failed)? {
        return Ok(cursor);
    }
    let end = reader.last_id().map_err(failed)?;
    journal.set_cursor(name, end).await.map_err(failed)?;
    journal.flush().await.map_err(failed)?;
    if end > 0 {
        tracing::info!(
            sink = name,
            from = end,
            "new sink: delivery starts at the journal's end; older rows are not sent to it"
        );
    }
    Ok(end)
}

/// Reads committed rows into the lanes, refills parked piles and persists the cursor.
async fn pump(inner: Arc<Inner>, reader: Reader, stop: CancellationToken) {
    let mut reader = Some(reader);
    let mut committed = inner.journal.committed();
    let mut progress = inner.progress.subscribe();
    let mut saved = inner.lanes().watermark();
    let mut last_save = Instant::now();
    loop {
        let refills = inner.lanes().take_refills();
        for (key, from) in refills {
            let (cap, upto) = {
                let l = inner.lanes();
                (l.cap(), l.scanned())
            };
            let q = Query {
                pile: Some(key.clone()),
                after_id: Some(from - 1),
                before_id: Some(upto + 1),
                forward_only: true,
                oldest_first: true,
                limit: cap,
                ..Query::default()
            };
            let Some(rows) = read(&inner, &mut reader, q).await else {
                return;
            };
            inner.lanes().refill(&key, rows);
            inner.work.notify_one();
        }
        let (held, scanned) = {
            let l = inner.lanes();
            (l.held(), l.scanned())
        };
        let target = *committed.borrow_and_update();
        if held < MAX_HELD && target > scanned {
            let q = Query {
                after_id: Some(scanned),
                forward_only: true,
                oldest_first: true,
                limit: READ_BATCH,
                ..Query::default()
            };
            let Some(rows) = read(&inner, &mut reader, q).await else {
                return;
            };
            let complete = rows.len() < READ_BATCH;
            let mut lanes = inner.lanes();
            let n = rows.len();
            rows.into_iter().for_each(|r| lanes.offer(r));
            if complete {
                // Every forwarded row up to `target` (committed before the query) was returned.
                lanes.scanned_to(target);
            }
            drop(lanes);
            for _ in 0..n.min(64) {
                inner.work.notify_one();
            }
            continue;
        }
        if last_save.elapsed() >= CURSOR_EVERY {
            let cursor = inner.lanes().watermark();
            if cursor > saved && inner.journal.set_cursor(inner.name, cursor).await.is_ok() {
                saved = cursor;
            }
            last_save = Instant::now();
        }
        tokio::select! {
            () = stop.cancelled() => return,
            r = committed.changed() => if r.is_err() { return },
            _ = progress.changed() => {}
            () = tokio::time::sleep(CURSOR_EVERY) => {}
        }
    }
}

/// One query on the blocking pool; `None` when the journal cannot be read (logged; the pump
/// stops, rows stay in the journal for the next start).
async fn read(inner: &Inner, reader: &mut Option<Reader>, q: Query) -> Option<Vec<Row>> {
    let r = reader.take()?;
    let joined = tokio::task::spawn_blocking(move || {
        let rows = r.rows(&q);
        (r, rows)
    })
    .await;
    match joined {
        Ok((r, Ok(rows))) => {
            *reader = Some(r);
            Some(rows)
        }
        Ok((_, Err(e))) => {
            tracing::error!(sink = inner.name, error = %e, "outbox cannot read the journal; forwarding stops until restart");
            None
        }
        Err(e) => {
            tracing::error!(sink = inner.name, error = %e, "outbox reader task failed");
            None
        }
    }
}

/// Delivers rows from the lanes until stopped: one row at a time over HTTP (each worker one
/// request), whole batches over NATS (published in order on one connection, then confirmed by
/// one flush or by their JetStream acks).
async fn worker(inner: Arc<Inner>, stop: CancellationToken) {
    let max = if inner.sink.keeps_order() {
        NATS_BATCH
    } else {
        1
    };
    loop {
        let batch = inner.lanes().next_batch(max);
        if batch.is_empty() {
            tokio::select! {
                () = inner.work.notified() => continue,
                () = stop.cancelled() => return,
                // A notification lost to a race costs at most this long.
                () = tokio::time::sleep(Duration::from_millis(200)) => continue,
            }
        }
        if !deliver(&inner, &batch, &stop).await {
            return; // stopped: the rows stay undelivered, at or above the next cursor
        }
        let done: Vec<(Key, i64)> = batch.into_iter().map(|(k, r)| (k, r.id)).collect();
        inner.lanes().done_batch(&done);
        inner.progress.send_modify(|n| *n = n.wrapping_add(1));
    }
}

/// A row ready to send: where, the JSON, and its stable id.
type Item = (Route, Bytes, Option<String>);

/// The payloads of `rows`; rows that cannot become one are skipped (logged, counted).
fn items(inner: &Inner, rows: &[(Key, Row)]) -> Vec<Item> {
    let mut out = Vec::with_capacity(rows.len());
    for (_, row) in rows {
        let built = payload::payload(inner.journal.uid(), row)
            .and_then(|p| Ok((p.route(), p.to_json().map_err(|e| e.to_string())?, p)));
        match built {
            Ok((route, body, p)) => out.push((route, Bytes::from(body), p.id().map(str::to_owned))),
            Err(e) => {
                inner.skipped.fetch_add(1, Relaxed);
                tracing::error!(sink = inner.name, id = row.id, pile = ?row.entry.pile, error = %e, "journal row cannot be forwarded; skipped");
            }
        }
    }
    out
}

/// Delivers a batch, retrying with backoff until the sink takes all of it; `false` when stopped
/// first. A retried batch is sent whole again (the ids let the backend drop what it has).
async fn deliver(inner: &Inner, rows: &[(Key, Row)], stop: &CancellationToken) -> bool {
    let items = items(inner, rows);
    if items.is_empty() {
        return true;
    }
    let started = Instant::now();
    let mut attempt = 0u32;
    loop {
        let sent = inner.sink.send_batch(&items, inner.config.timeout);
        let outcome = tokio::select! {
            r = sent => r,
            () = stop.cancelled() => return false,
        };
        match outcome {
            Ok(()) => {
                let took = started.elapsed();
                items
                    .iter()
                    .for_each(|_| inner.counters.record_delivery(took));
                return true;
            }
            Err(e) => {
                let n = inner.counters.retries.fetch_add(1, Relaxed) + 1;
                if n <= LOGGED_FAILURES || n.is_multiple_of(1_000) {
                    let first = rows.first().map(|(_, r)| r.id);
                    tracing::warn!(sink = inner.name, rows = items.len(), first_id = ?first, attempt, failures_total = n, error = %e, "delivery failed; retrying (the rows stay in the journal)");
                }
                let pause = inner.config.delay(attempt);
                attempt = attempt.saturating_add(1);
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    () = stop.cancelled() => return false,
                }
            }
        }
    }
}

/// Every configured sink's outbox (none without a journal or without servers).
#[derive(Debug, Default)]
pub struct Outboxes(pub Vec<Outbox>);

impl Outboxes {
    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The outboxes.
    pub fn iter(&self) -> std::slice::Iter<'_, Outbox> {
        self.0.iter()
    }

    /// Resolves once every sink has row `id` of lane `key` (`true`), or any outbox stopped.
    pub async fn delivered(&self, id: i64, key: &Key) -> bool {
        let all = futures::future::join_all(self.0.iter().map(|o| o.delivered(id, key)));
        all.await.into_iter().all(|ok| ok)
    }

    /// Shuts every outbox down within `grace` (see [`Outbox::shutdown`]).
    pub async fn shutdown(&self, grace: Duration) -> bool {
        let all = futures::future::join_all(self.0.iter().map(|o| o.shutdown(grace)));
        all.await.into_iter().all(|drained| drained)
    }
}

/// The lane key of a journal entry's pile or connection (see [`lanes::key_of`]).
pub fn lane_key(pile: Option<&str>, conn: u64) -> Key {
    match pile {
        Some(p) => p.to_owned(),
        None => format!("conn:{conn}"),
    }
}
