//! Stream-level tests of `FrameCodec`: arbitrary chunking, garbage between
//! frames, EOF recovery, and a real `FramedRead` over a tokio duplex pipe.

use std::collections::HashSet;

use bytes::BytesMut;
use futures::{SinkExt, StreamExt};
use proptest::collection::vec;
use proptest::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::codec::{Decoder, Framed, FramedRead};
use ykc::{
    encode_frame, CrcOrder, DropReason, FrameCodec, OutFrame, OwnedFrame, RawFrame, StreamItem,
    START,
};

/// A valid frame: its wire bytes and what the decoder must return for it.
#[derive(Debug, Clone)]
struct Valid {
    wire: Vec<u8>,
    expected: OwnedFrame,
}

fn make(seq: [u8; 2], encrypt: u8, code: u8, body: &[u8], order: CrcOrder) -> Valid {
    let mut out = BytesMut::new();
    encode_frame(seq, encrypt, code, body, order, &mut out).unwrap();
    let wire = out.to_vec();
    let expected = RawFrame::parse(&wire).unwrap().0.to_owned().unwrap();
    Valid { wire, expected }
}

fn arb_order() -> impl Strategy<Value = CrcOrder> {
    prop_oneof![Just(CrcOrder::LowFirst), Just(CrcOrder::HighFirst)]
}

prop_compose! {
    /// A random valid frame: any code and seq, plain or 3DES flag, body 0..=60.
    fn arb_valid()(
        code in any::<u8>(),
        seq in any::<[u8; 2]>(),
        encrypt in 0u8..=1,
        body in vec(any::<u8>(), 0..=60),
        order in arb_order(),
    ) -> Valid {
        make(seq, encrypt, code, &body, order)
    }
}

/// Garbage that contains no 0x68.
fn arb_clean_garbage() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        vec(
            any::<u8>().prop_map(|b| if b == START { 0x69 } else { b }),
            1..24
        ),
    ]
}

/// Garbage rich in 0x68 and in small bytes (short length bytes).
fn arb_dirty_garbage() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        2 => Just(START),
        1 => 0u8..8,
        1 => Just(0xFFu8),
        4 => any::<u8>(),
    ];
    prop_oneof![Just(Vec::new()), vec(byte, 1..24)]
}

/// Chunk sizes, used in a cycle; empty = everything in one read.
fn arb_chunks() -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![Just(Vec::new()), vec(1usize..=64, 1..8)]
}

/// Everything the decoder produced, split in two phases.
struct Run {
    before_eof: Vec<StreamItem>,
    at_eof: Vec<StreamItem>,
}

impl Run {
    fn all(&self) -> impl Iterator<Item = &StreamItem> {
        self.before_eof.iter().chain(self.at_eof.iter())
    }
    fn frames(&self) -> Vec<OwnedFrame> {
        frames_of(self.all())
    }
}

fn frames_of<'a>(items: impl Iterator<Item = &'a StreamItem>) -> Vec<OwnedFrame> {
    items
        .filter_map(|i| match i {
            StreamItem::Frame(f) => Some(f.clone()),
            StreamItem::Dropped { .. } => None,
        })
        .collect()
}

/// Feeds `data` to `codec` in chunks (cycling through `chunks`), calling
/// `decode` until it returns `None` after each chunk, then `decode_eof`
/// until it returns `None`. Checks that nothing is left in the buffer.
fn feed(codec: &mut FrameCodec, data: &[u8], chunks: &[usize]) -> Run {
    let mut buf = BytesMut::new();
    let mut before_eof = Vec::new();
    let mut rest = data;
    let mut sizes = chunks.iter().copied().cycle();
    while !rest.is_empty() {
        let n = sizes.next().unwrap_or(rest.len()).min(rest.len());
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        buf.extend_from_slice(chunk);
        while let Some(item) = codec.decode(&mut buf).unwrap() {
            before_eof.push(item);
        }
    }
    let mut at_eof = Vec::new();
    while let Some(item) = codec.decode_eof(&mut buf).unwrap() {
        at_eof.push(item);
    }
    assert!(buf.is_empty(), "decode_eof must drain the buffer");
    Run { before_eof, at_eof }
}

/// Every input byte is either in a frame or in a Dropped report, and the
/// counters agree with the items.
fn assert_accounting(codec: &FrameCodec, run: &Run, input_len: usize) {
    let mut frame_bytes = 0usize;
    let mut dropped = 0usize;
    let mut frames = 0u64;
    let (mut low, mut high) = (0u64, 0u64);
    for item in run.all() {
        match item {
            StreamItem::Frame(f) => {
                frame_bytes += f.frame_len();
                frames += 1;
                match f.crc_order {
                    CrcOrder::LowFirst => low += 1,
                    CrcOrder::HighFirst => high += 1,
                }
            }
            StreamItem::Dropped { bytes, .. } => {
                assert!(*bytes > 0, "empty Dropped report");
                dropped += bytes;
            }
        }
    }
    assert_eq!(frame_bytes + dropped, input_len, "bytes unaccounted for");
    assert_eq!(codec.frames(), frames);
    assert_eq!(codec.dropped_bytes(), dropped as u64);
    assert_eq!(codec.crc_orders_seen(), (low, high));
}

/// Lays out garbage[0] frame[0] garbage[1] frame[1] … trailing; returns the
/// stream and the offsets where the valid frames start.
fn interleave(frames: &[Valid], garbage: &[Vec<u8>], trailing: &[u8]) -> (Vec<u8>, HashSet<usize>) {
    let mut stream = Vec::new();
    let mut starts = HashSet::new();
    for (f, g) in frames
        .iter()
        .zip(garbage.iter().chain(std::iter::repeat(&Vec::new())))
    {
        stream.extend_from_slice(g);
        starts.insert(stream.len());
        stream.extend_from_slice(&f.wire);
    }
    stream.extend_from_slice(trailing);
    (stream, starts)
}

/// True if no 0x68 other than the real frame starts begins a frame whose CRC
/// verifies (an accidental 1-in-32768 match would legitimately be decoded).
fn no_accidental_frames(stream: &[u8], starts: &HashSet<usize>) -> bool {
    stream
        .iter()
        .enumerate()
        .all(|(i, &b)| b != START || starts.contains(&i) || RawFrame::parse(&stream[i..]).is_err())
}

proptest! {
    /// (a) Arbitrary bytes in arbitrary chunks: no panic, the buffer is
    /// drained at EOF, every byte is accounted for.
    #[test]
    fn never_panics_and_accounts_for_every_byte(
        data in prop_oneof![
            vec(any::<u8>(), 0..600),
            vec(prop_oneof![Just(START), 0u8..8, any::<u8>()], 0..600),
        ],
        chunks in arb_chunks(),
    ) {
        let mut codec = FrameCodec::new();
        let run = feed(&mut codec, &data, &chunks);
        assert_accounting(&codec, &run, data.len());
        for f in run.frames() {
            let mut wire = BytesMut::new();
            f.write_to(&mut wire);
            prop_assert!(RawFrame::parse(&wire).is_ok());
        }
    }

    /// (b) Valid frames with 0x68-free garbage between them: every frame comes
    /// out in order, byte-exact, before EOF, whatever the chunking.
    #[test]
    fn frames_survive_clean_garbage(
        frames in vec(arb_valid(), 1..8),
        garbage in vec(arb_clean_garbage(), 8),
        trailing in arb_clean_garbage(),
        chunks in arb_chunks(),
    ) {
        let (stream, starts) = interleave(&frames, &garbage, &trailing);
        prop_assume!(no_accidental_frames(&stream, &starts));
        let mut codec = FrameCodec::new();
        let run = feed(&mut codec, &stream, &chunks);
        let expected: Vec<OwnedFrame> = frames.iter().map(|f| f.expected.clone()).collect();
        prop_assert_eq!(frames_of(run.before_eof.iter()), expected);
        prop_assert!(run.at_eof.is_empty(), "nothing left for EOF: {:?}", run.at_eof);
        for item in run.all() {
            if let StreamItem::Dropped { reason, .. } = item {
                prop_assert_eq!(reason, &DropReason::Garbage);
            }
        }
        for (got, want) in run.frames().iter().zip(&frames) {
            let mut wire = BytesMut::new();
            got.write_to(&mut wire);
            prop_assert_eq!(&wire[..], &want.wire[..]);
        }
        assert_accounting(&codec, &run, stream.len());
        prop_assert_eq!(codec.peer_crc_order(), Some(frames[0].expected.crc_order));
    }

    /// (c) Garbage that may hold 0x68 (stray starts, short and huge length
    /// bytes): at EOF every valid frame has come out, in order.
    #[test]
    fn frames_survive_dirty_garbage(
        frames in vec(arb_valid(), 1..8),
        garbage in vec(arb_dirty_garbage(), 8),
        trailing in arb_dirty_garbage(),
        chunks in arb_chunks(),
    ) {
        let (stream, starts) = interleave(&frames, &garbage, &trailing);
        prop_assume!(no_accidental_frames(&stream, &starts));
        let mut codec = FrameCodec::new();
        let run = feed(&mut codec, &stream, &chunks);
        let got = run.frames();
        // Subsequence (what the brief asks) …
        let mut want = frames.iter().map(|f| &f.expected).peekable();
        for f in &got {
            if want.peek() == Some(&f) {
                want.next();
            }
        }
        prop_assert!(want.peek().is_none(), "a valid frame is missing");
        // … and, with no accidental CRC match, exactly the valid frames.
        let expected: Vec<OwnedFrame> = frames.iter().map(|f| f.expected.clone()).collect();
        prop_assert_eq!(got, expected);
        assert_accounting(&codec, &run, stream.len());
    }

    /// (d) One frame fed one byte at a time: nothing until the last byte.
    #[test]
    fn one_byte_at_a_time(f in arb_valid()) {
        let mut codec = FrameCodec::new();
        let mut buf = BytesMut::new();
        let (last, head) = f.wire.split_last().unwrap();
        for &b in head {
            buf.extend_from_slice(&[b]);
            prop_assert_eq!(codec.decode(&mut buf).unwrap(), None);
        }
        buf.extend_from_slice(&[*last]);
        prop_assert_eq!(codec.decode(&mut buf).unwrap(), Some(StreamItem::Frame(f.expected.clone())));
        prop_assert!(buf.is_empty());
        prop_assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
    }

    /// (e) Two frames coalesced in one read come out one per call.
    #[test]
    fn two_frames_in_one_buffer(a in arb_valid(), b in arb_valid()) {
        let mut codec = FrameCodec::new();
        let mut buf = BytesMut::from(&a.wire[..]);
        buf.extend_from_slice(&b.wire);
        prop_assert_eq!(codec.decode(&mut buf).unwrap(), Some(StreamItem::Frame(a.expected.clone())));
        prop_assert_eq!(codec.decode(&mut buf).unwrap(), Some(StreamItem::Frame(b.expected.clone())));
        prop_assert_eq!(codec.decode(&mut buf).unwrap(), None);
        prop_assert!(buf.is_empty());
        prop_assert_eq!(codec.frames(), 2);
    }
}

/// The PDF 6.2 golden frame, one byte at a time.
#[test]
fn golden_frame_byte_by_byte() {
    let wire = [
        0x68, 0x0C, 0x00, 0x00, 0x00, 0x02, 0x55, 0x03, 0x14, 0x12, 0x78, 0x23, 0x05, 0x00, 0xDA,
        0x4C,
    ];
    let run = feed(&mut FrameCodec::new(), &wire, &[1]);
    let frames = run.frames();
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].header.code, 0x02);
    assert_eq!(frames[0].crc_order, CrcOrder::LowFirst);
}

/// A stray 0x68 with a huge length in front of a frame: recovered at EOF.
#[test]
fn stray_start_with_huge_length_gives_way_to_the_frame_behind_it() {
    // A stray `68 FF` promises 259 bytes; the verified frame behind it comes out as soon as it
    // is complete, not at EOF (issue 12: a corrupted length byte cost a live pile 30 s).
    let f = make([1, 0], 0, 0x03, &[0; 9], CrcOrder::HighFirst);
    let mut stream = vec![0x11, START, 0xFF, 0x00, 0x00, 0x00];
    stream.extend_from_slice(&f.wire);
    let mut codec = FrameCodec::new();
    let run = feed(&mut codec, &stream, &[3]);
    assert_eq!(frames_of(run.before_eof.iter()), vec![f.expected]);
    assert_eq!(frames_of(run.at_eof.iter()), vec![]);
    assert_accounting(&codec, &run, stream.len());
}

/// Through `FramedRead` over a duplex pipe, with writes split at odd places.
#[tokio::test]
async fn framed_read_over_duplex_with_split_writes() {
    let frames: Vec<Valid> = (0u8..12)
        .map(|i| {
            let order = if i % 3 == 0 {
                CrcOrder::HighFirst
            } else {
                CrcOrder::LowFirst
            };
            make(
                [i, 0],
                0,
                0x01 + 2 * i,
                &vec![i; usize::from(i) * 13],
                order,
            )
        })
        .collect();
    let mut stream = b"\r\n+CONNECT\r\n".to_vec();
    for (i, f) in frames.iter().enumerate() {
        stream.extend_from_slice(&f.wire);
        if i % 4 == 1 {
            stream.extend_from_slice(&[START, 0x01, 0x02]); // short length byte
        }
    }

    let (mut tx, rx) = tokio::io::duplex(32);
    let writer = tokio::spawn(async move {
        let sizes = [1usize, 2, 7, 3, 50, 5, 200, 4];
        let mut rest = &stream[..];
        for n in sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (chunk, tail) = rest.split_at((*n).min(rest.len()));
            tx.write_all(chunk).await.unwrap();
            tx.flush().await.unwrap();
            tokio::task::yield_now().await;
            rest = tail;
        }
        // Dropping tx closes the pipe: EOF for the reader.
    });

    let mut reader = FramedRead::new(rx, FrameCodec::new());
    let mut got = Vec::new();
    let mut dropped = 0usize;
    while let Some(item) = reader.next().await {
        match item.unwrap() {
            StreamItem::Frame(f) => got.push(f),
            StreamItem::Dropped { bytes, .. } => dropped += bytes,
        }
    }
    writer.await.unwrap();
    let expected: Vec<OwnedFrame> = frames.iter().map(|f| f.expected.clone()).collect();
    assert_eq!(got, expected);
    assert_eq!(dropped, 12 + 3 * 3);
    let codec = reader.decoder();
    assert_eq!(codec.frames(), 12);
    assert_eq!(codec.crc_orders_seen(), (8, 4));
    assert_eq!(codec.peer_crc_order(), Some(CrcOrder::HighFirst));
}

/// A server-side `Framed` answers a high-byte-first pile in its own order.
#[tokio::test]
async fn framed_replies_in_peer_crc_order() {
    let (mut pile, server_io) = tokio::io::duplex(1024);
    let server = tokio::spawn(async move {
        let mut framed = Framed::new(server_io, FrameCodec::new());
        while let Some(item) = framed.next().await {
            if let StreamItem::Frame(req) = item.unwrap() {
                let reply = OutFrame::new(req.header.seq, req.header.code + 1, req.body.clone());
                framed.send(reply).await.unwrap();
            }
        }
    });

    let heartbeat = make(
        [0x2A, 0x00],
        0,
        0x03,
        &[0x32, 1, 2, 3, 4, 5, 6, 1, 0],
        CrcOrder::HighFirst,
    );
    pile.write_all(&heartbeat.wire).await.unwrap();
    let mut answer = vec![0u8; heartbeat.wire.len()];
    pile.read_exact(&mut answer).await.unwrap();
    let (raw, used) = RawFrame::parse(&answer).unwrap();
    assert_eq!(used, answer.len());
    assert_eq!(raw.header.code, 0x04);
    assert_eq!(raw.header.seq, [0x2A, 0x00]);
    assert_eq!(raw.crc_order, Some(CrcOrder::HighFirst));
    drop(pile);
    server.await.unwrap();
}
