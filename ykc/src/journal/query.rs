//! Reading the journal: filtered pages of rows, and the outbox cursors.

use super::schema::{open_reader, BUCKET_BITS};
use super::writer::dir_text;
use super::{sqlite, Entry, Event, JournalError};
use crate::meta::Direction;
use crate::CrcOrder;
use rusqlite::types::Value;
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// Which rows to read. Every filter is optional; rows come newest first unless `oldest_first`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Only this pile (14 digits).
    pub pile: Option<String>,
    /// Only rows at or after this time (Unix ms).
    pub since_ms: Option<i64>,
    /// Only rows before this time (Unix ms).
    pub until_ms: Option<i64>,
    /// Only this frame type.
    pub code: Option<u8>,
    /// Only this direction.
    pub direction: Option<Direction>,
    /// Only rows with a smaller id (paging newest first).
    pub before_id: Option<i64>,
    /// Only rows with a larger id (paging oldest first; following).
    pub after_id: Option<i64>,
    /// Oldest first instead of newest first.
    pub oldest_first: bool,
    /// Only rows the outbox delivers.
    pub forward_only: bool,
    /// Most rows returned (0 = none).
    pub limit: usize,
}

/// The smallest and largest ids, each read from one end of the table. (`SELECT min(id),
/// max(id) FROM frames` reads the whole table: SQLite takes the shortcut for a lone min or max
/// only.)
pub(super) const ID_RANGE: &str =
    "SELECT (SELECT min(id) FROM frames), (SELECT max(id) FROM frames)";

/// One journal row: the [`Entry`] as written, and the id the journal gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Journal id.
    pub id: i64,
    /// What was recorded.
    pub entry: Entry,
}

/// A read-only connection to a journal file.
pub struct Reader {
    conn: Connection,
    path: PathBuf,
}

impl Reader {
    /// Opens `path` read-only; it may be written by a running gateway meanwhile.
    pub fn open(path: &Path) -> Result<Reader, JournalError> {
        Ok(Reader {
            conn: open_reader(path)?,
            path: path.to_owned(),
        })
    }

    /// The rows matching `q`.
    pub fn rows(&self, q: &Query) -> Result<Vec<Row>, JournalError> {
        if q.limit == 0 {
            return Ok(Vec::new());
        }
        match &q.pile {
            Some(pile) => self.pile_rows(pile, q),
            None => self.run(&select(q, Scan::Table), Vec::new(), q.limit),
        }
    }

    /// One pile's rows, through the `frames_by_bucket` index: bucket by bucket in the order
    /// asked, each a seek to (bucket, pile), until `limit` rows are found or the id range
    /// (the journal's, narrowed by `after_id` / `before_id`) is exhausted.
    fn pile_rows(&self, pile: &str, q: &Query) -> Result<Vec<Row>, JournalError> {
        // One read transaction for all the buckets: one snapshot of the file (a commit between
        // two buckets cannot be half seen), and one read lock instead of one per statement.
        let snapshot = self
            .conn
            .unchecked_transaction()
            .map_err(sqlite(&self.path))?;
        let rows = self.pile_rows_in(pile, q);
        snapshot.commit().map_err(sqlite(&self.path))?;
        rows
    }

    fn pile_rows_in(&self, pile: &str, q: &Query) -> Result<Vec<Row>, JournalError> {
        let Some((first, last)) = self.id_range()? else {
            return Ok(Vec::new());
        };
        let lo = q.after_id.map_or(first, |a| first.max(a.saturating_add(1)));
        let hi = q.before_id.map_or(last, |b| last.min(b.saturating_sub(1)));
        if lo > hi {
            return Ok(Vec::new());
        }
        let sql = select(q, Scan::Bucket);
        let (lo, hi) = (lo >> BUCKET_BITS, hi >> BUCKET_BITS);
        let mut buckets: Box<dyn Iterator<Item = i64>> = if q.oldest_first {
            Box::new(lo..=hi)
        } else {
            Box::new((lo..=hi).rev())
        };
        let mut out = Vec::new();
        while out.len() < q.limit {
            let Some(bucket) = buckets.next() else { break };
            let fixed = vec![Value::Integer(bucket), Value::Text(pile.to_owned())];
            out.append(&mut self.run(&sql, fixed, q.limit - out.len())?);
        }
        Ok(out)
    }

    /// Runs a statement of [`select`]: `fixed` binds its leading parameters, `limit` its last.
    fn run(&self, sql: &Select, fixed: Vec<Value>, limit: usize) -> Result<Vec<Row>, JournalError> {
        let err = sqlite(&self.path);
        let limit = Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX));
        let args = fixed.into_iter().chain(sql.args.iter().cloned());
        let args: Vec<Value> = args.chain(std::iter::once(limit)).collect();
        let mut stmt = self.conn.prepare_cached(&sql.text).map_err(&err)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), row)
            .map_err(&err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(&err)
    }

    /// The smallest and largest ids (None when the journal is empty).
    fn id_range(&self) -> Result<Option<(i64, i64)>, JournalError> {
        let range = self
            .conn
            .prepare_cached(ID_RANGE)
            .and_then(|mut s| {
                s.query_row([], |r| {
                    Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, Option<i64>>(1)?))
                })
            })
            .map_err(sqlite(&self.path))?;
        Ok(range.0.zip(range.1))
    }

    /// The last id `sink` delivered (0 when it never delivered anything).
    pub fn cursor(&self, sink: &str) -> Result<i64, JournalError> {
        Ok(self.saved_cursor(sink)?.unwrap_or(0))
    }

    /// The last id `sink` delivered, or `None` when the journal has never had that sink.
    pub fn saved_cursor(&self, sink: &str) -> Result<Option<i64>, JournalError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT last_id FROM cursors WHERE sink = ?1")
            .map_err(sqlite(&self.path))?;
        let mut rows = stmt.query([sink]).map_err(sqlite(&self.path))?;
        match rows.next().map_err(sqlite(&self.path))? {
            Some(r) => r.get(0).map(Some).map_err(sqlite(&self.path)),
            None => Ok(None),
        }
    }

    /// The largest id in the journal (0 when empty).
    pub fn last_id(&self) -> Result<i64, JournalError> {
        self.conn
            .query_row("SELECT coalesce(max(id), 0) FROM frames", [], |r| r.get(0))
            .map_err(sqlite(&self.path))
    }
}

/// How a [`select`] reaches its rows.
#[derive(Clone, Copy)]
enum Scan {
    /// By id (the table's own order); no pile filter.
    Table,
    /// One bucket of one pile through `frames_by_bucket`: parameters ?1 bucket, ?2 pile.
    Bucket,
}

/// A statement and the arguments of its filters; the limit is bound as its last parameter.
struct Select {
    text: String,
    args: Vec<Value>,
}

/// The statement for `q` (its `pile` filter is the bucket scan's, not repeated here).
fn select(q: &Query, scan: Scan) -> Select {
    let mut text = String::from(
        "SELECT id, time_ms, pile, conn, dir, type, seq, crc_order, raw, event, peer, fwd, \
         detail FROM frames",
    );
    let fixed = match scan {
        Scan::Table => {
            text.push_str(" WHERE 1");
            0
        }
        Scan::Bucket => {
            let by = format!(
                " INDEXED BY frames_by_bucket WHERE id >> {BUCKET_BITS} = ?1 AND pile = ?2"
            );
            text.push_str(&by);
            2
        }
    };
    let mut args: Vec<Value> = Vec::new();
    let mut filter = |clause: &str, v: Value| {
        args.push(v);
        text.push_str(&format!(" AND {clause} ?{}", fixed + args.len()));
    };
    if let Some(t) = q.since_ms {
        filter("time_ms >=", Value::Integer(t));
    }
    if let Some(t) = q.until_ms {
        filter("time_ms <", Value::Integer(t));
    }
    if let Some(c) = q.code {
        filter("type =", Value::Integer(c.into()));
    }
    if let Some(d) = q.direction {
        filter("dir =", Value::Text(dir_text(d).into()));
    }
    if let Some(id) = q.before_id {
        filter("id <", Value::Integer(id));
    }
    if let Some(id) = q.after_id {
        filter("id >", Value::Integer(id));
    }
    if q.forward_only {
        text.push_str(" AND fwd = 1");
    }
    let order = if q.oldest_first { "ASC" } else { "DESC" };
    let limit = fixed + args.len() + 1;
    text.push_str(&format!(" ORDER BY id {order} LIMIT ?{limit}"));
    Select { text, args }
}

/// A stored row back as a [`Row`]; a value the writer never writes (a file edited by hand) is
/// an error naming its column, not a guess.
fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    let seq: Vec<u8> = r.get(6)?;
    let dir: String = r.get(4)?;
    let order: String = r.get(7)?;
    let raw: Vec<u8> = r.get(8)?;
    let entry = Entry {
        time_ms: r.get(1)?,
        pile: r.get(2)?,
        conn: u64::try_from(r.get::<_, i64>(3)?).map_err(|e| bad(3, e.to_string()))?,
        direction: match dir.as_str() {
            "up" => Direction::Up,
            "down" => Direction::Down,
            other => return Err(bad(4, format!("dir `{other}` is neither up nor down"))),
        },
        code: r.get(5)?,
        seq: <[u8; 2]>::try_from(seq.as_slice())
            .map_err(|_| bad(6, format!("seq has {} bytes, not 2", seq.len())))?,
        crc_order: match order.as_str() {
            "le" => CrcOrder::LowFirst,
            "be" => CrcOrder::HighFirst,
            other => return Err(bad(7, format!("crc_order `{other}` is neither le nor be"))),
        },
        raw: raw.into(),
        event: match r.get::<_, Option<String>>(9)?.as_deref() {
            None => None,
            Some("online") => Some(Event::Online),
            Some("offline") => Some(Event::Offline),
            Some("command") => Some(Event::Command),
            Some(other) => {
                return Err(bad(
                    9,
                    format!("event `{other}` is not online, offline or command"),
                ))
            }
        },
        peer: r.get(10)?,
        forward: r.get(11)?,
        detail: r.get(12)?,
    };
    Ok(Row {
        id: r.get(0)?,
        entry,
    })
}

fn bad(column: usize, why: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, why.into())
}
