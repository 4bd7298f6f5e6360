//! Any bytes in any chunking: the stream codec never panics and accounts for every byte.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use tokio_util::codec::Decoder;
use ykc::{FrameCodec, StreamItem};

fuzz_target!(|data: &[u8]| {
    let Some((step, rest)) = data.split_first() else {
        return;
    };
    let step = usize::from(*step).max(1);
    let mut codec = FrameCodec::new();
    let mut buf = BytesMut::new();
    let mut seen = 0usize;
    let count = |item: StreamItem| match item {
        StreamItem::Frame(f) => f.frame_len(),
        StreamItem::Dropped { bytes, .. } => bytes,
    };
    for chunk in rest.chunks(step) {
        buf.extend_from_slice(chunk);
        while let Ok(Some(item)) = codec.decode(&mut buf) {
            seen += count(item);
        }
    }
    while let Ok(Some(item)) = codec.decode_eof(&mut buf) {
        seen += count(item);
    }
    assert_eq!(seen + buf.len(), rest.len());
});
