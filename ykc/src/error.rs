//! The one error type of the `ykc` crate, and decode warnings.

use std::fmt;

/// Everything that can go wrong decoding or encoding a frame.
///
/// Frame-level variants name the frame type, the field, the byte offset
/// (counted from the start of the frame, i.e. the `0x68` byte) and the spec
/// section, where they apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// No bytes at all.
    #[error("empty input")]
    Empty,
    /// Fewer than the 8 bytes of the smallest frame (header + CRC).
    #[error("frame too short: {len} bytes, at least 8 needed")]
    TooShort {
        /// Bytes available.
        len: usize,
    },
    /// The first byte is not the start flag 0x68.
    #[error("bad start byte 0x{found:02X} at offset {offset}, expected 0x68")]
    BadStart {
        /// The byte found.
        found: u8,
        /// Its offset in the input.
        offset: usize,
    },
    /// The length byte is below 4 or points beyond the data.
    #[error("bad length byte {declared} (frame needs {needed} bytes, {available} available)")]
    BadLength {
        /// The length byte as received.
        declared: u8,
        /// Total frame size it implies (declared + 4).
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// The CRC matches neither byte order.
    #[error("CRC mismatch: received {received:02X?}, computed 0x{computed:04X} (low byte first {lo:02X}{hi:02X})", lo = computed & 0xFF, hi = computed >> 8)]
    BadCrc {
        /// The two CRC bytes as received.
        received: [u8; 2],
        /// CRC-16/MODBUS computed over seq..body.
        computed: u16,
    },
    /// Encryption flag other than 0x00 (plain) or 0x01 (3DES, kept opaque).
    #[error("unsupported encryption flag 0x{flag:02X} (frame 0x{code:02X})")]
    BadEncryptFlag {
        /// The flag byte.
        flag: u8,
        /// The frame type code.
        code: u8,
    },
    /// The frame type is not in the spec (only where a typed decode was requested).
    #[error("unknown frame type 0x{code:02X}")]
    UnknownType {
        /// The frame type code.
        code: u8,
    },
    /// The body length does not fit the frame's table.
    #[error("frame 0x{code:02X} {frame} (§{section}): body is {got} bytes, table says {expected}")]
    BodyLength {
        /// Frame type code.
        code: u8,
        /// Frame name.
        frame: &'static str,
        /// Spec section.
        section: &'static str,
        /// What the table allows (e.g. "30", "8+16N").
        expected: String,
        /// Body bytes received.
        got: usize,
    },
    /// A field-level problem (count that does not fit, value out of range on encode …).
    #[error("frame 0x{code:02X} {frame} (§{section}) field `{field}` at byte {offset}: {reason}")]
    Field {
        /// Frame type code.
        code: u8,
        /// Frame name.
        frame: &'static str,
        /// Spec section.
        section: &'static str,
        /// Field name.
        field: &'static str,
        /// Byte offset of the field from the start of the frame.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// A JSON value given for encoding does not fit its field.
    #[error("field `{field}`: {reason}")]
    Json {
        /// Dotted path of the field.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// Input text that is not hex (CLI and REST input).
    #[error("bad hex input: {reason}")]
    Hex {
        /// Which character, where.
        reason: String,
    },
    /// Bytes a stream decoder dropped while resynchronising.
    #[error("dropped {bytes} bytes ({reason})")]
    Dropped {
        /// How many.
        bytes: usize,
        /// Why (garbage, bad length, bad CRC, truncated).
        reason: String,
    },
    /// The encoded frame does not fit the one-byte length field.
    #[error("frame 0x{code:02X} body of {len} bytes is too long (at most 251)")]
    TooLong {
        /// Frame type code.
        code: u8,
        /// Body length.
        len: usize,
    },
}

/// Offset of the first body byte from the start of the frame (the 0x68 byte).
pub const BODY_OFFSET: usize = 6;

/// A problem that does not stop decoding: the value is kept as received.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Warning {
    /// Field name ("" for frame-level warnings).
    pub field: &'static str,
    /// Byte offset from the start of the frame.
    pub offset: usize,
    /// What was noticed.
    pub kind: WarningKind,
}

/// The kinds of decode warnings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WarningKind {
    /// A BCD field holds nibbles above 9 (ERRATA R5); the hex digits are kept.
    NonDecimalBcd,
    /// A CP56Time2a value is not a real date (ERRATA R6); raw bytes kept.
    InvalidTime,
    /// The body is longer than the table; the extra bytes are kept raw.
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// The body matched the frame's alternative (legacy) layout.
    AltLayout {
        /// The layout's name from the spec.
        layout: &'static str,
    },
    /// Items without their optional last byte were read (ERRATA §4, 0x45).
    ShortItems,
    /// The CRC matched neither byte order (kept going, as the parse CLI does).
    BadCrc,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match &self.kind {
            WarningKind::NonDecimalBcd => {
                "BCD value has non-decimal digits (kept as hex)".to_string()
            }
            WarningKind::InvalidTime => "CP56Time2a is not a valid date (raw kept)".to_string(),
            WarningKind::TrailingBytes { count } => {
                format!("{count} bytes beyond the table (kept raw)")
            }
            WarningKind::AltLayout { layout } => {
                format!("decoded with alternative layout `{layout}`")
            }
            WarningKind::ShortItems => {
                "items lack a byte the table lists (tolerant short-item reading, ERRATA §4)"
                    .to_string()
            }
            WarningKind::BadCrc => "CRC matches neither byte order".to_string(),
        };
        if self.field.is_empty() {
            write!(f, "byte {}: {what}", self.offset)
        } else {
            write!(f, "field `{}` at byte {}: {what}", self.field, self.offset)
        }
    }
}
