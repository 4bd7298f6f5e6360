//! Unsigned little-endian integers (BIN码), scaled, offset and bit fields.

use super::{range, WireValue};
use crate::error::WarningKind;
use crate::meta::{FieldKind, FieldMeta};
use bytes::BufMut;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::Value;

/// Reads a little-endian integer of up to 8 bytes (`ykc-gen` gives integer fields 1 to 8 bytes;
/// bytes past the eighth would not fit a `u64` and are not read).
pub fn read_le(bytes: &[u8]) -> u64 {
    // The common widths by pattern: a variable-length copy would be a memcpy call per field.
    match *bytes {
        [a] => u64::from(a),
        [a, b] => u64::from(u16::from_le_bytes([a, b])),
        [a, b, c, d] => u64::from(u32::from_le_bytes([a, b, c, d])),
        _ => {
            let mut le = [0u8; 8];
            for (d, s) in le.iter_mut().zip(bytes) {
                *d = *s;
            }
            u64::from_le_bytes(le)
        }
    }
}

/// Writes `v` little-endian into all of `out` (at most 8 bytes); fails when it does not fit.
pub fn write_le(v: u64, out: &mut [u8]) -> Result<(), String> {
    let n = out.len();
    if n > 8 {
        return Err(format!("an integer field of {n} bytes is wider than a u64"));
    }
    if n < 8 && v >> (8 * n) != 0 {
        return Err(format!("{v} does not fit in {n} byte(s)"));
    }
    let mut dst = out;
    dst.put_uint_le(v, n);
    Ok(())
}

/// The scaled JSON number of a raw integer, as the field's metadata says.
fn scaled(raw: u64, meta: &FieldMeta) -> Option<f64> {
    if meta.decimals == 0 && meta.offset == 0 {
        return None;
    }
    let div = 10f64.powi(meta.decimals as i32);
    Some(raw as f64 / div + meta.offset as f64)
}

pub(crate) fn write_int<S: Serializer>(
    raw: u64,
    meta: &FieldMeta,
    s: S,
) -> Result<S::Ok, S::Error> {
    if meta.null_when_zero && raw == 0 {
        return s.serialize_none();
    }
    if meta.kind == FieldKind::Bits && !meta.bits.is_empty() {
        let mut m = s.serialize_map(Some(meta.bits.len() + 1))?;
        m.serialize_entry("raw", &raw)?;
        for b in meta.bits {
            let v = b.extract(raw);
            if b.width == 1 && b.values.is_empty() {
                m.serialize_entry(b.name, &(v == 1))?;
            } else if let Some(e) = b.values.iter().find(|e| e.code == v) {
                m.serialize_entry(
                    b.name,
                    &super::enums::EnumJson {
                        code: v,
                        name: Some(e.name),
                        zh: Some(e.zh),
                    },
                )?;
            } else {
                m.serialize_entry(b.name, &v)?;
            }
        }
        return m.end();
    }
    if !meta.values.is_empty() {
        let e = meta.values.iter().find(|e| e.code == raw);
        return super::enums::EnumJson {
            code: raw,
            name: e.map(|e| e.name),
            zh: e.map(|e| e.zh),
        }
        .serialize(s);
    }
    match scaled(raw, meta) {
        None => s.serialize_u64(raw),
        Some(f) if meta.decimals == 0 => s.serialize_i64(f as i64),
        Some(f) => s.serialize_f64(f),
    }
}

/// Reads an integer field from JSON and checks it fits the field (its width, scale and offset):
/// an unscaled field takes an integer or its decimal / `0x` hex text; a scaled one takes its
/// value as a number or as decimal text alike (`12` and `"12"` are 12.00 of a ×10⁻² field);
/// `{"raw": n}` gives the wire integer itself.
fn int_from_json(v: &Value, meta: &FieldMeta) -> Result<u64, String> {
    match v {
        Value::Null if meta.null_when_zero => Ok(0),
        Value::Object(o) => match o.get("raw") {
            Some(r) => raw_from_json(r, meta),
            None => Err("object needs a `raw` number".to_string()),
        },
        Value::Number(n) if range::is_scaled(meta) => range::scaled_raw(&n.to_string(), true, meta),
        Value::String(t) if range::is_scaled(meta) => range::scaled_raw(t, false, meta),
        other => raw_from_json(other, meta),
    }
}

/// Reads the wire integer itself: a JSON integer, or its decimal or `0x` hex text.
fn raw_from_json(v: &Value, meta: &FieldMeta) -> Result<u64, String> {
    match v {
        Value::Number(n) => match n.as_u64() {
            Some(raw) => range::check_raw(raw, &n.to_string(), meta),
            None if n.as_i64().is_some() => Err(range::out_of_range(&n.to_string(), meta)),
            None => Err(format!("{n} is not an integer")),
        },
        Value::String(t) => {
            let t = t.trim();
            let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                Some(h) => u64::from_str_radix(h, 16).ok(),
                None => t.parse::<u64>().ok(),
            };
            let raw = parsed.ok_or_else(|| format!("`{t}` is not an unsigned integer"))?;
            range::check_raw(raw, t, meta)
        }
        other => Err(format!("expected a number, got {other}")),
    }
}

macro_rules! uint_impl {
    ($($t:ty),*) => {$(
        impl WireValue for $t {
            type View<'a> = $t;
            fn view(bytes: &[u8]) -> $t {
                read_le(bytes) as $t
            }
            fn decode(bytes: &[u8]) -> ($t, Option<WarningKind>) {
                (read_le(bytes) as $t, None)
            }
            fn encode(&self, out: &mut [u8]) -> Result<(), String> {
                write_le(u64::from(*self), out)
            }
            fn write_json<S: Serializer>(&self, meta: &FieldMeta, s: S) -> Result<S::Ok, S::Error> {
                write_int(u64::from(*self), meta, s)
            }
            fn write_json_bytes(&self, meta: &FieldMeta, out: &mut Vec<u8>) {
                let plain = meta.decimals == 0 && meta.offset == 0 && !meta.null_when_zero && meta.bits.is_empty() && meta.values.is_empty();
                if plain {
                    super::push_u64(out, u64::from(*self));
                } else if serde_json::to_writer(&mut *out, &crate::__private::Json(self, meta)).is_err() {
                    out.extend_from_slice(b"null");
                }
            }
            fn from_json(v: &Value, meta: &FieldMeta) -> Result<$t, String> {
                let raw = int_from_json(v, meta)?;
                <$t>::try_from(raw).map_err(|_| format!("{raw} is too large for {} byte(s)", meta.len))
            }
        }
    )*};
}
uint_impl!(u8, u16, u32, u64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn le_round_trip_and_overflow() {
        let mut b = [0u8; 3];
        write_le(0x010203, &mut b).unwrap();
        assert_eq!(b, [3, 2, 1]);
        assert_eq!(read_le(&b), 0x010203);
        assert!(write_le(0x0100_0000, &mut b).is_err());
    }

    #[test]
    fn scaled_json() {
        let meta = FieldMeta {
            decimals: 5,
            ..FieldMeta::new("rate", FieldKind::Uint, 4)
        };
        let v = serde_json::to_value(crate::__private::Json(&200_000u32, &meta)).unwrap();
        assert_eq!(v, serde_json::json!(2.0));
        assert_eq!(
            u32::from_json(&serde_json::json!(2.0), &meta).unwrap(),
            200_000
        );
        let t = FieldMeta {
            offset: -50,
            null_when_zero: true,
            ..FieldMeta::new("t", FieldKind::Uint, 1)
        };
        assert_eq!(
            serde_json::to_value(crate::__private::Json(&0u8, &t)).unwrap(),
            Value::Null
        );
        assert_eq!(
            serde_json::to_value(crate::__private::Json(&75u8, &t)).unwrap(),
            serde_json::json!(25)
        );
        assert_eq!(u8::from_json(&serde_json::json!(25), &t).unwrap(), 75);
    }
}
