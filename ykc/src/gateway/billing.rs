//! When a transaction record (0x3B) is confirmed, and what the connection journals.
//!
//! The rule (`confirm_after`): a 0x40 goes out only for a record that is durable somewhere —
//! fsynced in the journal (`journal`), or acknowledged by every sink (`sink`). Either way the
//! wait runs in its own task, so the session keeps answering heartbeats and commands; the
//! outcome comes back to the connection as `(ticket, delivered)` and the session releases (or
//! drops) the held 0x40. Never a 0x40 for a record that is in neither.

use super::config::ConfirmAfter;
use super::forward::Payload;
use super::outbox::lane_key;
use super::Shared;
use crate::header::OwnedFrame;
use crate::journal::{now_ms, Durable, Entry};
use crate::Direction;
use bytes::{BufMut, Bytes, BytesMut};
use std::sync::Arc;
use tokio::sync::mpsc;

/// The outcome of a held confirmation: its ticket, and whether the record is durable.
pub(super) type Confirmation = (u64, bool);

/// The journal row of a frame received on connection `conn` (of `pile`, once logged in).
pub(super) fn received(f: &OwnedFrame, pile: Option<String>, conn: u64, forward: bool) -> Entry {
    let mut raw = BytesMut::with_capacity(f.body.len() + 8);
    raw.put_slice(&f.header.to_bytes());
    raw.put_slice(&f.body);
    raw.put_slice(&f.crc);
    Entry {
        time_ms: now_ms(),
        pile,
        conn,
        direction: Direction::Up,
        code: f.header.code,
        seq: f.header.seq,
        crc_order: f.crc_order,
        raw: raw.freeze(),
        event: None,
        peer: None,
        detail: None,
        forward,
    }
}

/// The journal row of a frame the gateway wrote to the pile (`raw` as written).
pub(super) fn sent(raw: &[u8], pile: Option<String>, conn: u64) -> Entry {
    let (code, seq) = match raw {
        [_, _, s0, s1, _, code, ..] => (*code, [*s0, *s1]),
        _ => (0, [0, 0]), // the encoder writes whole frames; a short one is journaled as is
    };
    let order = crate::header::RawFrame::parse(raw)
        .ok()
        .and_then(|(f, _)| f.crc_order)
        .unwrap_or(crate::CrcOrder::LowFirst);
    Entry {
        time_ms: now_ms(),
        pile,
        conn,
        direction: Direction::Down,
        code,
        seq,
        crc_order: order,
        raw: Bytes::copy_from_slice(raw),
        event: None,
        peer: None,
        detail: None,
        forward: true,
    }
}

/// Waits, in a task of its own, until the journaled record is durable as the rule asks, then
/// reports `(ticket, delivered)`. Gives up silently when the connection is gone (nobody left to
/// confirm to; the record is in the journal and the pile resends it).
pub(super) fn confirm_journaled(
    shared: &Arc<Shared>,
    durable: Durable,
    pile: Option<String>,
    conn: u64,
    ticket: u64,
    tx: mpsc::Sender<Confirmation>,
) {
    let shared = shared.clone();
    tokio::spawn(async move {
        let wait = async {
            match durable.wait().await {
                Ok(id) => match shared.config.confirm_rule() {
                    ConfirmAfter::Journal => true,
                    ConfirmAfter::Sink => {
                        let key = lane_key(pile.as_deref(), conn);
                        shared.outboxes.delivered(id, &key).await
                    }
                },
                Err(e) => {
                    tracing::warn!(conn_id = conn, error = %e, "transaction record not durable in the journal");
                    false
                }
            }
        };
        tokio::select! {
            delivered = wait => { let _ = tx.send((ticket, delivered)).await; }
            () = tx.closed() => {}
        }
    });
}

/// Without a journal: delivers the record to every sink in a task of its own, then reports
/// `(ticket, delivered)` (with no sink at all the record is confirmed, as the Go proxy does).
pub(super) fn confirm_forwarded(
    shared: &Arc<Shared>,
    payload: Option<Payload>,
    ticket: u64,
    tx: mpsc::Sender<Confirmation>,
) {
    let shared = shared.clone();
    tokio::spawn(async move {
        let delivered = match payload {
            Some(p) => shared.forwarders.forward_durable(p).await,
            None => shared.forwarders.is_empty(),
        };
        let _ = tx.send((ticket, delivered)).await;
    });
}
