//! The fleet page's data: the online piles (the registry's `PileInfo`), each with its node and
//! its guns' states from their last status frames; `GET /console/fleet` once, or
//! `GET /console/fleet/stream` as a `fleet` event every second.

use super::super::registry::PileInfo;
use super::super::Shared;
use super::live::{Kept, GUN_FIELD};
use crate::header::RawFrame;
use crate::journal::time_text;
use crate::{Bcd, Message};
use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use futures::Stream;
use serde::Deserialize;
use serde_json::{json, Value};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

/// Piles listed when the request names no `limit`.
const DEFAULT_LIMIT: usize = 200;
/// The most piles one answer lists (narrow with `q`).
const MAX_LIMIT: usize = 5000;
/// How often the stream sends the fleet.
const EVERY: Duration = Duration::from_secs(1);

/// Query parameters: `q` (part of a pile code, address or node), `limit`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct FleetQuery {
    #[serde(default)]
    q: String,
    limit: Option<usize>,
}

/// `GET /console/fleet`: `{"node", "online", "matched", "piles": [...]}`.
pub(super) async fn snapshot(
    State(s): State<Arc<Shared>>,
    Query(q): Query<FleetQuery>,
) -> Json<Value> {
    Json(fleet(&s, &q))
}

/// `GET /console/fleet/stream`: the fleet as a `fleet` event now and every second after, until
/// the gateway stops.
pub(super) async fn stream(
    State(s): State<Arc<Shared>>,
    Query(q): Query<FleetQuery>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stop = s.console.stop.clone();
    let ticks = futures::stream::unfold(tokio::time::interval(EVERY), |mut t| async move {
        t.tick().await;
        Some(((), t))
    });
    let events = futures::StreamExt::filter_map(ticks, move |()| {
        let event = Event::default().event("fleet").json_data(fleet(&s, &q));
        std::future::ready(event.ok().map(Ok))
    });
    Sse::new(super::live::until(Box::pin(events), stop)).keep_alive(KeepAlive::default())
}

/// The fleet, filtered and limited: this node's piles, or in fleet mode every node's (piles
/// held elsewhere without their guns: their status frames stay on their node).
fn fleet(s: &Shared, q: &FleetQuery) -> Value {
    let node = &s.console.node;
    let needle = q.q.trim();
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT);
    if let Some(f) = s.fleet.get() {
        let (online, matched, page) = f.search(needle, limit);
        let here = |code: &str| {
            Bcd::<7>::from_digits(code)
                .ok()
                .and_then(|k| s.registry.get(&k.0))
        };
        let piles: Vec<Value> = page
            .into_iter()
            .map(|(code, p)| match here(&code) {
                Some(info) => pile(s, &info),
                None => json!({
                    "pile_code": code, "node": p.node, "connection_id": p.connection_id,
                    "remote_addr": p.remote_addr, "online_since": p.since, "guns": [],
                }),
            })
            .collect();
        return json!({ "node": node, "online": online, "matched": matched, "piles": piles });
    }
    let all = s.registry.list();
    let matched: Vec<&PileInfo> = all
        .iter()
        .filter(|p| {
            needle.is_empty()
                || p.pile_code.contains(needle)
                || p.remote_addr.contains(needle)
                || node.contains(needle)
        })
        .collect();
    let piles: Vec<Value> = matched.iter().take(limit).map(|p| pile(s, p)).collect();
    json!({ "node": node, "online": all.len(), "matched": matched.len(), "piles": piles })
}

/// One pile: its registry entry, its node and its guns.
fn pile(s: &Shared, info: &PileInfo) -> Value {
    let mut v = serde_json::to_value(info).unwrap_or_else(|e| json!({ "error": e.to_string() }));
    if let Value::Object(m) = &mut v {
        m.insert("node".into(), Value::from(s.console.node.as_str()));
        let kept = Bcd::<7>::from_digits(&info.pile_code)
            .map(|k| s.console.status.of(&k.0))
            .unwrap_or_default();
        m.insert("guns".into(), guns(kept));
    }
    v
}

/// `[{"gun_no": "01", "states": [...]}]`, by gun; each state from one status frame type.
fn guns(mut kept: Vec<Kept>) -> Value {
    kept.sort_by_key(|k| (k.gun, k.code));
    let mut out: Vec<Value> = Vec::new();
    let mut current: Option<(u8, Value, Vec<Value>)> = None;
    for k in &kept {
        let Some((gun_no, state)) = state(k) else {
            continue;
        };
        match &mut current {
            Some((g, _, states)) if *g == k.gun => states.push(state),
            _ => {
                if let Some((_, no, states)) = current.take() {
                    out.push(json!({ "gun_no": no, "states": states }));
                }
                current = Some((k.gun, gun_no, vec![state]));
            }
        }
    }
    if let Some((_, no, states)) = current {
        out.push(json!({ "gun_no": no, "states": states }));
    }
    Value::Array(out)
}

/// A status frame's gun number and state: the first enumerated field after the gun field (the
/// spec puts the gun's state there: 枪状态 in 0x03, 状态 in 0x13).
fn state(k: &Kept) -> Option<(Value, Value)> {
    let (raw, _) = RawFrame::parse(&k.raw).ok()?;
    let (msg, _) = Message::decode(k.code, raw.body).ok()?;
    let meta = msg.meta()?;
    let body = serde_json::to_value(&msg).ok()?;
    let field = meta
        .fields
        .iter()
        .skip_while(|f| f.name != GUN_FIELD)
        .find(|f| !f.values.is_empty())?;
    let state = json!({
        "frame_type": format!("0x{:02X}", k.code),
        "frame_type_name": meta.name_zh,
        "frame_type_name_en": meta.name,
        "field": field.name,
        "field_zh": field.name_zh,
        "value": body.get(field.name),
        "time": time_text(k.time_ms),
    });
    Some((body.get(GUN_FIELD).cloned().unwrap_or(Value::Null), state))
}
