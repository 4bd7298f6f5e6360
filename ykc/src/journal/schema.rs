//! The journal's tables, and how its connections are opened.
//!
//! Columns are chosen for an operator with the sqlite3 shell as much as for the gateway:
//! `pile` is the 14-digit code, `dir` is `up`/`down`, `crc_order` is `le`/`be`, `raw` the
//! whole frame (`SELECT hex(raw) …`).

use super::{sqlite, JournalError};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

/// Bumped when the tables change incompatibly; an older file is refused, not misread.
///
/// 2: the `detail` column and `command` events (REST audit rows); a version 1 file gains the
/// column when opened (an older gateway would not know the new event, so it refuses the file).
pub const SCHEMA_VERSION: i64 = 2;

/// A bucket of the `frames_by_bucket` index is `1 << BUCKET_BITS` (16,384) consecutive ids: the
/// index expression (`id >> 14`, written from this constant) and the readers' (query.rs) agree.
///
/// Smaller buckets make appends cheaper (a batch rewrites the newest bucket's index pages:
/// about 30 at 4,096 ids, 110 at 16,384, 450 at 65,536) and pile reads dearer (one seek per
/// bucket, ~5 µs). Measured at 10,000 piles (benches/journal.rs): 165k frames/s at 12 bits,
/// 137k at 14, 110k at 16; at 14 bits, a pile's newest 100 frames of 5M rows in 2 ms, a pile
/// with none in 1.4 ms (306 seeks). Changing it changes the index of existing files: bump
/// [`SCHEMA_VERSION`] with it.
pub const BUCKET_BITS: u32 = 14;

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
    peer      TEXT,                 -- the pile's ip:port (events), the caller's (command)
    fwd       INTEGER NOT NULL,     -- 1: the outbox delivers it to the sinks
    detail    TEXT                  -- an event's details, JSON (a command's token, status)
);
-- Per pile, bucketed by id: entries sort by (bucket, pile, rowid), a bucket being 16,384
-- consecutive ids (BUCKET_BITS = 14). Appends land in the newest bucket only, so a batch
-- rewrites a few dozen index pages whatever the number of piles (a plain (pile, id) index
-- rewrites one page per row: 12-25k frames/s at 10,000 piles). A pile's rows are read bucket by
-- bucket, newest first (query.rs). From the sqlite3 shell, name the bucket to use the index:
--   SELECT * FROM frames WHERE id >> 14 = (SELECT max(id) >> 14 FROM frames)
--     AND pile = '32010200000001' ORDER BY id DESC;
-- A plain `WHERE pile = ...` works too, by scanning the table.
DROP INDEX IF EXISTS frames_by_pile; -- the per-row index of development builds
CREATE INDEX IF NOT EXISTS frames_by_bucket ON frames (id >> BUCKET_BITS, pile);
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
    // 8 MiB of page cache and memory-mapped reads keep the writer on the CPU: appends touch the
    // newest bucket's pages (about a hundred), retention reads the oldest through the map. Not
    // more: SQLite walks the whole cache (pcache1TruncateUnsafe) at transaction ends, and with
    // 64 MiB that walk was a fifth of the gateway's CPU at 10,000 piles (perf, bench/journal-cpu.sh:
    // 121% → 109% of a core).
    conn.pragma_update(None, "cache_size", -8_192)
        .map_err(&err)?;
    conn.pragma_update(None, "mmap_size", 256_i64 << 20)
        .map_err(&err)?;
    // Checkpoint every 64 MiB of log rather than SQLite's 4 MiB: the newest bucket's index
    // pages are rewritten by every commit, and a checkpoint copies each page once however often
    // it was logged, with one fsync of the database file per checkpoint (measured: 90k →
    // 110k frames/s at 10,000 piles with 65,536-id buckets). The log file stays that large.
    conn.pragma_update(None, "wal_autocheckpoint", 16_384)
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
    let create = CREATE.replace("BUCKET_BITS", &BUCKET_BITS.to_string());
    conn.execute_batch(&create).map_err(&err)?;
    add_detail_column(&conn).map_err(&err)?;
    conn.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(&err)?;
    Ok(conn)
}

/// Schema 1 → 2: files made before the `detail` column gain it (NULL in their old rows).
fn add_detail_column(conn: &Connection) -> rusqlite::Result<()> {
    let has: bool = conn.query_row(
        "SELECT count(*) > 0 FROM pragma_table_info('frames') WHERE name = 'detail'",
        [],
        |r| r.get(0),
    )?;
    if !has {
        conn.execute_batch("ALTER TABLE frames ADD COLUMN detail TEXT")?;
    }
    Ok(())
}

/// Opens a read-only connection (it may run beside a live gateway's writer).
pub fn open_reader(path: &Path) -> Result<Connection, JournalError> {
    let err = sqlite(path);
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(&err)?;
    conn.busy_timeout(Duration::from_secs(5)).map_err(&err)?;
    // A pile's read runs one statement per bucket. SQLite re-prepares a statement whose plan
    // might depend on a bound value (the LIMIT, here) each time that value changes, which cost
    // more than the seek itself; the query planner stability guarantee turns that off.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map_err(&err)?;
    // Each seek reads a few pages: memory-mapped pages and a 16 MiB cache spare most of them a
    // read system call.
    conn.pragma_update(None, "cache_size", -16_384)
        .map_err(&err)?;
    conn.pragma_update(None, "mmap_size", 256_i64 << 20)
        .map_err(&err)?;
    Ok(conn)
}

/// The journal's uid (see the `meta` table).
pub fn uid(conn: &Connection) -> rusqlite::Result<String> {
    conn.query_row("SELECT value FROM meta WHERE key = 'uid'", [], |r| r.get(0))
}
