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
