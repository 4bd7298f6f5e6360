//! The journal's write ceiling: frames/s appended and committed (fsynced) by the writer thread
//! with group commit, into a real SQLite file in a temporary directory.

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ykc::journal::{now_ms, Entry, Journal, JournalConfig};
use ykc::meta::Direction;
use ykc::CrcOrder;

/// Rows per measured iteration.
const ROWS: u64 = 20_000;

fn entry(n: u64) -> Entry {
    Entry {
        time_ms: now_ms(),
        pile: Some(format!("320102{:08}", n % 10_000)),
        conn: n % 10_000,
        direction: Direction::Up,
        code: 0x13,
        seq: [(n & 0xFF) as u8, 0],
        crc_order: CrcOrder::LowFirst,
        // A real-time data frame (0x13) is 64 bytes on the wire.
        raw: Bytes::from(vec![0x68; 64]),
        event: None,
        peer: None,
        forward: true,
    }
}

fn journal(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let j = Journal::open(JournalConfig::new(dir.path().join("bench.db"))).expect("open");
    let mut g = c.benchmark_group("journal");
    g.throughput(Throughput::Elements(ROWS));
    g.sample_size(10);
    g.bench_function("append+commit 64-byte frames", |b| {
        b.iter(|| {
            rt.block_on(async {
                for n in 0..ROWS {
                    j.append(entry(n)).await.expect("append");
                }
                j.flush().await.expect("flush");
            })
        })
    });
    g.finish();
}

criterion_group!(benches, journal);
criterion_main!(benches);
