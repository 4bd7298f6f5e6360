//! JSON of a field straight from its bytes and metadata, with no Rust type: the same rendering
//! as the typed path (it calls the same functions), used for partial results of bad frames.

use super::Cp56Time;
use crate::meta::{FieldKind, FieldMeta};
use serde::{Serialize, Serializer};

/// Serializes one value of `meta` from its wire bytes.
pub struct FieldJson<'a>(pub &'a [u8], pub &'a FieldMeta);

impl Serialize for FieldJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (b, meta) = (self.0, self.1);
        match meta.kind {
            FieldKind::Bcd => crate::hex::serialize_upper("", b, s),
            FieldKind::Uint | FieldKind::Bits => {
                super::uint::write_int(super::uint::read_le(b), meta, s)
            }
            FieldKind::Ascii => super::bytes::write_ascii(b, meta, s),
            FieldKind::Cp56Time => s.collect_str(&Cp56Time(super::to_array(b))),
            FieldKind::Bytes | FieldKind::Group | FieldKind::Trailing => {
                crate::hex::serialize_upper("", b, s)
            }
            FieldKind::Layout => s.serialize_none(),
        }
    }
}

/// The fields of a body that fit in `body`, in order, as a JSON object; a group gets the whole
/// items that fit.
pub fn partial(fields: &[FieldMeta], body: &[u8]) -> serde_json::Map<String, serde_json::Value> {
    let mut out = serde_json::Map::new();
    let mut at = 0usize;
    for f in fields.iter().filter(|f| f.kind != FieldKind::Layout) {
        if f.kind == FieldKind::Trailing {
            break;
        }
        if f.kind == FieldKind::Group {
            // A body cut short before the group has no items: empty is the right answer.
            let rest = body.get(at..).unwrap_or_default();
            let items: Vec<_> = rest
                .chunks_exact(f.len.max(1))
                .map(|c| serde_json::Value::Object(partial(f.items, c)))
                .collect();
            out.insert(f.name.to_string(), serde_json::Value::Array(items));
            break;
        }
        let n = match f.repeat {
            crate::meta::Repeat::Once => 1,
            crate::meta::Repeat::Fixed(n) => n,
            _ => break,
        };
        let Some(bytes) = body.get(at..at + f.len * n) else {
            break;
        };
        let value = if n == 1 {
            serde_json::to_value(FieldJson(bytes, f))
        } else {
            serde_json::to_value(
                bytes
                    .chunks(f.len.max(1))
                    .map(|c| FieldJson(c, f))
                    .collect::<Vec<_>>(),
            )
        };
        if let Ok(v) = value {
            out.insert(f.name.to_string(), v);
        }
        at += f.len * n;
    }
    out
}
