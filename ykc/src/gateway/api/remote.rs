//! REST in fleet mode: a pile held by another node is asked there, over NATS, and that node
//! runs the very handler a local caller gets (same validation, statuses, timeout and audit).
//! The entry node only routes; what comes back is passed on as it came.

use super::audit;
use super::auth::Caller;
use super::{error, offline, send_command, send_proxy, timed_out, ApiError, ApiResult};
use crate::gateway::fleet::member::reply;
use crate::gateway::fleet::{Ask, Fleet, FleetError, Reply, Request};
use crate::gateway::registry::PileInfo;
use crate::gateway::Shared;
use axum::extract::Query;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Beyond the command's own timeout, how long the entry node waits for the owner's answer:
/// the owner answers 504 itself at the timeout, and that answer has to travel back.
const ANSWER_MARGIN: Duration = Duration::from_secs(1);

/// The largest answer body read back from a handler (a command's envelope is a few KB).
const MAX_ANSWER: usize = 1 << 20;

/// The fleet and the node holding `pile`, when it is held by another node (not here): from
/// the directory, or, for a pile the directory does not know (a login a moment ago, or a watch
/// being remade after a NATS node died), from the bucket itself.
pub(super) async fn elsewhere(
    s: &Shared,
    key: &[u8; 7],
    pile: &str,
) -> Option<(Arc<Fleet>, String)> {
    let fleet = s.fleet.get()?;
    if s.registry.contains(key) {
        return None;
    }
    let holder = match fleet.lookup(pile) {
        Some(p) => Some(p),
        None => fleet.holder(pile).await.ok().flatten(),
    };
    let holder = holder.filter(|p| p.node != fleet.node())?;
    Some((fleet.clone(), holder.node))
}

/// A REST call for a pile held elsewhere: asks `node`; when the directory proved stale (the
/// node is gone or no longer has the pile), asks the bucket itself who holds it and tries
/// that node once.
pub(super) async fn ask(
    s: &Shared,
    fleet: &Fleet,
    node: &str,
    ask: Ask,
    request: &Request,
    wait: Duration,
) -> ApiResult<Response> {
    let first = fleet.ask(node, ask, request, wait).await;
    let stale = match &first {
        Err(FleetError::NoResponders { .. }) => true,
        Ok(r) => r.status == StatusCode::NOT_FOUND.as_u16(),
        Err(_) => false,
    };
    if stale {
        if let Ok(Some(p)) = fleet.holder(&request.pile).await {
            if p.node != node && p.node != fleet.node() {
                return answered(s, &p.node, fleet.ask(&p.node, ask, request, wait).await);
            }
        }
    }
    answered(s, node, first)
}

/// A command (`ask`: [`Ask::Command`] or [`Ask::Proxy`]) for a pile held by `node`, with the
/// caller's query and body as they came.
#[allow(clippy::too_many_arguments)] // the REST call's pieces, passed on unchanged
pub(super) async fn command(
    s: &Shared,
    (fleet, node, ask): (&Fleet, &str, Ask),
    caller: &Caller,
    (pile, frame): (&str, &str),
    query: Option<String>,
    timeout: Duration,
    body: Bytes,
) -> ApiResult<Response> {
    let request = Request {
        pile: pile.to_owned(),
        frame: frame.to_owned(),
        query: query.unwrap_or_default(),
        caller: format!("{}@{}", caller.name, fleet.node()),
        peer: caller.source(),
        body,
    };
    let wait = timeout + ANSWER_MARGIN;
    self::ask(s, fleet, node, ask, &request, wait).await
}

/// The owner's answer, or what its absence means: gone (404), late (504), broken (502).
fn answered(s: &Shared, node: &str, r: Result<Reply, FleetError>) -> ApiResult<Response> {
    match r {
        Ok(reply) => from_reply(reply),
        Err(FleetError::NoResponders { .. }) => Err(error(
            StatusCode::NOT_FOUND,
            format!("the pile is not online (its node {node} is gone)"),
            None,
        )),
        Err(FleetError::Timeout { after, .. }) => Err(timed_out(
            s,
            format!("node {node} did not answer within {} ms", after.as_millis()),
        )),
        Err(e) => Err(error(StatusCode::BAD_GATEWAY, e.to_string(), None)),
    }
}

/// An answer of another node as this node's response: a success as it came, an error as an
/// [`ApiError`] with the same status, reason and field (so the audit line has them).
fn from_reply(r: Reply) -> ApiResult<Response> {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_GATEWAY);
    if status.is_success() {
        let json = [(header::CONTENT_TYPE, "application/json")];
        return Ok((status, json, r.body).into_response());
    }
    /// What an error answer says (the JSON of [`ApiError`]).
    #[derive(Default, serde::Deserialize)]
    struct Said {
        error: Option<String>,
        field: Option<String>,
    }
    let said: Said = serde_json::from_slice(&r.body).unwrap_or_default();
    let reason = said
        .error
        .unwrap_or_else(|| "the pile's node answered an error".into());
    Err(error(status, reason, said.field))
}

/// A handler's result as an answer to another node.
async fn to_reply(result: ApiResult<Response>) -> Reply {
    let response = result.unwrap_or_else(IntoResponse::into_response);
    let status = response.status().as_u16();
    match axum::body::to_bytes(response.into_body(), MAX_ANSWER).await {
        Ok(body) => Reply { status, body },
        Err(e) => reply(500, json!({ "error": format!("answer not read: {e}") })),
    }
}

/// Another node's command for a pile held here: run as a local caller's, audited with the
/// original caller (`token@node`) and address. Never routed on: a pile not here is a 404.
pub async fn answer_command(s: &Shared, r: Request) -> Reply {
    let uri: Option<Uri> = format!("/?{}", r.query).parse().ok();
    let q = uri
        .and_then(|u| Query::<HashMap<String, String>>::try_from_uri(&u).ok())
        .map(|Query(q)| q)
        .unwrap_or_default();
    let caller = Caller {
        name: r.caller.clone(),
        addr: r.peer.parse().ok(),
    };
    let audit = audit::Command::of(&r.pile, &r.frame);
    let result = send_command(s, &r.pile, &r.frame, &q, &r.body).await;
    audit::record(s, &caller, &audit, audit::outcome(&result)).await;
    to_reply(result).await
}

/// Another node's Go-proxy call (`POST /proxy/{frame}`) for a pile held here.
pub async fn answer_proxy(s: &Shared, r: Request) -> Reply {
    let caller = Caller {
        name: r.caller.clone(),
        addr: r.peer.parse().ok(),
    };
    let audit = audit::Command::of(&r.pile, &r.frame);
    let result = send_proxy(s, &r.frame, &r.body).await;
    audit::record(s, &caller, &audit, audit::outcome(&result)).await;
    to_reply(result).await
}

/// Another node's `GET /piles/{pile}` for a pile held here.
pub fn answer_pile(s: &Shared, pile: &str) -> Reply {
    let info = super::body::pile_key(pile, "pile").map(|k| s.registry.get(&k));
    match info {
        Ok(Some(info)) => reply(200, with_node(&info, s.console.node())),
        Ok(None) => to_reply_now(offline(pile)),
        Err(e) => to_reply_now(e),
    }
}

fn to_reply_now(e: ApiError) -> Reply {
    reply(
        e.status().as_u16(),
        json!({ "error": e.reason(), "field": e.field() }),
    )
}

/// A pile held here, as `GET /piles` lists it: what the registry knows and this node's name.
pub(super) fn with_node(info: &PileInfo, node: &str) -> Value {
    #[derive(serde::Serialize)]
    struct Listed<'a> {
        #[serde(flatten)]
        info: &'a PileInfo,
        node: &'a str,
    }
    serde_json::to_value(Listed { info, node }).expect("a PileInfo always serialises")
}
