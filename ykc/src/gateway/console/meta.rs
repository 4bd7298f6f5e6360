//! `GET /meta/frames`: the spec metadata the page builds its forms and tables from (the JSON
//! `ykc frames --json` prints). `POST /parse`: hex text in, the `ykc parse` envelope of each
//! frame out, each with its CRC in both byte orders.

use super::live::LangQuery;
use crate::envelope::{Envelope, Lang};
use crate::hex::{encode_upper_spaced, Upper};
use crate::{CrcOrder, Error};
use axum::extract::{DefaultBodyLimit, Query};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};
use std::sync::OnceLock;

/// The most hex text one `POST /parse` takes (bytes).
const MAX_TEXT: usize = 64 * 1024;

/// The most frames one `POST /parse` answers with; more are left out (`truncated`).
const MAX_FRAMES: usize = 256;

/// The body limit of `POST /parse`.
pub(super) fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_TEXT)
}

/// `GET /meta/frames`: every frame type's [`FrameMeta`](crate::FrameMeta), rendered once.
pub(super) async fn frames() -> impl IntoResponse {
    static JSON: OnceLock<String> = OnceLock::new();
    let text = JSON.get_or_init(|| {
        serde_json::to_string(crate::frames::FRAMES)
            .expect("static frame metadata serializes: it is plain strings, numbers and lists")
    });
    ([(header::CONTENT_TYPE, "application/json")], text.as_str())
}

/// `POST /parse` (`?lang=en` for English messages): the body is hex text as `ykc parse` takes it
/// (spaces optional, `0x` per byte allowed, several frames per line, one or more lines). Answers
/// `{"frames": [envelope…], "truncated": bool}`; each envelope has a `hex` (the frame's bytes)
/// and a `crc` object: `received`, `low_first`, `high_first` and which of them `matches`.
pub(super) async fn parse(Query(q): Query<LangQuery>, text: String) -> Json<Value> {
    Json(parse_text(&text, q.lang()))
}

fn parse_text(text: &str, lang: Lang) -> Value {
    let mut frames = Vec::new();
    let mut bytes = Vec::new();
    let mut truncated = false;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if frames.len() >= MAX_FRAMES {
            truncated = true;
            break;
        }
        if let Err(e) = crate::hex::decode_into(line.as_bytes(), &mut bytes) {
            frames.push(envelope(&Envelope::failed(e, lang)));
            continue;
        }
        let mut rest = bytes.as_slice();
        while !rest.is_empty() {
            if frames.len() >= MAX_FRAMES {
                truncated = true;
                break;
            }
            let (env, used) = Envelope::parse(rest, lang);
            frames.push(envelope(&env));
            rest = rest.get(used.max(1)..).unwrap_or_default();
        }
    }
    if frames.is_empty() {
        frames.push(envelope(&Envelope::failed(Error::Empty, lang)));
    }
    json!({ "frames": frames, "truncated": truncated })
}

/// The envelope with the frame's `hex` and its `crc` in both byte orders.
fn envelope(env: &Envelope<'_>) -> Value {
    let mut v = serde_json::to_value(env).unwrap_or_else(|e| json!({ "errors": [e.to_string()] }));
    if let Value::Object(m) = &mut v {
        m.insert("hex".into(), Value::from(encode_upper_spaced(env.input)));
        if let Some(raw) = &env.raw {
            let order = |o: CrcOrder| format!("{:#}", Upper(&o.bytes(raw.computed)));
            m.insert(
                "crc".into(),
                json!({
                    "received": format!("{:#}", Upper(&raw.crc)),
                    "low_first": order(CrcOrder::LowFirst),
                    "high_first": order(CrcOrder::HighFirst),
                    "matches": raw.crc_order.map(CrcOrder::as_str),
                }),
            );
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The login sample of §6.1 as printed: its CRC is the high-byte-first CRC of another
    /// version byte (ERRATA F2), so it decodes with a CRC warning and neither order matches.
    const LOGIN_PRINTED: &str =
        "68 22 0000 00 01 55031412782305 00 02 0F 56342E312E353000 01 01010101010101010101 04 675A";

    #[test]
    fn the_login_sample_parses_with_both_crc_orders() {
        let v = parse_text(LOGIN_PRINTED, Lang::Zh);
        let f = &v["frames"][0];
        assert_eq!(f["frame_type"], "0x01");
        assert_eq!(f["body_data"]["pile_code"], "55031412782305");
        assert_eq!(f["crc"]["received"], "0x675A");
        assert_eq!(f["crc"]["low_first"], "0x0F32");
        assert_eq!(f["crc"]["high_first"], "0x320F");
        assert_eq!(f["crc"]["matches"], Value::Null);
        assert_eq!(f["warnings"].as_array().map(Vec::len), Some(1));
        assert_eq!(v["truncated"], false);
    }

    #[test]
    fn several_frames_bad_hex_and_nothing_each_get_an_envelope() {
        let two =
            "68 0C 00 00 00 02 55 03 14 12 78 23 05 00 DA 4C 680C0000000255031412782305004CDA";
        let v = parse_text(&format!("{two}\nzz\n"), Lang::En);
        let frames = v["frames"].as_array().cloned().unwrap_or_default();
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[0]["crc"]["matches"], "low_first");
        assert_eq!(frames[1]["crc"]["matches"], "high_first");
        assert_eq!(frames[2]["code"], 500);
        assert_eq!(parse_text("  \n", Lang::En)["frames"][0]["code"], 500);
    }

    #[test]
    fn a_flood_of_frames_is_truncated() {
        let line = "68 0C 00 00 00 02 55 03 14 12 78 23 05 00 DA 4C ".repeat(MAX_FRAMES + 5);
        let v = parse_text(&line, Lang::En);
        assert_eq!(v["frames"].as_array().map(Vec::len), Some(MAX_FRAMES));
        assert_eq!(v["truncated"], true);
    }
}
