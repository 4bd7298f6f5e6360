//! The journal: every frame in and out of the gateway, on disk, in one SQLite file.
//!
//! - The raw bytes are the truth: each row keeps the whole frame as it crossed the wire, plus
//!   what the gateway knew about it (time, pile, connection, direction, type, sequence bytes,
//!   CRC order). Decoding happens on read, through the codec.
//! - One writer thread owns the write connection ([`writer`]). Appends reach it over a bounded
//!   channel and are committed in groups: whatever queued while the last commit was being
//!   fsynced goes into the next transaction, so the fsync cost is shared by a whole batch.
//! - [`Journal::append_durable`] resolves only once its row is committed with
//!   `synchronous=FULL` (fsynced): the billing rule "confirm a 0x3B only when it is durable"
//!   waits on it.
//! - Readers ([`Reader`]) open their own connections; WAL mode lets them read while the writer
//!   writes, from this process or another (`ykc journal`, the sqlite3 shell).
//! - Retention ([`retention`]) prunes the oldest rows by age and by size, in the writer thread,
//!   in small chunks so that appends never wait long.
//! - Per-sink delivery cursors ([`Journal::set_cursor`], [`Reader::cursor`]) live in the same
//!   file, so an outbox resumes where it stopped after a restart or a kill -9.

mod query;
mod render;
pub mod retention;
mod schema;
mod writer;

pub use query::{Query, Reader, Row};
pub use render::{detail, parse_time, row_json, time_text};

use crate::meta::Direction;
use crate::CrcOrder;
use bytes::Bytes;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot, watch};

/// Why the journal could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// SQLite refused: a full disk, an I/O error, a file that is not a journal.
    #[error("journal {}: {source}", path.display())]
    Sqlite {
        /// The journal file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The directory of the journal file could not be created.
    #[error("cannot create the journal's directory {}: {source}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file was written by a newer gateway (its schema version is higher than ours).
    #[error("{} has journal schema {found}, newer than this gateway's {supported}", path.display())]
    NewerSchema {
        /// The journal file.
        path: PathBuf,
        /// The file's `user_version`.
        found: i64,
        /// The newest schema this build reads.
        supported: i64,
    },
    /// The writer thread could not be started.
    #[error("cannot start the journal writer: {0}")]
    Thread(std::io::Error),
    /// The writer thread is gone (the journal was closed).
    #[error("the journal is closed")]
    Closed,
    /// The batch holding this append failed to commit; the row is not on disk.
    #[error("journal commit failed: {0}")]
    Commit(String),
}

/// Options of a journal; every limit is documented in `ykc.example.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalConfig {
    /// The SQLite file; its directory is created when missing.
    pub path: PathBuf,
    /// Rows older than this are pruned (None = kept by age).
    pub max_age: Option<Duration>,
    /// Live data above this many bytes prunes the oldest rows (None = no size limit). The file
    /// itself stays near its high-water mark: freed pages are reused, not returned.
    pub max_bytes: Option<u64>,
    /// Appends queued for the writer before `append` waits (backpressure).
    pub queue: usize,
    /// Most rows in one transaction.
    pub max_batch: usize,
}

impl JournalConfig {
    /// Defaults for a journal at `path`: no retention limits, a 65,536-entry queue, batches of
    /// up to 4,096 rows.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        JournalConfig {
            path: path.into(),
            max_age: None,
            max_bytes: None,
            queue: 65_536,
            max_batch: 4_096,
        }
    }
}

/// A pile event recorded beside the frames (in the same id order, so the outbox delivers a
/// pile's online, its frames and its offline in the order they happened).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The pile logged in.
    Online,
    /// The pile's connection ended.
    Offline,
    /// A REST command (audit): `type` is the frame, `peer` the caller's address, `detail` the
    /// token name and the HTTP status. Never forwarded.
    Command,
}

impl Event {
    /// `online` / `offline`: the `event` column, the JSON `event`.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Online => "online",
            Event::Offline => "offline",
            Event::Command => "command",
        }
    }
}

/// One frame (or pile event) to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Wall-clock time, milliseconds since the Unix epoch.
    pub time_ms: i64,
    /// The pile code as 14 digits, once the connection has logged in.
    pub pile: Option<String>,
    /// The gateway's connection id.
    pub conn: u64,
    /// Up: pile → platform; down: platform → pile.
    pub direction: Direction,
    /// Frame type code.
    pub code: u8,
    /// The two sequence bytes as on the wire.
    pub seq: [u8; 2],
    /// The CRC byte order of the frame.
    pub crc_order: CrcOrder,
    /// The whole frame, start byte to CRC (empty for an event).
    pub raw: Bytes,
    /// A pile event instead of a frame (then `code`, `seq` and `raw` are empty).
    pub event: Option<Event>,
    /// The pile's address, `ip:port` (kept for events; frames leave it out to stay small).
    pub peer: Option<String>,
    /// Whether the outbox delivers this row to the sinks.
    pub forward: bool,
    /// An event's details as a JSON object (a command's token and status), `detail` column.
    pub detail: Option<String>,
}

impl Entry {
    /// An online/offline event of `pile` on connection `conn` from `peer`, now.
    pub fn event(event: Event, pile: String, conn: u64, peer: String) -> Entry {
        Entry {
            time_ms: now_ms(),
            pile: Some(pile),
            conn,
            direction: Direction::Up,
            code: 0,
            seq: [0, 0],
            crc_order: CrcOrder::LowFirst,
            raw: Bytes::new(),
            event: Some(event),
            peer: Some(peer),
            forward: true,
            detail: None,
        }
    }

    /// The audit row of a REST command: frame `code` for `pile` (when the path named a valid
    /// one) from the caller at `peer`, with `detail` (token, frame, status); not forwarded.
    pub fn command(
        pile: Option<String>,
        code: u8,
        peer: String,
        detail: &serde_json::Value,
    ) -> Entry {
        Entry {
            time_ms: now_ms(),
            pile,
            conn: 0,
            direction: Direction::Down,
            code,
            seq: [0, 0],
            crc_order: CrcOrder::LowFirst,
            raw: Bytes::new(),
            event: Some(Event::Command),
            peer: Some(peer),
            forward: false,
            detail: Some(detail.to_string()),
        }
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO); // a clock before 1970 is not worth failing a write for
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// Counters of the writer, read by `/metrics`.
#[derive(Debug, Default)]
pub struct JournalStats {
    /// Rows committed.
    pub committed: AtomicU64,
    /// Transactions committed.
    pub batches: AtomicU64,
    /// Transactions that failed (each retried or reported to its durable waiters).
    pub failed_batches: AtomicU64,
    /// Non-durable rows given up after failures (the retry buffer was full).
    pub dropped: AtomicU64,
    /// Rows pruned by retention.
    pub pruned: AtomicU64,
    /// True while the last commit failed (a full disk): confirmations stop until it clears.
    pub failing: AtomicBool,
    /// The id of the last committed row.
    pub last_id: AtomicU64,
}

pub(crate) enum Command {
    Append {
        entry: Entry,
        done: Option<oneshot::Sender<Result<i64, JournalError>>>,
    },
    SetCursor {
        sink: String,
        id: i64,
    },
    Flush(oneshot::Sender<()>),
}

/// A row on its way to disk: [`Durable::wait`] resolves with its id once it is fsynced.
#[derive(Debug)]
pub struct Durable(oneshot::Receiver<Result<i64, JournalError>>);

impl Durable {
    /// The row's id once committed; an error when its batch failed (a full disk).
    pub async fn wait(self) -> Result<i64, JournalError> {
        self.0.await.map_err(|_| JournalError::Closed)?
    }
}

/// A handle to the journal; cheap to clone. The writer thread stops when the last handle is
/// dropped, after committing what was queued.
#[derive(Clone)]
pub struct Journal {
    tx: mpsc::Sender<Command>,
    path: Arc<PathBuf>,
    stats: Arc<JournalStats>,
    committed: watch::Receiver<i64>,
    uid: Arc<str>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).finish()
    }
}

impl Journal {
    /// Opens (creating when missing) the journal file and starts its writer thread.
    pub fn open(config: JournalConfig) -> Result<Journal, JournalError> {
        if let Some(dir) = config.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| JournalError::CreateDir {
                path: dir.to_owned(),
                source,
            })?;
        }
        let conn = schema::open_writer(&config.path)?;
        let uid = schema::uid(&conn).map_err(sqlite(&config.path))?;
        let last: i64 = conn
            .query_row("SELECT coalesce(max(id), 0) FROM frames", [], |r| r.get(0))
            .map_err(sqlite(&config.path))?;
        let stats = Arc::new(JournalStats::default());
        let (tx, rx) = mpsc::channel(config.queue.max(1));
        let (notify, committed) = watch::channel(last);
        let path = Arc::new(config.path.clone());
        writer::spawn(conn, config, rx, stats.clone(), notify)?;
        Ok(Journal {
            tx,
            path,
            stats,
            committed,
            uid: uid.into(),
        })
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The writer's counters.
    pub fn stats(&self) -> &JournalStats {
        &self.stats
    }

    /// Queues a row; it is committed with the next group. Waits only while the queue is full.
    pub async fn append(&self, entry: Entry) -> Result<(), JournalError> {
        let cmd = Command::Append { entry, done: None };
        self.tx.send(cmd).await.map_err(|_| JournalError::Closed)
    }

    /// Queues a row without waiting, for places that cannot wait (a `Drop`): when the queue is
    /// full, a task appends it once there is room. Must run inside a tokio runtime.
    pub fn append_later(&self, entry: Entry) {
        let cmd = Command::Append { entry, done: None };
        match self.tx.try_send(cmd) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(cmd)) => {
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let _ = tx.send(cmd).await; // closed: the gateway is going down
                });
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::warn!("journal closed; pile event not recorded");
            }
        }
    }

    /// Queues a row and resolves with its journal id once it is committed and fsynced.
    pub async fn append_durable(&self, entry: Entry) -> Result<i64, JournalError> {
        self.submit(entry).await?.wait().await
    }

    /// Queues a row (in order with every other append from the caller) and returns at once with
    /// a [`Durable`] that resolves once the row is fsynced: the caller can go on meanwhile.
    pub async fn submit(&self, entry: Entry) -> Result<Durable, JournalError> {
        let (done, rx) = oneshot::channel();
        let cmd = Command::Append {
            entry,
            done: Some(done),
        };
        self.tx.send(cmd).await.map_err(|_| JournalError::Closed)?;
        Ok(Durable(rx))
    }

    /// The id of the last committed row, updated after every commit: the outbox waits on it.
    pub fn committed(&self) -> watch::Receiver<i64> {
        self.committed.clone()
    }

    /// The journal's own id (12 hex digits, made when the file was created): the prefix of
    /// every message id, so that two gateways' ids never collide.
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// Records that `sink` has delivered every row up to `id` (committed with the next group).
    pub async fn set_cursor(&self, sink: &str, id: i64) -> Result<(), JournalError> {
        let cmd = Command::SetCursor {
            sink: sink.to_owned(),
            id,
        };
        self.tx.send(cmd).await.map_err(|_| JournalError::Closed)
    }

    /// Resolves once everything queued before it is committed (or failed).
    pub async fn flush(&self) -> Result<(), JournalError> {
        let (done, rx) = oneshot::channel();
        let cmd = Command::Flush(done);
        self.tx.send(cmd).await.map_err(|_| JournalError::Closed)?;
        rx.await.map_err(|_| JournalError::Closed)
    }

    /// A reader of this journal (its own read-only connection).
    pub fn reader(&self) -> Result<Reader, JournalError> {
        Reader::open(&self.path)
    }
}

fn sqlite(path: &Path) -> impl Fn(rusqlite::Error) -> JournalError + '_ {
    move |source| JournalError::Sqlite {
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests;
