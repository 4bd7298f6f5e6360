//! `GET /piles/{pile}/frames`: a pile's journaled frames, newest first, read from the journal
//! file (so offline piles have a history too). Each row is the envelope `ykc parse` prints plus
//! a `journal` object (id, time, direction, connection, pile): the same JSON as `ykc journal`.

use super::api::{error, ApiError};
use super::Shared;
use crate::envelope::Lang;
use crate::journal::{parse_time, row_json, Query as JournalQuery};
use crate::Direction;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// Rows returned when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 100;
/// The most rows one request returns (page with `before_id`).
pub const MAX_LIMIT: usize = 1000;

/// The handler; see the module documentation. Query parameters: `since`, `until` (RFC 3339 or
/// Unix ms), `type` (hex, `3b` or `0x3B`), `direction` (`up`/`down`), `limit` (≤ 1000),
/// `before_id` (paging), `lang` (`zh`/`en`).
pub async fn frames(
    State(s): State<Arc<Shared>>,
    Path(pile): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let Some(journal) = &s.journal else {
        return Err(error(
            StatusCode::NOT_FOUND,
            "the journal is off (journal: off): there is no frame history",
            None,
        ));
    };
    if pile.len() != 14 || !pile.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("pile", format!("`{pile}` is not a 14-digit pile code")));
    }
    let (q, lang) = query(pile, &params)?;
    let path = journal.path().to_owned();
    let rows = tokio::task::spawn_blocking(move || {
        crate::journal::Reader::open(&path).and_then(|r| r.rows(&q))
    })
    .await
    .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None))?
    .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None))?;
    Ok(Json(Value::Array(
        rows.iter().map(|r| row_json(r, lang)).collect(),
    )))
}

fn bad(field: &str, reason: String) -> ApiError {
    error(StatusCode::BAD_REQUEST, reason, Some(field.to_owned()))
}

/// The journal query of the request's parameters; an unknown parameter is an error naming it.
fn query(pile: String, params: &HashMap<String, String>) -> Result<(JournalQuery, Lang), ApiError> {
    let mut q = JournalQuery {
        pile: Some(pile),
        limit: DEFAULT_LIMIT,
        ..JournalQuery::default()
    };
    let mut lang = Lang::Zh;
    for (k, v) in params {
        match k.as_str() {
            "since" => q.since_ms = Some(parse_time(v).map_err(|e| bad(k, e))?),
            "until" => q.until_ms = Some(parse_time(v).map_err(|e| bad(k, e))?),
            "type" => {
                let hex = v.trim_start_matches("0x").trim_start_matches("0X");
                q.code =
                    Some(u8::from_str_radix(hex, 16).map_err(|_| {
                        bad(k, format!("`{v}` is not a frame type in hex (3b, 0x3B)"))
                    })?);
            }
            "direction" => {
                q.direction = Some(match v.as_str() {
                    "up" => Direction::Up,
                    "down" => Direction::Down,
                    _ => return Err(bad(k, format!("`{v}` is neither up nor down"))),
                })
            }
            "limit" => {
                q.limit = v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| bad(k, format!("`{v}` is not a number in 1..={MAX_LIMIT}")))?
            }
            "before_id" => {
                q.before_id = Some(
                    v.parse()
                        .map_err(|_| bad(k, format!("`{v}` is not an id")))?,
                )
            }
            "lang" => {
                lang = match v.as_str() {
                    "zh" => Lang::Zh,
                    "en" => Lang::En,
                    _ => return Err(bad(k, format!("`{v}` is neither zh nor en"))),
                }
            }
            _ => return Err(bad(k, format!("unknown parameter `{k}`"))),
        }
    }
    Ok((q, lang))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parameters_become_the_journal_query() {
        let p = params(&[
            ("type", "0x3B"),
            ("direction", "up"),
            ("since", "2026-12-02T14:00:00Z"),
            ("limit", "20"),
            ("before_id", "99"),
            ("lang", "en"),
        ]);
        let (q, lang) = query("32010200000001".into(), &p).expect("valid");
        assert_eq!(q.code, Some(0x3B));
        assert_eq!(q.direction, Some(Direction::Up));
        assert_eq!(q.since_ms, Some(1_796_220_000_000));
        assert_eq!((q.limit, q.before_id), (20, Some(99)));
        assert_eq!(lang, Lang::En);
        let (q, _) = query("32010200000001".into(), &params(&[("type", "3b")])).expect("valid");
        assert_eq!((q.code, q.limit), (Some(0x3B), DEFAULT_LIMIT));
    }

    #[test]
    fn a_bad_parameter_is_a_400_naming_it() {
        for (k, v) in [
            ("type", "zz"),
            ("limit", "0"),
            ("limit", "1001"),
            ("direction", "sideways"),
            ("since", "yesterday"),
            ("before_id", "x"),
            ("colour", "red"),
        ] {
            let e = query("32010200000001".into(), &params(&[(k, v)])).expect_err(k);
            assert_eq!(e.status(), StatusCode::BAD_REQUEST, "{k}={v}");
            assert_eq!(e.field(), Some(k), "{k}={v}");
        }
    }
}
