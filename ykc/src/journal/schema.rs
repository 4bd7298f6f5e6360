//! The journal's tables, and how its connections are opened.
//!
//! Columns are chosen for an operator with the sqlite3 shell as much as for the gateway:
//! `pile` is the 14-digit code, `dir` is `up`/`down`, `crc_order` is `le`/`be`, `raw` the
//! whole frame (`SELECT hex(raw) …`).

use super::{sqlite, JournalError};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

/// Bumped when the tables change incompatibly; an older file is refused, not misread.
pub const SCHEMA_VERSION: i64 = 1;

/// A bucket of the `frames_by_bucket` index is `1 << BUCKET_BITS` consecutive ids: the index
/// expression (`id >> 16` in [`CREATE`]) and the readers' (query.rs) must agree.
pub const BUCKET_BITS: u32 = 16;

const CREATE: &str = "
CREATE TABLE IF NOT EXISTS frames (
    id        INTEGER PRIMARY KEY,  -- journal id: increasing, never reused
    time_ms   INTEGER NOT NULL,     -- Unix milliseconds
    pile      TEXT,                 -- 14 digits; NULL before the connection logged in
    conn      INTEGER NOT NULL,     -- the gateway's connection id
    dir       TEXT NOT NULL,        -- up (pile -> platform) or down
    type      INTEGER NOT NULL,     -- frame type code
    seq       BLOB NOT NULL,        -- the two sequence bytes as on the wire
    crc_order TEXT NOT NULL,        -- le or be
    raw       BLOB NOT NULL,        -- the whole frame, 0x68 to CRC (empty for an event)
    event     TEXT,                 -- online / offline for a pile event, NULL for a frame
    peer      TEXT,                 -- the pile's ip:port (events only)
    fwd       INTEGER NOT NULL      -- 1: the outbox delivers it to the sinks
);
-- Per pile, bucketed by id: entries sort by (bucket, pile, rowid), where a bucket is 65,536
-- consecutive ids. A batch of appends lands in the newest bucket only, so it dirties a few
-- hundred index pages whatever the number of piles (a plain (pile, id) index dirties one page
-- per row: 25k frames/s at 10,000 piles). A pile's rows are read bucket by bucket, newest
-- first (query.rs). From the sqlite3 shell, name the bucket to use the index:
--   SELECT * FROM frames WHERE id >> 16 = (SELECT max(id) >> 16 FROM frames)
--     AND pile = '32010200000001' ORDER BY id DESC;
-- A plain `WHERE pile = ...` works too, by scanning the table.
DROP INDEX IF EXISTS frames_by_pile; -- the per-row index of development builds
CREATE INDEX IF NOT EXISTS frames_by_bucket ON frames (id >> 16, pile);
CREATE TABLE IF NOT EXISTS meta (
    key     TEXT PRIMARY KEY,
    value   TEXT NOT NULL
);
-- The journal's own id, part of every message id, so ids from two gateways never collide.
INSERT OR IGNORE INTO meta (key, value) VALUES ('uid', lower(hex(randomblob(6))));
CREATE TABLE IF NOT EXISTS cursors (
    sink    TEXT PRIMARY KEY,       -- an outbox sink
    last_id INTEGER NOT NULL        -- every row up to it is delivered
);
";

/// Opens the writer's connection: WAL (readers never block the writer), `synchronous=FULL`
/// (a commit is fsynced before it returns: the durability the billing rule relies on), and the
/// tables created when missing.
pub fn open_writer(path: &Path) -> Result<Connection, JournalError> {
    let err = sqlite(path);
    let conn = Connection::open(path).map_err(&err)?;
    conn.busy_timeout(Duration::from_secs(5)).map_err(&err)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(&err)?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(&err)?;
    // Appends touch the `frames_by_pile` index at one place per pile: with thousands of piles a
    // small page cache turns every insert into reads. 64 MiB of cache and memory-mapped reads
    // keep the writer on the CPU (measured: the write ceiling in the README's benchmarks).
    conn.pragma_update(None, "cache_size", -65_536)
        .map_err(&err)?;
    conn.pragma_update(None, "mmap_size", 256_i64 << 20)
        .map_err(&err)?;
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(&err)?;
    if version > SCHEMA_VERSION {
        return Err(JournalError::NewerSchema {
            path: path.to_owned(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    conn.execute_batch(CREATE).map_err(&err)?;
    conn.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(&err)?;
    Ok(conn)
}

/// Opens a read-only connection (it may run beside a live gateway's writer).
pub fn open_reader(path: &Path) -> Result<Connection, JournalError> {
    let err = sqlite(path);
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(&err)?;
    conn.busy_timeout(Duration::from_secs(5)).map_err(&err)?;
    Ok(conn)
}

/// The journal's uid (see the `meta` table).
pub fn uid(conn: &Connection) -> rusqlite::Result<String> {
    conn.query_row("SELECT value FROM meta WHERE key = 'uid'", [], |r| r.get(0))
}
