//! The console: a web page for operators, served by the gateway on its HTTP port (`GET /`).
//!
//! The page (`ykc/console/`: one HTML file, one script, one style sheet, no build step) is
//! embedded in the binary, so it works on machines without internet. It knows no frame by
//! hand: its forms and field tables are generated from the spec metadata (`GET /meta/frames`).
//!
//! - `assets`: the page itself.
//! - `meta`: `GET /meta/frames` (the spec metadata) and `POST /parse` (the `ykc parse` envelope
//!   of pasted hex, with the CRC in both byte orders).
//! - `live`: every frame as it passes, for the pile page (server-sent events), and the last
//!   status frame of each gun, for the fleet page.
//! - `fleet`: the online piles with their guns' states, as JSON and as a stream.
//!
//! The connection taps frames with one call each way ([`Console::received`],
//! [`Console::sent`]); nothing is kept or decoded for a pile unless a page asks, except the last
//! status frames (a few hundred bytes per gun).

mod assets;
mod fleet;
mod live;
mod meta;

use super::Shared;
use crate::header::OwnedFrame;
use crate::Direction;
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The console's routes, merged into the REST router. `/` and `/console/assets/*` are the page
/// (public: the page asks for a token when the API answers 401); the rest is API.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/", get(assets::index))
        .route("/console/assets/{file}", get(assets::file))
        .route("/meta/frames", get(meta::frames))
        .route("/parse", post(meta::parse).layer(meta::body_limit()))
        .route("/console/fleet", get(fleet::snapshot))
        .route("/console/fleet/stream", get(fleet::stream))
        .route("/console/piles/{pile}/stream", get(live::stream))
}

/// How often offline piles' status frames are forgotten.
const PRUNE_EVERY: Duration = Duration::from_secs(30);

/// The console's state in [`Shared`]: the live frame feed, the last status frames, this node's
/// name, and a token that ends every open stream when the gateway stops.
pub struct Console {
    live: live::Live,
    status: live::StatusFrames,
    node: String,
    stop: CancellationToken,
}

impl Console {
    /// The console of node `node` (its name in the fleet, shown beside each pile).
    pub fn new(node: String) -> Console {
        Console {
            live: live::Live::default(),
            status: live::StatusFrames::default(),
            node,
            stop: CancellationToken::new(),
        }
    }

    /// This node's name.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// A frame received from a pile: `pile` once the connection logged in (call it after the
    /// session handled the frame, so a login already names its pile).
    pub fn received(&self, pile: Option<[u8; 7]>, conn: u64, f: &OwnedFrame) {
        let status = self.status.wants(f.header.code);
        if !status && !self.live.wanted() {
            return;
        }
        let mut raw = bytes::BytesMut::new();
        f.write_to(&mut raw);
        self.tap(pile, conn, Direction::Up, raw.freeze(), status);
    }

    /// A frame written to a pile, as written.
    pub fn sent(&self, pile: Option<[u8; 7]>, conn: u64, raw: &[u8]) {
        if self.live.wanted() {
            let raw = bytes::Bytes::copy_from_slice(raw);
            self.tap(pile, conn, Direction::Down, raw, false);
        }
    }

    fn tap(
        &self,
        pile: Option<[u8; 7]>,
        conn: u64,
        direction: Direction,
        raw: bytes::Bytes,
        status: bool,
    ) {
        let frame = live::LiveFrame {
            pile,
            conn,
            direction,
            time_ms: crate::journal::now_ms(),
            raw,
        };
        if let (true, Some(p)) = (status, pile) {
            self.status.keep(p, &frame);
        }
        self.live.publish(frame);
    }

    /// Runs beside the gateway until `shutdown`: forgets the status frames of piles that went
    /// offline, and at shutdown ends every open stream (the HTTP server's graceful shutdown
    /// waits for open connections, and a stream would otherwise never end).
    pub async fn maintain(shared: Arc<Shared>, shutdown: CancellationToken) {
        let mut tick = tokio::time::interval(PRUNE_EVERY);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = tick.tick() => shared.console.status.retain(|p| shared.registry.get(p).is_some()),
            }
        }
        shared.console.stop.cancel();
    }
}
