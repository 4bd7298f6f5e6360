//! The journal at 10,000 piles, into real SQLite files in a temporary directory:
//!
//! - `journal append`: frames/s appended and committed (fsynced) by the writer thread with
//!   group commit, into a journal already holding a million rows: with the per-pile index this
//!   build creates (`frames_by_bucket`: `(id >> 14, pile)`), with the plain `(pile, id)` index
//!   it replaced (swapped in on the same file), and with none (the table's own ceiling);
//! - `journal read`: the newest 100 frames of one pile (what `GET /piles/{pile}/frames` and
//!   `ykc journal --pile` ask first) in a journal of 5 million rows, through each index; the
//!   same for a pile with no rows (a seek in every bucket); and the outbox's read, the next 512
//!   forwarded rows after its cursor.
//!
//! The journals are filled by SQL (`INSERT … SELECT` from a counter), which takes seconds
//! where appends would take minutes; the measured appends go through `Journal::append`.

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use rusqlite::Connection;
use std::path::Path;
use std::time::Duration;
use ykc::journal::{now_ms, Entry, Journal, JournalConfig, Query, Reader};
use ykc::meta::Direction;
use ykc::CrcOrder;

/// Piles the frames come from, in turn.
const PILES: u64 = 10_000;
/// Rows per measured append iteration.
const ROWS: u64 = 20_000;
/// Rows in the journal before appends are measured: the plain index's cost grows with it.
const PREFILL: u64 = 1_000_000;
/// Rows in the journal that reads are measured on.
const READ_ROWS: u64 = 5_000_000;

fn pile(n: u64) -> String {
    format!("320102{:08}", n % PILES)
}

fn entry(n: u64) -> Entry {
    Entry {
        time_ms: now_ms(),
        pile: Some(pile(n)),
        conn: n % PILES,
        direction: Direction::Up,
        code: 0x13,
        seq: [(n & 0xFF) as u8, 0],
        crc_order: CrcOrder::LowFirst,
        // A real-time data frame (0x13) is 64 bytes on the wire.
        raw: Bytes::from(vec![0x68; 64]),
        event: None,
        peer: None,
        detail: None,
        forward: true,
    }
}

/// The per-pile index of a journal under test.
#[derive(Clone, Copy)]
enum Index {
    /// This build's `frames_by_bucket`.
    Bucketed,
    /// The `(pile, id)` index it replaced.
    Plain,
    /// No per-pile index: the ceiling of the table alone.
    None,
}

/// A connection beside the journal's writer, for filling and re-indexing.
fn side(path: &Path) -> Connection {
    let conn = Connection::open(path).expect("sqlite");
    conn.busy_timeout(Duration::from_secs(30)).expect("busy");
    conn.pragma_update(None, "cache_size", -262_144)
        .expect("cache");
    conn
}

/// Appends `rows` frames of `PILES` piles by SQL, in one transaction.
fn fill(conn: &Connection, rows: u64) {
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1)
         INSERT INTO frames (time_ms, pile, conn, dir, type, seq, crc_order, raw, fwd)
         SELECT ?2 + i / 20, printf('320102%08d', i % ?3), i % ?3, 'up', 19, x'0000', 'le',
                zeroblob(64), 1 FROM n",
        rusqlite::params![rows as i64, now_ms(), PILES as i64],
    )
    .expect("fill");
}

/// Adds the plain `(pile, id)` index (and drops the bucketed one unless `keep`).
fn plain_index(conn: &Connection, keep: bool) {
    if !keep {
        conn.execute_batch("DROP INDEX frames_by_bucket")
            .expect("drop");
    }
    conn.execute_batch("CREATE INDEX frames_by_pile ON frames (pile, id)")
        .expect("index");
}

/// A journal of `PREFILL` rows with `index`, open for appends.
fn journal_with(dir: &Path, name: &str, index: Index) -> Journal {
    let path = dir.join(format!("{name}.db"));
    let j = Journal::open(JournalConfig::new(&path)).expect("open");
    let conn = side(&path);
    fill(&conn, PREFILL);
    match index {
        Index::Bucketed => {}
        Index::Plain => plain_index(&conn, false),
        Index::None => conn
            .execute_batch("DROP INDEX frames_by_bucket")
            .expect("drop"),
    }
    j
}

fn append(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut g = c.benchmark_group("journal append");
    g.throughput(Throughput::Elements(ROWS));
    g.sample_size(10);
    g.sampling_mode(SamplingMode::Flat);
    g.warm_up_time(Duration::from_secs(1));
    let variants = [
        ("plain (pile, id) index", Index::Plain),
        ("bucketed (id >> 14, pile) index", Index::Bucketed),
        ("no per-pile index", Index::None),
    ];
    for (name, index) in variants {
        let j = std::cell::OnceCell::new();
        let mut n = 0;
        g.bench_function(name, |b| {
            let j = j.get_or_init(|| journal_with(dir.path(), name, index));
            b.iter(|| {
                rt.block_on(async {
                    for _ in 0..ROWS {
                        j.append(entry(n)).await.expect("append");
                        n += 1;
                    }
                    j.flush().await.expect("flush");
                })
            })
        });
    }
    g.finish();
}

/// A journal of `READ_ROWS` rows with both indexes, and a connection to read it through each.
struct ReadFixture {
    _dir: tempfile::TempDir,
    reader: Reader,
    /// A connection like the reader's (read-only, SQLite's default cache) for the old query.
    plain: Connection,
}

fn read_fixture() -> ReadFixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("read.db");
    drop(Journal::open(JournalConfig::new(&path)).expect("open"));
    let conn = side(&path);
    fill(&conn, READ_ROWS);
    plain_index(&conn, true);
    drop(conn);
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
    ReadFixture {
        reader: Reader::open(&path).expect("reader"),
        plain: Connection::open_with_flags(&path, flags).expect("sqlite"),
        _dir: dir,
    }
}

fn read(c: &mut Criterion) {
    let fixture = std::cell::OnceCell::new();
    let mut g = c.benchmark_group("journal read, 5M rows");
    g.sample_size(50);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(3));
    let mut n = 0;
    g.bench_function("newest 100 of a pile, plain index", |b| {
        let f = fixture.get_or_init(read_fixture);
        // The statement the reader ran on the plain index.
        let mut stmt = f
            .plain
            .prepare_cached(
                "SELECT id, time_ms, pile, conn, dir, type, seq, crc_order, raw, event, peer, \
                 fwd FROM frames INDEXED BY frames_by_pile WHERE pile = ?1 \
                 ORDER BY id DESC LIMIT 100",
            )
            .expect("prepare");
        b.iter(|| {
            n += 7_919; // a prime: every pile in turn, not in index order
            let rows = stmt.query_map([pile(n)], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(8)?))
            });
            let rows: Vec<_> = rows.expect("query").collect();
            assert_eq!(rows.len(), 100);
        })
    });
    g.bench_function("newest 100 of a pile, bucketed index", |b| {
        let f = fixture.get_or_init(read_fixture);
        b.iter(|| {
            n += 7_919;
            let q = Query {
                pile: Some(pile(n)),
                limit: 100,
                ..Query::default()
            };
            assert_eq!(f.reader.rows(&q).expect("rows").len(), 100);
        })
    });
    g.bench_function("newest 100 of a pile with none, bucketed index", |b| {
        let f = fixture.get_or_init(read_fixture);
        // The worst case: a seek in every bucket of the journal (306 of them).
        let q = Query {
            pile: Some("32010299999999".into()),
            limit: 100,
            ..Query::default()
        };
        b.iter(|| assert!(f.reader.rows(&q).expect("rows").is_empty()))
    });
    g.bench_function("outbox: 512 forwarded rows after a cursor", |b| {
        let f = fixture.get_or_init(read_fixture);
        b.iter(|| {
            n += 7_919;
            let q = Query {
                after_id: Some((n * 97 % READ_ROWS) as i64),
                forward_only: true,
                oldest_first: true,
                limit: 512,
                ..Query::default()
            };
            assert!(!f.reader.rows(&q).expect("rows").is_empty());
        })
    });
    g.finish();
}

criterion_group!(benches, append, read);
criterion_main!(benches);
