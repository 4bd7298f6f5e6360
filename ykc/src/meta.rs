//! Static descriptions of frames and fields, generated from the spec.
//!
//! The derive emits one [`FieldMeta`] per field and one [`FrameMeta`] per
//! frame; JSON output, docs and the CLI read them instead of knowing frames.

use serde::Serialize;

/// The spec's vocabulary, defined once in `ykc-vocab` and shared with the generator and derive.
pub use ykc_vocab::{Direction, FieldKind, Role, UnknownName};

/// How many times a field occurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Repeat {
    /// Exactly once.
    Once,
    /// A fixed number of consecutive values.
    Fixed(usize),
    /// As many items as the named earlier field says.
    CountField(&'static str),
    /// Items fill the rest of the body.
    Rest,
}

/// One value of an enumeration: its code and meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EnumValue {
    /// Wire code.
    pub code: u64,
    /// English snake_case name.
    pub name: &'static str,
    /// Chinese meaning as printed.
    pub zh: &'static str,
}

/// A named run of bits inside a [`FieldKind::Bits`] field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BitMeta {
    /// English snake_case name.
    pub name: &'static str,
    /// Chinese name as printed.
    pub name_zh: &'static str,
    /// Index of the least significant bit (0 = LSB of the LE value).
    pub bit: u8,
    /// Number of bits.
    pub width: u8,
    /// Meanings of the values, when the table lists them.
    pub values: &'static [EnumValue],
}

impl BitMeta {
    /// Extracts this run from the field's raw value.
    pub fn extract(&self, raw: u64) -> u64 {
        let mask = if self.width >= 64 {
            u64::MAX
        } else {
            (1u64 << self.width) - 1
        };
        raw.checked_shr(u32::from(self.bit)).unwrap_or(0) & mask
    }
}

/// Everything the spec says about one field.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FieldMeta {
    /// English snake_case name (the JSON key).
    pub name: &'static str,
    /// Chinese name as printed.
    pub name_zh: &'static str,
    /// Wire layout.
    pub kind: FieldKind,
    /// Bytes per value (per item for groups).
    pub len: usize,
    /// Bytes per value in the frame's alternative layout.
    pub alt_len: usize,
    /// How often it occurs.
    pub repeat: Repeat,
    /// Decimal places: value = raw / 10^decimals.
    pub decimals: u32,
    /// Added after scaling (−50 for temperatures).
    pub offset: i64,
    /// Unit of the scaled value.
    pub unit: &'static str,
    /// Raw 0 means "not applicable" and shows as null.
    pub null_when_zero: bool,
    /// ASCII sent in reverse byte order.
    pub reversed: bool,
    /// Named bit runs of a bit field.
    pub bits: &'static [BitMeta],
    /// Enum values, when the field is an enumeration.
    pub values: &'static [EnumValue],
    /// The item's fields, for a group.
    pub items: &'static [FieldMeta],
    /// The field's name in the Go proxy's REST bodies ("" = none).
    pub go: &'static str,
    /// Go sends a bool: (value if true, value if false).
    pub go_bool: Option<(&'static str, &'static str)>,
    /// 备注 as printed.
    pub note_zh: &'static str,
}

impl FieldMeta {
    /// A plain field of the given kind and length; the derive fills the rest.
    pub const fn new(name: &'static str, kind: FieldKind, len: usize) -> Self {
        FieldMeta {
            name,
            name_zh: "",
            kind,
            len,
            alt_len: len,
            repeat: Repeat::Once,
            decimals: 0,
            offset: 0,
            unit: "",
            null_when_zero: false,
            reversed: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: None,
            note_zh: "",
        }
    }
}

/// How long a frame's body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BodyLen {
    /// Bytes of the fixed part.
    pub fixed: usize,
    /// Bytes per repeated item (0 = none).
    pub item: usize,
    /// Largest item count the table allows (0 = no limit stated).
    pub max_items: usize,
    /// Alternative fixed length (0 = none).
    pub alt: usize,
    /// Longer bodies decode with a warning.
    pub trailing: bool,
}

impl std::fmt::Display for BodyLen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.fixed)?;
        if self.item > 0 {
            write!(f, "+{}N", self.item)?;
        }
        if self.alt > 0 {
            write!(f, " or {}", self.alt)?;
        }
        if self.trailing {
            write!(f, " or more")?;
        }
        Ok(())
    }
}

/// The positive answer to a request (spec `answer:`): reply fields copied from the request,
/// fields set to JSON values, item fields of copied groups set; everything else zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AnswerMeta {
    /// The request's code.
    pub request: u8,
    /// (reply field, request field).
    pub copy: &'static [(&'static str, &'static str)],
    /// (reply field, JSON value).
    pub set: &'static [(&'static str, &'static str)],
    /// (item field, JSON value) for items of copied groups.
    pub item_set: &'static [(&'static str, &'static str)],
    /// (reply field, JSON value) set instead of `set` when the request is refused.
    pub refuse: &'static [(&'static str, &'static str)],
}

/// Everything the spec says about one frame type.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FrameMeta {
    /// Frame type code.
    pub code: u8,
    /// English snake_case name.
    pub name: &'static str,
    /// Chinese name as printed in the section heading.
    pub name_zh: &'static str,
    /// Spec section.
    pub section: &'static str,
    /// Who sends it.
    pub direction: Direction,
    /// The frame that answers it.
    pub reply: Option<u8>,
    /// Body length rule.
    pub body_len: BodyLen,
    /// Fields in wire order.
    pub fields: &'static [FieldMeta],
    /// How this frame answers its request by default.
    pub answer: Option<&'static AnswerMeta>,
    /// What the gateway uses the frame for.
    pub role: Option<Role>,
}

impl FrameMeta {
    /// Byte range of the `pile_code` field in a body, when the frame has one before any group.
    pub fn pile_code_range(&self) -> Option<std::ops::Range<usize>> {
        let bcd = |f: &&FieldMeta| f.name == "pile_code" && f.kind == FieldKind::Bcd;
        self.fields.iter().find(bcd)?;
        self.field_range("pile_code")
    }

    /// Byte range of the field `name` in a body, when it lies before any group or trailing bytes
    /// (in the main layout).
    pub fn field_range(&self, name: &str) -> Option<std::ops::Range<usize>> {
        let mut at = 0usize;
        for f in self.fields {
            let len = match (f.kind, f.repeat) {
                (FieldKind::Group | FieldKind::Trailing, _) => return None,
                (_, Repeat::Fixed(n)) => f.len * n,
                _ => f.len,
            };
            if f.name == name {
                return Some(at..at + len);
            }
            at += len;
        }
        None
    }
}
