//! A journal row back as the [`Payload`] the sinks receive: the raw bytes are decoded again
//! through the codec (the journal keeps bytes, not JSON), and the row's stable id is attached.

use crate::answer::template;
use crate::gateway::forward::{raw_hex, rfc3339, EventKind, Forwarded, Payload};
use crate::header::RawFrame;
use crate::journal::{Event, Row};
use crate::meta::Role;
use crate::Message;
use serde_json::Value;
use std::time::{Duration, UNIX_EPOCH};

/// The payload of `row` of the journal `uid`; an error names what could not be decoded (a row
/// this build cannot read: it is skipped and counted, never retried for ever).
pub fn payload(uid: &str, row: &Row) -> Result<Payload, String> {
    let e = &row.entry;
    let id = Some(format!("{uid}-{}", row.id));
    let at = rfc3339(UNIX_EPOCH + Duration::from_millis(u64::try_from(e.time_ms).unwrap_or(0)));
    if let Some(event) = e.event {
        return Ok(Payload::Event {
            id,
            kind: match event {
                Event::Online => EventKind::Online,
                Event::Offline => EventKind::Offline,
                // Audit rows are written with `fwd = 0`: the outbox never reads them.
                Event::Command => return Err("a REST command record is not forwarded".into()),
            },
            pile_code: e.pile.clone().unwrap_or_default(), // events are written for logged-in piles
            connection_id: e.conn,
            remote_addr: e.peer.clone().unwrap_or_default(), // absent in a hand-edited row only
            at,
        });
    }
    let (frame, _) = RawFrame::parse_lenient(&e.raw).map_err(|err| err.to_string())?;
    let (message, _) =
        Message::decode(frame.header.code, frame.body).map_err(|err| err.to_string())?;
    let body_data = Forwarded::body_json(&message).map_err(|err| err.to_string())?;
    Ok(Payload::Frame(Forwarded {
        id,
        transaction_serial: record_key(&message),
        frame_type: frame.header.code,
        pile_code: e.pile.clone(),
        direction: e.direction,
        sequence: e.seq,
        received_at: at,
        connection_id: e.conn,
        raw_hex: raw_hex(&[&e.raw]),
        body_data,
    }))
}

/// For a transaction record (the spec's `role: transaction_record`), the value of the field its
/// confirmation copies back (the transaction serial): what names the record to the backend.
fn record_key(message: &Message) -> Option<String> {
    let meta = Message::meta_of(message.code())?;
    if meta.role != Some(Role::TransactionRecord) {
        return None;
    }
    let copied = template(meta.reply?)?.copy;
    let (_, field) = copied.iter().find(|(_, request)| *request != "pile_code")?;
    match crate::answer::body_json(message).get(*field)? {
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Entry;
    use crate::CrcOrder;

    #[test]
    fn a_journaled_record_carries_its_id_and_serial() {
        let mut bytes = vec![0u8; 158];
        bytes[..16].copy_from_slice(&[0x12; 16]); // transaction serial 1212…
        let (body, _) = Message::decode(0x3B, &bytes).expect("a 0x3B body");
        let raw = body.to_frame([1, 0], CrcOrder::LowFirst).expect("frame");
        let row = Row {
            id: 7,
            entry: Entry {
                time_ms: 0,
                pile: Some("32010200000001".into()),
                conn: 3,
                direction: crate::Direction::Up,
                code: 0x3B,
                seq: [1, 0],
                crc_order: CrcOrder::LowFirst,
                raw,
                event: None,
                peer: None,
                detail: None,
                forward: true,
            },
        };
        let p = payload("abc", &row).unwrap();
        assert_eq!(p.id(), Some("abc-7"));
        let json: Value = serde_json::from_slice(&p.to_json().unwrap()).unwrap();
        assert_eq!(json["id"], "abc-7");
        assert_eq!(
            json["transaction_serial"],
            "12121212121212121212121212121212"
        );
        assert_eq!(json["frame_type"], "0x3B");
    }
}
