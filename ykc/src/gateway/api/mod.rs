//! The REST API on the HTTP port: piles, commands that wait for the pile's reply, the Go proxy's
//! `/proxy/<type hex>` route, health, Prometheus metrics and an OpenAPI document.
//!
//! Errors are JSON `{"error": "...", "field": ...}` with a 4xx/5xx status, never an empty 200.
//! Every route but `/healthz` passes [`auth::guard`] (bearer tokens, or protected mode); every
//! command is logged by [`audit`]. Bodies are read as JSON whatever their Content-Type
//! ([`body`]); the value layer checks each field against its width and scale.

pub mod audit;
pub mod auth;
pub mod body;
mod openapi;
pub mod remote;
mod serve;
pub mod tls;

pub use body::from_go_body;
pub use serve::serve;

use super::fleet;
use super::registry::Outbound;
use super::Shared;
use crate::codec::OutFrame;
use crate::{Bcd, Direction, Message};
use auth::{Auth, Caller};
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use body::{build, json_object, pile_key};
use bytes::Bytes;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// The API's routes, behind the access rules of `shared`'s configuration. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()`: without the caller's address,
/// protected mode serves no one.
pub fn router(shared: Arc<Shared>) -> Router {
    let auth = Arc::new(Auth::new(&shared.config));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi::openapi))
        .route("/piles", get(piles))
        .route("/piles/{pile}", get(pile))
        .route("/piles/{pile}/commands/{frame}", post(command))
        .route("/piles/{pile}/frames", get(super::history::frames))
        .route("/proxy/{code}", post(proxy))
        .merge(super::console::routes())
        .layer(axum::middleware::from_fn_with_state(auth, auth::guard))
        .with_state(shared)
}

/// An API error: a status and a JSON body `{"error": reason, "field": field}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    reason: String,
    field: Option<String>,
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The request field at fault, if one is.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// What is wrong, as the JSON `error` says it.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({ "error": self.reason, "field": self.field })),
        )
            .into_response()
    }
}

pub(super) fn error(
    status: StatusCode,
    reason: impl Into<String>,
    field: Option<String>,
) -> ApiError {
    ApiError {
        status,
        reason: reason.into(),
        field,
    }
}

/// What a handler returns: its response, or an [`ApiError`] that renders as JSON.
type ApiResult<T> = Result<T, ApiError>;

async fn healthz(State(s): State<Arc<Shared>>) -> Json<Value> {
    let fleet = s.fleet.get().map(|f| json!({ "nodes": f.nodes() }));
    Json(json!({
        "status": "ok", "piles_online": s.registry.len(), "node": s.console.node(), "fleet": fleet,
    }))
}

async fn metrics(State(s): State<Arc<Shared>>) -> impl IntoResponse {
    let outboxes: Vec<_> = s.outboxes.iter().map(|o| o.stats()).collect();
    let fwd: Vec<_> = s
        .forwarders
        .iter()
        .map(|f| (f.config().kind.as_str(), f.stats()))
        .chain(outboxes.iter().map(|o| (o.sink, o.forward.clone())))
        .collect();
    let mut text = s.metrics.render(s.gauges(), &fwd);
    let journal = s.journal.as_ref().map(|j| j.stats());
    super::metrics::render_journal(&mut text, journal, &outboxes);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

/// Piles listed per page unless `limit` says otherwise, and the most one page may hold.
const PAGE: usize = 1000;
const MAX_PAGE: usize = 10_000;

/// `GET /piles?limit=&after=`: the piles online (in fleet mode: on every node), in code order,
/// a page at a time; `next` is the `after` of the next page (null on the last).
async fn piles(
    State(s): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let limit = match q.get("limit") {
        None => PAGE,
        Some(l) => l
            .parse()
            .ok()
            .filter(|l| (1..=MAX_PAGE).contains(l))
            .ok_or_else(|| {
                let why = format!("limit `{l}` is not 1..={MAX_PAGE}");
                error(StatusCode::BAD_REQUEST, why, Some("limit".into()))
            })?,
    };
    let after = q.get("after").map(String::as_str);
    let node = s.console.node();
    let (piles, more): (Vec<Value>, bool) = match s.fleet.get() {
        None => {
            let all = s.registry.list();
            let mut rest = all
                .iter()
                .filter(|p| after.is_none_or(|a| p.pile_code.as_str() > a));
            let page = rest
                .by_ref()
                .take(limit)
                .map(|p| remote::with_node(p, node));
            (page.collect(), rest.next().is_some())
        }
        Some(f) => {
            let (page, more) = f.page(after, limit);
            let here = |code: &str| pile_key(code, "pile").ok().and_then(|k| s.registry.get(&k));
            let items = page.into_iter().map(|(code, p)| match here(&code) {
                Some(info) => remote::with_node(&info, node),
                None => json!({
                    "pile_code": code, "node": p.node, "connection_id": p.connection_id,
                    "remote_addr": p.remote_addr, "online_since": p.since,
                }),
            });
            (items.collect(), more)
        }
    };
    let next = more.then(|| piles.last().map(|p| p["pile_code"].clone()));
    Ok(Json(json!({ "piles": piles, "next": next.flatten() })))
}

fn offline(pile: &str) -> ApiError {
    error(
        StatusCode::NOT_FOUND,
        format!("pile {pile} is not online"),
        None,
    )
}

/// `GET /piles/{pile}`: here, or asked of the node holding it.
async fn pile(State(s): State<Arc<Shared>>, Path(pile): Path<String>) -> ApiResult<Response> {
    let key = pile_key(&pile, "pile")?;
    if let Some((fleet, node)) = remote::elsewhere(&s, &key, &pile).await {
        let request = fleet::Request {
            pile: pile.clone(),
            ..Default::default()
        };
        let wait = fleet.timeout_default();
        return remote::ask(&s, &fleet, &node, fleet::Ask::Pile, &request, wait).await;
    }
    let info = s.registry.get(&key).ok_or_else(|| offline(&pile))?;
    Ok(Json(remote::with_node(&info, s.console.node())).into_response())
}

/// A platform→pile frame type given as a code (`0x34`, `34`) or a spec name (`remote_start_request`).
fn command_meta(frame: &str) -> Result<&'static crate::FrameMeta, ApiError> {
    let t = frame.trim();
    let hex = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    let meta = u8::from_str_radix(hex, 16)
        .ok()
        .and_then(Message::meta_of)
        .or_else(|| crate::frames::FRAMES.iter().copied().find(|m| m.name == t));
    match meta {
        Some(m) if m.direction == Direction::Down => Ok(m),
        Some(m) => Err(error(
            StatusCode::BAD_REQUEST,
            format!("0x{:02X} {} is sent by piles, not to them", m.code, m.name),
            Some("frame".into()),
        )),
        None => Err(error(
            StatusCode::NOT_FOUND,
            format!("`{frame}` is not a frame type of the spec"),
            Some("frame".into()),
        )),
    }
}

/// Sends a frame to an online pile within `timeout`; with `wait`, returns the receiver of its
/// reply. A 504 when the frame could not even be written in time (the pile's queue is full or
/// its socket does not drain); a command not written by then is not written later (the
/// connection skips commands whose caller has gone).
async fn send_within(
    s: &Shared,
    key: [u8; 7],
    msg: Message,
    body: bytes::Bytes,
    wait: bool,
    seq: Option<[u8; 2]>,
    timeout: Duration,
) -> Result<Option<oneshot::Receiver<Message>>, ApiError> {
    let pile = Bcd(key).to_string();
    let send = async {
        let tx = s.registry.sender(&key).ok_or_else(|| offline(&pile))?;
        let (reply_tx, reply_rx) = oneshot::channel();
        let (written_tx, written_rx) = oneshot::channel();
        let out = Box::new(Outbound {
            // Without a sequence of its own, the connection stamps the next one (`keep_seq` false).
            frame: OutFrame::new(seq.unwrap_or_default(), msg.code(), body),
            message: msg,
            waiter: wait.then_some(reply_tx),
            written: Some(written_tx),
            keep_seq: seq.is_some(),
        });
        // A dropped `written` sender means the connection ended before writing: not written.
        if tx.send(out).await.is_err() || !written_rx.await.unwrap_or(false) {
            return Err(error(
                StatusCode::NOT_FOUND,
                format!("pile {pile} went offline before the frame was written"),
                None,
            ));
        }
        Ok(wait.then_some(reply_rx))
    };
    match tokio::time::timeout(timeout, send).await {
        Ok(sent) => sent,
        Err(_) => Err(timed_out(
            s,
            format!(
                "pile {pile} did not take the frame within {} ms (its connection is stalled)",
                timeout.as_millis()
            ),
        )),
    }
}

fn envelope(m: &Message) -> Value {
    let meta = m.meta();
    json!({
        "frame_type": format!("0x{:02X}", m.code()),
        "frame_type_name": meta.map(|x| x.name_zh),
        "frame_type_name_en": meta.map(|x| x.name),
        "body_data": m,
    })
}

/// `POST /piles/{pile}/commands/{frame}`, logged with its result.
async fn command(
    State(s): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path((pile, frame)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> ApiResult<Response> {
    let audit = audit::Command::of(&pile, &frame);
    let remote = match pile_key(&pile, "pile") {
        Ok(k) => remote::elsewhere(&s, &k, &pile).await,
        Err(_) => None, // refused by the local handler, with its field
    };
    let result = match remote {
        Some((fleet, node)) => {
            let timeout = command_timeout(&s, &q);
            let parts = (pile.as_str(), frame.as_str());
            let to = (&*fleet, node.as_str(), fleet::Ask::Command);
            remote::command(&s, to, &caller, parts, raw, timeout, body).await
        }
        None => send_command(&s, &pile, &frame, &q, &body).await,
    };
    audit::record(&s, &caller, &audit, audit::outcome(&result)).await;
    result
}

async fn send_command(
    s: &Shared,
    pile: &str,
    frame: &str,
    q: &HashMap<String, String>,
    body: &[u8],
) -> ApiResult<Response> {
    let key = pile_key(pile, "pile")?;
    let meta = command_meta(frame)?;
    let fields = json_object(body, true)?;
    let (msg, bytes) = build(meta, key, fields)?;
    let command = envelope(&msg);
    let wait = meta.reply.is_some();
    let started = Instant::now();
    let timeout = command_timeout(s, q);
    // The caller's timeout covers the whole command: queueing and writing too (a pile that
    // stopped reading holds its queue until write_timeout closes it).
    let Some(rx) = send_within(s, key, msg, bytes, wait, None, timeout).await? else {
        let sent = json!({ "pile_code": pile, "command": command, "reply": null });
        return Ok((StatusCode::ACCEPTED, Json(sent)).into_response());
    };
    let timeout = timeout.saturating_sub(started.elapsed());
    match tokio::time::timeout(timeout, rx).await {
        Ok(Ok(reply)) => {
            s.metrics.command_done(started.elapsed().as_secs_f64());
            let done = json!({ "pile_code": pile, "command": command, "reply": envelope(&reply) });
            Ok(Json(done).into_response())
        }
        Ok(Err(_)) => Err(error(
            StatusCode::BAD_GATEWAY,
            format!("pile {pile} disconnected before replying"),
            None,
        )),
        Err(_) => Err(timed_out(
            s,
            format!(
                "no reply from pile {pile} within {} ms",
                timeout.as_millis()
            ),
        )),
    }
}

/// A command's whole budget: `timeout_ms` of the query, else `command_timeout_ms`.
fn command_timeout(s: &Shared, q: &HashMap<String, String>) -> Duration {
    q.get("timeout_ms")
        .and_then(|t| t.parse().ok())
        .map_or_else(|| s.config.command_timeout(), Duration::from_millis)
}

/// A 504 for a command that ran out of its caller's time, counted.
fn timed_out(s: &Shared, reason: String) -> ApiError {
    s.metrics
        .commands_timed_out
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    error(StatusCode::GATEWAY_TIMEOUT, reason, None)
}

/// The Go proxy's route: `POST /proxy/<type hex>` with `header {encrypted, seq}`, `id` (pile code)
/// and the frame's fields by their Go or spec names; sends without waiting for the reply.
/// `header.seq` (an answer to a pile's request) is written as both sequence bytes, little-endian.
async fn proxy(
    State(s): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(code): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let id = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_owned));
    let audit = audit::Command {
        pile: id
            .as_deref()
            .and_then(|id| pile_key(id, "id").ok())
            .map(|k| Bcd(k).to_string()),
        pile_text: id.unwrap_or_default(),
        code: command_meta(&code).ok().map(|m| m.code),
        frame_text: code.clone(),
    };
    let key = audit.pile.as_deref().and_then(|p| pile_key(p, "id").ok());
    let remote = match (&key, &audit.pile) {
        (Some(k), Some(p)) => remote::elsewhere(&s, k, p).await,
        _ => None, // refused by the local handler, with its field
    };
    let result = match remote {
        Some((fleet, node)) => {
            let to = (&*fleet, node.as_str(), fleet::Ask::Proxy);
            let parts = (audit.pile.as_deref().unwrap_or_default(), code.as_str());
            let timeout = s.config.command_timeout();
            remote::command(&s, to, &caller, parts, None, timeout, body).await
        }
        None => send_proxy(&s, &code, &body).await,
    };
    audit::record(&s, &caller, &audit, audit::outcome(&result)).await;
    result
}

async fn send_proxy(s: &Shared, code: &str, body: &[u8]) -> ApiResult<Response> {
    let meta = command_meta(code)?;
    let mut fields = json_object(body, false)?;
    let id = match fields.remove("id") {
        Some(Value::String(id)) => id,
        Some(other) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                format!("id: the pile code must be a string of digits, got {other}"),
                Some("id".into()),
            ))
        }
        None => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "missing `id` (the pile code)",
                Some("id".into()),
            ))
        }
    };
    let seq = match fields.remove("header").as_ref().and_then(|h| h.get("seq")) {
        None | Some(Value::Null) => None,
        Some(v) => {
            let n = v
                .as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .ok_or_else(|| {
                    error(
                        StatusCode::BAD_REQUEST,
                        format!("header.seq {v} is not 0..=65535"),
                        Some("header.seq".into()),
                    )
                })?;
            Some(n.to_le_bytes())
        }
    };
    let key = pile_key(&id, "id")?;
    let (fields, ignored) = from_go_body(meta.fields, fields);
    let (msg, bytes) = build(meta, key, fields)?;
    let command = envelope(&msg);
    send_within(s, key, msg, bytes, false, seq, s.config.command_timeout()).await?;
    let sent =
        json!({ "sent": true, "pile_code": id, "command": command, "ignored_fields": ignored });
    Ok(Json(sent).into_response())
}
