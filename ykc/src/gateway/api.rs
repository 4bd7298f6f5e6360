//! The REST API on the HTTP port: piles, commands that wait for the pile's reply, the Go proxy's
//! `/proxy/<type hex>` route, health, Prometheus metrics and an OpenAPI document.
//!
//! Errors are JSON `{"error": "...", "field": ...}` with a 4xx/5xx status, never an empty 200.

use super::registry::{Outbound, PileInfo};
use super::Shared;
use crate::codec::OutFrame;
use crate::{Bcd, Direction, Message};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// The API's routes.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/piles", get(piles))
        .route("/piles/{pile}", get(pile))
        .route("/piles/{pile}/commands/{frame}", post(command))
        .route("/piles/{pile}/frames", get(super::history::frames))
        .route("/proxy/{code}", post(proxy))
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
    Json(json!({ "status": "ok", "piles_online": s.registry.len() }))
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

async fn piles(State(s): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({ "piles": s.registry.list() }))
}

/// Parses a pile code from the path (14 digits, left-padded).
fn pile_key(text: &str) -> Result<[u8; 7], ApiError> {
    Bcd::<7>::from_digits(text)
        .map(|b| b.0)
        .map_err(|r| error(StatusCode::BAD_REQUEST, r, Some("pile".into())))
}

fn offline(pile: &str) -> ApiError {
    error(
        StatusCode::NOT_FOUND,
        format!("pile {pile} is not online"),
        None,
    )
}

async fn pile(State(s): State<Arc<Shared>>, Path(pile): Path<String>) -> ApiResult<Json<PileInfo>> {
    let key = pile_key(&pile)?;
    s.registry.get(&key).map(Json).ok_or_else(|| offline(&pile))
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

/// Builds the command from the body's fields (the pile code comes from the path when absent).
fn build(
    meta: &crate::FrameMeta,
    key: [u8; 7],
    mut body: Map<String, Value>,
) -> Result<(Message, bytes::Bytes), ApiError> {
    if meta.pile_code_range().is_some() {
        body.entry("pile_code")
            .or_insert_with(|| Value::from(Bcd(key).to_string()));
    }
    let msg = Message::from_json(meta.code, &Value::Object(body)).map_err(|e| match &e {
        crate::Error::Json { field, reason } => {
            error(StatusCode::BAD_REQUEST, reason.clone(), Some(field.clone()))
        }
        other => error(StatusCode::BAD_REQUEST, other.to_string(), None),
    })?;
    let mut out = bytes::BytesMut::new();
    msg.encode(&mut out)
        .map_err(|e| error(StatusCode::BAD_REQUEST, e.to_string(), None))?;
    Ok((msg, out.freeze()))
}

/// Sends a frame to an online pile; with `wait`, returns the receiver of its reply.
async fn send(
    s: &Shared,
    key: [u8; 7],
    msg: Message,
    body: bytes::Bytes,
    wait: bool,
    seq: Option<[u8; 2]>,
) -> Result<Option<oneshot::Receiver<Message>>, ApiError> {
    let pile = Bcd(key).to_string();
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
}

/// [`send`] within `timeout`: a 504 when the frame could not even be written in time (the
/// pile's queue is full or its socket does not drain). A command not written by then is not
/// written later (the connection skips commands whose caller has gone).
async fn send_within(
    s: &Shared,
    key: [u8; 7],
    msg: Message,
    body: bytes::Bytes,
    wait: bool,
    seq: Option<[u8; 2]>,
    timeout: Duration,
) -> Result<Option<oneshot::Receiver<Message>>, ApiError> {
    match tokio::time::timeout(timeout, send(s, key, msg, body, wait, seq)).await {
        Ok(sent) => sent,
        Err(_) => {
            s.metrics
                .commands_timed_out
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Err(error(
                StatusCode::GATEWAY_TIMEOUT,
                format!(
                    "pile {} did not take the frame within {} ms (its connection is stalled)",
                    Bcd(key),
                    timeout.as_millis()
                ),
                None,
            ))
        }
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

async fn command(
    State(s): State<Arc<Shared>>,
    Path((pile, frame)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    body: Option<Json<Value>>,
) -> ApiResult<Response> {
    let key = pile_key(&pile)?;
    let meta = command_meta(&frame)?;
    let fields = match body.map(|Json(v)| v) {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(other) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                format!("the body must be a JSON object of fields, got {other}"),
                None,
            ))
        }
    };
    let (msg, bytes) = build(meta, key, fields)?;
    let command = envelope(&msg);
    let wait = meta.reply.is_some();
    let started = Instant::now();
    let timeout = q
        .get("timeout_ms")
        .and_then(|t| t.parse().ok())
        .map_or_else(|| s.config.command_timeout(), Duration::from_millis);
    // The caller's timeout covers the whole command: queueing and writing too (a pile that
    // stopped reading holds its queue until write_timeout closes it).
    let Some(rx) = send_within(&s, key, msg, bytes, wait, None, timeout).await? else {
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
        Err(_) => {
            s.metrics
                .commands_timed_out
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Err(error(
                StatusCode::GATEWAY_TIMEOUT,
                format!(
                    "no reply from pile {pile} within {} ms",
                    timeout.as_millis()
                ),
                None,
            ))
        }
    }
}

/// Translates a Go `ykc-proxy-server` body into spec fields, by the spec's `go:` names: Go integers
/// are raw wire values (scaled here), Go bools map through `go_bool`; spec names are accepted too.
/// Returns the fields and the keys it did not know.
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
            (_, Value::Number(n)) if (f.decimals > 0 || f.offset != 0) && f.values.is_empty() => {
                // A number that is no f64 (or scales to no finite one) is passed on unscaled, and
                // the field's own check reports it.
                n.as_f64()
                    .and_then(|raw| {
                        let scaled = raw / 10f64.powi(f.decimals as i32) + f.offset as f64;
                        serde_json::Number::from_f64(scaled)
                    })
                    .map_or(v.clone(), Value::Number)
            }
            _ => v,
        };
        out.insert(f.name.to_string(), v);
    }
    (out, body.keys().cloned().collect())
}

/// The Go proxy's route: `POST /proxy/<type hex>` with `header {encrypted, seq}`, `id` (pile code)
/// and the frame's fields by their Go or spec names; sends without waiting for the reply.
/// `header.seq` (an answer to a pile's request) is written as both sequence bytes, little-endian.
async fn proxy(
    State(s): State<Arc<Shared>>,
    Path(code): Path<String>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let meta = command_meta(&code)?;
    let Value::Object(mut fields) = body else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "the body must be a JSON object",
            None,
        ));
    };
    let id = fields
        .remove("id")
        .and_then(|v| v.as_str().map(str::to_string))
        .ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                "missing `id` (the pile code)",
                Some("id".into()),
            )
        })?;
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
    let key = pile_key(&id)?;
    let (fields, ignored) = from_go_body(meta.fields, fields);
    let (msg, bytes) = build(meta, key, fields)?;
    let command = envelope(&msg);
    send_within(&s, key, msg, bytes, false, seq, s.config.command_timeout()).await?;
    Ok(Json(
        json!({ "sent": true, "pile_code": id, "command": command, "ignored_fields": ignored }),
    ))
}

async fn openapi() -> Json<Value> {
    let frames: Vec<&str> = crate::frames::FRAMES
        .iter()
        .filter(|m| m.direction == Direction::Down)
        .map(|m| m.name)
        .collect();
    Json(json!({
        "openapi": "3.0.3",
        "info": { "title": "ykc gateway", "version": env!("CARGO_PKG_VERSION") },
        "paths": {
            "/healthz": { "get": { "summary": "Liveness and piles online", "responses": { "200": { "description": "ok" } } } },
            "/metrics": { "get": { "summary": "Prometheus metrics", "responses": { "200": { "description": "text exposition" } } } },
            "/piles": { "get": { "summary": "Piles online", "responses": { "200": { "description": "list" } } } },
            "/piles/{pile}": { "get": { "summary": "One pile", "parameters": [{ "name": "pile", "in": "path", "required": true, "schema": { "type": "string" } }],
                "responses": { "200": { "description": "pile" }, "404": { "description": "offline" } } } },
            "/piles/{pile}/commands/{frame}": { "post": {
                "summary": "Send a platform→pile frame and wait for the pile's matching reply",
                "parameters": [
                    { "name": "pile", "in": "path", "required": true, "schema": { "type": "string" } },
                    { "name": "frame", "in": "path", "required": true, "schema": { "type": "string", "enum": frames } },
                    { "name": "timeout_ms", "in": "query", "schema": { "type": "integer" } }
                ],
                "requestBody": { "content": { "application/json": { "schema": { "type": "object", "description": "the frame's fields, as `ykc frames <frame>` lists them" } } } },
                "responses": { "200": { "description": "the decoded reply" }, "202": { "description": "sent; the frame has no reply" },
                    "400": { "description": "bad body, with the field" }, "404": { "description": "pile offline or unknown frame" },
                    "504": { "description": "no reply in time" } } } },
            "/piles/{pile}/frames": { "get": {
                "summary": "The pile's journaled frames and events, newest first (offline piles too)",
                "parameters": [
                    { "name": "pile", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[0-9]{14}$" } },
                    { "name": "since", "in": "query", "schema": { "type": "string", "description": "RFC 3339 or Unix ms" } },
                    { "name": "until", "in": "query", "schema": { "type": "string", "description": "RFC 3339 or Unix ms" } },
                    { "name": "type", "in": "query", "schema": { "type": "string", "description": "frame type in hex: 3b, 0x3B" } },
                    { "name": "direction", "in": "query", "schema": { "type": "string", "enum": ["up", "down"] } },
                    { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": super::history::MAX_LIMIT, "default": super::history::DEFAULT_LIMIT } },
                    { "name": "before_id", "in": "query", "schema": { "type": "integer", "description": "paging: rows below this journal id" } },
                    { "name": "lang", "in": "query", "schema": { "type": "string", "enum": ["zh", "en"] } }
                ],
                "responses": { "200": { "description": "array of ykc parse envelopes, each with a `journal` object (id, time, direction, connection, pile)" },
                    "400": { "description": "bad parameter, with the field" }, "404": { "description": "the journal is off" } } } },
            "/proxy/{code}": { "post": { "summary": "The Go ykc-proxy-server route: send a frame (no wait)",
                "parameters": [{ "name": "code", "in": "path", "required": true, "schema": { "type": "string" } }],
                "responses": { "200": { "description": "sent" }, "400": { "description": "bad body" }, "404": { "description": "pile offline" } } } }
        }
    }))
}
