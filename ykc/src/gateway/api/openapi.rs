//! The OpenAPI document of the REST API, with its bearer security scheme.

use crate::Direction;
use axum::Json;
use serde_json::{json, Value};

/// The OpenAPI 3 document of the REST API (`GET /openapi.json`).
pub async fn openapi() -> Json<Value> {
    let frames: Vec<&str> = crate::frames::FRAMES
        .iter()
        .filter(|m| m.direction == Direction::Down)
        .map(|m| m.name)
        .collect();
    Json(json!({
        "openapi": "3.0.3",
        "info": { "title": "ykc gateway", "version": env!("CARGO_PKG_VERSION"),
            "description": "With a token configured (--api-token, api.tokens), every route but /healthz needs `Authorization: Bearer <token>` (401 without); a `read` token may use GET routes only (403 on commands). Without tokens only loopback callers are served (403), unless --api-insecure-open." },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "description": "a token of api_token / api_tokens" } },
            "responses": {
                "Unauthorized": { "description": "no or wrong bearer token (JSON error, WWW-Authenticate: Bearer)" },
                "Forbidden": { "description": "a read token on a command, or a non-loopback caller in protected mode (JSON error)" }
            }
        },
        "security": [{ "bearer": [] }],
        "paths": {
            "/healthz": { "get": { "summary": "Liveness and piles online (no token needed)", "security": [], "responses": { "200": { "description": "ok" } } } },
            "/metrics": { "get": { "summary": "Prometheus metrics", "responses": { "200": { "description": "text exposition" } } } },
            "/piles": { "get": { "summary": "Piles online (in fleet mode: on every node), in code order, a page at a time",
                "parameters": [
                    { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 10000, "default": 1000 } },
                    { "name": "after", "in": "query", "description": "the `next` of the previous page", "schema": { "type": "string" } }
                ],
                "responses": { "200": { "description": "{piles: [{pile_code, node, …}], next: pile code or null}" }, "400": { "description": "bad limit" } } } },
            "/piles/{pile}": { "get": { "summary": "One pile", "parameters": [{ "name": "pile", "in": "path", "required": true, "schema": { "type": "string" } }],
                "responses": { "200": { "description": "pile" }, "404": { "description": "offline" } } } },
            "/piles/{pile}/commands/{frame}": { "post": {
                "summary": "Send a platform→pile frame and wait for the pile's matching reply",
                "parameters": [
                    { "name": "pile", "in": "path", "required": true, "schema": { "type": "string" } },
                    { "name": "frame", "in": "path", "required": true, "schema": { "type": "string", "enum": frames } },
                    { "name": "timeout_ms", "in": "query", "schema": { "type": "integer" } }
                ],
                "requestBody": { "content": { "application/json": { "schema": { "type": "object", "description": "the frame's fields, as `ykc frames <frame>` lists them; read as JSON whatever the Content-Type. Scaled values take numbers or decimal strings alike (\"12\" and 12 are 12.00 元). A pile_code, if given, must be the path's" } } } },
                "responses": { "200": { "description": "the decoded reply" }, "202": { "description": "sent; the frame has no reply" },
                    "400": { "description": "bad body or pile code, with the field (a value outside its field's range names the range)" },
                    "401": { "$ref": "#/components/responses/Unauthorized" }, "403": { "$ref": "#/components/responses/Forbidden" },
                    "404": { "description": "pile offline or unknown frame" },
                    "504": { "description": "no reply in time" } } } },
            "/piles/{pile}/frames": { "get": {
                "summary": "The pile's journaled frames and events, newest first (offline piles too)",
                "parameters": [
                    { "name": "pile", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[0-9]{14}$" } },
                    { "name": "since", "in": "query", "schema": { "type": "string", "description": "RFC 3339 or Unix ms" } },
                    { "name": "until", "in": "query", "schema": { "type": "string", "description": "RFC 3339 or Unix ms" } },
                    { "name": "type", "in": "query", "schema": { "type": "string", "description": "frame type in hex: 3b, 0x3B" } },
                    { "name": "direction", "in": "query", "schema": { "type": "string", "enum": ["up", "down"] } },
                    { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": crate::gateway::history::MAX_LIMIT, "default": crate::gateway::history::DEFAULT_LIMIT } },
                    { "name": "before_id", "in": "query", "schema": { "type": "integer", "description": "paging: rows below this journal id" } },
                    { "name": "lang", "in": "query", "schema": { "type": "string", "enum": ["zh", "en"] } }
                ],
                "responses": { "200": { "description": "array of ykc parse envelopes, each with a `journal` object (id, time, direction, connection, pile)" },
                    "400": { "description": "bad parameter, with the field" }, "404": { "description": "the journal is off" } } } },
            "/proxy/{code}": { "post": { "summary": "The Go ykc-proxy-server route: send a frame (no wait)",
                "parameters": [{ "name": "code", "in": "path", "required": true, "schema": { "type": "string" } }],
                "requestBody": { "content": { "application/json": { "schema": { "type": "object", "description": "`id` (the pile code), `header` {encrypted, seq} and the frame's fields by Go or spec name; read as JSON whatever the Content-Type" } } } },
                "responses": { "200": { "description": "sent" }, "400": { "description": "bad body" },
                    "401": { "$ref": "#/components/responses/Unauthorized" }, "403": { "$ref": "#/components/responses/Forbidden" },
                    "404": { "description": "pile offline" } } } }
        }
    }))
}
