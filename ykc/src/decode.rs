//! One whole frame from bytes to a typed message: header, CRC, encryption, body.

use crate::error::{Error, Warning, WarningKind};
use crate::frames::Message;
use crate::header::RawFrame;

/// A frame's body: decoded, or opaque when encrypted (3DES: no key or mode is defined, ERRATA F5).
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// A plain body, decoded by the spec (raw for unknown codes).
    Plain(Message),
    /// An encrypted body, kept as received.
    Encrypted(Vec<u8>),
}

/// A decoded frame with its header and whatever was noticed on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded<'a> {
    /// Header, body bytes and CRC as received.
    pub raw: RawFrame<'a>,
    /// The body.
    pub body: Body,
    /// Warnings (a CRC that matches neither order is one, in lenient mode).
    pub warnings: Vec<Warning>,
}

/// Decodes the frame at the start of `input`; returns it and the bytes it took.
///
/// A CRC that matches neither byte order is an error.
pub fn decode_frame(input: &[u8]) -> Result<(Decoded<'_>, usize), Error> {
    let (raw, used) = RawFrame::parse(input)?;
    Ok((decode_raw(raw)?, used))
}

/// Like [`decode_frame`], but a bad CRC is a warning and the body is still decoded (the parse CLI).
pub fn decode_frame_lenient(input: &[u8]) -> Result<(Decoded<'_>, usize), Error> {
    let (raw, used) = RawFrame::parse_lenient(input)?;
    let mut d = decode_raw(raw)?;
    if d.raw.crc_order.is_none() {
        let offset = d.raw.frame_len().saturating_sub(2);
        d.warnings.push(Warning {
            field: "",
            offset,
            kind: WarningKind::BadCrc,
        });
    }
    Ok((d, used))
}

/// Decodes the body of an already framed message.
pub fn decode_raw(raw: RawFrame<'_>) -> Result<Decoded<'_>, Error> {
    let code = raw.header.code;
    match raw.header.encrypt {
        0x00 => {
            let (msg, warnings) = Message::decode(code, raw.body)?;
            Ok(Decoded {
                raw,
                body: Body::Plain(msg),
                warnings,
            })
        }
        0x01 => Ok(Decoded {
            body: Body::Encrypted(raw.body.to_vec()),
            raw,
            warnings: Vec::new(),
        }),
        flag => Err(Error::BadEncryptFlag { flag, code }),
    }
}
