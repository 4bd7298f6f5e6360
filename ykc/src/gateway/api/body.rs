//! Request bodies and path values into a frame: JSON read whatever the Content-Type, pile
//! codes checked, the body's fields checked by the value layer (width, scale, digits).

use super::{error, ApiError};
use crate::value::range::{is_scaled, scaled_value};
use crate::{Bcd, Message};
use axum::http::StatusCode;
use serde_json::{Map, Value};

/// Reads a body as a JSON object of fields, whatever its `Content-Type` (the Go proxy's
/// clients send none: gin reads the body as JSON regardless). With `empty_ok`, an empty body
/// or `null` is no fields.
pub fn json_object(bytes: &[u8], empty_ok: bool) -> Result<Map<String, Value>, ApiError> {
    let bad = |why: String| error(StatusCode::BAD_REQUEST, why, None);
    if empty_ok && bytes.trim_ascii().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(Value::Null) if empty_ok => Ok(Map::new()),
        Ok(other) => Err(bad(format!(
            "the body must be a JSON object of the frame's fields, got {}",
            kind(&other)
        ))),
        Err(e) if bytes.trim_ascii().is_empty() => Err(bad(format!("the body is empty ({e})"))),
        Err(e) => Err(bad(format!("the body is not valid JSON: {e}"))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A pile code from the path or the Go body's `id`: 1 to 14 decimal digits, left-padded with
/// zeros to the 14 of the wire. Empty or anything else is a 400 naming `field`.
pub fn pile_key(text: &str, field: &str) -> Result<[u8; 7], ApiError> {
    let digits = !text.is_empty() && text.len() <= 14 && text.bytes().all(|b| b.is_ascii_digit());
    if !digits {
        return Err(error(
            StatusCode::BAD_REQUEST,
            format!("{field}: `{text}` is not a pile code (1 to 14 decimal digits)"),
            Some(field.into()),
        ));
    }
    Bcd::<7>::from_digits(text)
        .map(|b| b.0)
        .map_err(|r| error(StatusCode::BAD_REQUEST, r, Some(field.into())))
}

/// The pile code a body's `pile_code` names, when it is one (else the field's own check
/// reports it).
fn body_pile(v: &Value) -> Option<[u8; 7]> {
    let text = match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) if n.is_u64() => n.to_string(),
        _ => return None,
    };
    Bcd::<7>::from_digits(&text).ok().map(|b| b.0)
}

/// Builds the command from the body's fields. The pile code comes from the path; a body
/// `pile_code` naming another pile is a 400, not a silent override.
pub fn build(
    meta: &crate::FrameMeta,
    key: [u8; 7],
    mut body: Map<String, Value>,
) -> Result<(Message, bytes::Bytes), ApiError> {
    if meta.pile_code_range().is_some() {
        let path = Bcd(key).to_string();
        match body.get("pile_code") {
            None => {
                body.insert("pile_code".into(), Value::from(path));
            }
            Some(v) => match body_pile(v) {
                Some(k) if k != key => {
                    return Err(error(
                        StatusCode::BAD_REQUEST,
                        format!("pile_code: {v} in the body is not pile {path} of the request"),
                        Some("pile_code".into()),
                    ))
                }
                _ => {}
            },
        }
    }
    let msg = Message::from_json(meta.code, &Value::Object(body)).map_err(|e| match &e {
        crate::Error::Json { field, reason } => error(
            StatusCode::BAD_REQUEST,
            format!("{field}: {reason}"),
            Some(field.clone()),
        ),
        other => error(StatusCode::BAD_REQUEST, other.to_string(), None),
    })?;
    let mut out = bytes::BytesMut::new();
    msg.encode(&mut out)
        .map_err(|e| error(StatusCode::BAD_REQUEST, e.to_string(), None))?;
    Ok((msg, out.freeze()))
}

/// Translates a Go `ykc-proxy-server` body into spec fields, by the spec's `go:` names: Go integers
/// are raw wire values (scaled here, exactly), Go bools map through `go_bool`; spec names are
/// accepted too. Returns the fields and the keys it did not know.
pub fn from_go_body(
    fields: &[crate::FieldMeta],
    mut body: Map<String, Value>,
) -> (Map<String, Value>, Vec<String>) {
    let mut out = Map::new();
    for f in fields {
        if let Some(v) = body.remove(f.name) {
            out.insert(f.name.to_string(), v);
            continue;
        }
        let Some(v) = (!f.go.is_empty()).then(|| body.remove(f.go)).flatten() else {
            continue;
        };
        let v = match (f.go_bool, &v) {
            (Some((yes, no)), Value::Bool(b)) => Value::from(if *b { yes } else { no }),
            // The raw integer as the field's decimal value, in text (exact; no float between).
            // Anything else (negative, fractional) is passed on for the field's check to report.
            (_, Value::Number(n)) if is_scaled(f) && f.values.is_empty() => {
                n.as_u64().map_or(v.clone(), |raw| {
                    Value::String(scaled_value(raw, f).to_string())
                })
            }
            _ => v,
        };
        out.insert(f.name.to_string(), v);
    }
    (out, body.keys().cloned().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_json_whatever_their_type() {
        assert!(json_object(b"", true).unwrap().is_empty());
        assert!(json_object(b"null", true).unwrap().is_empty());
        assert_eq!(json_object(br#"{"a":1}"#, false).unwrap().len(), 1);
        let e = json_object(b"{\"a\":", false).unwrap_err();
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert!(format!("{e:?}").contains("not valid JSON"), "{e:?}");
        let e = json_object(b"[1]", true).unwrap_err();
        assert!(format!("{e:?}").contains("got an array"), "{e:?}");
        assert!(json_object(b"", false).is_err());
    }

    #[test]
    fn pile_codes_are_digits() {
        assert_eq!(pile_key("55031412782305", "pile").unwrap()[0], 0x55);
        assert_eq!(pile_key("1", "pile").unwrap()[6], 0x01);
        for bad in ["", "abc", "5503141278230A", "550314127823051", " 1", "-1"] {
            let e = pile_key(bad, "pile").unwrap_err();
            assert_eq!(
                (e.status(), e.field()),
                (StatusCode::BAD_REQUEST, Some("pile")),
                "{bad}"
            );
        }
    }
}
