//! The writer thread: the only connection that writes, committing appends in groups.
//!
//! Why a thread and not a task: every commit blocks on fsync, and SQLite is synchronous. One
//! OS thread keeps that off the runtime's workers and makes "one writer" a structural fact.
//!
//! Group commit: the thread blocks for the first command, then takes whatever else is already
//! queued (up to `max_batch`) into the same transaction. Under load, batches grow by themselves
//! while an fsync is under way; when idle, a lone append commits at once.
//!
//! Failure (a full disk, an I/O error): the transaction is rolled back; durable waiters get the
//! error (their frames are not confirmed, so the pile sends them again); other rows are kept in
//! a bounded retry buffer and written with the next batch. `failing` is set until a commit
//! succeeds again.

use super::retention::Retention;
use super::{Command, Entry, JournalConfig, JournalError, JournalStats};
use crate::meta::Direction;
use crate::CrcOrder;
use rusqlite::{params, Connection};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, watch};

/// Non-durable rows kept across failed commits before further ones are dropped and counted.
const MAX_RETRY_ROWS: usize = 100_000;

/// How often retention runs (it also runs after a failed commit, to make room).
const PRUNE_EVERY: Duration = Duration::from_secs(10);

/// A row waiting for a commit, and who (if anyone) waits for its id.
type Pending = (Entry, Option<oneshot::Sender<Result<i64, JournalError>>>);

struct Writer {
    conn: Connection,
    config: JournalConfig,
    stats: Arc<JournalStats>,
    retention: Retention,
    retry: Vec<Entry>,
    /// Told the last committed id after every commit (the outbox waits on it).
    notify: watch::Sender<i64>,
}

/// Starts the writer thread on `conn`.
pub fn spawn(
    conn: Connection,
    config: JournalConfig,
    rx: mpsc::Receiver<Command>,
    stats: Arc<JournalStats>,
    notify: watch::Sender<i64>,
) -> Result<(), JournalError> {
    let retention = Retention::new(config.max_age, config.max_bytes);
    let writer = Writer {
        conn,
        config,
        stats,
        retention,
        retry: Vec::new(),
        notify,
    };
    std::thread::Builder::new()
        .name("ykc-journal".into())
        .spawn(move || writer.run(rx))
        .map(drop)
        .map_err(JournalError::Thread)
}

impl Writer {
    fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        let mut last_prune = Instant::now();
        // `blocking_recv` returns None once every `Journal` handle is dropped and the queue is
        // empty: everything sent before is committed first.
        while let Some(first) = rx.blocking_recv() {
            let mut rows: Vec<Pending> = Vec::new();
            let mut cursors: Vec<(String, i64)> = Vec::new();
            let mut flushes: Vec<oneshot::Sender<()>> = Vec::new();
            let mut next = Some(first);
            while let Some(cmd) = next {
                match cmd {
                    Command::Append { entry, done } => rows.push((entry, done)),
                    Command::SetCursor { sink, id } => cursors.push((sink, id)),
                    Command::Flush(done) => flushes.push(done),
                }
                next = if rows.len() < self.config.max_batch {
                    rx.try_recv().ok()
                } else {
                    None
                };
            }
            self.commit(rows, cursors);
            for done in flushes {
                let _ = done.send(()); // the flusher may have stopped waiting
            }
            if last_prune.elapsed() >= PRUNE_EVERY || self.stats.failing.load(Relaxed) {
                self.prune();
                last_prune = Instant::now();
            }
        }
    }

    fn prune(&mut self) {
        match self.retention.prune(&mut self.conn) {
            Ok(n) => {
                self.stats.pruned.fetch_add(n, Relaxed);
            }
            Err(e) => tracing::warn!(error = %e, "journal retention failed"),
        }
    }

    /// Writes the retry buffer, `rows` and `cursors` in one transaction and tells the waiters.
    fn commit(&mut self, rows: Vec<Pending>, cursors: Vec<(String, i64)>) {
        let retry = std::mem::take(&mut self.retry);
        match self.write(&retry, &rows, &cursors) {
            Ok(ids) => {
                let n = (retry.len() + rows.len()) as u64;
                self.stats.committed.fetch_add(n, Relaxed);
                self.stats.batches.fetch_add(1, Relaxed);
                if self.stats.failing.swap(false, Relaxed) {
                    tracing::info!("journal writes succeed again");
                }
                for ((_, done), id) in rows.into_iter().zip(ids) {
                    if let Some(done) = done {
                        let _ = done.send(Ok(id)); // the session may be gone; the row is safe
                    }
                }
            }
            Err(e) => self.fail(e, retry, rows),
        }
    }

    fn fail(&mut self, e: rusqlite::Error, retry: Vec<Entry>, rows: Vec<Pending>) {
        self.stats.failed_batches.fetch_add(1, Relaxed);
        if !self.stats.failing.swap(true, Relaxed) {
            tracing::error!(error = %e, path = %self.config.path.display(),
                "journal commit failed: confirmations stop until writes succeed again");
        }
        let reason = e.to_string();
        self.retry = retry;
        for (entry, done) in rows {
            match done {
                // Durable rows are not kept: the waiter does not confirm, the pile sends again.
                Some(done) => {
                    let _ = done.send(Err(JournalError::Commit(reason.clone())));
                }
                None if self.retry.len() < MAX_RETRY_ROWS => self.retry.push(entry),
                None => {
                    self.stats.dropped.fetch_add(1, Relaxed);
                }
            }
        }
    }

    /// One transaction; the ids of `rows` in order.
    fn write(
        &mut self,
        retry: &[Entry],
        rows: &[Pending],
        cursors: &[(String, i64)],
    ) -> Result<Vec<i64>, rusqlite::Error> {
        let tx = self.conn.transaction()?;
        let all: Vec<&Entry> = retry.iter().chain(rows.iter().map(|(e, _)| e)).collect();
        let mut ids = Vec::with_capacity(all.len());
        {
            let mut many = tx.prepare_cached(&insert_sql(ROWS_PER_INSERT))?;
            let mut one = tx.prepare_cached(&insert_sql(1))?;
            let mut chunks = all.chunks_exact(ROWS_PER_INSERT);
            for chunk in chunks.by_ref() {
                for (n, e) in chunk.iter().enumerate() {
                    bind(&mut many, n * COLUMNS, e)?;
                }
                many.raw_execute()?;
                // The rows of one statement take consecutive ids (each the largest + 1, and
                // this connection is the only writer while the transaction is open).
                let last = tx.last_insert_rowid();
                ids.extend(last + 1 - ROWS_PER_INSERT as i64..=last);
            }
            for e in chunks.remainder() {
                bind(&mut one, 0, e)?;
                one.raw_execute()?;
                ids.push(tx.last_insert_rowid());
            }
            let mut cursor = tx.prepare_cached(
                "INSERT INTO cursors (sink, last_id) VALUES (?1, ?2) \
                 ON CONFLICT (sink) DO UPDATE SET last_id = max(last_id, excluded.last_id)",
            )?;
            for (sink, id) in cursors {
                cursor.execute(params![sink, id])?;
            }
        }
        tx.commit()?;
        if let Some(&last) = ids.last() {
            self.stats.last_id.store(last.max(0) as u64, Relaxed);
            // Nobody listening (no outbox) is fine.
            self.notify.send_replace(last);
        }
        // The retry rows come first; only the new rows have waiters.
        Ok(ids.split_off(retry.len()))
    }
}

/// Columns of a row in [`insert_sql`].
const COLUMNS: usize = 12;

/// Rows per multi-row INSERT. Executing one statement per row spends more in SQLite's
/// per-statement work (binding, cursor setup, the seek to the table's end, reset) than in the
/// insert itself; 32 rows to a statement amortize it (measured in benches/journal.rs).
const ROWS_PER_INSERT: usize = 32;

/// `INSERT … VALUES (…), (…)` for `rows` rows of [`COLUMNS`] parameters each.
fn insert_sql(rows: usize) -> String {
    let row = format!("({})", ["?"; COLUMNS].join(", "));
    format!(
        "INSERT INTO frames (time_ms, pile, conn, dir, type, seq, crc_order, raw, event, peer, \
         fwd, detail) VALUES {}",
        vec![row; rows].join(", ")
    )
}

/// Binds `e` to the parameters after the first `at` of `stmt` (in [`insert_sql`]'s order).
fn bind(stmt: &mut rusqlite::Statement<'_>, at: usize, e: &Entry) -> rusqlite::Result<()> {
    stmt.raw_bind_parameter(at + 1, e.time_ms)?;
    stmt.raw_bind_parameter(at + 2, &e.pile)?;
    // Connection ids count from 1 and stay far below i64::MAX.
    stmt.raw_bind_parameter(at + 3, i64::try_from(e.conn).unwrap_or(i64::MAX))?;
    stmt.raw_bind_parameter(at + 4, dir_text(e.direction))?;
    stmt.raw_bind_parameter(at + 5, e.code)?;
    stmt.raw_bind_parameter(at + 6, &e.seq[..])?;
    stmt.raw_bind_parameter(at + 7, order_text(e.crc_order))?;
    stmt.raw_bind_parameter(at + 8, &e.raw[..])?;
    stmt.raw_bind_parameter(at + 9, e.event.map(super::Event::as_str))?;
    stmt.raw_bind_parameter(at + 10, &e.peer)?;
    stmt.raw_bind_parameter(at + 11, e.forward)?;
    stmt.raw_bind_parameter(at + COLUMNS, &e.detail)
}

/// The `dir` column's text.
pub fn dir_text(d: Direction) -> &'static str {
    match d {
        Direction::Up => "up",
        Direction::Down => "down",
    }
}

/// The `crc_order` column's text.
pub fn order_text(o: CrcOrder) -> &'static str {
    match o {
        CrcOrder::LowFirst => "le",
        CrcOrder::HighFirst => "be",
    }
}
