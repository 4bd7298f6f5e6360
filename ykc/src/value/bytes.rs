//! ASCII text and opaque byte fields.

use super::{to_array, WireValue};
use crate::error::WarningKind;
use crate::meta::FieldMeta;
use serde::Serializer;
use serde_json::Value;
use std::fmt;

/// Opaque bytes (物理卡号, 预留位, passwords), shown as uppercase hex of the wire bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hex<const N: usize>(pub [u8; N]);

/// A borrowed opaque field.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HexRef<'a>(pub &'a [u8]);

/// ASCII text of `N` bytes, padded with 0x00 (ERRATA T8).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ascii<const N: usize>(pub [u8; N]);

/// A borrowed ASCII field.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AsciiRef<'a>(pub &'a [u8]);

impl<const N: usize> Default for Hex<N> {
    fn default() -> Self {
        Hex([0; N])
    }
}

impl<const N: usize> Default for Ascii<N> {
    fn default() -> Self {
        Ascii([0; N])
    }
}

/// Uppercase hex digits, as [`crate::hex::Upper`].
impl fmt::Display for HexRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&crate::hex::Upper(self.0), f)
    }
}

impl<const N: usize> fmt::Debug for Hex<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hex({:?})", crate::hex::Upper(&self.0))
    }
}

impl<const N: usize> WireValue for Hex<N> {
    type View<'a> = HexRef<'a>;
    fn view(bytes: &[u8]) -> HexRef<'_> {
        HexRef(bytes)
    }
    fn decode(bytes: &[u8]) -> (Self, Option<WarningKind>) {
        (Hex(to_array(bytes)), None)
    }
    fn encode(&self, out: &mut [u8]) -> Result<(), String> {
        super::put_exact(out, &self.0)
    }
    fn write_json<S: Serializer>(&self, _meta: &FieldMeta, s: S) -> Result<S::Ok, S::Error> {
        crate::hex::serialize_upper("", &self.0, s)
    }
    fn write_json_bytes(&self, _meta: &FieldMeta, out: &mut Vec<u8>) {
        super::push_hex_json(out, "", &self.0);
    }
    fn from_json(v: &Value, _meta: &FieldMeta) -> Result<Self, String> {
        let Value::String(s) = v else {
            return Err(format!("expected a hex string, got {v}"));
        };
        let b = crate::hex::decode(s).map_err(|e| e.to_string())?;
        if b.len() > N {
            return Err(format!("{} bytes given, the field holds {N}", b.len()));
        }
        // Right-align: a short card number is padded with leading zero bytes (ERRATA T5).
        let mut out = [0u8; N];
        put_tail(&mut out, &b);
        Ok(Hex(out))
    }
}

fn put_tail(out: &mut [u8], src: &[u8]) {
    let skip = out.len().saturating_sub(src.len());
    for (d, s) in out.iter_mut().skip(skip).zip(src) {
        *d = *s;
    }
}

impl<'a> AsciiRef<'a> {
    /// The text with trailing 0x00 padding removed (lossy for non-UTF-8).
    pub fn text(&self) -> std::borrow::Cow<'a, str> {
        String::from_utf8_lossy(trim_pad(self.0))
    }
}

/// Strips trailing 0x00 (and 0xFF "absent") padding.
fn trim_pad(mut b: &[u8]) -> &[u8] {
    while let [rest @ .., 0x00 | 0xFF] = b {
        b = rest;
    }
    b
}

/// JSON of ASCII bytes: the text without padding, reversed where the spec says; null when absent.
pub(crate) fn write_ascii<S: Serializer>(
    bytes: &[u8],
    meta: &FieldMeta,
    s: S,
) -> Result<S::Ok, S::Error> {
    if trim_pad(bytes).is_empty() {
        return s.serialize_none();
    }
    if meta.reversed {
        let rev: Vec<u8> = bytes.iter().rev().copied().collect();
        return s.serialize_str(&String::from_utf8_lossy(trim_pad(&rev)));
    }
    s.serialize_str(&String::from_utf8_lossy(trim_pad(bytes)))
}

impl<const N: usize> Ascii<N> {
    /// Builds from text, padding with 0x00.
    pub fn from_text(s: &str) -> Result<Self, String> {
        let mut out = [0u8; N];
        super::put_exact(&mut out, s.as_bytes())?;
        Ok(Ascii(out))
    }
    /// The text as read in wire order, padding removed.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        AsciiRef(&self.0).text()
    }
}

impl<const N: usize> fmt::Debug for Ascii<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ascii({:?})", self.text())
    }
}

impl<const N: usize> WireValue for Ascii<N> {
    type View<'a> = AsciiRef<'a>;
    fn view(bytes: &[u8]) -> AsciiRef<'_> {
        AsciiRef(bytes)
    }
    fn decode(bytes: &[u8]) -> (Self, Option<WarningKind>) {
        (Ascii(to_array(bytes)), None)
    }
    fn encode(&self, out: &mut [u8]) -> Result<(), String> {
        super::put_exact(out, &self.0)
    }
    fn write_json<S: Serializer>(&self, meta: &FieldMeta, s: S) -> Result<S::Ok, S::Error> {
        write_ascii(&self.0, meta, s)
    }
    fn from_json(v: &Value, meta: &FieldMeta) -> Result<Self, String> {
        match v {
            Value::Null => Ok(Ascii([0; N])),
            Value::String(t) if meta.reversed => {
                let mut a = Ascii::<N>::from_text(t)?;
                a.0.reverse();
                Ok(a)
            }
            Value::String(t) => Ascii::from_text(t),
            other => Err(format!("expected text, got {other}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::FieldKind;

    #[test]
    fn ascii_trims_padding() {
        let (a, _) = Ascii::<8>::decode(b"V4.1.50\0");
        assert_eq!(a.text(), "V4.1.50");
    }

    #[test]
    fn reversed_vin_round_trips() {
        let meta = FieldMeta {
            reversed: true,
            ..FieldMeta::new("vin", FieldKind::Ascii, 5)
        };
        let (a, _) = Ascii::<5>::decode(b"EDCBA");
        let j = serde_json::to_value(crate::__private::Json(&a, &meta)).unwrap();
        assert_eq!(j, serde_json::json!("ABCDE"));
        assert_eq!(Ascii::<5>::from_json(&j, &meta).unwrap(), a);
    }

    #[test]
    fn hex_right_aligns() {
        let meta = FieldMeta::new("card", FieldKind::Bytes, 8);
        let h = Hex::<8>::from_json(&serde_json::json!("D14B0A54"), &meta).unwrap();
        assert_eq!(h.0, [0, 0, 0, 0, 0xD1, 0x4B, 0x0A, 0x54]);
    }
}
