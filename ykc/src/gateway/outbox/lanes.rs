//! The outbox's scheduling state, pure (no I/O, no clock): which journal rows are held in
//! memory, which pile is served next, and how far the sink's cursor may advance.
//!
//! - Rows are read from the journal in id order and put in their pile's lane. A lane delivers
//!   one row at a time, so a pile's rows reach the sink in journal order.
//! - Lanes take turns (round robin), so a pile with a long backlog cannot delay the others.
//! - A lane holds at most `cap` rows. Further rows of that pile are not held: the pile is
//!   *parked* from its first skipped id and its rows are re-read from the journal once the lane
//!   has drained. A flooding pile therefore costs a bounded amount of memory and never pushes
//!   other piles' rows out of the reader's window.
//! - The watermark (everything at or below it is delivered) is one below the lowest id still
//!   held or parked; it is the cursor persisted in the journal, so a restart resumes there and
//!   redelivers at most what was in flight (at-least-once, with the same ids).

use crate::journal::Row;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// Which lane a row belongs to: its pile, or its connection before a login.
pub type Key = String;

/// The lane key of a row.
pub fn key_of(row: &Row) -> Key {
    super::lane_key(row.entry.pile.as_deref(), row.entry.conn)
}

#[derive(Debug, Default)]
struct Lane {
    rows: VecDeque<Row>,
    busy: bool,
}

/// A parked pile: rows from `from` on are in the journal, not in memory.
#[derive(Debug, Clone, Copy)]
struct Parked {
    from: i64,
    time_ms: i64,
}

/// See the module documentation.
#[derive(Debug)]
pub struct Lanes {
    cap: usize,
    lanes: HashMap<Key, Lane>,
    ready: VecDeque<Key>,
    /// Every held row (queued or in flight): id → time, for the watermark and the backlog age.
    held: BTreeMap<i64, i64>,
    parked: HashMap<Key, Parked>,
    /// Lanes drained while parked, waiting to be refilled from the journal.
    refill: Vec<(Key, i64)>,
    /// The highest id read from the journal (every forwarded row up to it was offered).
    scanned: i64,
}

impl Lanes {
    /// Empty, resuming after `cursor` (the persisted watermark), `cap` rows per lane.
    pub fn new(cursor: i64, cap: usize) -> Lanes {
        Lanes {
            cap: cap.max(1),
            lanes: HashMap::new(),
            ready: VecDeque::new(),
            held: BTreeMap::new(),
            parked: HashMap::new(),
            refill: Vec::new(),
            scanned: cursor,
        }
    }

    /// The highest id read from the journal.
    pub fn scanned(&self) -> i64 {
        self.scanned
    }

    /// Rows held in memory.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// Every row up to `id` was read (rows the outbox does not forward included).
    pub fn scanned_to(&mut self, id: i64) {
        self.scanned = self.scanned.max(id);
    }

    /// A row read from the journal in id order.
    pub fn offer(&mut self, row: Row) {
        self.scanned_to(row.id);
        let key = key_of(&row);
        if self.parked.contains_key(&key) {
            return; // re-read from the journal when its lane has drained
        }
        let lane = self.lanes.entry(key.clone()).or_default();
        // Only piles are parked (their rows can be re-read by pile); rows before a login are few.
        if lane.rows.len() >= self.cap && row.entry.pile.is_some() {
            let parked = Parked {
                from: row.id,
                time_ms: row.entry.time_ms,
            };
            self.parked.insert(key, parked);
            return;
        }
        self.held.insert(row.id, row.entry.time_ms);
        let idle = lane.rows.is_empty() && !lane.busy;
        lane.rows.push_back(row);
        if idle {
            self.ready.push_back(key);
        }
    }

    /// Up to `max` rows to deliver together, in order: the lanes in turn, each with every row it
    /// holds (at most `cap`) while room is left. Each lane taken is busy until
    /// [`Lanes::done_batch`]. For sinks that keep order over one connection (NATS), so a batch
    /// can be published at once and confirmed with one flush or its acks.
    pub fn next_batch(&mut self, max: usize) -> Vec<(Key, Row)> {
        let mut out = Vec::new();
        let mut skipped = Vec::new();
        while out.len() < max {
            let Some(key) = self.ready.pop_front() else {
                break;
            };
            let Some(lane) = self.lanes.get_mut(&key) else {
                continue;
            };
            if lane.rows.len() > max - out.len() && !out.is_empty() {
                skipped.push(key); // next batch: a lane is never split across two in flight
                break;
            }
            let take = lane.rows.len().min(max - out.len());
            lane.busy = true;
            out.extend(lane.rows.drain(..take).map(|r| (key.clone(), r)));
        }
        for key in skipped.into_iter().rev() {
            self.ready.push_front(key);
        }
        out
    }

    /// Every row of a batch from [`Lanes::next_batch`] was delivered.
    pub fn done_batch(&mut self, batch: &[(Key, i64)]) {
        for (_, id) in batch {
            self.held.remove(id);
        }
        let mut keys: Vec<&Key> = batch.iter().map(|(k, _)| k).collect();
        keys.dedup();
        for key in keys {
            self.release(key);
        }
    }

    /// Lane `key` has nothing in flight any more: back in turn, refilled, or gone.
    fn release(&mut self, key: &Key) {
        let Some(lane) = self.lanes.get_mut(key) else {
            return;
        };
        lane.busy = false;
        if !lane.rows.is_empty() {
            self.ready.push_back(key.clone());
            return;
        }
        match self.parked.get(key) {
            Some(p) => self.refill.push((key.clone(), p.from)),
            None => {
                self.lanes.remove(key);
            }
        }
    }

    /// Parked lanes that drained: (pile, first id to re-read). The caller reads up to
    /// `cap` rows of the pile with ids in `from..=scanned` and hands them to [`Lanes::refill`].
    pub fn take_refills(&mut self) -> Vec<(Key, i64)> {
        std::mem::take(&mut self.refill)
    }

    /// The most rows one refill reads.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Rows of a parked pile re-read from the journal (ids from its parked id, in order, at most
    /// [`Lanes::cap`]; fewer means none is left up to [`Lanes::scanned`]).
    pub fn refill(&mut self, key: &Key, rows: Vec<Row>) {
        let complete = rows.len() < self.cap;
        let next = rows.last().map(|r| (r.id + 1, r.entry.time_ms));
        let lane = self.lanes.entry(key.clone()).or_default();
        for row in rows {
            self.held.insert(row.id, row.entry.time_ms);
            lane.rows.push_back(row);
        }
        let has_rows = !lane.rows.is_empty();
        match (complete, next) {
            (true, _) => {
                self.parked.remove(key);
            }
            (false, Some((from, time_ms))) => {
                self.parked.insert(key.clone(), Parked { from, time_ms });
            }
            (false, None) => {} // cap 0 cannot happen (cap ≥ 1)
        }
        if has_rows && !lane.busy {
            self.ready.push_back(key.clone());
        } else if !has_rows && !lane.busy {
            self.lanes.remove(key);
        }
    }

    /// Rows not delivered yet, given the last committed id: held rows, one per parked pile, and
    /// the ids not read yet.
    pub fn backlog(&self, last: i64) -> u64 {
        let unread = u64::try_from(last.saturating_sub(self.scanned)).unwrap_or(0);
        (self.held.len() + self.parked.len()) as u64 + unread
    }

    /// Everything at or below this id is delivered: the cursor to persist.
    pub fn watermark(&self) -> i64 {
        let held = self.held.keys().next().copied();
        let parked = self.parked.values().map(|p| p.from).min();
        match held.into_iter().chain(parked).min() {
            Some(lowest) => lowest - 1,
            None => self.scanned,
        }
    }

    /// Whether row `id` of lane `key` has been delivered.
    pub fn is_delivered(&self, id: i64, key: &Key) -> bool {
        id <= self.scanned
            && !self.held.contains_key(&id)
            && self.parked.get(key).is_none_or(|p| p.from > id)
    }

    /// The time (Unix ms) of the oldest row not yet delivered that was read, if any.
    pub fn oldest_ms(&self) -> Option<i64> {
        let held = self.held.values().copied().min();
        let parked = self.parked.values().map(|p| p.time_ms).min();
        held.into_iter().chain(parked).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Entry;

    fn row(id: i64, pile: &str) -> Row {
        let mut entry = Entry::event(crate::journal::Event::Online, pile.into(), 1, "p".into());
        entry.time_ms = id * 10;
        Row { id, entry }
    }

    /// The next row alone (a batch of one), as an HTTP worker takes it.
    fn next(l: &mut Lanes) -> Option<(Key, Row)> {
        l.next_batch(1).pop()
    }

    fn done(l: &mut Lanes, key: &Key, id: i64) {
        l.done_batch(&[(key.clone(), id)]);
    }

    fn drain(l: &mut Lanes) -> Vec<i64> {
        let mut out = Vec::new();
        while let Some((k, r)) = next(l) {
            out.push(r.id);
            done(l, &k, r.id);
        }
        out
    }

    #[test]
    fn lanes_take_turns_and_keep_each_piles_order() {
        let mut l = Lanes::new(0, 100);
        for (id, p) in [(1, "a"), (2, "a"), (3, "a"), (4, "b"), (5, "c"), (6, "b")] {
            l.offer(row(id, p));
        }
        assert_eq!(drain(&mut l), [1, 4, 5, 2, 6, 3]);
        assert_eq!(l.watermark(), 6);
        assert_eq!(l.held(), 0);
    }

    #[test]
    fn a_busy_lane_delivers_one_row_at_a_time() {
        let mut l = Lanes::new(0, 100);
        l.offer(row(1, "a"));
        l.offer(row(2, "a"));
        let (k, r) = next(&mut l).unwrap();
        assert_eq!(r.id, 1);
        assert!(next(&mut l).is_none(), "row 2 waits for row 1");
        assert_eq!(l.watermark(), 0);
        done(&mut l, &k, 1);
        assert_eq!(l.watermark(), 1);
        assert_eq!(next(&mut l).unwrap().1.id, 2);
    }

    #[test]
    fn the_watermark_waits_for_the_lowest_row_in_flight() {
        let mut l = Lanes::new(10, 100);
        l.offer(row(11, "a"));
        l.offer(row(12, "b"));
        let (ka, a) = next(&mut l).unwrap();
        let (kb, b) = next(&mut l).unwrap();
        done(&mut l, &kb, b.id);
        assert_eq!(l.watermark(), 10, "11 is still in flight");
        assert!(l.is_delivered(12, &kb) && !l.is_delivered(11, &ka));
        assert!(!l.is_delivered(13, &kb), "not read yet");
        done(&mut l, &ka, a.id);
        assert_eq!(l.watermark(), 12);
    }

    #[test]
    fn a_flooding_pile_is_parked_and_refilled_from_the_journal() {
        let mut l = Lanes::new(0, 2);
        for id in 1..=5 {
            l.offer(row(id, "flood"));
        }
        l.offer(row(6, "quiet"));
        assert_eq!(l.held(), 3, "two of the flood, one quiet");
        assert_eq!(l.watermark(), 0);
        assert!(!l.is_delivered(4, &"flood".to_string()));
        // The quiet pile is served in turn, not after the flood.
        let order: Vec<i64> = std::iter::from_fn(|| {
            let (k, r) = next(&mut l)?;
            done(&mut l, &k, r.id);
            Some(r.id)
        })
        .collect();
        assert_eq!(order, [1, 6, 2]);
        assert_eq!(l.watermark(), 2, "3 is parked");
        assert_eq!(l.backlog(8), 1 + 2, "one parked pile, ids 7 and 8 not read");
        let refills = l.take_refills();
        assert_eq!(refills, [("flood".to_string(), 3)]);
        l.refill(&"flood".to_string(), vec![row(3, "flood"), row(4, "flood")]);
        assert_eq!(drain(&mut l), [3, 4]);
        assert_eq!(l.take_refills(), [("flood".to_string(), 5)]);
        l.refill(&"flood".to_string(), vec![row(5, "flood")]);
        assert_eq!(drain(&mut l), [5]);
        assert!(l.take_refills().is_empty());
        assert_eq!(l.watermark(), 6);
        assert_eq!(l.oldest_ms(), None);
    }

    #[test]
    fn a_batch_takes_whole_lanes_in_turn_and_never_splits_one() {
        let mut l = Lanes::new(0, 10);
        for (id, p) in [(1, "a"), (2, "a"), (3, "b"), (4, "c"), (5, "c"), (6, "c")] {
            l.offer(row(id, p));
        }
        let ids = |b: &[(Key, Row)]| b.iter().map(|(_, r)| r.id).collect::<Vec<_>>();
        let first = l.next_batch(4);
        assert_eq!(
            ids(&first),
            [1, 2, 3],
            "c's three rows wait for the next batch"
        );
        l.offer(row(7, "a"));
        let second = l.next_batch(4);
        assert_eq!(ids(&second), [4, 5, 6], "a is busy: its new row waits");
        let done: Vec<(Key, i64)> = first.iter().map(|(k, r)| (k.clone(), r.id)).collect();
        l.done_batch(&done);
        assert_eq!(l.watermark(), 3);
        assert_eq!(ids(&l.next_batch(4)), [7]);
    }

    #[test]
    fn rows_before_a_login_get_a_lane_per_connection() {
        let mut r = row(1, "x");
        r.entry.pile = None;
        r.entry.conn = 42;
        assert_eq!(key_of(&r), "conn:42");
    }
}
