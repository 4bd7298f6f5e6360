//! The journal against real SQLite files in a temporary directory.

use super::*;
use std::sync::atomic::Ordering::Relaxed;

fn entry(pile: &str, code: u8, n: u8) -> Entry {
    Entry {
        time_ms: now_ms(),
        pile: Some(pile.to_owned()),
        conn: 7,
        direction: if code % 2 == 1 {
            Direction::Up
        } else {
            Direction::Down
        },
        code,
        seq: [n, 0],
        crc_order: CrcOrder::HighFirst,
        raw: Bytes::from(vec![0x68, 0x02, n, 0, 0, code, 0xAA, 0xBB]),
        event: None,
        peer: None,
        detail: None,
        forward: true,
    }
}

fn open(dir: &tempfile::TempDir) -> Journal {
    Journal::open(JournalConfig::new(dir.path().join("sub/journal.db"))).expect("open")
}

#[tokio::test]
async fn a_durable_append_is_on_disk_when_it_resolves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = open(&dir);
    let e = entry("32010200000001", 0x3B, 1);
    let id = j.append_durable(e.clone()).await.expect("durable");
    let rows = j.reader().expect("reader").rows(&Query {
        limit: 10,
        ..Query::default()
    });
    let rows = rows.expect("rows");
    assert_eq!(rows.len(), 1);
    let (id0, r) = (rows[0].id, &rows[0].entry);
    assert_eq!((id0, r.code, r.seq, r.conn), (id, 0x3B, [1, 0], 7));
    assert_eq!(
        (r.direction, r.crc_order),
        (Direction::Up, CrcOrder::HighFirst)
    );
    assert_eq!(r.raw, e.raw);
    assert_eq!(r.pile.as_deref(), Some("32010200000001"));
}

#[tokio::test]
async fn filters_and_paging_newest_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = open(&dir);
    for n in 0..10 {
        j.append(entry("32010200000001", 0x03, n))
            .await
            .expect("append");
        j.append(entry("32010200000002", 0x04, n))
            .await
            .expect("append");
    }
    j.append_durable(entry("32010200000001", 0x3B, 99))
        .await
        .expect("durable");
    let r = j.reader().expect("reader");
    let q = Query {
        pile: Some("32010200000001".into()),
        limit: 4,
        ..Query::default()
    };
    let page = r.rows(&q).expect("rows");
    assert_eq!(page.len(), 4);
    assert_eq!(page[0].entry.code, 0x3B, "newest first");
    assert!(page.windows(2).all(|w| w[0].id > w[1].id));
    let next = r
        .rows(&Query {
            before_id: Some(page[3].id),
            limit: 100,
            ..q.clone()
        })
        .expect("rows");
    assert_eq!(next.len(), 7, "11 rows of pile 1, 4 on the first page");
    let down = r
        .rows(&Query {
            direction: Some(Direction::Down),
            code: Some(0x04),
            limit: 100,
            ..Query::default()
        })
        .expect("rows");
    assert_eq!(down.len(), 10);
    assert!(down
        .iter()
        .all(|r| r.entry.pile.as_deref() == Some("32010200000002")));
    let none = r
        .rows(&Query {
            since_ms: Some(now_ms() + 60_000),
            limit: 100,
            ..Query::default()
        })
        .expect("rows");
    assert!(none.is_empty());
}

#[tokio::test]
async fn cursors_survive_reopening() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let j = open(&dir);
        let id = j
            .append_durable(entry("32010200000001", 0x3B, 1))
            .await
            .expect("durable");
        j.set_cursor("http", id).await.expect("cursor");
        j.set_cursor("http", id - 1)
            .await
            .expect("cursor never moves back");
        j.flush().await.expect("flush");
    }
    let j = open(&dir);
    let r = j.reader().expect("reader");
    assert_eq!(r.cursor("http").expect("cursor"), 1);
    assert_eq!(r.cursor("nats").expect("cursor"), 0);
    assert_eq!(r.last_id().expect("last"), 1);
}

#[tokio::test]
async fn group_commit_takes_many_rows_per_transaction() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = open(&dir);
    let waits: Vec<_> = (0..2000u32)
        .map(|n| {
            let j = j.clone();
            tokio::spawn(async move {
                j.append_durable(entry("32010200000001", 0x13, n as u8))
                    .await
            })
        })
        .collect();
    for w in waits {
        w.await.expect("task").expect("durable");
    }
    let s = j.stats();
    assert_eq!(s.committed.load(Relaxed), 2000);
    assert!(
        s.batches.load(Relaxed) < 2000,
        "{} transactions for 2000 rows",
        s.batches.load(Relaxed)
    );
}

#[tokio::test]
async fn retention_by_size_keeps_the_newest_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("j.db");
    let j = Journal::open(JournalConfig::new(&path)).expect("open");
    let mut big = entry("32010200000001", 0x13, 0);
    big.raw = Bytes::from(vec![0x55; 200]);
    for _ in 0..30_000 {
        j.append(big.clone()).await.expect("append");
    }
    j.flush().await.expect("flush");
    let mut conn = schema::open_writer(&path).expect("conn");
    let pruned = retention::Retention::new(None, Some(1 << 20))
        .prune(&mut conn)
        .expect("prune");
    let left: i64 = conn
        .query_row("SELECT count(*) FROM frames", [], |r| r.get(0))
        .expect("count");
    assert_eq!(pruned + left as u64, 30_000);
    // ~260 bytes a row in 1 MiB: a few thousand rows stay, not none.
    assert!((2_000..=5_000).contains(&left), "{left} rows left");
    let r = j.reader().expect("reader");
    assert_eq!(r.last_id().expect("last"), 30_000, "the newest row stays");
}

#[tokio::test]
async fn retention_by_age_deletes_only_old_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("j.db");
    let j = Journal::open(JournalConfig::new(&path)).expect("open");
    let mut old = entry("32010200000001", 0x03, 0);
    old.time_ms -= 3_600_000;
    for _ in 0..5 {
        j.append(old.clone()).await.expect("append");
    }
    j.append(entry("32010200000001", 0x03, 1))
        .await
        .expect("append");
    j.flush().await.expect("flush");
    let mut conn = schema::open_writer(&path).expect("conn");
    let pruned = retention::Retention::new(Some(Duration::from_secs(60)), None)
        .prune(&mut conn)
        .expect("prune");
    assert_eq!(pruned, 5);
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("j.db");
    let conn = rusqlite::Connection::open(&path).expect("sqlite");
    conn.pragma_update(None, "user_version", 99)
        .expect("pragma");
    drop(conn);
    let err = Journal::open(JournalConfig::new(&path)).expect_err("newer schema");
    assert!(
        matches!(err, JournalError::NewerSchema { found: 99, .. }),
        "{err}"
    );
}

/// A small deterministic generator (splitmix64): the random tests replay identically.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The pile codes of the random tests; None stands for a connection not logged in yet.
fn pile_of(n: u64) -> Option<String> {
    (n > 0).then(|| format!("320102{n:08}"))
}

/// A random entry of one of `piles` piles, at a time that grows with `n` (ids and times rise
/// together, as in a gateway).
fn random_entry(rng: &mut Rng, piles: u64, n: u64) -> Entry {
    let code = [0x03, 0x13, 0x3B, 0x40, 0x04][rng.below(5) as usize];
    let mut e = entry("", code, rng.below(256) as u8);
    e.pile = pile_of(rng.below(piles + 1));
    e.time_ms = 1_800_000_000_000 + (n as i64) * 10 + rng.below(20) as i64;
    e.forward = rng.chance(80);
    e
}

/// A random query over `piles` piles and ids up to `max_id`, times as [`random_entry`] makes.
fn random_query(rng: &mut Rng, piles: u64, max_id: i64, rows: u64) -> Query {
    let id = |rng: &mut Rng| rng.below(max_id as u64 + 2) as i64;
    let time = |rng: &mut Rng| 1_800_000_000_000 + rng.below(rows * 10 + 40) as i64;
    Query {
        pile: pile_of(1 + rng.below(piles + 1)), // now and then a pile with no rows
        since_ms: rng.chance(20).then(|| time(rng)),
        until_ms: rng.chance(20).then(|| time(rng)),
        code: rng.chance(25).then_some(0x13),
        direction: rng.chance(20).then_some(Direction::Down),
        before_id: rng.chance(30).then(|| id(rng)),
        after_id: rng.chance(30).then(|| id(rng)),
        oldest_first: rng.chance(40),
        forward_only: rng.chance(30),
        limit: [1, 7, 100, 10_000][rng.below(4) as usize],
    }
}

/// What `q` must return, by filtering every row of the journal (read in id order, without
/// the pile index).
fn brute_force(all: &[Row], q: &Query) -> Vec<Row> {
    let keep = |r: &&Row| {
        let e = &r.entry;
        q.pile.as_ref().is_none_or(|p| e.pile.as_ref() == Some(p))
            && q.since_ms.is_none_or(|t| e.time_ms >= t)
            && q.until_ms.is_none_or(|t| e.time_ms < t)
            && q.code.is_none_or(|c| e.code == c)
            && q.direction.is_none_or(|d| e.direction == d)
            && q.before_id.is_none_or(|id| r.id < id)
            && q.after_id.is_none_or(|id| r.id > id)
            && (!q.forward_only || e.forward)
    };
    let mut rows: Vec<Row> = all.iter().filter(keep).cloned().collect();
    if !q.oldest_first {
        rows.reverse();
    }
    rows.truncate(q.limit);
    rows
}

/// Every row, oldest first, by a plain scan of the table.
fn all_rows(path: &std::path::Path) -> Vec<Row> {
    let q = Query {
        oldest_first: true,
        limit: usize::MAX,
        ..Query::default()
    };
    Reader::open(path)
        .expect("reader")
        .rows(&q)
        .expect("all rows")
}

/// Runs `queries` random pile queries against `path` and checks each against the brute force.
fn check_pile_queries(path: &std::path::Path, rng: &mut Rng, piles: u64, queries: usize) {
    let all = all_rows(path);
    let max_id = all.last().map_or(0, |r| r.id);
    let reader = Reader::open(path).expect("reader");
    let mut nonempty = 0;
    for _ in 0..queries {
        let q = random_query(rng, piles, max_id, all.len() as u64);
        let got = reader.rows(&q).expect("rows");
        let want = brute_force(&all, &q);
        let ids = |rows: &[Row]| rows.iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(&got), ids(&want), "{q:?}");
        assert_eq!(got, want, "{q:?}");
        nonempty += usize::from(!got.is_empty());
    }
    assert!(nonempty > queries / 4, "only {nonempty} queries found rows");
}

/// SQLite's own check: every index entry matches its row and the reverse.
fn integrity(path: &std::path::Path) {
    let conn = rusqlite::Connection::open(path).expect("sqlite");
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(ok, "ok");
}

/// Moves the next id to the start of a later bucket (a row of no pile), so that the rows
/// written next spread over more buckets than a test could write in reasonable time.
fn skip_buckets(path: &std::path::Path, buckets: i64) {
    let conn = schema::open_writer(path).expect("conn");
    let jump = buckets << schema::BUCKET_BITS;
    conn.execute(
        "INSERT INTO frames (id, time_ms, pile, conn, dir, type, seq, crc_order, raw, fwd) \
         SELECT coalesce(max(id), 0) + ?1, 0, NULL, 0, 'up', 0, x'0000', 'le', x'', 0 FROM frames",
        [jump],
    )
    .expect("skip");
    // Everything into the database file, the log emptied: the next session's log holds only
    // its own commits.
    let busy: i64 = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
        .expect("checkpoint");
    assert_eq!(busy, 0, "the checkpoint completed");
}

/// Opens the journal at `path`, appends `count` random rows (numbered from `*n`), closes it.
async fn fill(path: &std::path::Path, rng: &mut Rng, piles: u64, n: &mut u64, count: usize) {
    let j = Journal::open(JournalConfig::new(path)).expect("open");
    for _ in 0..count {
        j.append(random_entry(rng, piles, *n))
            .await
            .expect("append");
        *n += 1;
    }
    j.flush().await.expect("flush");
}

#[tokio::test]
async fn pile_queries_match_a_brute_force_scan_across_buckets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("j.db");
    let mut rng = Rng(9);
    let piles = 300;
    let mut n = 0;
    for round in 0..12 {
        fill(&path, &mut rng, piles, &mut n, 1_500).await;
        skip_buckets(&path, 1 + round % 3);
    }
    integrity(&path);
    check_pile_queries(&path, &mut rng, piles, 400);
}

#[tokio::test]
async fn pile_queries_hold_after_retention() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("j.db");
    let mut rng = Rng(17);
    let piles = 50;
    let mut n = 0;
    for _ in 0..6 {
        fill(&path, &mut rng, piles, &mut n, 3_000).await;
        skip_buckets(&path, 1);
    }
    let before = all_rows(&path).len();
    let mut conn = schema::open_writer(&path).expect("conn");
    let pruned = retention::Retention::new(None, Some(1 << 20))
        .prune(&mut conn)
        .expect("prune");
    drop(conn);
    assert!(pruned > 0, "nothing pruned");
    assert_eq!(all_rows(&path).len() as u64, before as u64 - pruned);
    integrity(&path);
    check_pile_queries(&path, &mut rng, piles, 300);
}

#[tokio::test]
async fn a_torn_write_ahead_log_recovers_to_a_consistent_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("j.db");
    let mut rng = Rng(23);
    let piles = 200;
    let mut n = 0;
    fill(&path, &mut rng, piles, &mut n, 4_000).await;
    skip_buckets(&path, 1);
    let kept = all_rows(&path).len();
    // The journal stays open while its files are copied, as a kill -9 leaves them: the last
    // session's commits are still in the write-ahead log (a few hundred pages, below SQLite's
    // automatic checkpoint). Its copy is cut at random places, a commit torn mid-write.
    let j = Journal::open(JournalConfig::new(&path)).expect("open");
    for _ in 0..20 {
        for _ in 0..100 {
            j.append(random_entry(&mut rng, piles, n))
                .await
                .expect("append");
            n += 1;
        }
        j.flush().await.expect("flush"); // one transaction of 100 rows
    }
    let wal = std::fs::read(path.with_extension("db-wal")).expect("wal");
    let db = std::fs::read(&path).expect("db");
    for cut in [wal.len(), wal.len() - 1, wal.len() / 2 + 7, 100, 0] {
        let crash = dir.path().join(format!("crash{cut}.db"));
        std::fs::write(&crash, &db).expect("copy db");
        std::fs::write(crash.with_extension("db-wal"), &wal[..cut]).expect("copy wal");
        let reopened = Journal::open(JournalConfig::new(&crash)).expect("reopen after crash");
        drop(reopened);
        integrity(&crash);
        let rows = all_rows(&crash).len();
        assert!(
            (kept..=kept + 2_000).contains(&rows),
            "{rows} rows after the cut at {cut}"
        );
        if cut == wal.len() {
            assert_eq!(rows, kept + 2_000, "the whole log replays");
        }
        check_pile_queries(&crash, &mut rng, piles, 100);
    }
    drop(j);
}

#[tokio::test]
async fn retention_keeps_the_newest_row_so_ids_never_repeat() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("j.db");
    let mut old = entry("32010200000001", 0x03, 0);
    old.time_ms -= 3_600_000;
    {
        let j = Journal::open(JournalConfig::new(&path)).expect("open");
        for _ in 0..5 {
            j.append(old.clone()).await.expect("append");
        }
        j.flush().await.expect("flush");
    }
    let mut conn = schema::open_writer(&path).expect("conn");
    let by_age = retention::Retention::new(Some(Duration::from_secs(60)), None);
    assert_eq!(by_age.prune(&mut conn).expect("prune"), 4);
    let by_size = retention::Retention::new(None, Some(1));
    assert_eq!(by_size.prune(&mut conn).expect("prune"), 0);
    drop(conn);
    let j = Journal::open(JournalConfig::new(&path)).expect("open");
    let id = j.append_durable(old).await.expect("durable");
    assert_eq!(id, 6, "ids go on from the newest row kept");
}

#[tokio::test]
async fn each_durable_append_gets_the_id_of_its_own_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = open(&dir);
    // Submitted together, so that the writer takes them in batches of many rows (written by
    // multi-row INSERTs) and of a few.
    let mut waits = Vec::new();
    for n in 1..=1_000u64 {
        let mut e = entry("32010200000001", 0x13, 0);
        e.conn = n;
        waits.push((n, j.submit(e).await.expect("submit")));
    }
    let reader = j.reader().expect("reader");
    for (n, durable) in waits {
        let id = durable.wait().await.expect("durable");
        let rows = reader
            .rows(&Query {
                after_id: Some(id - 1),
                oldest_first: true,
                limit: 1,
                ..Query::default()
            })
            .expect("rows");
        assert_eq!((rows[0].id, rows[0].entry.conn), (id, n));
    }
}
