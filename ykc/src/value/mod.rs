//! Wire value types and the [`WireValue`] trait the derive builds frames from.
//!
//! Every field of a frame is one of these: integers (`u8`…`u64`, also used for
//! bit fields), [`Bcd`], [`Ascii`], [`Hex`], [`Cp56Time`], or an enumeration
//! implementing [`CodeEnum`]. Decoding a value never fails: odd content is kept
//! as received and reported as a [`WarningKind`].

mod bcd;
mod bytes;
mod cp56;
mod dynamic;
mod enums;
pub mod range;
mod uint;

pub use self::bcd::{Bcd, BcdRef};
pub use self::bytes::{Ascii, AsciiRef, Hex, HexRef};
pub use self::cp56::{civil_from_days, Cp56Time, DateTime};
pub use self::dynamic::{partial, FieldJson};
pub use self::enums::{render_fragments, CodeEnum};
/// Parses hex text into bytes: the same as [`crate::hex::decode`], kept at this path for callers.
pub use crate::hex::decode as parse_hex;

use crate::error::WarningKind;
use crate::meta::FieldMeta;
use serde::Serializer;
use serde_json::Value;

/// A value with a fixed size on the wire.
pub trait WireValue: Sized {
    /// What a zero-copy view returns for this value.
    type View<'a>;
    /// Reads the value without copying (`bytes` has the field's length).
    fn view(bytes: &[u8]) -> Self::View<'_>;
    /// Reads the value; odd content is kept and reported.
    fn decode(bytes: &[u8]) -> (Self, Option<WarningKind>);
    /// Writes the value into `out` (the field's length, zero-filled).
    fn encode(&self, out: &mut [u8]) -> Result<(), String>;
    /// Writes the value's JSON form as the field's metadata says.
    fn write_json<S: Serializer>(&self, meta: &FieldMeta, s: S) -> Result<S::Ok, S::Error>;
    /// Reads the value from the JSON form [`WireValue::write_json`] writes.
    fn from_json(v: &Value, meta: &FieldMeta) -> Result<Self, String>;
    /// Appends the same JSON as [`WireValue::write_json`] straight to bytes (the fast path;
    /// types override it where they can skip serde).
    fn write_json_bytes(&self, meta: &FieldMeta, out: &mut Vec<u8>) {
        if serde_json::to_writer(&mut *out, &crate::__private::Json(self, meta)).is_err() {
            out.extend_from_slice(b"null");
        }
    }
}

/// Appends `"<prefix><HEX>"` (a JSON string of uppercase hex digits). Generated code calls it.
pub fn push_hex_json(out: &mut Vec<u8>, prefix: &str, bytes: &[u8]) {
    out.reserve(bytes.len() * 2 + prefix.len() + 2);
    out.push(b'"');
    out.extend_from_slice(prefix.as_bytes());
    crate::hex::push_upper(out, bytes);
    out.push(b'"');
}

/// Appends an unsigned integer in decimal.
pub fn push_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Copies `bytes` into an array, zero-padding or truncating (lengths are checked by the caller).
pub(crate) fn to_array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    for (d, s) in a.iter_mut().zip(bytes) {
        *d = *s;
    }
    a
}

/// Writes `src` into `out` or explains why it does not fit.
pub(crate) fn put_exact(out: &mut [u8], src: &[u8]) -> Result<(), String> {
    let room = out.len();
    let dst = out
        .get_mut(..src.len())
        .ok_or_else(|| format!("{} bytes do not fit in {room}", src.len()))?;
    dst.copy_from_slice(src);
    Ok(())
}
