//! The traits the derive implements for frame and item structs.

use crate::error::{Error, Warning};
use crate::meta::{FieldMeta, FrameMeta};
use bytes::BytesMut;
use serde_json::Value;

/// A fixed-layout run of fields: a frame body or a repeated item.
pub trait Record: Sized {
    /// A zero-copy view over the record's bytes.
    type View<'a>;
    /// The fields in wire order.
    const FIELDS: &'static [FieldMeta];
    /// Bytes of the fixed part (everything but a trailing group).
    const FIXED_LEN: usize;
    /// Bytes of the fixed part in the alternative layout (= `FIXED_LEN` without one).
    const ALT_LEN: usize;
    /// Decodes from exactly the record's bytes; `base` is their offset in the frame (for errors).
    fn decode_at(bytes: &[u8], base: usize, cx: &mut DecodeCx) -> Result<Self, Error>;
    /// Appends the record's bytes.
    fn encode_to(&self, out: &mut BytesMut, cx: &EncodeCx) -> Result<(), Error>;
    /// Builds the record from the JSON object its `Serialize` writes.
    fn from_json(v: &Value, path: &str) -> Result<Self, Error>;
    /// A view over `bytes` (lengths already checked by the caller).
    fn view_of(bytes: &[u8]) -> Self::View<'_>;
    /// Appends the record's JSON object: the one rendering, and the fast path. `Serialize`
    /// delegates to it (through a validated `RawValue`, so serde users pay a second pass).
    fn write_json(&self, out: &mut Vec<u8>);
}

/// A frame type: a record with a code and its place in the spec.
pub trait Frame: Record {
    /// Frame type code.
    const CODE: u8;
    /// Everything the spec says about the frame.
    const META: &'static FrameMeta;
    /// Decodes a body, collecting warnings.
    fn decode(body: &[u8]) -> Result<(Self, Vec<Warning>), Error> {
        let mut cx = DecodeCx::new(Self::META);
        let v = Self::decode_at(body, crate::error::BODY_OFFSET, &mut cx)?;
        Ok((v, cx.warnings))
    }
    /// Appends the body's bytes.
    fn encode(&self, out: &mut BytesMut) -> Result<(), Error> {
        self.encode_to(out, &EncodeCx { frame: Self::META })
    }
    /// A zero-copy view after checking the body length.
    fn view(body: &[u8]) -> Result<Self::View<'_>, Error> {
        crate::__private::check_len(Self::META, body, Self::FIXED_LEN)?;
        Ok(Self::view_of(body))
    }
}

/// State carried through one decode: the frame and the warnings so far.
#[derive(Debug)]
pub struct DecodeCx {
    /// The frame being decoded.
    pub frame: &'static FrameMeta,
    /// Warnings collected.
    pub warnings: Vec<Warning>,
}

impl DecodeCx {
    /// A fresh context for `frame`.
    pub fn new(frame: &'static FrameMeta) -> Self {
        DecodeCx {
            frame,
            warnings: Vec::new(),
        }
    }
}

/// State carried through one encode.
#[derive(Debug, Clone, Copy)]
pub struct EncodeCx {
    /// The frame being encoded.
    pub frame: &'static FrameMeta,
}
