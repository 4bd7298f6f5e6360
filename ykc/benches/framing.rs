//! Framing throughput against the CRC ceiling.
//!
//! One buffer of ~64 KiB of back-to-back valid frames, 12..=170 bytes each
//! (bodies 2..=160, both CRC orders). Benches:
//! * `crc16/whole_buffer`: bare CRC-16/MODBUS over the whole buffer, the ceiling;
//! * `crc16/per_frame`: bare CRC over each frame's seq..body span, same calls as parse;
//! * `parse/raw_frame`: `RawFrame::parse` frame after frame (header checks + CRC);
//! * `decode/frame_codec`: `FrameCodec::decode` over the same bytes (owned frames).
//!
//! Results read as a ratio: parse GB/s / crc16 GB/s.

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tokio_util::codec::Decoder;
use ykc::{crc16, encode_frame, CrcOrder, FrameCodec, RawFrame};

/// Deterministic mix of frames totalling about `target` bytes; also returns
/// each frame's (start, len).
fn mixed_frames(target: usize) -> (Vec<u8>, Vec<(usize, usize)>) {
    let mut out = BytesMut::with_capacity(target + 256);
    let mut spans = Vec::new();
    let mut state: u32 = 0x1234_5678;
    let mut next = || {
        // xorshift32
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    let mut seq: u16 = 0;
    while out.len() < target {
        let body_len = 2 + (next() as usize % 159); // frame 12..=170 bytes
        let body: Vec<u8> = (0..body_len).map(|_| next() as u8).collect();
        let order = if next() & 1 == 0 {
            CrcOrder::LowFirst
        } else {
            CrcOrder::HighFirst
        };
        let code = (next() as u8) | 1;
        let start = out.len();
        encode_frame(seq.to_le_bytes(), 0, code, &body, order, &mut out).unwrap();
        spans.push((start, out.len() - start));
        seq = seq.wrapping_add(1);
    }
    (out.to_vec(), spans)
}

fn framing(c: &mut Criterion) {
    let (buf, spans) = mixed_frames(64 * 1024);
    let bytes = buf.len() as u64;

    let mut g = c.benchmark_group("framing");
    g.throughput(Throughput::Bytes(bytes));

    g.bench_function("crc16/whole_buffer", |b| b.iter(|| crc16(black_box(&buf))));

    g.bench_function("crc16/per_frame", |b| {
        b.iter(|| {
            let mut acc = 0u16;
            for &(start, len) in &spans {
                acc ^= crc16(black_box(&buf[start + 2..start + len - 2]));
            }
            acc
        })
    });

    g.bench_function("parse/raw_frame", |b| {
        b.iter(|| {
            let mut rest: &[u8] = black_box(&buf);
            let mut n = 0usize;
            while !rest.is_empty() {
                let (frame, used) = RawFrame::parse(rest).unwrap();
                black_box(&frame);
                rest = &rest[used..];
                n += 1;
            }
            n
        })
    });

    g.bench_function("decode/frame_codec", |b| {
        b.iter_batched(
            || BytesMut::from(&buf[..]),
            |mut input| {
                let mut codec = FrameCodec::new();
                while let Some(item) = codec.decode(&mut input).unwrap() {
                    black_box(&item);
                }
                codec.frames()
            },
            criterion::BatchSize::SmallInput,
        )
    });

    g.finish();
    eprintln!(
        "buffer: {} bytes, {} frames, mean frame {:.1} bytes",
        buf.len(),
        spans.len(),
        buf.len() as f64 / spans.len() as f64
    );
}

criterion_group!(benches, framing);
criterion_main!(benches);
