//! Reading the journal: filtered pages of rows, and the outbox cursors.

use super::schema::open_reader;
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
        let (sql, args) = select(q);
        let err = sqlite(&self.path);
        let mut stmt = self.conn.prepare_cached(&sql).map_err(&err)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), row)
            .map_err(&err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(&err)
    }

    /// The last id `sink` delivered (0 when it never delivered anything).
    pub fn cursor(&self, sink: &str) -> Result<i64, JournalError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT last_id FROM cursors WHERE sink = ?1")
            .map_err(sqlite(&self.path))?;
        let mut rows = stmt.query([sink]).map_err(sqlite(&self.path))?;
        match rows.next().map_err(sqlite(&self.path))? {
            Some(r) => r.get(0).map_err(sqlite(&self.path)),
            None => Ok(0),
        }
    }

    /// The largest id in the journal (0 when empty).
    pub fn last_id(&self) -> Result<i64, JournalError> {
        self.conn
            .query_row("SELECT coalesce(max(id), 0) FROM frames", [], |r| r.get(0))
            .map_err(sqlite(&self.path))
    }
}

/// The SQL and its arguments for `q`.
fn select(q: &Query) -> (String, Vec<Value>) {
    let mut sql = String::from(
        "SELECT id, time_ms, pile, conn, dir, type, seq, crc_order, raw, event, peer, fwd \
         FROM frames WHERE 1",
    );
    let mut args: Vec<Value> = Vec::new();
    let mut filter = |clause: &str, v: Value| {
        args.push(v);
        sql.push_str(&format!(" AND {clause} ?{}", args.len()));
    };
    if let Some(p) = &q.pile {
        filter("pile =", Value::Text(p.clone()));
    }
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
        sql.push_str(" AND fwd = 1");
    }
    let order = if q.oldest_first { "ASC" } else { "DESC" };
    let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
    sql.push_str(&format!(" ORDER BY id {order} LIMIT {limit}"));
    (sql, args)
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
            Some(other) => {
                return Err(bad(
                    9,
                    format!("event `{other}` is neither online nor offline"),
                ))
            }
        },
        peer: r.get(10)?,
        forward: r.get(11)?,
    };
    Ok(Row {
        id: r.get(0)?,
        entry,
    })
}

fn bad(column: usize, why: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, why.into())
}
