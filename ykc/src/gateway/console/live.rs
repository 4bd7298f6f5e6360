//! Frames as they pass, for the pile page (`GET /console/piles/{pile}/stream`, server-sent
//! events), and the last status frame of each gun, for the fleet page.
//!
//! Nothing is decoded on the connection's path: a frame is copied into the feed only while a
//! page listens, and decoded by the stream that sends it. Status frames are kept raw (at most
//! 259 bytes each, [`MAX_PER_PILE`] per pile) and decoded when the fleet is asked for.

use super::super::api::{error, ApiError};
use super::super::Shared;
use crate::envelope::{Envelope, Lang};
use crate::{Bcd, Direction};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::convert::Infallible;
use std::ops::Range;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_util::sync::CancellationToken;

/// Frames a slow page may fall behind by before it skips some (and is told how many).
const FEED: usize = 512;

/// The frames whose last copy per gun the fleet page shows: the reports a pile sends for each
/// gun by itself, periodically and on change (heartbeat §6.3, real-time data §7.2). Named here
/// once; their codes, gun field and state field come from the spec.
const STATUS_FRAMES: &[&str] = &["heartbeat_request", "realtime_data"];

/// The field that says which gun a frame is about (so named in every frame of the spec).
pub(super) const GUN_FIELD: &str = "gun_no";

/// Status frames kept per pile: both status types for up to eight guns. A pile reporting more
/// guns keeps the most recent ones.
const MAX_PER_PILE: usize = 16;

/// One frame in or out, as written on the wire.
#[derive(Debug, Clone)]
pub(super) struct LiveFrame {
    /// The pile, once its connection logged in.
    pub pile: Option<[u8; 7]>,
    /// The gateway's connection id.
    pub conn: u64,
    /// Up: from the pile; down: to it.
    pub direction: Direction,
    /// Wall-clock time, Unix milliseconds.
    pub time_ms: i64,
    /// The whole frame, start byte to CRC.
    pub raw: bytes::Bytes,
}

impl LiveFrame {
    /// The frame as the pile page reads it: the `ykc parse` envelope with a `live` object
    /// (time, direction, connection, pile) first, as a history row has its `journal` object.
    pub fn to_json(&self, lang: Lang) -> Value {
        let (envelope, _) = Envelope::parse(&self.raw, lang);
        let mut out = Map::new();
        out.insert(
            "live".to_owned(),
            json!({
                "time": crate::journal::time_text(self.time_ms),
                "direction": self.direction.as_str(),
                "connection": self.conn,
                "pile": self.pile.map(|p| Bcd(p).to_string()),
            }),
        );
        if let Ok(Value::Object(mut fields)) = serde_json::to_value(&envelope) {
            out.append(&mut fields);
        }
        Value::Object(out)
    }
}

/// The feed every pile page subscribes to.
pub(super) struct Live {
    tx: broadcast::Sender<LiveFrame>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            tx: broadcast::channel(FEED).0,
        }
    }
}

impl Live {
    /// Whether any page listens (otherwise frames are not even copied).
    pub fn wanted(&self) -> bool {
        self.tx.receiver_count() > 0
    }

    /// Hands a frame to every listening page.
    pub fn publish(&self, frame: LiveFrame) {
        // An error only means nobody listens any more.
        let _ = self.tx.send(frame);
    }

    fn subscribe(&self) -> broadcast::Receiver<LiveFrame> {
        self.tx.subscribe()
    }
}

/// A kept status frame.
#[derive(Debug, Clone)]
pub(super) struct Kept {
    /// Its frame type.
    pub code: u8,
    /// The gun byte as received.
    pub gun: u8,
    /// When it arrived, Unix milliseconds.
    pub time_ms: i64,
    /// The whole frame.
    pub raw: Box<[u8]>,
}

/// The last status frame of each (pile, frame type, gun).
pub(super) struct StatusFrames {
    /// Each status frame type with the body range of its gun field.
    types: Vec<(u8, Range<usize>)>,
    piles: Mutex<HashMap<[u8; 7], Vec<Kept>>>,
}

impl Default for StatusFrames {
    fn default() -> Self {
        let types = crate::frames::FRAMES
            .iter()
            .filter(|m| STATUS_FRAMES.contains(&m.name))
            .filter_map(|m| Some((m.code, m.field_range(GUN_FIELD)?)))
            .collect();
        StatusFrames {
            types,
            piles: Mutex::new(HashMap::new()),
        }
    }
}

impl StatusFrames {
    fn piles(&self) -> MutexGuard<'_, HashMap<[u8; 7], Vec<Kept>>> {
        // Kept frames are replaced whole under the lock, so a panic elsewhere cannot leave one
        // half-written: the map is usable after a poisoning.
        self.piles.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether frames of this type are kept.
    pub fn wants(&self, code: u8) -> bool {
        self.types.iter().any(|(c, _)| *c == code)
    }

    /// Keeps `frame` as the last of its type and gun for `pile`.
    pub fn keep(&self, pile: [u8; 7], frame: &LiveFrame) {
        let code = frame.raw.get(5).copied().unwrap_or_default();
        let Some((_, range)) = self.types.iter().find(|(c, _)| *c == code) else {
            return;
        };
        let body = frame
            .raw
            .get(crate::header::MIN_FRAME - 2..)
            .unwrap_or_default();
        let Some(&gun) = body.get(range.clone()).and_then(<[u8]>::first) else {
            return;
        };
        let kept = Kept {
            code,
            gun,
            time_ms: frame.time_ms,
            raw: frame.raw.as_ref().into(),
        };
        let mut piles = self.piles();
        let list = piles.entry(pile).or_default();
        match list.iter_mut().find(|k| k.code == code && k.gun == gun) {
            Some(old) => *old = kept,
            None => {
                if list.len() >= MAX_PER_PILE {
                    if let Some(oldest) =
                        (0..list.len()).min_by_key(|i| list.get(*i).map(|k| k.time_ms))
                    {
                        list.swap_remove(oldest);
                    }
                }
                list.push(kept);
            }
        }
    }

    /// The kept frames of `pile`.
    pub fn of(&self, pile: &[u8; 7]) -> Vec<Kept> {
        self.piles().get(pile).cloned().unwrap_or_default()
    }

    /// Forgets every pile for which `keep` is false.
    pub fn retain(&self, keep: impl Fn(&[u8; 7]) -> bool) {
        self.piles().retain(|p, _| keep(p));
    }
}

/// Query parameters of the streams: the language of messages and warnings.
#[derive(Debug, Default, Deserialize)]
pub(super) struct LangQuery {
    lang: Option<String>,
}

impl LangQuery {
    /// `en`, else Chinese.
    pub fn lang(&self) -> Lang {
        match self.lang.as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }
}

/// `GET /console/piles/{pile}/stream`: the pile's frames as they pass, one `frame` event each
/// (the JSON of [`LiveFrame::to_json`]); `lagged` (with a count) when the page fell behind.
/// Ends when the gateway stops.
pub(super) async fn stream(
    State(s): State<Arc<Shared>>,
    Path(pile): Path<String>,
    Query(q): Query<LangQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let key = Bcd::<7>::from_digits(&pile)
        .map_err(|r| error(StatusCode::BAD_REQUEST, r, Some("pile".into())))?
        .0;
    let lang = q.lang();
    let state = (s.console.live.subscribe(), s.console.stop.clone());
    let events = futures::stream::unfold(state, move |(mut rx, stop)| async move {
        loop {
            let got = tokio::select! {
                () = stop.cancelled() => return None,
                got = rx.recv() => got,
            };
            let event = match got {
                Ok(f) if f.pile == Some(key) => {
                    Event::default().event("frame").json_data(f.to_json(lang))
                }
                Ok(_) => continue,
                Err(RecvError::Lagged(n)) => {
                    Ok(Event::default().event("lagged").data(n.to_string()))
                }
                Err(RecvError::Closed) => return None,
            };
            // A frame that does not serialize is skipped rather than ending the stream.
            if let Ok(e) = event {
                return Some((Ok(e), (rx, stop)));
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

/// Ends `events` when `stop` is cancelled.
pub(super) fn until<S: Stream + Unpin>(
    events: S,
    stop: CancellationToken,
) -> impl Stream<Item = S::Item> {
    futures::stream::unfold((events, stop), |(mut events, stop)| async move {
        use futures::StreamExt;
        tokio::select! {
            () = stop.cancelled() => None,
            item = events.next() => item.map(|i| (i, (events, stop))),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PILE: [u8; 7] = [0x32, 1, 2, 0, 0, 0, 1];

    /// A heartbeat (0x03) of `PILE` for `gun`, as a pile sends it.
    fn heartbeat(gun: u8, time_ms: i64) -> LiveFrame {
        let body = [0x32, 1, 2, 0, 0, 0, 1, gun, 0];
        let raw = crate::frames::Message::decode(0x03, &body)
            .and_then(|(m, _)| m.to_frame([0, 0], crate::CrcOrder::LowFirst))
            .expect("a heartbeat encodes");
        LiveFrame {
            pile: Some(PILE),
            conn: 1,
            direction: Direction::Up,
            time_ms,
            raw,
        }
    }

    #[test]
    fn the_last_status_frame_of_each_gun_is_kept_and_bounded() {
        let s = StatusFrames::default();
        assert!(s.wants(0x03) && s.wants(0x13) && !s.wants(0x3B));
        s.keep(PILE, &heartbeat(1, 1));
        s.keep(PILE, &heartbeat(1, 2));
        s.keep(PILE, &heartbeat(2, 3));
        let kept = s.of(&PILE);
        assert_eq!(kept.len(), 2, "one per gun");
        assert!(
            kept.iter().any(|k| k.gun == 1 && k.time_ms == 2),
            "the newer one"
        );
        for gun in 3..40 {
            s.keep(PILE, &heartbeat(gun, i64::from(gun)));
        }
        let kept = s.of(&PILE);
        assert_eq!(kept.len(), MAX_PER_PILE);
        assert!(kept.iter().all(|k| k.time_ms > 3), "the oldest went first");
        s.retain(|_| false);
        assert!(s.of(&PILE).is_empty());
    }
}
