//! A framer for a TCP byte stream that never gives up on it: a tokio-util codec with the
//! `tokio-util` feature (on by default), and plain methods without it.
//!
//! Decoding ([`FrameCodec::decode_next`], or tokio-util's `Decoder`) yields [`StreamItem`]s: every verified frame, in order, and a
//! [`StreamItem::Dropped`] report for every run of bytes it had to skip, so
//! that frame bytes + dropped bytes = bytes received.
//!
//! Resynchronisation rules:
//! * bytes before a `0x68` are dropped ([`DropReason::Garbage`]);
//! * a `0x68` whose length byte is below 4 is dropped with the non-`0x68`
//!   bytes after it ([`DropReason::BadLength`]);
//! * a complete candidate whose CRC matches neither byte order is dropped the
//!   same way ([`DropReason::BadCrc`]): only its start byte and what follows
//!   up to the next `0x68`, so a frame starting inside it is still found;
//! * an incomplete candidate waits for more data, except when a complete,
//!   verified frame already starts at a later `0x68` inside it: then the
//!   candidate is dropped at once ([`DropReason::BadLength`]) and that frame
//!   taken, so a corrupted length byte (`68 FF …`) or a frame cut short by a
//!   pile's reset costs nothing but its own bytes, not the frames after it;
//! * at EOF an incomplete candidate is dropped the same way and the rest is
//!   rescanned, so frames after a stray `0x68` with a big length byte are
//!   recovered ([`DropReason::Truncated`]).
//!
//! The codec remembers the CRC byte order of the peer (the first frame that
//! verifies) and encoding ([`FrameCodec::encode_out`], or tokio-util's `Encoder`) answers in it
//! (ERRATA F2, R1).

use bytes::{Buf, Bytes, BytesMut};

use crate::crc::CrcOrder;
use crate::error::{Error, BODY_OFFSET};
use crate::header::{encode_frame, OwnedFrame, RawFrame, MIN_LEN, START};

/// Default for [`FrameCodec::with_max_buffer`]: 64 KiB.
pub const DEFAULT_MAX_BUFFER: usize = 64 * 1024;

/// One item out of the decoder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamItem {
    /// A frame whose CRC verified in one of the two byte orders.
    Frame(OwnedFrame),
    /// Bytes skipped while looking for a frame.
    Dropped {
        /// How many bytes were skipped.
        bytes: usize,
        /// Why.
        reason: DropReason,
    },
}

/// Why bytes were skipped.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum DropReason {
    /// Bytes before a `0x68` start flag.
    Garbage,
    /// A `0x68` with a length byte below 4, or whose length runs over a
    /// verified frame (the bytes up to the next `0x68`).
    BadLength {
        /// The length byte.
        declared: u8,
    },
    /// A complete candidate whose CRC matched neither byte order (its start
    /// byte and the bytes up to the next `0x68`).
    BadCrc {
        /// The candidate's type byte.
        code: u8,
    },
    /// An incomplete frame at end of stream (its start byte and the bytes up
    /// to the next `0x68`).
    Truncated,
}

/// A frame to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutFrame {
    /// Sequence number bytes (a reply copies the request's, ERRATA F4).
    pub seq: [u8; 2],
    /// Encryption flag (0x00 plain).
    pub encrypt: u8,
    /// Frame type code.
    pub code: u8,
    /// Body, at most 251 bytes.
    pub body: Bytes,
    /// CRC byte order; `None` = the peer's, else the codec's default.
    pub crc_order: Option<CrcOrder>,
}

impl OutFrame {
    /// A plain (unencrypted) frame in the codec's chosen CRC order.
    pub fn new(seq: [u8; 2], code: u8, body: impl Into<Bytes>) -> Self {
        OutFrame {
            seq,
            encrypt: 0,
            code,
            body: body.into(),
            crc_order: None,
        }
    }

    /// A plain reply to `request`: same sequence bytes, same CRC order.
    pub fn reply_to(request: &OwnedFrame, code: u8, body: impl Into<Bytes>) -> Self {
        OutFrame {
            seq: request.header.seq,
            encrypt: 0,
            code,
            body: body.into(),
            crc_order: Some(request.crc_order),
        }
    }
}

/// The framing codec for one connection.
#[derive(Debug, Clone)]
pub struct FrameCodec {
    default_order: CrcOrder,
    peer_order: Option<CrcOrder>,
    max_buffer: usize,
    frames: u64,
    dropped_bytes: u64,
    crc_low: u64,
    crc_high: u64,
}

impl Default for FrameCodec {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameCodec {
    /// A codec with default CRC order low-byte-first and a 64 KiB buffer guard.
    pub fn new() -> Self {
        FrameCodec {
            default_order: CrcOrder::LowFirst,
            peer_order: None,
            max_buffer: DEFAULT_MAX_BUFFER,
            frames: 0,
            dropped_bytes: 0,
            crc_low: 0,
            crc_high: 0,
        }
    }

    /// Sets the CRC order used to encode before the peer's order is known.
    pub fn with_default_order(mut self, order: CrcOrder) -> Self {
        self.default_order = order;
        self
    }

    /// Sets the buffer guard: if an incomplete candidate is still waiting
    /// with more than `max` bytes buffered, its start byte is dropped.
    ///
    /// Any candidate is decided once [`MAX_FRAME`] (259) bytes are buffered,
    /// so a guard of 259 or more never fires; a smaller one also caps the
    /// frame size that can be received.
    pub fn with_max_buffer(mut self, max: usize) -> Self {
        self.max_buffer = max;
        self
    }

    /// The CRC order used to encode before the peer's order is known.
    pub fn default_order(&self) -> CrcOrder {
        self.default_order
    }

    /// The CRC order of the first frame that verified, if any.
    pub fn peer_crc_order(&self) -> Option<CrcOrder> {
        self.peer_order
    }

    /// Frames decoded so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Bytes skipped so far (the sum of all `Dropped` reports).
    pub fn dropped_bytes(&self) -> u64 {
        self.dropped_bytes
    }

    /// Frames decoded per CRC order: `(low_first, high_first)`.
    pub fn crc_orders_seen(&self) -> (u64, u64) {
        (self.crc_low, self.crc_high)
    }

    /// The next item at the front of `buf`, or `None` until more bytes arrive. What
    /// tokio-util's `Decoder::decode` returns, usable without tokio.
    pub fn decode_next(&mut self, buf: &mut BytesMut) -> Option<StreamItem> {
        self.step(buf, false)
    }

    /// Like [`FrameCodec::decode_next`] once no more bytes will come: an incomplete candidate is
    /// dropped ([`DropReason::Truncated`]) and the rest rescanned. tokio-util's `decode_eof`.
    pub fn decode_next_eof(&mut self, buf: &mut BytesMut) -> Option<StreamItem> {
        self.step(buf, true)
    }

    /// Appends `item` as a whole frame, in its own CRC order, else the peer's, else the
    /// codec's default. What tokio-util's `Encoder::encode` does, usable without tokio.
    ///
    /// # Errors
    /// [`Error::TooLong`] (nothing written) when the body is over 251 bytes.
    pub fn encode_out(&self, item: &OutFrame, dst: &mut BytesMut) -> Result<(), Error> {
        let order = item
            .crc_order
            .or(self.peer_order)
            .unwrap_or(self.default_order);
        encode_frame(item.seq, item.encrypt, item.code, &item.body, order, dst)
    }

    /// Removes the first `n` bytes of `buf` and reports them.
    fn drop_bytes(&mut self, buf: &mut BytesMut, n: usize, reason: DropReason) -> StreamItem {
        let n = n.min(buf.len());
        buf.advance(n);
        self.dropped_bytes = self.dropped_bytes.saturating_add(n as u64);
        StreamItem::Dropped { bytes: n, reason }
    }

    /// Drops the start byte at `buf[0]` and every byte after it up to (not
    /// including) the next `0x68`.
    fn drop_candidate(&mut self, buf: &mut BytesMut, reason: DropReason) -> StreamItem {
        let n = 1 + next_start(buf, 1).map_or(buf.len().saturating_sub(1), |q| q - 1);
        self.drop_bytes(buf, n, reason)
    }

    /// Takes the verified frame of `len` bytes at the start of `buf`.
    fn take_frame(&mut self, buf: &mut BytesMut, raw_header: RawHeader, len: usize) -> StreamItem {
        let frame = buf.split_to(len.min(buf.len())).freeze();
        let end = frame.len().saturating_sub(2);
        let body = frame.slice(BODY_OFFSET.min(end)..end);
        let RawHeader {
            header,
            crc,
            crc_order,
        } = raw_header;
        self.frames = self.frames.saturating_add(1);
        match crc_order {
            CrcOrder::LowFirst => self.crc_low = self.crc_low.saturating_add(1),
            CrcOrder::HighFirst => self.crc_high = self.crc_high.saturating_add(1),
        }
        self.peer_order.get_or_insert(crc_order);
        StreamItem::Frame(OwnedFrame {
            header,
            body,
            crc,
            crc_order,
        })
    }

    /// One decoding step; `eof` = no more data will come.
    fn step(&mut self, buf: &mut BytesMut, eof: bool) -> Option<StreamItem> {
        match buf.iter().position(|&b| b == START) {
            None if buf.is_empty() => return None,
            None => {
                let n = buf.len();
                return Some(self.drop_bytes(buf, n, DropReason::Garbage));
            }
            Some(0) => {}
            Some(p) => return Some(self.drop_bytes(buf, p, DropReason::Garbage)),
        }
        // buf[0] == START
        let Some(&declared) = buf.get(1) else {
            return self.incomplete(buf, eof, None);
        };
        if declared < MIN_LEN {
            return Some(self.drop_candidate(buf, DropReason::BadLength { declared }));
        }
        let total = usize::from(declared) + 4;
        if buf.len() < total {
            return self.incomplete(buf, eof, Some((declared, total)));
        }
        let candidate = buf
            .get(..total)
            .expect("`buf` holds `total` bytes: checked just above");
        let checked = RawFrame::parse_lenient(candidate).map(|(raw, used)| {
            let header = raw.header;
            (raw.crc_order, header, raw.crc, used)
        });
        match checked {
            Ok((Some(crc_order), header, crc, used)) => {
                let raw = RawHeader {
                    header,
                    crc,
                    crc_order,
                };
                Some(self.take_frame(buf, raw, used))
            }
            Ok((None, header, _, _)) => {
                Some(self.drop_candidate(buf, DropReason::BadCrc { code: header.code }))
            }
            // Cannot happen (the checks above are parse's own); stay safe.
            Err(_) => Some(self.drop_candidate(buf, DropReason::BadLength { declared })),
        }
    }

    /// The candidate at `buf[0]` is not complete yet (`len_total` = its
    /// length byte and frame size, once the length byte has arrived).
    fn incomplete(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
        len_total: Option<(u8, usize)>,
    ) -> Option<StreamItem> {
        if let Some((declared, _)) = len_total {
            if let Some(q) = verified_frame_inside(buf) {
                return Some(self.drop_bytes(buf, q, DropReason::BadLength { declared }));
            }
        }
        if eof {
            return Some(self.drop_candidate(buf, DropReason::Truncated));
        }
        if buf.len() > self.max_buffer {
            let declared = len_total.map_or(0, |(d, _)| d);
            return Some(self.drop_candidate(buf, DropReason::BadLength { declared }));
        }
        let total = len_total.map_or(crate::header::MIN_FRAME, |(_, t)| t);
        buf.reserve(total.saturating_sub(buf.len()));
        None
    }
}

/// Header, CRC bytes and order of a verified frame (copied out of the
/// borrowed view so the buffer can be split).
struct RawHeader {
    header: crate::header::Header,
    crc: [u8; 2],
    crc_order: CrcOrder,
}

/// Position of the first `0x68` at or after `from`.
fn next_start(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?
        .iter()
        .position(|&b| b == START)
        .map(|p| p + from)
}

/// For an incomplete candidate at `buf[0]`: the offset of the first complete
/// frame inside the buffer that verifies and carries a real encryption byte
/// (0x00/0x01), if there is one.
///
/// A real frame still arriving could contain such a frame in its body only by
/// accident: a `0x68`, a length that fits, an encryption byte of 0 or 1 and a
/// CRC that matches (about one chance in four million per `0x68` byte, at a
/// segment boundary). Waiting instead would swallow every good frame until
/// 259 bytes arrived, a live pile's heartbeats for half a minute or more.
fn verified_frame_inside(buf: &[u8]) -> Option<usize> {
    let mut from = 1;
    while let Some(q) = next_start(buf, from) {
        let inner = buf.get(q..)?;
        let real_encrypt = inner.get(4).is_some_and(|&e| e <= 1);
        if real_encrypt && RawFrame::parse(inner).is_ok() {
            return Some(q);
        }
        from = q + 1;
    }
    None
}

/// tokio-util's traits, for `Framed`/`FramedRead`: thin calls of the plain methods.
#[cfg(feature = "tokio-util")]
mod tokio_codec {
    use super::{FrameCodec, OutFrame, StreamItem};
    use bytes::BytesMut;
    use std::io;
    use tokio_util::codec::{Decoder, Encoder};

    impl Decoder for FrameCodec {
        type Item = StreamItem;
        type Error = io::Error;

        fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<StreamItem>, io::Error> {
            Ok(self.decode_next(buf))
        }

        fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<StreamItem>, io::Error> {
            Ok(self.decode_next_eof(buf))
        }
    }

    impl Encoder<OutFrame> for FrameCodec {
        type Error = io::Error;

        /// [`FrameCodec::encode_out`]; a body over 251 bytes is an
        /// [`io::ErrorKind::InvalidInput`] error wrapping [`crate::Error::TooLong`].
        fn encode(&mut self, item: OutFrame, dst: &mut BytesMut) -> Result<(), io::Error> {
            self.encode_out(&item, dst)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::MIN_FRAME;

    fn frame(seq: [u8; 2], code: u8, body: &[u8], order: CrcOrder) -> Vec<u8> {
        let mut out = BytesMut::new();
        encode_frame(seq, 0, code, body, order, &mut out).unwrap();
        out.to_vec()
    }

    /// Feeds all of `data` at once, then EOF; returns every item.
    fn run(codec: &mut FrameCodec, data: &[u8]) -> Vec<StreamItem> {
        let mut buf = BytesMut::from(data);
        let mut items = Vec::new();
        while let Some(item) = codec.decode_next(&mut buf) {
            items.push(item);
        }
        while let Some(item) = codec.decode_next_eof(&mut buf) {
            items.push(item);
        }
        assert!(buf.is_empty(), "decode_eof leaves nothing behind");
        items
    }

    fn frames(items: &[StreamItem]) -> Vec<&OwnedFrame> {
        items
            .iter()
            .filter_map(|i| match i {
                StreamItem::Frame(f) => Some(f),
                StreamItem::Dropped { .. } => None,
            })
            .collect()
    }

    fn dropped(bytes: usize, reason: DropReason) -> StreamItem {
        StreamItem::Dropped { bytes, reason }
    }

    #[test]
    fn garbage_then_frame() {
        let f = frame([1, 0], 0x03, &[0; 9], CrcOrder::LowFirst);
        let mut data = b"AT+OK\r\n".to_vec();
        data.extend_from_slice(&f);
        let mut c = FrameCodec::new();
        let items = run(&mut c, &data);
        assert_eq!(items.len(), 2);
        assert_eq!(items[0], dropped(7, DropReason::Garbage));
        assert!(matches!(&items[1], StreamItem::Frame(fr) if fr.header.code == 0x03));
        assert_eq!((c.frames(), c.dropped_bytes()), (1, 7));
    }

    #[test]
    fn waits_for_more_data() {
        let f = frame([1, 0], 0x03, &[0; 9], CrcOrder::LowFirst);
        let mut c = FrameCodec::new();
        let mut buf = BytesMut::from(&f[..f.len() - 1]);
        assert_eq!(c.decode_next(&mut buf), None);
        assert_eq!(buf.len(), f.len() - 1, "nothing consumed while waiting");
        buf.extend_from_slice(&f[f.len() - 1..]);
        assert!(matches!(
            c.decode_next(&mut buf),
            Some(StreamItem::Frame(_))
        ));
        assert!(buf.is_empty());
    }

    #[test]
    fn short_length_byte_resyncs() {
        let f = frame([1, 0], 0x03, &[0; 9], CrcOrder::LowFirst);
        let mut data = vec![0x68, 0x02, 0xAA];
        data.extend_from_slice(&f);
        let mut c = FrameCodec::new();
        let items = run(&mut c, &data);
        assert_eq!(items[0], dropped(3, DropReason::BadLength { declared: 2 }));
        assert_eq!(frames(&items).len(), 1);
    }

    #[test]
    fn bad_crc_drops_start_and_finds_inner_frame() {
        // A bogus candidate (len 0x20, 36 bytes) whose span holds a real frame.
        let inner = frame([5, 0], 0x13, &[1, 2, 3], CrcOrder::HighFirst);
        let mut data = vec![0x68, 0x20, 0, 0, 0, 0x99, 0xEE];
        data.extend_from_slice(&inner);
        data.resize(36 + 4, 0xEE); // complete the bogus candidate (+ a bit)
        let mut c = FrameCodec::new();
        let items = run(&mut c, &data);
        assert_eq!(items[0], dropped(7, DropReason::BadCrc { code: 0x99 }));
        assert!(matches!(&items[1], StreamItem::Frame(f) if f.header.code == 0x13));
        assert_eq!(items[2], dropped(40 - 7 - inner.len(), DropReason::Garbage));
        assert_eq!(c.peer_crc_order(), Some(CrcOrder::HighFirst));
    }

    #[test]
    fn plausible_stray_candidate_does_not_wait() {
        // A stray candidate that looks real (encrypt byte 0) with a big length: the verified
        // frame after it comes out at once (it used to wait for EOF or 244 more bytes).
        let real = frame([2, 0], 0x05, &[7; 9], CrcOrder::LowFirst);
        let mut data = vec![0x68, 0xF0, 0x00, 0x00, 0x00, 0x01];
        data.extend_from_slice(&real);
        let mut c = FrameCodec::new();
        let mut buf = BytesMut::from(&data[..]);
        assert_eq!(
            c.decode_next(&mut buf),
            Some(dropped(6, DropReason::BadLength { declared: 0xF0 }))
        );
        assert!(
            matches!(c.decode_next(&mut buf), Some(StreamItem::Frame(f)) if f.header.code == 0x05)
        );
        assert_eq!(c.decode_next(&mut buf), None);
    }

    #[test]
    fn incomplete_candidate_recovered_at_eof() {
        // A stray candidate with only a partial frame after it: at EOF it is dropped and the
        // rest rescanned.
        let mut data = vec![0x68, 0xF0, 0x00, 0x00, 0x00, 0x01];
        data.extend_from_slice(&frame([2, 0], 0x05, &[7; 9], CrcOrder::LowFirst)[..8]);
        let mut c = FrameCodec::new();
        let mut buf = BytesMut::from(&data[..]);
        assert_eq!(c.decode_next(&mut buf), None, "waits: could be real");
        let mut items = Vec::new();
        while let Some(item) = c.decode_next_eof(&mut buf) {
            items.push(item);
        }
        assert_eq!(items[0], dropped(6, DropReason::Truncated));
        assert_eq!(items[1], dropped(8, DropReason::Truncated));
        assert_eq!(items.len(), 2);
    }

    #[test]
    fn implausible_candidate_does_not_stall() {
        // "he" + "llo": 0x68 'e' 'l' 'l' 'o' = len 0x65, encrypt 'l'; a real
        // frame follows and comes out without waiting for EOF.
        let real = frame([2, 0], 0x01, &[7; 30], CrcOrder::HighFirst);
        let mut data = b"hello\r\n".to_vec();
        data.extend_from_slice(&real);
        let mut c = FrameCodec::new();
        let mut buf = BytesMut::from(&data[..]);
        let first = c.decode_next(&mut buf);
        assert_eq!(
            first,
            Some(dropped(7, DropReason::BadLength { declared: b'e' }))
        );
        assert!(matches!(
            c.decode_next(&mut buf),
            Some(StreamItem::Frame(_))
        ));
        assert_eq!(c.decode_next(&mut buf), None);
    }

    #[test]
    fn corrupted_length_byte_does_not_swallow_the_next_frames() {
        // `68 FF` (a length byte hit by noise), then heartbeats: each is taken at once,
        // without waiting for the 259 bytes the bad length promises.
        let hb = frame(
            [3, 0],
            0x03,
            &[0x32, 1, 2, 0, 0, 0, 1, 1, 0],
            CrcOrder::LowFirst,
        );
        let mut c = FrameCodec::new();
        let mut buf = BytesMut::from(&[0x68, 0xFF][..]);
        assert_eq!(c.decode_next(&mut buf), None, "it may still be a frame");
        buf.extend_from_slice(&hb);
        assert_eq!(
            c.decode_next(&mut buf),
            Some(dropped(2, DropReason::BadLength { declared: 0xFF }))
        );
        assert!(matches!(
            c.decode_next(&mut buf),
            Some(StreamItem::Frame(_))
        ));
        buf.extend_from_slice(&hb);
        assert!(matches!(
            c.decode_next(&mut buf),
            Some(StreamItem::Frame(_))
        ));
        assert_eq!(c.decode_next(&mut buf), None);
    }

    #[test]
    fn truncated_frame_then_a_whole_one() {
        // A pile reset mid-frame sends the frame again in full: the cut one is dropped as
        // soon as the whole one is in, not when 259 bytes have arrived.
        let long = frame([4, 0], 0x13, &[9; 60], CrcOrder::LowFirst);
        let mut data = long[..30].to_vec();
        data.extend_from_slice(&long);
        let mut c = FrameCodec::new();
        let mut buf = BytesMut::from(&data[..]);
        let mut items = Vec::new();
        while let Some(item) = c.decode_next(&mut buf) {
            items.push(item);
        }
        assert_eq!(frames(&items).len(), 1, "{items:?}");
        assert!(buf.is_empty());
    }

    #[test]
    fn a_waiting_real_frame_is_not_cut_by_its_own_bytes() {
        // A real frame arriving in pieces whose body holds a 0x68 but no verified frame
        // keeps waiting and then comes out whole.
        let f = frame([5, 0], 0x13, &[0x68; 60], CrcOrder::HighFirst);
        let mut c = FrameCodec::new();
        let mut buf = BytesMut::from(&f[..40]);
        assert_eq!(c.decode_next(&mut buf), None);
        buf.extend_from_slice(&f[40..]);
        assert!(
            matches!(c.decode_next(&mut buf), Some(StreamItem::Frame(g)) if g.body.len() == 60)
        );
    }

    #[test]
    fn truncated_at_eof() {
        let f = frame([1, 0], 0x03, &[0; 9], CrcOrder::LowFirst);
        let mut c = FrameCodec::new();
        let items = run(&mut c, &f[..10]);
        assert_eq!(items, vec![dropped(10, DropReason::Truncated)]);
        let items = run(&mut FrameCodec::new(), &[0x68]);
        assert_eq!(items, vec![dropped(1, DropReason::Truncated)]);
    }

    #[test]
    fn garbage_without_start_is_dropped_at_once() {
        let mut c = FrameCodec::new();
        let mut buf = BytesMut::from(&[1u8, 2, 3][..]);
        assert_eq!(
            c.decode_next(&mut buf),
            Some(dropped(3, DropReason::Garbage))
        );
        assert_eq!(c.decode_next(&mut buf), None);
    }

    #[test]
    fn max_buffer_guard() {
        // A guard below the frame size drops a waiting candidate.
        let f = frame([1, 0], 0x03, &[0; 40], CrcOrder::LowFirst);
        let mut c = FrameCodec::new().with_max_buffer(16);
        let mut buf = BytesMut::from(&f[..20]);
        assert_eq!(
            c.decode_next(&mut buf),
            Some(dropped(20, DropReason::BadLength { declared: 44 }))
        );
    }

    #[test]
    fn peer_order_and_encoder_choice() {
        let c = FrameCodec::new();
        let mut out = BytesMut::new();
        c.encode_out(&OutFrame::new([0, 0], 0x04, vec![1, 2]), &mut out)
            .unwrap();
        let (raw, _) = RawFrame::parse(&out).unwrap();
        assert_eq!(raw.crc_order, Some(CrcOrder::LowFirst), "default");

        let c = FrameCodec::new().with_default_order(CrcOrder::HighFirst);
        assert_eq!(c.default_order(), CrcOrder::HighFirst);
        let mut out = BytesMut::new();
        c.encode_out(&OutFrame::new([0, 0], 0x04, vec![1, 2]), &mut out)
            .unwrap();
        assert_eq!(
            RawFrame::parse(&out).unwrap().0.crc_order,
            Some(CrcOrder::HighFirst)
        );

        // Peer speaks high-first, then low-first: the first one sticks.
        let mut data = frame([1, 0], 0x03, &[0; 9], CrcOrder::HighFirst);
        data.extend(frame([2, 0], 0x03, &[0; 9], CrcOrder::LowFirst));
        let mut c = FrameCodec::new();
        let items = run(&mut c, &data);
        assert_eq!(frames(&items).len(), 2);
        assert_eq!(c.peer_crc_order(), Some(CrcOrder::HighFirst));
        assert_eq!(c.crc_orders_seen(), (1, 1));

        let mut out = BytesMut::new();
        c.encode_out(&OutFrame::new([0, 0], 0x04, vec![]), &mut out)
            .unwrap();
        assert_eq!(
            RawFrame::parse(&out).unwrap().0.crc_order,
            Some(CrcOrder::HighFirst)
        );

        // An explicit order wins over the peer's.
        let mut explicit = OutFrame::new([0, 0], 0x04, vec![]);
        explicit.crc_order = Some(CrcOrder::LowFirst);
        out.clear();
        c.encode_out(&explicit, &mut out).unwrap();
        assert_eq!(
            RawFrame::parse(&out).unwrap().0.crc_order,
            Some(CrcOrder::LowFirst)
        );
    }

    #[test]
    fn reply_copies_seq_and_order() {
        let data = frame([0x34, 0x12], 0x03, &[0; 9], CrcOrder::HighFirst);
        let items = run(&mut FrameCodec::new(), &data);
        let req = frames(&items)[0].clone();
        let reply = OutFrame::reply_to(&req, 0x04, vec![0; 9]);
        assert_eq!(reply.seq, [0x34, 0x12]);
        assert_eq!(reply.crc_order, Some(CrcOrder::HighFirst));
    }

    #[test]
    fn encoder_rejects_long_body() {
        let c = FrameCodec::new();
        let mut out = BytesMut::new();
        let long = OutFrame::new([0, 0], 0x0A, vec![0; 252]);
        let err = c.encode_out(&long, &mut out).unwrap_err();
        assert_eq!(
            err,
            Error::TooLong {
                code: 0x0A,
                len: 252
            }
        );
        assert!(out.is_empty());
    }

    #[cfg(feature = "tokio-util")]
    #[test]
    fn tokio_encoder_wraps_the_error() {
        use tokio_util::codec::Encoder;
        let mut out = BytesMut::new();
        let err = FrameCodec::new()
            .encode(OutFrame::new([0, 0], 0x0A, vec![0; 252]), &mut out)
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        let inner = err.get_ref().and_then(|e| e.downcast_ref::<Error>());
        assert_eq!(
            inner,
            Some(&Error::TooLong {
                code: 0x0A,
                len: 252
            })
        );
    }

    #[test]
    fn body_shares_the_read_buffer() {
        let f = frame([1, 0], 0x03, &[9; MIN_FRAME], CrcOrder::LowFirst);
        let items = run(&mut FrameCodec::new(), &f);
        let fr = frames(&items)[0];
        assert_eq!(&fr.body[..], &[9; MIN_FRAME]);
        let mut back = BytesMut::new();
        fr.write_to(&mut back);
        assert_eq!(&back[..], &f[..]);
    }
}
