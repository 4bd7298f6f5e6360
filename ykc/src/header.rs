//! The frame envelope: `0x68 | len | seq(2) | encrypt | type | body | CRC(2)`.
//!
//! `len` counts seq + encrypt + type + body (so `len >= 4` and the whole frame
//! is `len + 4` bytes, at most 259). The CRC is CRC-16/MODBUS over seq..body
//! and may arrive in either byte order (ERRATA F1, F2, R1).
//!
//! [`RawFrame::parse`] is a zero-copy, allocation-free view of one frame at
//! the start of a slice; [`OwnedFrame`] is the same frame with its body in a
//! [`Bytes`]; [`encode_frame`] writes one. Nothing here looks at the type
//! code or the encryption flag: unknown types and encrypted bodies are framed
//! like any other (ERRATA R12, F5).

use bytes::{BufMut, Bytes, BytesMut};

use crate::crc::{crc16, digest, CrcOrder};
use crate::error::Error;

/// Start flag, the first byte of every frame.
pub const START: u8 = 0x68;
/// Smallest frame: start, len, seq(2), encrypt, type, CRC(2), empty body.
pub const MIN_FRAME: usize = 8;
/// Largest frame: length byte 255, plus start, len and CRC.
pub const MAX_FRAME: usize = 255 + 4;
/// Largest body: 255 minus seq, encrypt and type.
pub const MAX_BODY: usize = 255 - 4;
/// Smallest legal length byte (seq + encrypt + type, empty body).
pub const MIN_LEN: u8 = 4;

/// The six bytes before the body, as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Length byte: bytes of seq + encrypt + type + body (4..=255).
    pub len: u8,
    /// Sequence number, two raw bytes (byte order varies by pile, ERRATA F4).
    pub seq: [u8; 2],
    /// Encryption flag: 0x00 plain, 0x01 3DES; kept whatever it is.
    pub encrypt: u8,
    /// Frame type code; unknown codes are kept.
    pub code: u8,
}

impl Header {
    /// The sequence number read little-endian (the BIN rule of §3.2).
    #[inline]
    pub fn seq_le(&self) -> u16 {
        u16::from_le_bytes(self.seq)
    }

    /// Body length implied by the length byte (0 if the byte is below 4).
    #[inline]
    pub fn body_len(&self) -> usize {
        usize::from(self.len).saturating_sub(usize::from(MIN_LEN))
    }

    /// Whole frame length implied by the length byte (`len + 4`).
    #[inline]
    pub fn frame_len(&self) -> usize {
        usize::from(self.len) + 4
    }

    /// The six header bytes as on the wire, start flag included.
    #[inline]
    pub fn to_bytes(&self) -> [u8; 6] {
        [
            START,
            self.len,
            self.seq[0],
            self.seq[1],
            self.encrypt,
            self.code,
        ]
    }
}

/// A zero-copy view of one frame inside a received buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawFrame<'a> {
    /// The header fields.
    pub header: Header,
    /// The body (`header.body_len()` bytes), borrowed from the input.
    pub body: &'a [u8],
    /// The two CRC bytes as received.
    pub crc: [u8; 2],
    /// CRC-16/MODBUS computed over seq..body.
    pub computed: u16,
    /// Which byte order the received CRC matched; `None` = neither.
    pub crc_order: Option<CrcOrder>,
}

impl<'a> RawFrame<'a> {
    /// Parses one frame at the start of `input`; returns it and the number of
    /// bytes it takes (`len + 4`). Bytes after the frame are ignored.
    ///
    /// Errors, checked in this order: [`Error::Empty`], [`Error::TooShort`]
    /// (fewer than 8 bytes), [`Error::BadStart`], [`Error::BadLength`]
    /// (length byte below 4, or the frame runs past `input`),
    /// [`Error::BadCrc`] (the CRC matches neither byte order).
    ///
    /// Does not allocate; the CRC is computed once over the slice.
    #[inline]
    pub fn parse(input: &'a [u8]) -> Result<(RawFrame<'a>, usize), Error> {
        let (frame, used) = Self::parse_lenient(input)?;
        if frame.crc_order.is_none() {
            return Err(Error::BadCrc {
                received: frame.crc,
                computed: frame.computed,
            });
        }
        Ok((frame, used))
    }

    /// Like [`RawFrame::parse`], but a CRC that matches neither byte order is
    /// not an error: the frame comes back with `crc_order: None` (the parse
    /// CLI keeps decoding such frames, ERRATA F2).
    #[inline]
    pub fn parse_lenient(input: &'a [u8]) -> Result<(RawFrame<'a>, usize), Error> {
        let Some((&start, after_start)) = input.split_first() else {
            return Err(Error::Empty);
        };
        if input.len() < MIN_FRAME {
            return Err(Error::TooShort { len: input.len() });
        }
        if start != START {
            return Err(Error::BadStart {
                found: start,
                offset: 0,
            });
        }
        let declared = after_start.first().copied().unwrap_or(0);
        let needed = usize::from(declared) + 4;
        let bad_length = || Error::BadLength {
            declared,
            needed,
            available: input.len(),
        };
        if declared < MIN_LEN || needed > input.len() {
            return Err(bad_length());
        }
        // after_start = len | seq..body | crc | rest
        let covered_and_rest = after_start.get(1..).ok_or_else(bad_length)?;
        let (covered, tail) = covered_and_rest
            .split_at_checked(usize::from(declared))
            .ok_or_else(bad_length)?;
        let &crc = tail.first_chunk::<2>().ok_or_else(bad_length)?;
        let (&[s0, s1, encrypt, code], body) =
            covered.split_first_chunk::<4>().ok_or_else(bad_length)?;
        let computed = crc16(covered);
        let frame = RawFrame {
            header: Header {
                len: declared,
                seq: [s0, s1],
                encrypt,
                code,
            },
            body,
            crc,
            computed,
            crc_order: CrcOrder::detect(crc, computed),
        };
        Ok((frame, needed))
    }

    /// True if the CRC matched one of the two byte orders.
    #[inline]
    pub fn crc_valid(&self) -> bool {
        self.crc_order.is_some()
    }

    /// Whole frame length (`len + 4`), the bytes `parse` consumed.
    #[inline]
    pub fn frame_len(&self) -> usize {
        self.header.frame_len()
    }

    /// Copies the frame into an [`OwnedFrame`].
    ///
    /// An owned frame always has a verified CRC: a view whose CRC matched
    /// neither order gives [`Error::BadCrc`].
    pub fn to_owned(&self) -> Result<OwnedFrame, Error> {
        OwnedFrame::try_from(self)
    }
}

/// A verified frame that owns its body (a cheap, shareable [`Bytes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedFrame {
    /// The header fields.
    pub header: Header,
    /// The body bytes.
    pub body: Bytes,
    /// The two CRC bytes as received.
    pub crc: [u8; 2],
    /// The byte order the CRC was received in.
    pub crc_order: CrcOrder,
}

impl OwnedFrame {
    /// Whole frame length (`len + 4`).
    #[inline]
    pub fn frame_len(&self) -> usize {
        self.header.frame_len()
    }

    /// Appends the frame to `out` exactly as it was received (same CRC
    /// bytes), e.g. to forward it.
    pub fn write_to(&self, out: &mut BytesMut) {
        out.reserve(MIN_FRAME + self.body.len());
        out.put_slice(&self.header.to_bytes());
        out.put_slice(&self.body);
        out.put_slice(&self.crc);
    }
}

impl TryFrom<&RawFrame<'_>> for OwnedFrame {
    type Error = Error;

    /// Copies the body; fails with [`Error::BadCrc`] if the CRC matched
    /// neither byte order.
    fn try_from(raw: &RawFrame<'_>) -> Result<Self, Self::Error> {
        let crc_order = raw.crc_order.ok_or(Error::BadCrc {
            received: raw.crc,
            computed: raw.computed,
        })?;
        Ok(OwnedFrame {
            header: raw.header,
            body: Bytes::copy_from_slice(raw.body),
            crc: raw.crc,
            crc_order,
        })
    }
}

/// Appends one frame to `out`: header, `body`, and the CRC-16/MODBUS of
/// seq..body in byte order `order`.
///
/// Fails with [`Error::TooLong`] (writing nothing) when the body is over 251
/// bytes, the most the length byte can count. Bodies over 196 bytes break the
/// document's 200-byte rule but are legal here (ERRATA F3).
pub fn encode_frame(
    seq: [u8; 2],
    encrypt: u8,
    code: u8,
    body: &[u8],
    order: CrcOrder,
    out: &mut BytesMut,
) -> Result<(), Error> {
    let len = length_byte(code, body.len())?;
    let mut crc = digest();
    crc.update(&seq);
    crc.update(&[encrypt, code]);
    crc.update(body);
    let crc = crc.finalize();

    out.reserve(MIN_FRAME + body.len());
    out.put_slice(&[START, len, seq[0], seq[1], encrypt, code]);
    out.put_slice(body);
    out.put_slice(&order.bytes(crc));
    Ok(())
}

/// The length byte of a frame with a body of `body_len` bytes, or [`Error::TooLong`].
fn length_byte(code: u8, body_len: usize) -> Result<u8, Error> {
    let too_long = || Error::TooLong {
        code,
        len: body_len,
    };
    if body_len > MAX_BODY {
        return Err(too_long());
    }
    u8::try_from(body_len + usize::from(MIN_LEN)).map_err(|_| too_long())
}

impl crate::frames::Message {
    /// The whole frame of this message: header with sequence bytes `seq`, encryption flag 0x00,
    /// the body, and the CRC in byte order `order`.
    ///
    /// ```
    /// use ykc::{CrcOrder, Message};
    /// let login = Message::from_json(0x02, &serde_json::json!({"pile_code": "55031412782305", "login_result": 0}))?;
    /// let frame = login.to_frame([0, 0], CrcOrder::LowFirst)?;
    /// assert_eq!(ykc::hex::encode_upper(&frame), "680C000000025503141278230500DA4C");
    /// # Ok::<(), ykc::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Field`] when a value does not fit its field (as [`Message::encode`](crate::Message::encode)),
    /// [`Error::TooLong`] when the body is over 251 bytes.
    pub fn to_frame(&self, seq: [u8; 2], order: CrcOrder) -> Result<Bytes, Error> {
        let mut out = BytesMut::with_capacity(MAX_FRAME);
        self.write_frame(seq, order, &mut out)?;
        Ok(out.freeze())
    }

    /// Like [`Message::to_frame`](crate::Message::to_frame), appending to `out`, so a sender
    /// can reuse one buffer; nothing is appended on error.
    ///
    /// # Errors
    /// As [`Message::to_frame`](crate::Message::to_frame).
    pub fn write_frame(
        &self,
        seq: [u8; 2],
        order: CrcOrder,
        out: &mut BytesMut,
    ) -> Result<(), Error> {
        let start = out.len();
        let code = self.code();
        out.reserve(MAX_FRAME);
        // The length byte is set once the body's size is known.
        out.put_slice(&[START, MIN_LEN, seq[0], seq[1], 0, code]);
        // The body goes straight into the same allocation, as a buffer of its own: field offsets
        // in encode errors count from the body's first byte, and no copy is needed afterwards.
        let mut body = out.split_off(out.len());
        let written = self.encode(&mut body);
        let body_len = body.len();
        out.unsplit(body);
        let len = match written.and_then(|()| length_byte(code, body_len)) {
            Ok(len) => len,
            Err(e) => {
                out.truncate(start);
                return Err(e);
            }
        };
        let frame = out
            .get_mut(start..)
            .expect("`out` grew from `start` by the header and body");
        if let Some(b) = frame.get_mut(1) {
            *b = len;
        }
        let crc = crc16(frame.get(2..).expect("a frame has six header bytes"));
        out.put_slice(&order.bytes(crc));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::golden::{LOGIN_RESPONSE, VERIFY_RESPONSE};

    fn frame(seq: [u8; 2], encrypt: u8, code: u8, body: &[u8], order: CrcOrder) -> Vec<u8> {
        let mut out = BytesMut::new();
        encode_frame(seq, encrypt, code, body, order, &mut out).unwrap();
        out.to_vec()
    }

    #[test]
    fn golden_login_response() {
        let (f, used) = RawFrame::parse(&LOGIN_RESPONSE).unwrap();
        assert_eq!(used, 16);
        assert_eq!(f.frame_len(), 16);
        assert_eq!(
            f.header,
            Header {
                len: 0x0C,
                seq: [0, 0],
                encrypt: 0,
                code: 0x02
            }
        );
        assert_eq!(f.body, &LOGIN_RESPONSE[6..14]);
        assert_eq!(f.crc, [0xDA, 0x4C]);
        assert_eq!(f.computed, 0x4CDA);
        assert_eq!(f.crc_order, Some(CrcOrder::LowFirst));
        assert!(f.crc_valid());
    }

    #[test]
    fn golden_verify_response() {
        let (f, used) = RawFrame::parse(&VERIFY_RESPONSE).unwrap();
        assert_eq!(used, 18);
        assert_eq!(f.header.seq, [0xCE, 0x04]);
        assert_eq!(f.header.seq_le(), 0x04CE);
        assert_eq!(f.header.code, 0x06);
        assert_eq!(f.header.body_len(), 10);
        assert_eq!(f.body.len(), 10);
        assert_eq!(f.crc_order, Some(CrcOrder::LowFirst));
    }

    #[test]
    fn encode_reproduces_golden_vectors() {
        let mut out = BytesMut::new();
        encode_frame(
            [0, 0],
            0,
            0x02,
            &LOGIN_RESPONSE[6..14],
            CrcOrder::LowFirst,
            &mut out,
        )
        .unwrap();
        assert_eq!(&out[..], &LOGIN_RESPONSE);
        out.clear();
        encode_frame(
            [0xCE, 0x04],
            0,
            0x06,
            &VERIFY_RESPONSE[6..16],
            CrcOrder::LowFirst,
            &mut out,
        )
        .unwrap();
        assert_eq!(&out[..], &VERIFY_RESPONSE);
    }

    #[test]
    fn empty_input() {
        assert_eq!(RawFrame::parse(&[]), Err(Error::Empty));
        assert_eq!(RawFrame::parse_lenient(&[]), Err(Error::Empty));
    }

    #[test]
    fn three_bytes_too_short() {
        assert_eq!(
            RawFrame::parse(&[0x68, 0x04, 0x00]),
            Err(Error::TooShort { len: 3 })
        );
        assert_eq!(
            RawFrame::parse(&LOGIN_RESPONSE[..7]),
            Err(Error::TooShort { len: 7 })
        );
    }

    #[test]
    fn bad_start() {
        let mut f = LOGIN_RESPONSE;
        f[0] = 0x67;
        assert_eq!(
            RawFrame::parse(&f),
            Err(Error::BadStart {
                found: 0x67,
                offset: 0
            })
        );
    }

    #[test]
    fn length_below_four() {
        for declared in 0..4u8 {
            let mut f = LOGIN_RESPONSE;
            f[1] = declared;
            assert_eq!(
                RawFrame::parse(&f),
                Err(Error::BadLength {
                    declared,
                    needed: usize::from(declared) + 4,
                    available: 16
                })
            );
        }
    }

    #[test]
    fn length_beyond_data() {
        assert_eq!(
            RawFrame::parse(&LOGIN_RESPONSE[..15]),
            Err(Error::BadLength {
                declared: 0x0C,
                needed: 16,
                available: 15
            })
        );
        let mut f = LOGIN_RESPONSE;
        f[1] = 0xFF;
        assert!(matches!(
            RawFrame::parse(&f),
            Err(Error::BadLength {
                declared: 0xFF,
                needed: 259,
                available: 16
            })
        ));
    }

    #[test]
    fn bad_crc_strict_and_lenient() {
        let mut f = LOGIN_RESPONSE;
        f[14] ^= 0x01;
        assert_eq!(
            RawFrame::parse(&f),
            Err(Error::BadCrc {
                received: [0xDB, 0x4C],
                computed: 0x4CDA
            })
        );
        let (raw, used) = RawFrame::parse_lenient(&f).unwrap();
        assert_eq!(used, 16);
        assert_eq!(raw.crc_order, None);
        assert!(!raw.crc_valid());
        assert_eq!(raw.header.code, 0x02);
        assert!(matches!(raw.to_owned(), Err(Error::BadCrc { .. })));

        // A body byte changed: the received CRC no longer fits.
        let mut g = LOGIN_RESPONSE;
        g[8] ^= 0x80;
        assert!(matches!(RawFrame::parse(&g), Err(Error::BadCrc { .. })));
    }

    #[test]
    fn both_crc_orders_accepted_and_detected() {
        for order in [CrcOrder::LowFirst, CrcOrder::HighFirst] {
            let bytes = frame([1, 2], 0, 0x03, &[9; 9], order);
            let (raw, _) = RawFrame::parse(&bytes).unwrap();
            assert_eq!(raw.crc_order, Some(order));
            assert_eq!(raw.crc, order.bytes(raw.computed));
        }
        // The golden frame with its CRC bytes swapped is high-byte-first.
        let mut f = LOGIN_RESPONSE;
        f.swap(14, 15);
        let (raw, _) = RawFrame::parse(&f).unwrap();
        assert_eq!(raw.crc_order, Some(CrcOrder::HighFirst));
    }

    #[test]
    fn encrypt_flag_preserved() {
        for encrypt in [0x00, 0x01, 0x02, 0xFF] {
            let bytes = frame([0, 0], encrypt, 0x13, &[0xAB; 16], CrcOrder::LowFirst);
            let (raw, _) = RawFrame::parse(&bytes).unwrap();
            assert_eq!(raw.header.encrypt, encrypt);
            assert_eq!(raw.body, &[0xAB; 16]);
        }
    }

    #[test]
    fn unknown_type_code_preserved() {
        for code in [0x00, 0x59, 0x9B, 0xF0, 0xFF] {
            let bytes = frame([7, 0], 0, code, b"vendor", CrcOrder::HighFirst);
            let (raw, _) = RawFrame::parse(&bytes).unwrap();
            assert_eq!(raw.header.code, code);
            let owned = raw.to_owned().unwrap();
            assert_eq!(owned.header.code, code);
            assert_eq!(&owned.body[..], b"vendor");
            let mut back = BytesMut::new();
            owned.write_to(&mut back);
            assert_eq!(&back[..], &bytes[..]);
        }
    }

    #[test]
    fn empty_body_is_the_minimum_frame() {
        let bytes = frame([0, 0], 0, 0x04, &[], CrcOrder::LowFirst);
        assert_eq!(bytes.len(), MIN_FRAME);
        let (raw, used) = RawFrame::parse(&bytes).unwrap();
        assert_eq!(used, MIN_FRAME);
        assert!(raw.body.is_empty());
        assert_eq!(raw.header.body_len(), 0);
    }

    #[test]
    fn trailing_bytes_are_not_consumed() {
        let mut bytes = LOGIN_RESPONSE.to_vec();
        bytes.extend_from_slice(&VERIFY_RESPONSE);
        let (first, used) = RawFrame::parse(&bytes).unwrap();
        assert_eq!((first.header.code, used), (0x02, 16));
        let (second, used2) = RawFrame::parse(&bytes[used..]).unwrap();
        assert_eq!((second.header.code, used2), (0x06, 18));
    }

    #[test]
    fn encode_limits() {
        let mut out = BytesMut::new();
        encode_frame(
            [0, 0],
            0,
            0x3B,
            &[0; MAX_BODY],
            CrcOrder::LowFirst,
            &mut out,
        )
        .unwrap();
        assert_eq!(out.len(), MAX_FRAME);
        assert_eq!(out[1], 0xFF);
        let (raw, used) = RawFrame::parse(&out).unwrap();
        assert_eq!((raw.body.len(), used), (MAX_BODY, MAX_FRAME));

        let mut out = BytesMut::new();
        assert_eq!(
            encode_frame([0, 0], 0, 0x44, &[0; 252], CrcOrder::LowFirst, &mut out),
            Err(Error::TooLong {
                code: 0x44,
                len: 252
            })
        );
        assert!(out.is_empty(), "nothing written on error");
    }

    #[test]
    fn message_to_frame_is_the_whole_frame() {
        use crate::frames::Message;
        for golden in [&LOGIN_RESPONSE[..], &VERIFY_RESPONSE[..]] {
            let (raw, _) = RawFrame::parse(golden).unwrap();
            let (msg, _) = Message::decode(raw.header.code, raw.body).unwrap();
            assert_eq!(
                msg.to_frame(raw.header.seq, CrcOrder::LowFirst).unwrap(),
                golden
            );
            // Appended after what is there, in the other CRC order too.
            let mut out = BytesMut::from(&b"xy"[..]);
            msg.write_frame(raw.header.seq, CrcOrder::HighFirst, &mut out)
                .unwrap();
            assert_eq!(&out[..2], b"xy");
            let (again, _) = RawFrame::parse(&out[2..]).unwrap();
            assert_eq!(again.crc_order, Some(CrcOrder::HighFirst));
            assert_eq!(again.body, raw.body);
        }
    }

    #[test]
    fn message_to_frame_errors_write_nothing() {
        use crate::frames::Message;
        let long = Message::Unknown {
            code: 0x9B,
            body: vec![0; 252],
        };
        let mut out = BytesMut::from(&b"keep"[..]);
        let err = long
            .write_frame([0, 0], CrcOrder::LowFirst, &mut out)
            .unwrap_err();
        assert_eq!(
            err,
            Error::TooLong {
                code: 0x9B,
                len: 252
            }
        );
        assert_eq!(&out[..], b"keep");
        // 25 cards where the table allows 24: the error's offset counts from the frame's start
        // (the 0x68 byte), as a body-only encode's does, whatever `out` held before.
        let card = crate::frames::OfflineCardClearRequestCardsItem {
            physical_card_no: crate::Hex([0; 8]),
        };
        let clear = Message::OfflineCardClearRequest(crate::frames::OfflineCardClearRequest {
            pile_code: crate::Bcd([0; 7]),
            clear_count: 25,
            cards: vec![card; 25],
        });
        let mut body = BytesMut::new();
        let body_err = clear.encode(&mut body).unwrap_err();
        let err = clear
            .write_frame([0, 0], CrcOrder::LowFirst, &mut out)
            .unwrap_err();
        assert_eq!(err, body_err);
        assert!(
            matches!(
                err,
                Error::Field {
                    field: "cards",
                    offset: 14,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(&out[..], b"keep");
    }

    #[test]
    fn owned_from_raw_copies_everything() {
        let (raw, _) = RawFrame::parse(&VERIFY_RESPONSE).unwrap();
        let owned = OwnedFrame::try_from(&raw).unwrap();
        assert_eq!(owned.header, raw.header);
        assert_eq!(&owned.body[..], raw.body);
        assert_eq!(owned.crc, raw.crc);
        assert_eq!(owned.crc_order, CrcOrder::LowFirst);
        assert_eq!(owned.frame_len(), 18);
    }

    #[test]
    fn header_helpers() {
        let h = Header {
            len: 3,
            seq: [0x01, 0x02],
            encrypt: 0,
            code: 0x01,
        };
        assert_eq!(h.body_len(), 0, "saturates below 4");
        assert_eq!(h.seq_le(), 0x0201);
        assert_eq!(h.to_bytes(), [0x68, 3, 1, 2, 0, 1]);
    }
}
