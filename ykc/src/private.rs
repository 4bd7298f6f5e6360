//! Helpers for the code `ykc-derive` generates. Not a public API.

use crate::error::{Error, Warning, BODY_OFFSET};
use crate::meta::{FieldMeta, FrameMeta};
use crate::record::{DecodeCx, EncodeCx, Record};
use crate::value::WireValue;
use bytes::BytesMut;
use serde::ser::Serializer;
use serde::Serialize;
use serde_json::Value;

pub use bytes;
pub use serde;
pub use serde_json;

/// Lazily rendered enum JSON (see `CodeEnum::json_fragment`).
pub type Fragments = std::sync::OnceLock<Vec<Option<Box<serde_json::value::RawValue>>>>;

/// Serializes JSON rendered by `render` (a record's `write_json`) through any serde serializer.
pub fn serialize_rendered<S: Serializer>(
    render: impl FnOnce(&mut Vec<u8>),
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut buf = Vec::with_capacity(256);
    render(&mut buf);
    let text = String::from_utf8(buf).map_err(serde::ser::Error::custom)?;
    serde_json::value::RawValue::from_string(text)
        .map_err(serde::ser::Error::custom)?
        .serialize(s)
}

/// Appends the JSON of repeated values.
pub fn write_json_seq<T: WireValue>(vs: &[T], meta: &FieldMeta, out: &mut Vec<u8>) {
    out.push(b'[');
    for (i, v) in vs.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        v.write_json_bytes(meta, out);
    }
    out.push(b']');
}

/// Appends the JSON of group items.
pub fn write_json_items<T: Record>(items: &[T], out: &mut Vec<u8>) {
    out.push(b'[');
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        v.write_json(out);
    }
    out.push(b']');
}

/// Serializes a value the way its field's metadata says.
pub struct Json<'a, T>(pub &'a T, pub &'a FieldMeta);

impl<T: WireValue> Serialize for Json<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.write_json(self.1, s)
    }
}

/// The bytes of one field, or empty when out of range.
pub fn slice(bytes: &[u8], at: usize, len: usize) -> &[u8] {
    // Empty on purpose: body lengths are checked before any field is read, except the last field
    // of a short item (ERRATA §4, 0x45), which is absent and then reads as zero.
    bytes.get(at..at.saturating_add(len)).unwrap_or_default()
}

/// Decodes one value at `at`, recording any warning with the field's frame offset.
pub fn read<T: WireValue>(
    bytes: &[u8],
    at: usize,
    meta: &'static FieldMeta,
    base: usize,
    cx: &mut DecodeCx,
) -> T {
    read_len(bytes, at, meta.len, meta, base, cx)
}

/// Decodes one value of `len` bytes (used for alternative layouts).
pub fn read_len<T: WireValue>(
    bytes: &[u8],
    at: usize,
    len: usize,
    meta: &'static FieldMeta,
    base: usize,
    cx: &mut DecodeCx,
) -> T {
    let (v, warn) = T::decode(slice(bytes, at, len));
    if let Some(kind) = warn {
        cx.warnings.push(Warning {
            field: meta.name,
            offset: base + at,
            kind,
        });
    }
    v
}

/// Decodes `n` consecutive values.
pub fn read_seq<T: WireValue>(
    bytes: &[u8],
    at: usize,
    n: usize,
    meta: &'static FieldMeta,
    base: usize,
    cx: &mut DecodeCx,
) -> Vec<T> {
    (0..n)
        .map(|i| read(bytes, at + i * meta.len, meta, base, cx))
        .collect()
}

/// Decodes `n` items of `item_len` bytes.
pub fn read_items<T: Record>(
    bytes: &[u8],
    at: usize,
    n: usize,
    item_len: usize,
    base: usize,
    cx: &mut DecodeCx,
) -> Result<Vec<T>, Error> {
    (0..n)
        .map(|i| {
            let off = at + i * item_len;
            T::decode_at(slice(bytes, off, item_len), base + off, cx)
        })
        .collect()
}

/// Appends one value of `len` bytes.
pub fn write<T: WireValue>(
    v: &T,
    len: usize,
    meta: &'static FieldMeta,
    out: &mut BytesMut,
    cx: &EncodeCx,
) -> Result<(), Error> {
    let at = out.len();
    out.resize(at + len, 0);
    let dst = out.get_mut(at..).expect("`out` was just resized past `at`");
    v.encode(dst)
        .map_err(|reason| field_error(cx.frame, meta, at, reason))
}

/// Appends a fixed number of values, checking the count.
pub fn write_seq<T: WireValue>(
    vs: &[T],
    n: usize,
    meta: &'static FieldMeta,
    out: &mut BytesMut,
    cx: &EncodeCx,
) -> Result<(), Error> {
    if vs.len() != n {
        let reason = format!("{} values given, the table has {n}", vs.len());
        return Err(field_error(cx.frame, meta, out.len(), reason));
    }
    vs.iter()
        .try_for_each(|v| write(v, meta.len, meta, out, cx))
}

/// Appends items, checking the table's maximum.
pub fn write_items<T: Record>(
    items: &[T],
    max: usize,
    meta: &'static FieldMeta,
    out: &mut BytesMut,
    cx: &EncodeCx,
) -> Result<(), Error> {
    if max > 0 && items.len() > max {
        let reason = format!(
            "{} items given, the table allows at most {max}",
            items.len()
        );
        return Err(field_error(cx.frame, meta, out.len(), reason));
    }
    items.iter().try_for_each(|i| i.encode_to(out, cx))
}

/// A field error at `at` (an offset within the body).
pub fn field_error(frame: &FrameMeta, meta: &FieldMeta, at: usize, reason: String) -> Error {
    Error::Field {
        code: frame.code,
        frame: frame.name,
        section: frame.section,
        field: meta.name,
        offset: BODY_OFFSET + at,
        reason,
    }
}

/// Checks a body's length against a frame's fixed part (groups and layouts are checked when read).
pub fn check_len(frame: &FrameMeta, body: &[u8], fixed: usize) -> Result<(), Error> {
    let bl = &frame.body_len;
    let ok = body.len() == fixed
        || (bl.alt > 0 && body.len() == bl.alt)
        || ((bl.trailing || bl.item > 0) && body.len() >= fixed);
    if ok {
        Ok(())
    } else {
        Err(Error::BodyLength {
            code: frame.code,
            frame: frame.name,
            section: frame.section,
            expected: bl.to_string(),
            got: body.len(),
        })
    }
}

/// Works out the item count and item length of a trailing group and checks they fit the body exactly.
///
/// With `short_len > 0`, items of that shorter layout are accepted with a warning (ERRATA §4, 0x45).
pub fn item_count(
    cx: &mut DecodeCx,
    meta: &FieldMeta,
    body: &[u8],
    at: usize,
    declared: Option<u64>,
    short_len: usize,
) -> Result<(usize, usize), Error> {
    let rest = body.len().saturating_sub(at);
    let item = meta.len.max(1);
    let whole = |n: usize| n > 0 && rest.is_multiple_of(n);
    let len = if whole(item) || short_len == item || !whole(short_len) {
        item
    } else {
        short_len
    };
    if len != item {
        cx.warnings.push(Warning {
            field: meta.name,
            offset: BODY_OFFSET + at,
            kind: crate::error::WarningKind::ShortItems,
        });
    }
    let fits = rest / len;
    let err = |reason: String| Err(field_error(cx.frame, meta, at, reason));
    // The encoder refuses more items than the table allows, so decoding does too: short items
    // could otherwise fit more of them than full ones (0x45: 27 × 9 bytes, at most 24).
    let max = cx.frame.body_len.max_items;
    if max > 0 && fits > max {
        return err(format!(
            "{fits} items of {len} bytes follow, the table allows at most {max}"
        ));
    }
    match declared {
        Some(n) if n as usize == fits && rest.is_multiple_of(len) => Ok((fits, len)),
        Some(n) => err(format!(
            "count says {n} items of {item} bytes, but {rest} bytes follow ({fits} items fit)"
        )),
        None if rest.is_multiple_of(len) => Ok((fits, len)),
        None => err(format!(
            "{rest} bytes are not a whole number of {item}-byte items"
        )),
    }
}

/// Warns about bytes beyond the table, or fails when the frame does not allow them.
pub fn trailing(
    frame: &FrameMeta,
    body: &[u8],
    end: usize,
    cx: &mut DecodeCx,
) -> Result<Vec<u8>, Error> {
    let extra = slice(body, end, body.len().saturating_sub(end));
    if extra.is_empty() {
        return Ok(Vec::new());
    }
    if !frame.body_len.trailing {
        return Err(Error::BodyLength {
            code: frame.code,
            frame: frame.name,
            section: frame.section,
            expected: frame.body_len.to_string(),
            got: body.len(),
        });
    }
    cx.warnings.push(Warning {
        field: "",
        offset: BODY_OFFSET + end,
        kind: crate::error::WarningKind::TrailingBytes { count: extra.len() },
    });
    Ok(extra.to_vec())
}

/// Reads one field from a JSON object.
pub fn json_field<T: WireValue>(
    obj: &serde_json::Map<String, Value>,
    meta: &FieldMeta,
    path: &str,
) -> Result<T, Error> {
    match obj.get(meta.name) {
        Some(v) => T::from_json(v, meta).map_err(|reason| json_error(path, meta.name, reason)),
        None if meta.name.starts_with("reserved") => T::from_json(&Value::from(0), meta)
            .or_else(|_| T::from_json(&Value::from("00"), meta))
            .map_err(|reason| json_error(path, meta.name, reason)),
        None => Err(json_error(path, meta.name, "missing".to_string())),
    }
}

/// Reads repeated values from a JSON array.
pub fn json_seq<T: WireValue>(
    obj: &serde_json::Map<String, Value>,
    meta: &FieldMeta,
    path: &str,
) -> Result<Vec<T>, Error> {
    let arr = json_array(obj, meta, path)?;
    arr.iter()
        .enumerate()
        .map(|(i, v)| {
            T::from_json(v, meta).map_err(|r| json_error(path, &format!("{}[{i}]", meta.name), r))
        })
        .collect()
}

/// Reads items from a JSON array of objects.
pub fn json_items<T: Record>(
    obj: &serde_json::Map<String, Value>,
    meta: &FieldMeta,
    path: &str,
) -> Result<Vec<T>, Error> {
    let arr = json_array(obj, meta, path)?;
    arr.iter()
        .enumerate()
        .map(|(i, v)| T::from_json(v, &join(path, &format!("{}[{i}]", meta.name))))
        .collect()
}

fn json_array<'v>(
    obj: &'v serde_json::Map<String, Value>,
    meta: &FieldMeta,
    path: &str,
) -> Result<&'v Vec<Value>, Error> {
    match obj.get(meta.name) {
        Some(Value::Array(a)) => Ok(a),
        Some(other) => Err(json_error(
            path,
            meta.name,
            format!("expected an array, got {other}"),
        )),
        None => Err(json_error(path, meta.name, "missing".to_string())),
    }
}

/// The object a record is built from.
pub fn json_object<'v>(
    v: &'v Value,
    path: &str,
) -> Result<&'v serde_json::Map<String, Value>, Error> {
    v.as_object().ok_or_else(|| Error::Json {
        field: path.to_string(),
        reason: format!("expected an object, got {v}"),
    })
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn json_error(path: &str, name: &str, reason: String) -> Error {
    Error::Json {
        field: join(path, name),
        reason,
    }
}

/// Placeholder frame for contexts outside any frame (JSON of items).
pub static NO_FRAME: &FrameMeta = &FrameMeta {
    code: 0,
    name: "",
    name_zh: "",
    section: "",
    direction: crate::meta::Direction::Up,
    reply: None,
    body_len: crate::meta::BodyLen {
        fixed: 0,
        item: 0,
        max_items: 0,
        alt: 0,
        trailing: false,
    },
    fields: &[],
    answer: None,
    role: None,
};

/// Converts an item count into the count field's type.
pub fn count_of<T: TryFrom<usize>>(
    n: usize,
    meta: &FieldMeta,
    at: usize,
    cx: &EncodeCx,
) -> Result<T, Error> {
    T::try_from(n).map_err(|_| {
        field_error(
            cx.frame,
            meta,
            at,
            format!("{n} items do not fit the count field"),
        )
    })
}

/// Reads the optional `trailing` hex string.
pub fn json_trailing(obj: &serde_json::Map<String, Value>, path: &str) -> Result<Vec<u8>, Error> {
    match obj.get("trailing") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => {
            crate::hex::decode(s).map_err(|e| json_error(path, "trailing", e.to_string()))
        }
        Some(other) => Err(json_error(
            path,
            "trailing",
            format!("expected a hex string, got {other}"),
        )),
    }
}

/// True when the JSON names the alternative layout.
pub fn json_layout(obj: &serde_json::Map<String, Value>, name: &str) -> bool {
    obj.get("layout").and_then(Value::as_str) == Some(name)
}

/// Wraps a frame decode into a [`crate::Message`]-style pair.
pub fn decoded<T, M>(
    r: Result<(T, Vec<Warning>), Error>,
    wrap: impl FnOnce(T) -> M,
) -> Result<(M, Vec<Warning>), Error> {
    r.map(|(v, w)| (wrap(v), w))
}

/// Reads an unknown frame's body from `{"raw": "<hex>"}` or a bare hex string.
pub fn unknown_from_json(code: u8, v: &Value) -> Result<Vec<u8>, Error> {
    let hex = match v {
        Value::String(s) => Some(s.as_str()),
        Value::Object(o) => o.get("raw").and_then(Value::as_str),
        _ => None,
    };
    let field = format!("0x{code:02X}.raw");
    match hex {
        Some(h) => crate::hex::decode(h).map_err(|e| Error::Json {
            field,
            reason: e.to_string(),
        }),
        None => Err(Error::Json {
            field,
            reason: "unknown frame type: give the body as {\"raw\": \"<hex>\"}".into(),
        }),
    }
}
