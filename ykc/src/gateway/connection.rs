//! One pile connection: the transport around a [`Session`].
//!
//! It reads frames through [`FrameCodec`] and writes every frame through the same codec's
//! `Encoder`, so one place decides the CRC order (the request's, else the pile's, else the
//! configured default) and each outgoing frame is encoded exactly once: the bytes written are the
//! bytes hexed for forwarding. It carries out the session's [`Action`]s (write, forward, register,
//! complete a command), and closes when the pile goes, times out, is replaced by a newer login,
//! or the gateway shuts down (its [`CancellationToken`]).
//!
//! Memory per pile is kept low: frames are read into a 512-byte buffer and written from one
//! reused buffer (`Framed` would hold two 8 KiB buffers; a frame is at most 259 bytes), and the
//! state used only while a frame is handled is boxed, so an idle pile does not carry it.

use super::billing::{self, Confirmation};
use super::forward::{raw_hex, rfc3339_now, EventKind, Forwarded, Payload};
use super::registry::{Outbound, PileInfo, Presence};
use super::session::{Action, Clock, CloseReason, Dropped, Reply, Session, MAX_HELD};
use super::Shared;
use crate::codec::{FrameCodec, OutFrame, StreamItem};
use crate::header::OwnedFrame;
use crate::journal::{Durable, Entry, Event, JournalError};
use crate::{Bcd, Direction, Message};
use bytes::BytesMut;
use futures::StreamExt;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::{Encoder, FramedRead};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// The read buffer of a connection: a frame is at most 259 bytes.
const READ_BUFFER: usize = 512;

/// Commands queued for one pile before REST callers wait.
const COMMAND_QUEUE: usize = 8;

/// The codec for a pile connection, from the configuration.
pub(super) fn codec(config: &super::config::ServeConfig) -> FrameCodec {
    FrameCodec::new()
        .with_default_order(config.default_crc_order)
        .with_max_buffer(config.max_frame_buffer)
}

/// Serves one TCP connection until it closes, times out, is replaced by a newer login, or
/// `shutdown` is cancelled.
///
/// Not an `async fn`: it builds the connection now and returns `run`'s future itself, so the
/// task holds only that future (an `async fn` would keep its arguments beside it, in every
/// idle pile's task).
pub(super) fn serve(
    shared: Arc<Shared>,
    stream: TcpStream,
    peer: SocketAddr,
    id: u64,
    shutdown: CancellationToken,
) -> impl std::future::Future<Output = ()> + Send {
    let (read, writer) = stream.into_split();
    let (tx, commands) = mpsc::channel(COMMAND_QUEUE);
    let (confirm, confirmations) = mpsc::channel(MAX_HELD);
    let (kick, kicked) = oneshot::channel();
    let conn = Connection {
        reader: FramedRead::with_capacity(read, codec(&shared.config), READ_BUFFER),
        writer,
        wbuf: BytesMut::new(),
        session: Session::new(Instant::now()),
        registration: None,
        tx,
        confirm,
        kick: Some(kick),
        close: false,
        id,
        peer,
        shared,
    };
    conn.run(commands, confirmations, kicked, shutdown)
}

struct Connection {
    reader: FramedRead<OwnedReadHalf, FrameCodec>,
    writer: OwnedWriteHalf,
    /// Every outgoing frame is encoded here, written from here and hexed from here.
    wbuf: BytesMut,
    session: Session,
    /// Present once the pile logged in; dropping it takes the pile offline.
    registration: Option<Registration>,
    /// The registry hands a clone to REST commands.
    tx: mpsc::Sender<Box<Outbound>>,
    /// Handed to the tasks that wait for a transaction record to be durable.
    confirm: mpsc::Sender<Confirmation>,
    /// Given to the registry at login: a newer login of the same pile fires it.
    kick: Option<oneshot::Sender<()>>,
    close: bool,
    id: u64,
    peer: SocketAddr,
    shared: Arc<Shared>,
}

impl Connection {
    /// The connection's task. An `async move` block rather than an `async fn`: an `async fn`
    /// keeps a moved `self` twice in its future (the argument and the body's binding).
    #[allow(clippy::manual_async_fn)] // on purpose: see above (a bounded test measures it)
    fn run(
        mut self,
        mut commands: mpsc::Receiver<Box<Outbound>>,
        mut confirmations: mpsc::Receiver<Confirmation>,
        mut kicked: oneshot::Receiver<()>,
        shutdown: CancellationToken,
    ) -> impl std::future::Future<Output = ()> + Send {
        async move {
            let (id, peer) = (self.id, self.peer);
            debug!(conn_id = id, %peer, "connection opened");
            loop {
                let deadline = self.session.deadline(&self.shared.policy);
                tokio::select! {
                    () = shutdown.cancelled() => {
                        debug!(conn_id = id, pile = self.session.pile_text(), "closing: the gateway shuts down");
                        break;
                    }
                    item = self.reader.next() => match item {
                        None => break,
                        Some(Err(e)) => {
                            debug!(conn_id = id, %peer, error = %e, "read failed");
                            break;
                        }
                        Some(Ok(StreamItem::Dropped { bytes, reason })) => {
                            self.shared.metrics.dropped_bytes.fetch_add(bytes as u64, Relaxed);
                            warn!(conn_id = id, %peer, pile = self.session.pile_text(), bytes, ?reason, "dropped bytes while resynchronising");
                        }
                        // Boxed: the frame handling state lives on the heap only while a frame is handled.
                        Some(Ok(StreamItem::Frame(f))) => Box::pin(self.on_frame(f)).await,
                    },
                    Some(cmd) = commands.recv() => Box::pin(self.on_command(*cmd)).await,
                    Some((ticket, delivered)) = confirmations.recv() => Box::pin(self.on_confirmed(ticket, delivered)).await,
                    _ = &mut kicked => {
                        info!(conn_id = id, %peer, pile = self.session.pile_text(), "closing: the pile logged in on a newer connection");
                        // The newer connection owns the registry entry now.
                        self.session.replaced();
                        if let Some(r) = &mut self.registration {
                            r.replaced = true;
                        }
                        break;
                    }
                    () = tokio::time::sleep_until(deadline.into()) => {
                        if let Some(reason) = self.session.expired(&self.shared.policy, Instant::now()) {
                            self.shared.metrics.timeouts.fetch_add(1, Relaxed);
                            self.closing(reason);
                        }
                    }
                }
                if self.close {
                    break;
                }
            }
            debug!(conn_id = id, %peer, "connection closed");
        }
    }

    async fn on_frame(&mut self, f: OwnedFrame) {
        self.shared.metrics.frame_in(f.header.code);
        if let Some(r) = &self.registration {
            r.presence.touch();
        }
        let actions = self.session.on_frame(&self.shared.policy, &f, Clock::now());
        self.shared
            .console
            .received(self.session.pile(), self.id, &f);
        let mut durable = self.journal_received(&f, &actions).await;
        for action in actions {
            self.act(&f, action, &mut durable).await;
        }
    }

    /// Journals a received frame (with the journal on): queued in order with everything else
    /// of this connection. For a record to confirm, returns its [`Durable`] (or why there is
    /// none); the only wait here is for room in the journal's queue, never for a sink.
    async fn journal_received(
        &self,
        f: &OwnedFrame,
        actions: &[Action],
    ) -> Option<Result<Durable, JournalError>> {
        let journal = self.shared.journal.as_ref()?;
        let forward = actions
            .iter()
            .any(|a| matches!(a, Action::Forward(_) | Action::ForwardDurable { .. }));
        let durable = actions
            .iter()
            .any(|a| matches!(a, Action::ForwardDurable { .. }));
        let entry = billing::received(f, self.pile_code(), self.id, forward);
        if durable {
            return Some(journal.submit(entry).await);
        }
        if let Err(e) = journal.append(entry).await {
            warn!(conn_id = self.id, error = %e, "frame not journaled");
        }
        None
    }

    fn pile_code(&self) -> Option<String> {
        self.session.pile().map(|p| Bcd(p).to_string())
    }

    /// A held confirmation's outcome: send the 0x40, or count the record as unconfirmed (the
    /// pile keeps it and sends it again).
    async fn on_confirmed(&mut self, ticket: u64, delivered: bool) {
        if !delivered {
            self.shared
                .metrics
                .billing_unconfirmed
                .fetch_add(1, Relaxed);
            warn!(
                conn_id = self.id,
                pile = self.session.pile_text(),
                "transaction record not confirmed: it is not durable; the pile will resend it"
            );
        }
        if let Some(ack) = self.session.on_delivered(ticket, delivered) {
            self.reply(ack).await;
        }
    }

    /// Carries out one of the session's actions for frame `f`.
    async fn act(
        &mut self,
        f: &OwnedFrame,
        action: Action,
        durable: &mut Option<Result<Durable, JournalError>>,
    ) {
        match action {
            Action::Send(reply) => self.reply(reply).await,
            Action::Forward(m) => {
                // With a journal the outbox forwards the journaled row; without, the queue.
                if let Some(p) = self.frame_payload(Direction::Up, f, &m) {
                    self.shared.forwarders.forward(p);
                }
            }
            Action::ForwardDurable { message, ticket } => {
                let tx = self.confirm.clone();
                match durable.take() {
                    Some(Ok(d)) => billing::confirm_journaled(
                        &self.shared,
                        d,
                        self.pile_code(),
                        self.id,
                        ticket,
                        tx,
                    ),
                    Some(Err(e)) => {
                        warn!(conn_id = self.id, error = %e, "transaction record not journaled");
                        self.on_confirmed(ticket, false).await;
                    }
                    None => {
                        let p = self.frame_payload(Direction::Up, f, &message);
                        billing::confirm_forwarded(&self.shared, p, ticket, tx);
                    }
                }
            }
            Action::Register { pile } => self.register(pile, f),
            Action::SequenceStyle(style) => self.shared.registry.set_framing(
                &pile_of(&self.session),
                self.id,
                Some(f.crc_order),
                style,
            ),
            Action::Complete { waiter, reply } => {
                // The waiter may have given up since; then nobody needs the reply.
                let _ = waiter.send(reply);
            }
            Action::Drop(why) => {
                self.shared.metrics.dropped(why.label());
                let (id, code) = (self.id, f.header.code);
                match why {
                    // Ordinary for piles that talk before logging in: not worth a warning.
                    Dropped::BeforeLogin => {
                        debug!(conn_id = id, code, "frame before login; dropped")
                    }
                    _ => warn!(
                        conn_id = id,
                        pile = self.session.pile_text(),
                        code,
                        ?why,
                        "frame dropped"
                    ),
                }
            }
            Action::Close(reason) => self.closing(reason),
        }
    }

    fn closing(&mut self, reason: CloseReason) {
        let pile = self.session.pile_text();
        match reason {
            CloseReason::LoginRefused => {
                self.shared.metrics.logins_refused.fetch_add(1, Relaxed);
                warn!(
                    conn_id = self.id,
                    pile, "login refused: not in the allowlist"
                );
            }
            CloseReason::NoLogin => {
                info!(conn_id = self.id, peer = %self.peer, "closing: no login in time")
            }
            CloseReason::MissedHeartbeats => {
                info!(conn_id = self.id, pile, "closing: missed heartbeats")
            }
        }
        self.close = true;
    }

    /// Writes a reply; a socket that is gone closes the connection.
    async fn reply(&mut self, reply: Reply) {
        if !self.send(reply.frame, &reply.message).await {
            self.close = true;
        }
    }

    /// Encodes `frame` once (the codec decides its CRC order), writes it, counts it and forwards
    /// it (direction down) from the same bytes; false when it could not be written.
    async fn send(&mut self, frame: OutFrame, message: &Message) -> bool {
        let (code, seq) = (frame.code, frame.seq);
        self.wbuf.clear();
        if let Err(e) = self.reader.decoder_mut().encode(frame, &mut self.wbuf) {
            warn!(conn_id = self.id, code, error = %e, "frame not sent");
            return false;
        }
        if self.writer.write_all(&self.wbuf).await.is_err() {
            return false;
        }
        self.shared.metrics.frame_out(code);
        self.shared
            .console
            .sent(self.session.pile(), self.id, &self.wbuf);
        if let Some(journal) = &self.shared.journal {
            let entry = billing::sent(&self.wbuf, self.pile_code(), self.id);
            if let Err(e) = journal.append(entry).await {
                warn!(conn_id = self.id, error = %e, "frame not journaled");
            }
        } else if !self.shared.forwarders.is_empty() {
            let raw = raw_hex(&[&self.wbuf]);
            if let Some(p) = self.payload(Direction::Down, code, seq, raw, message) {
                self.shared.forwarders.forward(p);
            }
        }
        true
    }

    /// A REST command for the pile.
    async fn on_command(&mut self, cmd: Outbound) {
        let Outbound {
            mut frame,
            message,
            waiter,
            written,
            keep_seq,
        } = cmd;
        self.session.stamp(&mut frame, keep_seq);
        let ok = self.send(frame, &message).await;
        if let Some(w) = waiter.filter(|_| ok) {
            self.session.expect_reply(message, w);
        }
        if let Some(w) = written {
            // The REST caller may have gone; nothing to tell then.
            let _ = w.send(ok);
        }
        if !ok {
            self.close = true;
        }
    }

    /// Registers the pile (a newer login replaces an older connection) and announces it.
    fn register(&mut self, pile: [u8; 7], login: &OwnedFrame) {
        let shared = &self.shared;
        let text = Bcd(pile).to_string();
        let info = PileInfo {
            pile_code: text.clone(),
            connection_id: self.id,
            remote_addr: self.peer.to_string(),
            online_since: rfc3339_now(),
            login: login.body.clone(),
            crc_order: self
                .reader
                .decoder()
                .peer_crc_order()
                .or(Some(login.crc_order)),
            sequence_style: Default::default(),
            last_frame_ms_ago: 0,
        };
        // The session registers a pile once per connection, so the kick sender is still here.
        let kick = self
            .kick
            .take()
            .expect("a connection registers its pile once");
        let (replaced, presence) = shared.registry.insert(pile, info, self.tx.clone(), kick);
        if replaced {
            shared.metrics.logins_replaced.fetch_add(1, Relaxed);
            warn!(
                conn_id = self.id,
                pile = text,
                "second login: the older connection is closed"
            );
        }
        info!(conn_id = self.id, pile = text, peer = %self.peer, "pile online");
        let registration = Registration {
            shared: shared.clone(),
            pile,
            conn_id: self.id,
            peer: self.peer,
            presence,
            replaced: false,
        };
        registration.event(EventKind::Online);
        self.registration = Some(registration);
    }

    /// The payload of a received frame, when there is a backend to forward to.
    fn frame_payload(&self, direction: Direction, f: &OwnedFrame, m: &Message) -> Option<Payload> {
        if self.shared.forwarders.is_empty() {
            return None;
        }
        let raw = raw_hex(&[&f.header.to_bytes(), &f.body, &f.crc]);
        self.payload(direction, f.header.code, f.header.seq, raw, m)
    }

    fn payload(
        &self,
        direction: Direction,
        code: u8,
        seq: [u8; 2],
        raw_hex: String,
        m: &Message,
    ) -> Option<Payload> {
        let body_data = Forwarded::body_json(m)
            .inspect_err(|e| warn!(conn_id = self.id, code, error = %e, "frame not forwarded"))
            .ok()?;
        Some(Payload::Frame(Forwarded {
            id: None,
            transaction_serial: None,
            frame_type: code,
            pile_code: self.session.pile().map(|p| Bcd(p).to_string()),
            direction,
            sequence: seq,
            received_at: rfc3339_now(),
            connection_id: self.id,
            raw_hex,
            body_data,
        }))
    }
}

/// The pile the session speaks for; only asked after the session registered one.
fn pile_of(session: &Session) -> [u8; 7] {
    session
        .pile()
        .expect("the session reports a sequence style only once logged in")
}

/// A pile's registry entry, owned by its connection: dropping it (the connection ending, by
/// returning or by panicking) takes the pile offline, so a panicking session cannot leave a
/// stale pile online.
struct Registration {
    shared: Arc<Shared>,
    pile: [u8; 7],
    conn_id: u64,
    peer: SocketAddr,
    presence: Presence,
    /// A newer connection of the same pile took the entry over: leave it alone.
    replaced: bool,
}

impl Registration {
    fn event(&self, kind: EventKind) {
        if let Some(journal) = &self.shared.journal {
            let event = match kind {
                EventKind::Online => Event::Online,
                EventKind::Offline => Event::Offline,
            };
            let (pile, peer) = (Bcd(self.pile).to_string(), self.peer.to_string());
            journal.append_later(Entry::event(event, pile, self.conn_id, peer));
            return;
        }
        self.shared.forwarders.forward(Payload::Event {
            id: None,
            kind,
            pile_code: Bcd(self.pile).to_string(),
            connection_id: self.conn_id,
            remote_addr: self.peer.to_string(),
            at: rfc3339_now(),
        });
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // During an unwind a poisoned registry would panic again and abort the process; the
        // next session to touch the registry fails loudly instead.
        if self.replaced || self.shared.registry.is_poisoned() {
            return;
        }
        if self.shared.registry.remove(&self.pile, self.conn_id) {
            info!(conn_id = self.conn_id, pile = %Bcd(self.pile), "pile offline");
            self.event(EventKind::Offline);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The gateway's shared state for the default configuration (no forwarders).
    async fn shared() -> Arc<Shared> {
        let config = super::super::config::ServeConfig {
            journal: "off".into(),
            ..Default::default()
        };
        let built = super::super::build_shared(config).await;
        Arc::new(built.expect("the default configuration builds"))
    }

    /// What an idle pile costs beyond its buffers is mostly its task's future: keep it small
    /// (frame handling is boxed, so it is not part of this).
    #[tokio::test]
    async fn an_idle_connection_task_stays_small() {
        let shared = shared().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let _client = TcpStream::connect(addr).await.expect("connect");
        let (stream, peer) = listener.accept().await.expect("accept");
        let task = serve(shared, stream, peer, 1, CancellationToken::new());
        let size = std::mem::size_of_val(&task);
        // 784 bytes before the session was layered; 736 after; 800 with the channel on which
        // billing confirmations come back (a record's wait runs in a task of its own).
        assert!(size <= 800, "connection task future: {size} bytes");
    }

    #[tokio::test]
    async fn a_panicking_session_takes_its_pile_offline() {
        let shared = shared().await;
        let pile = [0x32, 1, 2, 0, 0, 0, 1];
        let info = PileInfo {
            pile_code: Bcd(pile).to_string(),
            connection_id: 1,
            remote_addr: "127.0.0.1:1".into(),
            online_since: rfc3339_now(),
            login: bytes::Bytes::new(),
            crc_order: None,
            sequence_style: Default::default(),
            last_frame_ms_ago: 0,
        };
        let (tx, _rx) = mpsc::channel(1);
        let (presence, s) = (
            shared
                .registry
                .insert(pile, info, tx, oneshot::channel().0)
                .1,
            shared.clone(),
        );
        let task = tokio::spawn(async move {
            let _registration = Registration {
                shared: s,
                pile,
                conn_id: 1,
                peer: "127.0.0.1:1".parse().expect("addr"),
                presence,
                replaced: false,
            };
            panic!("a bug in a session");
        });
        assert!(task.await.is_err_and(|e| e.is_panic()));
        assert!(
            shared.registry.is_empty(),
            "the unwind unregistered the pile"
        );
    }
}
