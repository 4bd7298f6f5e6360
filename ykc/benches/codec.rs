//! Codec benchmarks over the generated corpus: view+CRC, owned decode, encode and decode→JSON,
//! over the mixed corpus and per frame type, against the bare CRC as the baseline (the ceiling).

use bytes::BytesMut;
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::Duration;
use ykc::{crc16, CrcOrder, Message, MessageView, RawFrame};

/// Every corpus frame (whole frames), read from `tests/corpus`; panics on a defect, so a figure is
/// never measured over a partial corpus.
fn corpus() -> Vec<(u8, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/corpus is listable")
        .map(|e| e.expect("tests/corpus is listable").path())
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("corpus files are readable");
        let list: Vec<serde_json::Value> =
            serde_json::from_str(&text).expect("corpus files are JSON lists");
        for v in list {
            let hex = v["hex"].as_str().expect("corpus frames have `hex`");
            let code = v["code"].as_u64().expect("corpus frames have `code`");
            let bytes = ykc::hex::decode(hex).expect("corpus hex parses");
            out.push((u8::try_from(code).expect("codes are bytes"), bytes));
        }
    }
    assert!(!out.is_empty(), "no corpus frames in {}", dir.display());
    out
}

fn view_crc(frame: &[u8]) -> usize {
    match RawFrame::parse(frame) {
        Ok((raw, n)) => match MessageView::new(raw.header.code, raw.body) {
            Ok(_) => n,
            Err(_) => 0,
        },
        Err(_) => 0,
    }
}

fn owned(frame: &[u8]) -> Option<Message> {
    let (raw, _) = RawFrame::parse(frame).ok()?;
    Message::decode(raw.header.code, raw.body)
        .ok()
        .map(|(m, _)| m)
}

fn to_json(frame: &[u8], out: &mut Vec<u8>) {
    out.clear();
    if let Some(m) = owned(frame) {
        m.write_json(out);
    }
}

fn to_json_serde(frame: &[u8], out: &mut Vec<u8>) {
    out.clear();
    if let Some(m) = owned(frame) {
        let _ = serde_json::to_writer(&mut *out, &m);
    }
}

fn mixed(c: &mut Criterion) {
    let frames = corpus();
    let total: usize = frames.iter().map(|(_, b)| b.len()).sum();
    let joined: Vec<u8> = frames.iter().flat_map(|(_, b)| b.clone()).collect();
    let msgs: Vec<Message> = frames.iter().filter_map(|(_, b)| owned(b)).collect();
    let mut g = c.benchmark_group("mixed");
    g.throughput(Throughput::Bytes(total as u64));
    g.bench_function("baseline_crc16_per_frame", |b| {
        b.iter(|| {
            frames
                .iter()
                .map(|(_, f)| crc16(black_box(&f[2..f.len() - 2])) as usize)
                .sum::<usize>()
        })
    });
    g.bench_function("baseline_crc16_one_call", |b| {
        b.iter(|| crc16(black_box(&joined)))
    });
    g.bench_function("view_crc", |b| {
        b.iter(|| {
            frames
                .iter()
                .map(|(_, f)| view_crc(black_box(f)))
                .sum::<usize>()
        })
    });
    g.bench_function("owned_decode", |b| {
        b.iter(|| {
            frames
                .iter()
                .filter_map(|(_, f)| owned(black_box(f)))
                .count()
        })
    });
    let mut buf = BytesMut::with_capacity(512);
    g.bench_function("encode", |b| {
        b.iter(|| {
            for m in &msgs {
                buf.clear();
                let _ = m.write_frame([0, 0], CrcOrder::LowFirst, &mut buf);
            }
            buf.len()
        })
    });
    let mut json = Vec::with_capacity(4096);
    g.bench_function("decode_json", |b| {
        b.iter(|| {
            for (_, f) in &frames {
                to_json(black_box(f), &mut json);
            }
            json.len()
        })
    });
    g.bench_function("decode_json_via_serde", |b| {
        b.iter(|| {
            for (_, f) in &frames {
                to_json_serde(black_box(f), &mut json);
            }
            json.len()
        })
    });
    g.bench_function("envelope_json", |b| {
        b.iter(|| {
            json.clear();
            for (_, f) in &frames {
                let (env, _) =
                    ykc::envelope::Envelope::parse(black_box(f), ykc::envelope::Lang::Zh);
                env.write_json(&mut json);
                json.push(b'\n');
            }
            json.len()
        })
    });
    g.finish();
}

fn per_type(c: &mut Criterion) {
    let frames = corpus();
    let mut g = c.benchmark_group("per_type");
    g.warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(600))
        .sample_size(20);
    let mut json = Vec::with_capacity(4096);
    for (code, f) in &frames {
        g.throughput(Throughput::Elements(1));
        g.bench_with_input(
            BenchmarkId::new("view_crc", format!("{code:02x}")),
            f,
            |b, f| b.iter(|| view_crc(black_box(f))),
        );
        g.bench_with_input(
            BenchmarkId::new("decode_json", format!("{code:02x}")),
            f,
            |b, f| b.iter(|| to_json(black_box(f), &mut json)),
        );
    }
    g.finish();
}

criterion_group!(benches, mixed, per_type);
criterion_main!(benches);
