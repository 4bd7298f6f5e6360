//! A request's default answer, and which reply belongs to which command — both read from the
//! spec's `answer:` templates (see `spec/SCHEMA.md`), so no frame is special-cased here.

use crate::error::Error;
use crate::frames::Message;
use crate::meta::{AnswerMeta, FieldKind};
use serde_json::{Map, Value};

/// The template by which frame `reply` answers its request.
pub fn template(reply: u8) -> Option<&'static AnswerMeta> {
    Message::meta_of(reply).and_then(|m| m.answer)
}

fn json_error(field: &str, reason: impl Into<String>) -> Error {
    Error::Json {
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// The JSON object of `code`'s body with every byte zero (groups empty).
fn zero_body(code: u8) -> Result<Map<String, Value>, Error> {
    let meta = Message::meta_of(code).ok_or(Error::UnknownType { code })?;
    let (msg, _) = Message::decode(code, &vec![0u8; meta.body_len.fixed])?;
    match serde_json::to_value(&msg) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(json_error("body", "cannot render the zero body")),
    }
}

/// The JSON of `msg`'s body.
pub fn body_json(msg: &Message) -> Map<String, Value> {
    match serde_json::to_value(msg) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// The refusal of `request` (the template's `refuse:` values instead of `set:`).
pub fn refusal(request: &Message) -> Result<Message, Error> {
    let reply = Message::meta_of(request.code())
        .and_then(|m| m.reply)
        .ok_or_else(|| json_error("reply", "no reply frame"))?;
    let t = template(reply).ok_or_else(|| json_error("answer", "no answer template"))?;
    let mut over = Map::new();
    for (k, v) in t.refuse {
        over.insert(
            (*k).to_string(),
            serde_json::from_str(v).map_err(|e| json_error(k, e.to_string()))?,
        );
    }
    answer(request, &over)
}

/// Builds the default (positive) answer to `request`, then applies `overrides` (field → JSON value).
///
/// Fails when the request has no reply frame or the reply frame has no `answer:` template.
pub fn answer(request: &Message, overrides: &Map<String, Value>) -> Result<Message, Error> {
    let code = request.code();
    let reply = Message::meta_of(code)
        .and_then(|m| m.reply)
        .ok_or_else(|| json_error("reply", format!("0x{code:02X} has no reply frame")))?;
    let reply_meta = Message::meta_of(reply).ok_or(Error::UnknownType { code: reply })?;
    let t = reply_meta
        .answer
        .filter(|t| t.request == code)
        .ok_or_else(|| json_error("answer", format!("0x{reply:02X} has no answer template")))?;
    let req = body_json(request);
    let mut out = zero_body(reply)?;
    for (rf, qf) in t.copy {
        let value = req.get(*qf).cloned().unwrap_or(Value::Null);
        let group = reply_meta
            .fields
            .iter()
            .find(|f| f.name == *rf && f.kind == FieldKind::Group);
        let value = match (group, value) {
            (Some(g), Value::Array(items)) => Value::Array(
                items
                    .iter()
                    .map(|i| answer_item(g.items, g.len, i, t.item_set))
                    .collect::<Result<_, _>>()?,
            ),
            (_, v) => v,
        };
        out.insert((*rf).to_string(), value);
    }
    for (f, v) in t.set {
        let v: Value = serde_json::from_str(v).map_err(|e| json_error(f, e.to_string()))?;
        out.insert((*f).to_string(), v);
    }
    for (k, v) in overrides {
        out.insert(k.clone(), v.clone());
    }
    Message::from_json(reply, &Value::Object(out))
}

/// One reply item: zero, then same-named fields from the request item, then `item_set`.
fn answer_item(
    fields: &[crate::FieldMeta],
    len: usize,
    req_item: &Value,
    item_set: &[(&str, &str)],
) -> Result<Value, Error> {
    let mut item = crate::value::partial(fields, &vec![0u8; len]);
    if let Value::Object(q) = req_item {
        for (k, v) in q {
            if item.contains_key(k) {
                item.insert(k.clone(), v.clone());
            }
        }
    }
    for (k, v) in item_set {
        let v = serde_json::from_str(v).map_err(|e| json_error(k, e.to_string()))?;
        item.insert((*k).to_string(), v);
    }
    Ok(Value::Object(item))
}

/// True when `reply` answers `command`: the reply frame's code, and every field the template
/// copies from the request (pile code, gun, transaction serial …) holds the command's value.
pub fn correlates(command: &Message, reply: &Message) -> bool {
    let Some(t) = template(reply.code()) else {
        return false;
    };
    if t.request != command.code()
        || Message::meta_of(command.code()).and_then(|m| m.reply) != Some(reply.code())
    {
        return false;
    }
    let (c, r) = (body_json(command), body_json(reply));
    t.copy
        .iter()
        .filter(|(rf, _)| !matches!(r.get(*rf), Some(Value::Array(_))))
        .all(|(rf, qf)| c.get(*qf) == r.get(*rf))
}

/// The frame the spec gives `role` (login, heartbeat, transaction record …).
pub fn frame_for(role: crate::meta::Role) -> Option<&'static crate::FrameMeta> {
    crate::frames::FRAMES
        .iter()
        .copied()
        .find(|m| m.role == Some(role))
}

/// The 7 raw bytes of the pile code in a body of frame `code`, when the frame has one (ERRATA R5:
/// pile codes are identifiers, compared as raw bytes).
pub fn pile_code_of(code: u8, body: &[u8]) -> Option<[u8; 7]> {
    let range = Message::meta_of(code)?.pile_code_range()?;
    body.get(range).and_then(|b| <[u8; 7]>::try_from(b).ok())
}

/// True when every field the reply's template copies from `request` that also appears in
/// `reference` (e.g. a configured billing model) has the same value there.
pub fn agrees(request: &Message, reference: &Map<String, Value>) -> bool {
    let Some(t) = Message::meta_of(request.code())
        .and_then(|m| m.reply)
        .and_then(template)
    else {
        return true;
    };
    let req = body_json(request);
    t.copy
        .iter()
        .all(|(_, qf)| match (req.get(*qf), reference.get(*qf)) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        })
}
