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
mod uint;

pub use self::bcd::{Bcd, BcdRef};
pub use self::bytes::{parse_hex, Ascii, AsciiRef, Hex, HexRef};
pub use self::cp56::{civil_from_days, Cp56Time, DateTime};
pub use self::dynamic::{partial, FieldJson};
pub use self::enums::{render_fragments, CodeEnum};

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

/// Uppercase hex digit pairs of every byte value.
#[allow(clippy::indexing_slicing)] // evaluated at compile time
const HEX_PAIRS: [[u8; 2]; 256] = {
    const D: &[u8; 16] = b"0123456789ABCDEF";
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [D[i >> 4], D[i & 0x0F]];
        i += 1;
    }
    t
};

/// Appends `"<prefix><HEX>"` (a JSON string of uppercase hex digits).
pub fn push_hex_json(out: &mut Vec<u8>, prefix: &str, bytes: &[u8]) {
    out.reserve(bytes.len() * 2 + prefix.len() + 2);
    out.push(b'"');
    out.extend_from_slice(prefix.as_bytes());
    for b in bytes {
        // A u8 indexes a 256-entry table: always in bounds.
        out.extend_from_slice(HEX_PAIRS.get(usize::from(*b)).unwrap_or(b"00"));
    }
    out.push(b'"');
}

/// Appends an unsigned integer in decimal.
pub fn push_u64(out: &mut Vec<u8>, v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut v = v;
    loop {
        i -= 1;
        if let Some(c) = buf.get_mut(i) {
            *c = b'0' + (v % 10) as u8;
        }
        v /= 10;
        if v == 0 || i == 0 {
            break;
        }
    }
    out.extend_from_slice(buf.get(i..).unwrap_or_default());
}

/// Serializes `bytes` as a string of two uppercase hex digits per byte, built on the stack
/// (one `serialize_str` instead of one formatter call per digit).
pub(crate) fn serialize_hex_digits<S: serde::Serializer>(
    bytes: &[u8],
    s: S,
) -> Result<S::Ok, S::Error> {
    serialize_hex_prefixed("", bytes, s)
}

/// Like [`serialize_hex_digits`] with a prefix such as `0x`. Bodies up to 255 bytes stay on the stack.
pub fn serialize_hex_prefixed<S: serde::Serializer>(
    prefix: &str,
    bytes: &[u8],
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut small = [0u8; 72];
    let mut big;
    let need = prefix.len() + bytes.len() * 2;
    let buf: &mut [u8] = if need <= small.len() {
        &mut small
    } else {
        big = [0u8; 520];
        &mut big
    };
    write_hex(prefix, bytes, buf, s)
}

fn write_hex<S: serde::Serializer>(
    prefix: &str,
    bytes: &[u8],
    buf: &mut [u8],
    s: S,
) -> Result<S::Ok, S::Error> {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let p = prefix.len();
    let Some(out) = buf.get_mut(..p + bytes.len() * 2) else {
        return s.collect_str(&format_args!("{prefix}{}", HexRef(bytes)));
    };
    let (head, digits) = out.split_at_mut(p);
    head.copy_from_slice(prefix.as_bytes());
    for (pair, b) in digits.chunks_exact_mut(2).zip(bytes) {
        if let ([hi, lo], Some(h), Some(l)) = (
            pair,
            DIGITS.get(usize::from(b >> 4)),
            DIGITS.get(usize::from(b & 0x0F)),
        ) {
            *hi = *h;
            *lo = *l;
        }
    }
    s.serialize_str(std::str::from_utf8(out).unwrap_or_default())
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
    if src.len() > out.len() {
        return Err(format!("{} bytes do not fit in {}", src.len(), out.len()));
    }
    for (d, s) in out.iter_mut().zip(src) {
        *d = *s;
    }
    Ok(())
}
