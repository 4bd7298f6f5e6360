//! The command log: every REST command (`POST /piles/{pile}/commands/{frame}`,
//! `POST /proxy/{hex}`), allowed or not, as one INFO line (target `ykc::audit`) and, with a
//! journal, one `command` row: who (token name, or `loopback` / `open`), from where, which pile
//! and frame, and the HTTP status.

use super::auth::Caller;
use super::ApiError;
use crate::gateway::Shared;
use crate::journal::Entry;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

/// What a command asked for, as far as the request said it.
pub struct Command {
    /// The pile's 14 digits, when the request named a valid code.
    pub pile: Option<String>,
    /// The pile as the request wrote it (for the log line of a bad code).
    pub pile_text: String,
    /// The frame type, when it is one of the spec's.
    pub code: Option<u8>,
    /// The frame as the request wrote it.
    pub frame_text: String,
}

impl Command {
    /// What a command for `pile` and `frame`, as the request wrote them, asks for.
    pub fn of(pile: &str, frame: &str) -> Command {
        Command {
            pile: super::body::pile_key(pile, "pile")
                .ok()
                .map(|k| crate::Bcd(k).to_string()),
            pile_text: pile.to_owned(),
            code: super::command_meta(frame).ok().map(|m| m.code),
            frame_text: frame.to_owned(),
        }
    }
}

/// Longest request text copied into the log (a path can be long; the log stays readable).
const MAX_TEXT: usize = 64;

fn clip(text: &str) -> String {
    text.chars().take(MAX_TEXT).collect()
}

/// The status of a handler's result and, for an error, its reason.
pub fn outcome(result: &Result<Response, ApiError>) -> (StatusCode, Option<String>) {
    match result {
        Ok(r) => (r.status(), None),
        Err(e) => (e.status(), Some(e.reason().to_owned())),
    }
}

/// Logs `cmd` by `caller` with its [`outcome`], and journals it when there is a journal.
pub async fn record(
    s: &Shared,
    caller: &Caller,
    cmd: &Command,
    (status, reason): (StatusCode, Option<String>),
) {
    let frame = cmd
        .code
        .map_or_else(|| clip(&cmd.frame_text), |c| format!("0x{c:02X}"));
    let pile = cmd.pile.clone().unwrap_or_else(|| clip(&cmd.pile_text));
    tracing::info!(
        target: "ykc::audit",
        token = %caller.name,
        source = %caller.source(),
        %pile,
        %frame,
        status = status.as_u16(),
        error = reason.as_deref().unwrap_or_default(),
        "REST command"
    );
    let Some(journal) = &s.journal else {
        return;
    };
    let mut detail = json!({ "token": caller.name, "frame": frame, "status": status.as_u16() });
    if let (Some(r), Some(o)) = (&reason, detail.as_object_mut()) {
        o.insert("error".into(), r.as_str().into());
    }
    let entry = Entry::command(
        cmd.pile.clone(),
        cmd.code.unwrap_or(0),
        caller.source(),
        &detail,
    );
    if let Err(e) = journal.append(entry).await {
        tracing::warn!(error = %e, "REST command not journaled");
    }
}
