//! Pruning the oldest rows, by age and by size.
//!
//! Rows are deleted from the low end of the id range in chunks, in the writer thread, so a
//! prune never holds the write lock long and never needs an index on time: ids increase with
//! time, so the oldest rows are the lowest ids.
//!
//! The newest row is never deleted: SQLite gives a new row the largest id + 1, so an emptied
//! table would hand out ids again from 1, below the outbox cursors. Index entries go with their
//! rows (SQLite deletes both in one statement); the oldest rows' entries sit in the oldest
//! buckets of `frames_by_bucket`, so a prune rewrites few index pages.
//!
//! Size counts live pages (`page_count − freelist_count`): SQLite reuses freed pages, so the
//! file stays near its high-water mark (about `max_bytes`) instead of shrinking.

use rusqlite::{params, Connection};
use std::time::Duration;

/// Rows deleted per chunk.
const CHUNK: i64 = 10_000;
/// Chunks per prune call, so that appends wait for at most this much work.
const MAX_CHUNKS: usize = 20;

/// The limits to keep the journal within.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    max_age: Option<Duration>,
    max_bytes: Option<u64>,
}

impl Retention {
    /// Limits by age and/or size; `None` is no limit.
    pub fn new(max_age: Option<Duration>, max_bytes: Option<u64>) -> Self {
        Retention { max_age, max_bytes }
    }

    /// Deletes the oldest rows beyond the limits (bounded work per call); the rows deleted.
    pub fn prune(&self, conn: &mut Connection) -> Result<u64, rusqlite::Error> {
        let mut deleted = 0;
        for _ in 0..MAX_CHUNKS {
            let n = self.prune_chunk(conn)?;
            deleted += n;
            if n == 0 {
                break;
            }
        }
        Ok(deleted)
    }

    fn prune_chunk(&self, conn: &mut Connection) -> Result<u64, rusqlite::Error> {
        let (oldest, newest) = conn.query_row(super::query::ID_RANGE, [], |r| {
            Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, Option<i64>>(1)?))
        })?;
        let (Some(oldest), Some(newest)) = (oldest, newest) else {
            return Ok(0);
        };
        if let Some(excess) = self.excess(conn)? {
            // Delete the share of rows that the excess is of the live bytes (rows are of
            // similar size), at least one row and at most a chunk.
            let span = (newest - oldest + 1) as f64;
            let n = ((span * excess).ceil() as i64).clamp(1, CHUNK);
            let below = (oldest + n).min(newest);
            let gone = conn.execute("DELETE FROM frames WHERE id < ?1", params![below])?;
            return Ok(gone as u64);
        }
        let Some(max_age) = self.max_age else {
            return Ok(0);
        };
        let age_ms = i64::try_from(max_age.as_millis()).unwrap_or(i64::MAX);
        let cutoff = super::now_ms().saturating_sub(age_ms);
        let gone = conn.execute(
            "DELETE FROM frames WHERE id < ?1 AND time_ms < ?2",
            params![oldest.saturating_add(CHUNK).min(newest), cutoff],
        )?;
        Ok(gone as u64)
    }

    /// The share of live bytes above `max_bytes` (0..1), if over.
    fn excess(&self, conn: &Connection) -> Result<Option<f64>, rusqlite::Error> {
        let Some(max) = self.max_bytes else {
            return Ok(None);
        };
        let live: i64 = conn.query_row(
            "SELECT (page_count - freelist_count) * page_size \
             FROM pragma_page_count, pragma_freelist_count, pragma_page_size",
            [],
            |r| r.get(0),
        )?;
        let live = live.max(0) as f64;
        let max = max as f64;
        Ok((live > max).then(|| (live - max) / live))
    }
}
