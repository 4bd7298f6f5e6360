//! One pile connection: framing, login, auto-answers, forwarding, commands and timeouts.
//!
//! Which frame is the login, the heartbeat or a billing record comes from the spec's `role:`;
//! answers come from its `answer:` templates. Nothing here knows a frame by its code.

use super::forward::{EventKind, Forwarded, Payload};
use super::registry::{Outbound, PileInfo, Presence};
use super::Shared;
use crate::answer::{answer, body_json, correlates, pile_code_of};
use crate::codec::{FrameCodec, OutFrame, StreamItem};
use crate::header::OwnedFrame;
use crate::meta::Role;
use crate::{Bcd, Message};
use futures::StreamExt;
use serde_json::{Map, Value};
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::codec::FramedRead;
use tracing::{debug, info, warn};

/// A pile connection: frames read through the codec into a small buffer, frames written from one
/// reused buffer. (`Framed` would hold two 8 KiB buffers per pile; frames are at most 259 bytes.)
struct Conn {
    reader: FramedRead<OwnedReadHalf, FrameCodec>,
    writer: OwnedWriteHalf,
    wbuf: bytes::BytesMut,
}

impl Conn {
    fn codec(&self) -> &FrameCodec {
        self.reader.decoder()
    }

    /// Writes one frame in the given CRC order, else the pile's, else the default.
    async fn send(&mut self, out: OutFrame) -> bool {
        let order = out
            .crc_order
            .or(self.codec().peer_crc_order())
            .unwrap_or(self.codec().default_order());
        self.wbuf.clear();
        if crate::encode_frame(
            out.seq,
            out.encrypt,
            out.code,
            &out.body,
            order,
            &mut self.wbuf,
        )
        .is_err()
        {
            return false;
        }
        self.writer.write_all(&self.wbuf).await.is_ok()
    }
}

/// Why a frame is dropped (a metrics label).
const BEFORE_LOGIN: &str = "before_login";
const PILE_MISMATCH: &str = "pile_code_mismatch";
const DECODE_ERROR: &str = "decode_error";

struct Session {
    shared: Arc<Shared>,
    conn_id: u64,
    peer: SocketAddr,
    pile: Option<[u8; 7]>,
    presence: Option<Presence>,
    tx: mpsc::Sender<Box<Outbound>>,
    kick: Option<oneshot::Sender<()>>,
    pending: Vec<(Message, oneshot::Sender<Message>)>,
    next_seq: u16,
    last_seq: Option<[u8; 2]>,
    seq_style: &'static str,
    last_frame: Instant,
    opened: Instant,
    close: bool,
}

/// Serves one TCP connection until it closes, times out or is replaced by a newer login.
pub(crate) async fn serve(shared: Arc<Shared>, stream: TcpStream, peer: SocketAddr, conn_id: u64) {
    let cfg = &shared.config;
    let codec = FrameCodec::new()
        .with_default_order(cfg.default_crc_order)
        .with_max_buffer(cfg.max_frame_buffer);
    let (read, writer) = stream.into_split();
    let mut conn = Conn {
        reader: FramedRead::with_capacity(read, codec, 512),
        writer,
        wbuf: bytes::BytesMut::new(),
    };
    let (tx, mut rx) = mpsc::channel::<Box<Outbound>>(8);
    let (kick_tx, mut kick_rx) = oneshot::channel::<()>();
    let now = Instant::now();
    let mut s = Session {
        shared: shared.clone(),
        conn_id,
        peer,
        pile: None,
        presence: None,
        tx,
        kick: Some(kick_tx),
        pending: Vec::new(),
        next_seq: 0,
        last_seq: None,
        seq_style: "unknown",
        last_frame: now,
        opened: now,
        close: false,
    };
    debug!(conn_id, %peer, "connection opened");
    loop {
        let deadline = s.deadline();
        tokio::select! {
            item = conn.reader.next() => match item {
                None => break,
                Some(Err(e)) => {
                    debug!(conn_id, %peer, error = %e, "read failed");
                    break;
                }
                Some(Ok(StreamItem::Dropped { bytes, reason })) => {
                    shared.metrics.dropped_bytes.fetch_add(bytes as u64, Relaxed);
                    warn!(conn_id, %peer, pile = s.pile_text(), bytes, ?reason, "dropped bytes while resynchronising");
                }
                Some(Ok(StreamItem::Frame(f))) => {
                    // Boxed: the frame handling state lives on the heap only while a frame is handled.
                    let replies = Box::pin(s.on_frame(&f, &conn)).await;
                    for out in replies {
                        if !Box::pin(s.write(&mut conn, out)).await {
                            s.close = true;
                        }
                    }
                }
            },
            Some(cmd) = rx.recv() => Box::pin(s.on_command(&mut conn, *cmd)).await,
            _ = &mut kick_rx => {
                info!(conn_id, %peer, pile = s.pile_text(), "closing: the pile logged in on a newer connection");
                s.pile = None; // the newer connection owns the registry entry now
                break;
            }
            _ = tokio::time::sleep_until(deadline) => {
                shared.metrics.timeouts.fetch_add(1, Relaxed);
                info!(conn_id, %peer, pile = s.pile_text(), "closing: {}", if s.pile.is_some() { "missed heartbeats" } else { "no login in time" });
                break;
            }
        }
        if s.close {
            break;
        }
    }
    s.finish();
}

impl Session {
    fn pile_text(&self) -> String {
        self.pile.map(|p| Bcd(p).to_string()).unwrap_or_default()
    }

    /// Login timeout before a login, heartbeat timeout after.
    fn deadline(&self) -> Instant {
        let cfg = &self.shared.config;
        match self.pile {
            None => self.opened + cfg.login_timeout(),
            Some(_) => self.last_frame + cfg.heartbeat_timeout(),
        }
    }

    /// Writes a frame, counts and forwards it; false when the socket is gone.
    async fn write(&mut self, conn: &mut Conn, out: OutFrame) -> bool {
        let (code, seq, body) = (out.code, out.seq, out.body.clone());
        let order = out
            .crc_order
            .or(conn.codec().peer_crc_order())
            .unwrap_or(conn.codec().default_order());
        let ok = conn.send(out).await;
        if ok {
            self.shared.metrics.frame_out(code);
            if let Ok((msg, _)) = Message::decode(code, &body) {
                let mut whole = bytes::BytesMut::new();
                let raw = match crate::encode_frame(seq, 0, code, &body, order, &mut whole) {
                    Ok(()) => crate::value::HexRef(&whole).to_string(),
                    Err(_) => String::new(),
                };
                self.forward(code, seq, &msg, "down", raw, false).await;
            }
        }
        ok
    }

    async fn on_command(&mut self, conn: &mut Conn, cmd: Outbound) {
        let Outbound {
            mut frame,
            message,
            waiter,
            written,
            keep_seq,
        } = cmd;
        if !keep_seq {
            frame.seq = self.next_seq.to_le_bytes();
            self.next_seq = self.next_seq.wrapping_add(1);
        }
        let ok = self.write(conn, frame).await;
        if let Some(w) = waiter.filter(|_| ok) {
            self.pending.push((message, w));
        }
        if let Some(w) = written {
            let _ = w.send(ok);
        }
        if !ok {
            self.close = true;
        }
    }

    /// Handles one frame from the pile; returns the frames to answer with.
    async fn on_frame(&mut self, f: &OwnedFrame, conn: &Conn) -> Vec<OutFrame> {
        let code = f.header.code;
        let shared = self.shared.clone();
        shared.metrics.frame_in(code);
        self.last_frame = Instant::now();
        if let Some(p) = &self.presence {
            p.touch();
        }
        let msg = if f.header.encrypt == 0 {
            match Message::decode(code, &f.body) {
                Ok((m, _)) => Some(m),
                Err(e) => {
                    shared.metrics.dropped(DECODE_ERROR);
                    warn!(conn_id = self.conn_id, pile = self.pile_text(), error = %e, "frame does not decode; dropped");
                    return Vec::new();
                }
            }
        } else {
            None
        };
        let role = Message::meta_of(code).and_then(|m| m.role);
        let frame_pile = pile_code_of(code, &f.body);
        if role == Some(Role::Login) {
            return self.on_login(f, msg, frame_pile, conn).await;
        }
        let Some(pile) = self.pile else {
            if shared.config.drop_before_login {
                shared.metrics.dropped(BEFORE_LOGIN);
                debug!(conn_id = self.conn_id, code, "frame before login; dropped");
            } else if let Some(m) = &msg {
                self.forward(code, f.header.seq, m, "up", hex(f), false)
                    .await;
            }
            return Vec::new();
        };
        if frame_pile.is_some_and(|p| p != pile) {
            shared.metrics.dropped(PILE_MISMATCH);
            warn!(
                conn_id = self.conn_id,
                pile = self.pile_text(),
                claimed = frame_pile.map(|p| Bcd(p).to_string()),
                "frame speaks for another pile; dropped"
            );
            return Vec::new();
        }
        self.note_sequence(pile, f);
        let Some(m) = msg else {
            return Vec::new();
        };
        self.settle_pending(&m);
        let cfg = &shared.config;
        let auto = match role {
            Some(Role::TransactionRecord) if cfg.auto_transaction_record_confirm => {
                // Billing data: confirmed only once it has been handed on durably.
                return match self
                    .forward(code, f.header.seq, &m, "up", hex(f), true)
                    .await
                {
                    true => self.reply(f, &m, &Map::new()).into_iter().collect(),
                    false => {
                        shared.metrics.billing_unconfirmed.fetch_add(1, Relaxed);
                        warn!(pile = self.pile_text(), "transaction record not confirmed: forwarding failed; the pile will resend it");
                        Vec::new()
                    }
                };
            }
            Some(Role::Heartbeat) => cfg.auto_heartbeat_response.then(Map::new),
            Some(Role::BillingModelVerify) if cfg.auto_billing_model_verify => {
                match &shared.billing_model {
                    // The pile's model must match the configured one on every field the answer copies.
                    Some(model) if !crate::answer::agrees(&m, model) => {
                        self.forward(code, f.header.seq, &m, "up", hex(f), false)
                            .await;
                        return crate::answer::refusal(&m)
                            .ok()
                            .and_then(|r| encode_reply(f, &r))
                            .into_iter()
                            .collect();
                    }
                    _ => Some(Map::new()),
                }
            }
            Some(Role::BillingModelRequest) if cfg.auto_billing_model_response => {
                shared.billing_model.clone()
            }
            _ => None,
        };
        self.forward(code, f.header.seq, &m, "up", hex(f), false)
            .await;
        auto.and_then(|over| self.reply(f, &m, &over))
            .into_iter()
            .collect()
    }

    async fn on_login(
        &mut self,
        f: &OwnedFrame,
        msg: Option<Message>,
        pile: Option<[u8; 7]>,
        conn: &Conn,
    ) -> Vec<OutFrame> {
        let shared = self.shared.clone();
        let (Some(m), Some(pile)) = (msg, pile) else {
            return Vec::new();
        };
        let text = Bcd(pile).to_string();
        if self.pile.is_some_and(|p| p != pile) {
            shared.metrics.dropped(PILE_MISMATCH);
            return Vec::new();
        }
        let allowed = shared.allowlist.as_ref().is_none_or(|a| a.contains(&text));
        if !allowed {
            shared.metrics.logins_refused.fetch_add(1, Relaxed);
            warn!(
                conn_id = self.conn_id,
                pile = text,
                "login refused: not in the allowlist"
            );
            self.close = true;
            return match crate::answer::refusal(&m) {
                Ok(r) => encode_reply(f, &r).into_iter().collect(),
                Err(_) => Vec::new(),
            };
        }
        if self.pile.is_none() {
            let kick = self.kick.take().unwrap_or_else(|| oneshot::channel().0);
            let info = PileInfo {
                pile_code: text.clone(),
                connection_id: self.conn_id,
                remote_addr: self.peer.to_string(),
                online_since: super::forward::rfc3339_now(),
                login: bytes::Bytes::copy_from_slice(&f.body),
                crc_order: Some(f.crc_order),
                sequence_style: "unknown",
                last_frame_ms_ago: 0,
            };
            let (replaced, presence) = shared.registry.insert(pile, info, self.tx.clone(), kick);
            if replaced {
                shared.metrics.logins_replaced.fetch_add(1, Relaxed);
                warn!(
                    conn_id = self.conn_id,
                    pile = text,
                    "second login: the older connection is closed"
                );
            } else {
                shared.metrics.piles_online.fetch_add(1, Relaxed);
            }
            self.pile = Some(pile);
            self.presence = Some(presence);
            shared.registry.set_framing(
                &pile,
                self.conn_id,
                conn.codec().peer_crc_order(),
                "unknown",
            );
            info!(conn_id = self.conn_id, pile = text, peer = %self.peer, "pile online");
            self.event(EventKind::Online);
        }
        self.forward(f.header.code, f.header.seq, &m, "up", hex(f), false)
            .await;
        let mut out: Vec<OutFrame> = Vec::new();
        if shared.config.auto_verification {
            out.extend(self.reply(f, &m, &Map::new()));
        }
        if shared.config.time_sync_after_login {
            out.extend(self.time_sync(pile));
        }
        out
    }

    /// The default answer to `m`, echoing the request's sequence bytes and CRC order.
    fn reply(
        &self,
        f: &OwnedFrame,
        m: &Message,
        overrides: &Map<String, Value>,
    ) -> Option<OutFrame> {
        match answer(m, overrides) {
            Ok(reply) => encode_reply(f, &reply),
            Err(e) => {
                warn!(pile = self.pile_text(), error = %e, "cannot build the answer");
                None
            }
        }
    }

    /// The platform's clock for the pile: every time field of the time-sync frame set to now.
    fn time_sync(&mut self, pile: [u8; 7]) -> Option<OutFrame> {
        let meta = crate::answer::frame_for(Role::TimeSync)?;
        let mut obj = body_json(
            &Message::decode(meta.code, &vec![0u8; meta.body_len.fixed])
                .ok()?
                .0,
        );
        let now = crate::Cp56Time::now().ok()?.to_string();
        for fm in meta
            .fields
            .iter()
            .filter(|x| x.kind == crate::meta::FieldKind::Cp56Time)
        {
            obj.insert(fm.name.to_string(), Value::from(now.clone()));
        }
        obj.insert("pile_code".into(), Value::from(Bcd(pile).to_string()));
        let msg = Message::from_json(meta.code, &Value::Object(obj)).ok()?;
        let mut body = bytes::BytesMut::new();
        msg.encode(&mut body).ok()?;
        let seq = self.next_seq.to_le_bytes();
        self.next_seq = self.next_seq.wrapping_add(1);
        Some(OutFrame::new(seq, meta.code, body.freeze()))
    }

    /// Learns how the pile numbers its frames (ERRATA F4, R2): little- or big-endian counting, or a
    /// constant; the registry is updated only when the style changes.
    fn note_sequence(&mut self, pile: [u8; 7], f: &OwnedFrame) {
        let seq = f.header.seq;
        if let Some(prev) = self.last_seq.replace(seq) {
            let (le, be) = (u16::from_le_bytes(prev), u16::from_be_bytes(prev));
            let style = if seq == prev {
                "constant"
            } else if u16::from_le_bytes(seq) == le.wrapping_add(1) {
                "le"
            } else if u16::from_be_bytes(seq) == be.wrapping_add(1) {
                "be"
            } else {
                self.seq_style
            };
            if style != self.seq_style {
                self.seq_style = style;
                self.shared
                    .registry
                    .set_framing(&pile, self.conn_id, Some(f.crc_order), style);
            }
        }
    }

    /// Hands a reply to whoever waits for it.
    fn settle_pending(&mut self, m: &Message) {
        self.pending.retain(|(_, w)| !w.is_closed());
        if let Some(i) = self.pending.iter().position(|(cmd, _)| correlates(cmd, m)) {
            let (_, w) = self.pending.swap_remove(i);
            let _ = w.send(m.clone());
        }
    }

    /// Forwards a frame; with `durable`, waits for delivery and returns whether it succeeded.
    async fn forward(
        &self,
        code: u8,
        seq: [u8; 2],
        m: &Message,
        direction: &'static str,
        raw_hex: String,
        durable: bool,
    ) -> bool {
        // Without a forwarder there is nowhere to hand frames on; records are confirmed as the Go proxy does.
        let forwarders = &self.shared.forwarders;
        if forwarders.is_empty() {
            return true;
        }
        let mut buf = Vec::with_capacity(256);
        m.write_json(&mut buf);
        let Ok(body) = String::from_utf8(buf)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::value::RawValue::from_string(t).map_err(|e| e.to_string()))
        else {
            return false;
        };
        let p = Payload::Frame(Forwarded {
            frame_type: code,
            pile_code: self.pile.map(|p| Bcd(p).to_string()),
            direction,
            sequence: seq,
            received_at: super::forward::rfc3339_now(),
            connection_id: self.conn_id,
            raw_hex,
            body_data: body,
        });
        if durable {
            // Billing data: delivered only when every sink has it.
            let all = futures::future::join_all(
                forwarders
                    .iter()
                    .map(|fw| Box::pin(fw.forward_durable(p.clone()))),
            );
            all.await.iter().all(Result::is_ok)
        } else {
            // Every sink gets the frame (no short-circuit); false when any queue dropped it.
            let dropped = forwarders
                .iter()
                .map(|fw| fw.forward(p.clone()))
                .filter(|queued| !queued)
                .count();
            dropped == 0
        }
    }

    fn event(&self, kind: EventKind) {
        let Some(pile) = self.pile else { return };
        let p = Payload::Event {
            kind,
            pile_code: Bcd(pile).to_string(),
            connection_id: self.conn_id,
            remote_addr: self.peer.to_string(),
            at: super::forward::rfc3339_now(),
        };
        for fw in &self.shared.forwarders {
            fw.forward(p.clone());
        }
    }

    fn finish(self) {
        if let Some(pile) = self.pile {
            if self.shared.registry.remove(&pile, self.conn_id) {
                self.shared.metrics.piles_online.fetch_sub(1, Relaxed);
                info!(
                    conn_id = self.conn_id,
                    pile = self.pile_text(),
                    "pile offline"
                );
                self.event(EventKind::Offline);
            }
        }
        debug!(conn_id = self.conn_id, peer = %self.peer, "connection closed");
    }
}

/// A reply frame echoing the request's sequence bytes and CRC order.
fn encode_reply(f: &OwnedFrame, reply: &Message) -> Option<OutFrame> {
    let mut body = bytes::BytesMut::new();
    reply.encode(&mut body).ok()?;
    Some(OutFrame::reply_to(f, reply.code(), body.freeze()))
}

/// The whole frame as hex, for forwarding.
fn hex(f: &OwnedFrame) -> String {
    let mut b = bytes::BytesMut::new();
    f.write_to(&mut b);
    crate::value::HexRef(&b).to_string()
}
