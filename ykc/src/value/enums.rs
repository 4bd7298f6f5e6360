//! Enumerations with an `Unknown(code)` fallback (ERRATA R8).

use super::WireValue;
use crate::error::WarningKind;
use crate::meta::{EnumValue, FieldMeta};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::Value;

/// An enumeration of wire codes, derived with `#[derive(CodeEnum)]`.
///
/// Decoding never fails: a code the table does not list becomes the
/// `Unknown(code)` variant and is written back unchanged.
pub trait CodeEnum: Sized + Copy {
    /// Every value the spec lists.
    const VALUES: &'static [EnumValue];
    /// The variant for a code.
    fn from_code(code: u64) -> Self;
    /// The wire code.
    fn code(&self) -> u64;
    /// The spec's entry for this value, if listed.
    fn entry(&self) -> Option<&'static EnumValue> {
        let c = self.code();
        Self::VALUES.iter().find(|v| v.code == c)
    }
    /// This value's JSON, rendered once and reused (the derive implements it; None = render now).
    fn json_fragment(&self) -> Option<&'static serde_json::value::RawValue> {
        None
    }
}

/// Renders the JSON fragments of every listed value (once per enum type, by the derive's cache).
pub fn render_fragments(values: &[EnumValue]) -> Vec<Option<Box<serde_json::value::RawValue>>> {
    values
        .iter()
        .map(|v| {
            let text = serde_json::to_string(&EnumJson {
                code: v.code,
                name: Some(v.name),
                zh: Some(v.zh),
            })
            .ok()?;
            serde_json::value::RawValue::from_string(text).ok()
        })
        .collect()
}

/// The JSON form of an enumeration value: code plus meaning.
#[derive(Debug)]
pub(crate) struct EnumJson {
    pub code: u64,
    pub name: Option<&'static str>,
    pub zh: Option<&'static str>,
}

impl Serialize for EnumJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("code", &self.code)?;
        m.serialize_entry("name", &self.name)?;
        m.serialize_entry("meaning", &self.zh)?;
        m.end()
    }
}

/// Looks a value up by code, snake_case name or Chinese meaning.
fn lookup(values: &[EnumValue], v: &Value) -> Result<u64, String> {
    let by_text = |t: &str| {
        values
            .iter()
            .find(|e| e.name == t || e.zh == t)
            .map(|e| e.code)
            .ok_or_else(|| {
                format!(
                    "`{t}` is not one of {:?}",
                    values.iter().map(|e| e.name).collect::<Vec<_>>()
                )
            })
    };
    match v {
        Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| format!("{n} is not a code (an unsigned integer)")),
        Value::String(t) => t
            .strip_prefix("0x")
            .and_then(|h| u64::from_str_radix(h, 16).ok())
            .map_or_else(|| by_text(t), Ok),
        Value::Object(o) => match (o.get("code"), o.get("name")) {
            (Some(c), _) => lookup(values, c),
            (None, Some(n)) => lookup(values, n),
            _ => Err("object needs `code` or `name`".to_string()),
        },
        other => Err(format!("expected a code or name, got {other}")),
    }
}

impl<E: CodeEnum> WireValue for E {
    type View<'a> = E;
    fn view(bytes: &[u8]) -> E {
        E::from_code(super::uint::read_le(bytes))
    }
    fn decode(bytes: &[u8]) -> (E, Option<WarningKind>) {
        (E::from_code(super::uint::read_le(bytes)), None)
    }
    fn encode(&self, out: &mut [u8]) -> Result<(), String> {
        super::uint::write_le(self.code(), out)
    }
    fn write_json<S: Serializer>(&self, _meta: &FieldMeta, s: S) -> Result<S::Ok, S::Error> {
        if let Some(raw) = self.json_fragment() {
            return raw.serialize(s);
        }
        let e = self.entry();
        EnumJson {
            code: self.code(),
            name: e.map(|e| e.name),
            zh: e.map(|e| e.zh),
        }
        .serialize(s)
    }
    fn write_json_bytes(&self, meta: &FieldMeta, out: &mut Vec<u8>) {
        match self.json_fragment() {
            Some(raw) => out.extend_from_slice(raw.get().as_bytes()),
            None => {
                if serde_json::to_writer(&mut *out, &crate::__private::Json(self, meta)).is_err() {
                    out.extend_from_slice(b"null");
                }
            }
        }
    }
    fn from_json(v: &Value, meta: &FieldMeta) -> Result<E, String> {
        // An unlisted code is kept (ERRATA R8), as long as it fits the field's width.
        let code = lookup(E::VALUES, v)?;
        super::range::check_raw(code, &code.to_string(), meta).map(E::from_code)
    }
}
