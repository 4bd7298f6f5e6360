//! A journal row as JSON: the envelope `ykc parse` prints for its raw bytes, plus a `journal`
//! object with what the gateway knew (id, time, direction, connection, pile). Shared by REST
//! (`GET /piles/{pile}/frames`) and `ykc journal`, so both print the same thing.

use super::writer::dir_text;
use super::Row;
use crate::envelope::{Envelope, Lang};
use serde_json::{json, Map, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// RFC 3339 with milliseconds, UTC (`2026-12-02T11:20:00.123Z`).
pub fn time_text(time_ms: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_millis(u64::try_from(time_ms).unwrap_or(0));
    humantime::format_rfc3339_millis(t).to_string()
}

/// A time filter: RFC 3339 (`2026-12-02T14:00:00Z`, or without the zone, taken as UTC), or
/// Unix milliseconds.
pub fn parse_time(text: &str) -> Result<i64, String> {
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    let t = humantime::parse_rfc3339_weak(text).map_err(|e| {
        format!("`{text}` is neither RFC 3339 (2026-12-02T14:00:00Z) nor Unix ms: {e}")
    })?;
    let since = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|_| format!("`{text}` is before 1970"))?;
    i64::try_from(since.as_millis()).map_err(|_| format!("`{text}` is too far away"))
}

/// The row's `detail` JSON; text that is not JSON (a hand-edited row) is shown as a string.
pub fn detail(row: &Row) -> Option<Value> {
    let text = row.entry.detail.as_deref()?;
    Some(serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned())))
}

/// The row as the parse envelope with a `journal` object first; a pile event as
/// `{"journal": {…}, "event": "online", "pile_code": …, "remote_addr": …}`.
pub fn row_json(row: &Row, lang: Lang) -> Value {
    let journal = json!({
        "id": row.id,
        "time": time_text(row.entry.time_ms),
        "direction": dir_text(row.entry.direction),
        "connection": row.entry.conn,
        "pile": row.entry.pile,
    });
    if let Some(event) = row.entry.event {
        let mut obj = json!({
            "journal": journal,
            "event": event.as_str(),
            "pile_code": row.entry.pile,
            "remote_addr": row.entry.peer,
        });
        // A command's details (token, frame, status) sit beside the event's own keys.
        if let (Some(Value::Object(detail)), Value::Object(o)) = (detail(row), &mut obj) {
            for (k, v) in detail {
                o.entry(k).or_insert(v);
            }
        }
        return obj;
    }
    let (envelope, _) = Envelope::parse(&row.entry.raw, lang);
    let mut fields = match serde_json::to_value(&envelope) {
        Ok(Value::Object(m)) => m,
        // The envelope always renders as an object; if that ever breaks, say so in the output
        // rather than print nothing or take the process down.
        other => Map::from_iter([("envelope_error".to_owned(), json!(format!("{other:?}")))]),
    };
    let mut obj = Map::with_capacity(fields.len() + 1);
    obj.insert("journal".to_owned(), journal);
    obj.append(&mut fields);
    Value::Object(obj)
}
