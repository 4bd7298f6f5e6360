//! What is forwarded and how it reads as JSON: [`Payload`] (a frame or a pile event), its
//! [`Route`] (HTTP path segment / NATS subject token) and the RFC 3339 timestamps.
//!
//! The JSON is the contract with the backend: it is spelled exactly as the Go proxy's consumers
//! and `ykc parse` expect, and the tests below pin it byte for byte.

use super::ForwardError;
use crate::{Direction, Message};
use serde::ser::{Serialize, Serializer};
use serde_json::value::RawValue;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// The NATS subject prefix of the Go proxy: frames go to `charge.proxy.ykc.<type hex>`.
pub const SUBJECT_PREFIX: &str = "charge.proxy.ykc";

/// One decoded frame as the backend receives it.
#[derive(Debug, Clone)]
pub struct Forwarded {
    /// The stable id of a journaled frame (`<journal uid>-<journal id>`): the same on every
    /// redelivery, also sent as `Idempotency-Key` / `Nats-Msg-Id`. None without a journal.
    pub id: Option<String>,
    /// For a transaction record: the fields its confirmation copies (the transaction serial),
    /// so the backend can recognise a record the pile sent twice.
    pub transaction_serial: Option<String>,
    /// The frame type byte (0x13 real-time data, 0x3B transaction record, …).
    pub frame_type: u8,
    /// The pile the connection logged in as, when it has.
    pub pile_code: Option<String>,
    /// Pile → platform (`"up"` in the JSON) or platform → pile (`"down"`).
    pub direction: Direction,
    /// The two sequence bytes as they were on the wire.
    pub sequence: [u8; 2],
    /// When the gateway received (or sent) the frame, RFC 3339 (see [`rfc3339`]).
    pub received_at: String,
    /// The gateway's id of the TCP connection.
    pub connection_id: u64,
    /// The whole frame, header to CRC, in hex.
    pub raw_hex: String,
    /// The decoded body, the same JSON as `ykc parse`'s `body_data`.
    pub body_data: Box<RawValue>,
}

/// Which pile event an [`Payload::Event`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The pile logged in.
    Online,
    /// The pile's connection closed (or was closed by the gateway).
    Offline,
}

impl EventKind {
    /// `"online"` or `"offline"`: the JSON `event`, the last path segment and subject token.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Online => "online",
            EventKind::Offline => "offline",
        }
    }
}

/// What is forwarded: a frame, or a pile going online or offline.
#[derive(Debug, Clone)]
pub enum Payload {
    /// A decoded frame, either direction.
    Frame(Forwarded),
    /// A pile came online or went offline.
    Event {
        /// The stable id of a journaled event (see [`Forwarded::id`]).
        id: Option<String>,
        /// Online or offline.
        kind: EventKind,
        /// The pile.
        pile_code: String,
        /// The gateway's id of the TCP connection.
        connection_id: u64,
        /// The pile's address, `ip:port`.
        remote_addr: String,
        /// When, RFC 3339 (see [`rfc3339`]).
        at: String,
    },
}

/// Where a payload goes: the last HTTP path segment and the last NATS subject token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// A frame: two lowercase hex digits of its type (`13`, `3b`).
    Frame(u8),
    /// `online`.
    Online,
    /// `offline`.
    Offline,
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Route::Frame(t) => write!(f, "{t:02x}"),
            Route::Online => f.write_str("online"),
            Route::Offline => f.write_str("offline"),
        }
    }
}

impl Route {
    /// The NATS subject: `charge.proxy.ykc.13`, `charge.proxy.ykc.online`.
    pub fn subject(self) -> String {
        format!("{SUBJECT_PREFIX}.{self}")
    }
}

impl Payload {
    /// Where this payload goes.
    pub fn route(&self) -> Route {
        match self {
            Payload::Frame(f) => Route::Frame(f.frame_type),
            Payload::Event {
                kind: EventKind::Online,
                ..
            } => Route::Online,
            Payload::Event {
                kind: EventKind::Offline,
                ..
            } => Route::Offline,
        }
    }

    /// The stable id, when journaled.
    pub fn id(&self) -> Option<&str> {
        match self {
            Payload::Frame(f) => f.id.as_deref(),
            Payload::Event { id, .. } => id.as_deref(),
        }
    }

    /// The JSON body the sinks receive (one compact object, see the `Serialize` impl).
    pub fn to_json(&self) -> Result<Vec<u8>, ForwardError> {
        serde_json::to_vec(self).map_err(|e| ForwardError::Encode(e.to_string()))
    }
}

/// `"0x13"`, as `ykc parse` writes `frame_type`.
struct TypeHex(u8);

impl Serialize for TypeHex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("0x{:02X}", self.0))
    }
}

/// `"0C00"`: the two sequence bytes in wire order, as `ykc parse` writes `sequence_hex`.
struct SeqHex([u8; 2]);

impl Serialize for SeqHex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{:02X}{:02X}", self.0[0], self.0[1]))
    }
}

#[derive(serde::Serialize)]
struct FrameJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    event: &'static str,
    frame_type: TypeHex,
    pile_code: Option<&'a str>,
    direction: Direction,
    sequence_number: u16,
    sequence_hex: SeqHex,
    received_at: &'a str,
    connection_id: u64,
    raw_hex: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    transaction_serial: Option<&'a str>,
    body_data: &'a RawValue,
}

#[derive(serde::Serialize)]
struct EventJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    event: &'static str,
    pile_code: &'a str,
    connection_id: u64,
    remote_addr: &'a str,
    at: &'a str,
}

/// A frame serializes as
/// `{"event":"frame","frame_type":"0x13","pile_code":"…"|null,"direction":"up","sequence_number":12,
/// "sequence_hex":"0C00","received_at":"…","connection_id":7,"raw_hex":"68…","body_data":{…}}`
/// (`sequence_number` is the two bytes read little-endian; `frame_type`, `sequence_*` and
/// `body_data` are spelled as in `ykc parse`), an event as
/// `{"event":"online","pile_code":"…","connection_id":7,"remote_addr":"…","at":"…"}`. Journaled
/// payloads start with `"id":"<journal uid>-<journal id>"`; a transaction record also carries
/// `"transaction_serial"` before `body_data`.
impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Payload::Frame(f) => FrameJson {
                id: f.id.as_deref(),
                event: "frame",
                frame_type: TypeHex(f.frame_type),
                pile_code: f.pile_code.as_deref(),
                direction: f.direction,
                sequence_number: u16::from_le_bytes(f.sequence),
                sequence_hex: SeqHex(f.sequence),
                received_at: &f.received_at,
                connection_id: f.connection_id,
                raw_hex: &f.raw_hex,
                transaction_serial: f.transaction_serial.as_deref(),
                body_data: &f.body_data,
            }
            .serialize(s),
            Payload::Event {
                id,
                kind,
                pile_code,
                connection_id,
                remote_addr,
                at,
            } => EventJson {
                id: id.as_deref(),
                event: kind.as_str(),
                pile_code,
                connection_id: *connection_id,
                remote_addr,
                at,
            }
            .serialize(s),
        }
    }
}

/// `t` as RFC 3339 in UTC with milliseconds: `2024-05-01T08:30:00.125Z`.
pub fn rfc3339(t: SystemTime) -> String {
    // A clock set before 1970 is not worth failing a forward for: it reads as the epoch.
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (y, m, d) = crate::value::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// The current time as [`rfc3339`].
pub fn rfc3339_now() -> String {
    rfc3339(SystemTime::now())
}

impl Forwarded {
    /// The decoded body as embedded JSON (`ykc parse`'s `body_data`), rendered once per frame.
    pub fn body_json(message: &Message) -> Result<Box<RawValue>, ForwardError> {
        let mut buf = Vec::with_capacity(256);
        message.write_json(&mut buf);
        let text = String::from_utf8(buf).map_err(|e| ForwardError::Encode(e.to_string()))?;
        RawValue::from_string(text).map_err(|e| ForwardError::Encode(e.to_string()))
    }
}

/// The bytes of `parts`, one after the other, as uppercase hex (`raw_hex`): the pieces of a
/// received frame are hexed where they lie, without first copying them into one buffer.
pub fn raw_hex(parts: &[&[u8]]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(parts.iter().map(|p| p.len() * 2).sum());
    for p in parts {
        // Writing to a String cannot fail.
        let _ = write!(out, "{}", crate::value::HexRef(p));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn frame() -> Payload {
        Payload::Frame(Forwarded {
            id: None,
            transaction_serial: None,
            frame_type: 0x3B,
            pile_code: Some("32010200000001".into()),
            direction: Direction::Up,
            sequence: [0x0C, 0x01],
            received_at: "2024-05-01T08:30:00.125Z".into(),
            connection_id: 7,
            raw_hex: "680C".into(),
            body_data: RawValue::from_string(r#"{"pile_code":"32010200000001","gun_no":1}"#.into())
                .unwrap(),
        })
    }

    #[test]
    fn frame_json_embeds_body_and_both_sequence_forms() {
        let text = String::from_utf8(frame().to_json().unwrap()).unwrap();
        assert_eq!(
            text,
            r#"{"event":"frame","frame_type":"0x3B","pile_code":"32010200000001","direction":"up","sequence_number":268,"sequence_hex":"0C01","received_at":"2024-05-01T08:30:00.125Z","connection_id":7,"raw_hex":"680C","body_data":{"pile_code":"32010200000001","gun_no":1}}"#
        );
        assert_eq!(frame().route().to_string(), "3b");
        assert_eq!(frame().route().subject(), "charge.proxy.ykc.3b");
    }

    #[test]
    fn event_json_and_routes() {
        let p = Payload::Event {
            id: None,
            kind: EventKind::Offline,
            pile_code: "p".into(),
            connection_id: 3,
            remote_addr: "127.0.0.1:9".into(),
            at: "t".into(),
        };
        assert_eq!(
            String::from_utf8(p.to_json().unwrap()).unwrap(),
            r#"{"event":"offline","pile_code":"p","connection_id":3,"remote_addr":"127.0.0.1:9","at":"t"}"#
        );
        assert_eq!(p.route(), Route::Offline);
        assert_eq!(Route::Online.subject(), "charge.proxy.ykc.online");
        assert_eq!(Route::Frame(0x05).to_string(), "05");
    }

    #[test]
    fn rfc3339_known_instants() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_millis(951_782_400_007)),
            "2000-02-29T00:00:00.007Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_714_552_200)),
            "2024-05-01T08:30:00.000Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(4_102_444_799)),
            "2099-12-31T23:59:59.000Z"
        );
    }

    #[test]
    fn raw_hex_joins_the_pieces() {
        assert_eq!(raw_hex(&[&[0x68, 0x0c], &[], &[0xab]]), "680CAB");
    }
}
