//! The protocol state of one pile connection, as a pure state machine.
//!
//! [`Session::on_frame`] takes a verified frame and the clock and returns the [`Action`]s the
//! connection must carry out: write a reply, forward a frame, register the pile, hand a reply to
//! a waiting command, count a dropped frame, close.
//!
//! A login needs shared state the session does not own (is the pile online elsewhere, does it
//! match its pinned identity), so it is decided in two steps: `on_frame` asks with
//! [`Action::Admit`] and answers nothing yet; the connection asks the registry and the identity
//! store and hands the verdict to [`Session::on_admission`], which only then builds the 0x02
//! (accepted, or the refusal and a close). No accept can go out before the registry said yes. It owns no socket, no task and no shared
//! state, so every rule of the protocol is unit-tested here without I/O (see `tests.rs`); the
//! connection (`connection.rs`) is the only place that performs the actions.
//!
//! Which frame is the login, the heartbeat or a billing record comes from the spec's `role:`;
//! answers come from its `answer:` templates. Nothing here knows a frame by its code.

use super::identity::Allowlist;
use super::registry::SequenceStyle;
use crate::answer::{agrees, answer, body_json, correlates, pile_code_of, refusal};
use crate::codec::OutFrame;
use crate::header::OwnedFrame;
use crate::meta::{FieldKind, Role};
use crate::{Bcd, Cp56Time, Message};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::oneshot;

#[cfg(test)]
mod tests;

/// Whoever waits for a command's reply (a REST request). The session only keeps it and checks
/// whether it is still waiting; the connection sends the reply.
pub type Waiter = oneshot::Sender<Message>;

/// The rules a session follows: the `auto_*` switches, the timeouts, the allowlist and the
/// billing model, all read once from the configuration.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Answer logins (0x02). An allowlist answers the logins of its piles without it.
    pub auto_verification: bool,
    /// Answer heartbeats.
    pub auto_heartbeat_response: bool,
    /// Answer billing-model verification requests.
    pub auto_billing_model_verify: bool,
    /// Confirm transaction records (only once durably forwarded).
    pub auto_transaction_record_confirm: bool,
    /// Answer billing-model requests with [`Policy::billing_model`].
    pub auto_billing_model_response: bool,
    /// Drop frames before the login (else forward them).
    pub drop_before_login: bool,
    /// Send the platform's clock right after a login.
    pub time_sync_after_login: bool,
    /// How long a connection may stay without a login.
    pub login_timeout: Duration,
    /// How long a logged-in pile may stay silent.
    pub heartbeat_timeout: Duration,
    /// Pile codes allowed to log in (none = all); reloaded while the gateway runs.
    pub allowlist: Option<Arc<Allowlist>>,
    /// The billing model body (0x0A fields) to check and answer billing-model requests with.
    pub billing_model: Option<Map<String, Value>>,
}

/// Most confirmations one session holds while their records are made durable. A pile normally
/// sends its next record after the previous one's 0x40, but one that uploads a stored backlog
/// sends a burst; beyond this many pending the oldest confirmation is given up (its record is
/// durable or not, as it is; only its 0x40 is not sent, so the pile resends it).
pub const MAX_HELD: usize = 256;

/// The clock, passed in so the session never reads it itself.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// Monotonic time, for the timeouts.
    pub at: Instant,
    /// Wall time, milliseconds since 1970 (UTC), for the time-sync frame.
    pub unix_ms: u64,
}

impl Clock {
    /// Now.
    pub fn now() -> Clock {
        let unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Clock {
            at: Instant::now(),
            unix_ms,
        }
    }
}

/// A frame for the pile and its decoded body (kept so the frame can be forwarded without being
/// decoded again).
#[derive(Debug)]
pub struct Reply {
    /// The frame; the codec's encoder fixes its CRC order (the request's, else the pile's).
    pub frame: OutFrame,
    /// Its body.
    pub message: Message,
}

/// What the connection must do, in order.
#[derive(Debug)]
pub enum Action {
    /// Write this frame to the pile (then forward it, direction down).
    Send(Reply),
    /// Forward the frame just received (direction up), fire-and-forget.
    Forward(Message),
    /// Forward the frame just received durably (the journal's fsync or the sinks' ack, per
    /// policy), then report the outcome with [`Session::on_delivered`] and this ticket, which
    /// releases the held confirmation. The session goes on meanwhile.
    ForwardDurable {
        /// The record.
        message: Message,
        /// Names the held confirmation in [`Session::on_delivered`].
        ticket: u64,
    },
    /// A login to decide: ask the registry (is the pile online on another connection) and the
    /// identity store, then give the verdict to [`Session::on_admission`] with this message.
    Admit {
        /// The pile code, raw.
        pile: [u8; 7],
        /// The login.
        login: Message,
    },
    /// The pile was admitted on this connection (the registry holds it now): announce it online.
    Register {
        /// The pile code, raw.
        pile: [u8; 7],
    },
    /// The pile's sequence style changed.
    SequenceStyle(SequenceStyle),
    /// A command's reply arrived: hand it to its waiter.
    Complete {
        /// The waiter.
        waiter: Waiter,
        /// The reply.
        reply: Message,
    },
    /// The frame was dropped (counted by reason).
    Drop(Dropped),
    /// Close the connection.
    Close(CloseReason),
}

/// Why a frame was dropped.
#[derive(Debug)]
pub enum Dropped {
    /// It came before a login (with `drop_before_login`).
    BeforeLogin,
    /// It speaks for another pile than the one logged in.
    PileMismatch {
        /// The pile code it carries.
        claimed: Option<[u8; 7]>,
    },
    /// Its body does not decode.
    Undecodable(crate::Error),
}

impl Dropped {
    /// The metrics label.
    pub fn label(&self) -> &'static str {
        match self {
            Dropped::BeforeLogin => "before_login",
            Dropped::PileMismatch { .. } => "pile_code_mismatch",
            Dropped::Undecodable(_) => "decode_error",
        }
    }
}

/// Why a login was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The pile is not on the allowlist.
    Allowlist,
    /// The pile is online on another connection that is alive (`--duplicate-login`).
    Duplicate,
    /// The login differs from the pile's pinned identity (`--pile-identity pin`).
    Identity,
}

impl Refusal {
    /// Every reason, in the order `/metrics` lists them.
    pub const ALL: [Refusal; 3] = [Refusal::Allowlist, Refusal::Duplicate, Refusal::Identity];

    /// The metrics label.
    pub fn label(self) -> &'static str {
        match self {
            Refusal::Allowlist => "allowlist",
            Refusal::Duplicate => "duplicate",
            Refusal::Identity => "identity",
        }
    }
}

/// What the registry and the identity store say about a login ([`Action::Admit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// The pile is registered on this connection.
    Accepted,
    /// The login is refused.
    Refused(Refusal),
}

/// Why the session wants its connection closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The login was refused (the pile was sent the refusal first).
    LoginRefused(Refusal),
    /// No login within the login timeout.
    NoLogin,
    /// No frame within the heartbeat timeout.
    MissedHeartbeats,
}

/// The protocol state of one connection.
#[derive(Debug)]
pub struct Session {
    pile: Option<[u8; 7]>,
    /// Commands written to the pile that wait for its reply.
    pending: Vec<(Message, Waiter)>,
    /// Confirmations of transaction records, held until their durable forward succeeded, by
    /// ticket. Empty (no allocation) for an idle pile; at most [`MAX_HELD`].
    held: Vec<(u64, Reply)>,
    next_ticket: u64,
    next_seq: u16,
    last_seq: Option<[u8; 2]>,
    seq_style: SequenceStyle,
    opened: Instant,
    last_frame: Instant,
}

impl Session {
    /// A connection opened at `now`.
    pub fn new(now: Instant) -> Session {
        Session {
            pile: None,
            pending: Vec::new(),
            held: Vec::new(),
            next_ticket: 0,
            next_seq: 0,
            last_seq: None,
            seq_style: SequenceStyle::Unknown,
            opened: now,
            last_frame: now,
        }
    }

    /// The pile logged in on this connection.
    pub fn pile(&self) -> Option<[u8; 7]> {
        self.pile
    }

    /// The pile code as digits, for logs (empty before the login).
    pub fn pile_text(&self) -> String {
        // No pile yet: the log field is empty, which is what it should say.
        self.pile.map(|p| Bcd(p).to_string()).unwrap_or_default()
    }

    /// When the connection times out: the login timeout before a login, the heartbeat timeout
    /// after the last frame once logged in.
    pub fn deadline(&self, policy: &Policy) -> Instant {
        match self.pile {
            None => self.opened + policy.login_timeout,
            Some(_) => self.last_frame + policy.heartbeat_timeout,
        }
    }

    /// Whether the connection timed out at `now`, and why.
    pub fn expired(&self, policy: &Policy, now: Instant) -> Option<CloseReason> {
        (now >= self.deadline(policy)).then_some(match self.pile {
            None => CloseReason::NoLogin,
            Some(_) => CloseReason::MissedHeartbeats,
        })
    }

    /// A newer connection of the same pile took over: it owns the registry entry now.
    pub fn replaced(&mut self) {
        self.pile = None;
    }

    /// Handles one frame from the pile.
    pub fn on_frame(&mut self, policy: &Policy, f: &OwnedFrame, clock: Clock) -> Vec<Action> {
        let code = f.header.code;
        self.last_frame = clock.at;
        let msg = if f.header.encrypt == 0 {
            match Message::decode(code, &f.body) {
                Ok((m, _)) => Some(m),
                Err(e) => return vec![Action::Drop(Dropped::Undecodable(e))],
            }
        } else {
            None
        };
        let role = Message::meta_of(code).and_then(|m| m.role);
        let claimed = pile_code_of(code, &f.body);
        if role == Some(Role::Login) {
            return self.on_login(policy, f, msg, claimed);
        }
        let Some(pile) = self.pile else {
            return match msg {
                _ if policy.drop_before_login => vec![Action::Drop(Dropped::BeforeLogin)],
                Some(m) => vec![Action::Forward(m)],
                None => Vec::new(),
            };
        };
        if claimed.is_some_and(|p| p != pile) {
            return vec![Action::Drop(Dropped::PileMismatch { claimed })];
        }
        let mut out = Vec::new();
        if let Some(style) = self.note_sequence(f.header.seq) {
            out.push(Action::SequenceStyle(style));
        }
        let Some(m) = msg else {
            return out;
        };
        if let Some(waiter) = self.settle_pending(&m) {
            out.push(Action::Complete {
                waiter,
                reply: m.clone(),
            });
        }
        if role == Some(Role::TransactionRecord) && policy.auto_transaction_record_confirm {
            // Billing data: confirmed only once it has been handed on durably.
            let ticket = self.hold(reply_to(f, answer(&m, &Map::new())));
            out.push(Action::ForwardDurable { message: m, ticket });
            return out;
        }
        let reply = auto_answer(policy, role, f, &m);
        out.push(Action::Forward(m));
        out.extend(reply.map(Action::Send));
        out
    }

    /// The outcome of the [`Action::ForwardDurable`] with `ticket`: its held confirmation when
    /// the record was delivered, nothing when it was not (the pile keeps the record and resends
    /// it) or when the confirmation was given up (see [`MAX_HELD`]).
    pub fn on_delivered(&mut self, ticket: u64, delivered: bool) -> Option<Reply> {
        let i = self.held.iter().position(|(t, _)| *t == ticket)?;
        // `remove`, not `swap_remove`: the vector stays oldest first for `hold`'s give-up rule.
        let (_, reply) = self.held.remove(i);
        delivered.then_some(reply)
    }

    /// Holds a confirmation under a new ticket. Beyond [`MAX_HELD`] the oldest is given up: its
    /// record stays durable where it is, only its 0x40 is not sent, so the pile resends it.
    fn hold(&mut self, reply: Option<Reply>) -> u64 {
        let ticket = self.next_ticket;
        self.next_ticket = self.next_ticket.wrapping_add(1);
        if let Some(reply) = reply {
            if self.held.len() >= MAX_HELD {
                self.held.remove(0);
            }
            self.held.push((ticket, reply));
        }
        ticket
    }

    /// Gives a command its sequence bytes: the next of this connection's counter, unless it
    /// carries its own (a backend answering a pile's request).
    pub fn stamp(&mut self, frame: &mut OutFrame, keep_seq: bool) {
        if !keep_seq {
            frame.seq = self.take_seq();
        }
    }

    /// A command was written to the pile; its reply, when it comes, goes to `waiter`.
    pub fn expect_reply(&mut self, command: Message, waiter: Waiter) {
        self.pending.push((command, waiter));
    }

    fn take_seq(&mut self) -> [u8; 2] {
        let seq = self.next_seq.to_le_bytes();
        self.next_seq = self.next_seq.wrapping_add(1);
        seq
    }

    fn on_login(
        &mut self,
        policy: &Policy,
        f: &OwnedFrame,
        msg: Option<Message>,
        claimed: Option<[u8; 7]>,
    ) -> Vec<Action> {
        // An encrypted login, or one without a pile code, cannot be checked: ignored.
        let (Some(m), Some(pile)) = (msg, claimed) else {
            return Vec::new();
        };
        if self.pile.is_some_and(|p| p != pile) {
            return vec![Action::Drop(Dropped::PileMismatch { claimed })];
        }
        let allowed = policy
            .allowlist
            .as_ref()
            .is_none_or(|a| a.contains(&Bcd(pile).to_string()));
        if !allowed {
            return refuse(f, &m, Refusal::Allowlist);
        }
        vec![Action::Admit { pile, login: m }]
    }

    /// The verdict on the login `f` (decoded: `login`) this session asked about with
    /// [`Action::Admit`]: when accepted, register (the first time), forward and answer it; when
    /// refused, the refusal and a close (a refused login is not forwarded).
    pub fn on_admission(
        &mut self,
        policy: &Policy,
        f: &OwnedFrame,
        login: Message,
        verdict: Admission,
        clock: Clock,
    ) -> Vec<Action> {
        let pile = match (verdict, pile_code_of(f.header.code, &f.body)) {
            (Admission::Refused(why), _) => return refuse(f, &login, why),
            (Admission::Accepted, Some(pile)) => pile,
            // `on_frame` asks only about logins that carry a pile code.
            (Admission::Accepted, None) => return Vec::new(),
        };
        let mut out = Vec::with_capacity(4);
        if self.pile.is_none() {
            self.pile = Some(pile);
            out.push(Action::Register { pile });
        }
        // An allowlist answers the logins it lets in: the alternative to answering all.
        let answers = policy.auto_verification || policy.allowlist.is_some();
        let accepted = answers
            .then(|| reply_to(f, answer(&login, &Map::new())))
            .flatten();
        out.push(Action::Forward(login));
        out.extend(accepted.map(Action::Send));
        if policy.time_sync_after_login {
            out.extend(self.time_sync(pile, clock).map(Action::Send));
        }
        out
    }

    /// The platform's clock for the pile: every time field of the time-sync frame set to now.
    fn time_sync(&mut self, pile: [u8; 7], clock: Clock) -> Option<Reply> {
        let meta = crate::answer::frame_for(Role::TimeSync)?;
        let (zero, _) = Message::decode(meta.code, &vec![0u8; meta.body_len.fixed]).ok()?;
        let mut obj = body_json(&zero);
        // The piles run on UTC+8.
        let now = Cp56Time::from_unix_ms(clock.unix_ms, 8 * 3600)
            .ok()?
            .to_string();
        for fm in meta.fields.iter().filter(|x| x.kind == FieldKind::Cp56Time) {
            obj.insert(fm.name.to_string(), Value::from(now.clone()));
        }
        obj.insert("pile_code".into(), Value::from(Bcd(pile).to_string()));
        let message = Message::from_json(meta.code, &Value::Object(obj)).ok()?;
        let body = encode_body(&message)?;
        let frame = OutFrame::new(self.take_seq(), meta.code, body);
        Some(Reply { frame, message })
    }

    /// Learns how the pile numbers its frames (ERRATA F4, R2): little- or big-endian counting, or
    /// a constant. Returns the style when it changed.
    fn note_sequence(&mut self, seq: [u8; 2]) -> Option<SequenceStyle> {
        let prev = self.last_seq.replace(seq)?;
        let (le, be) = (u16::from_le_bytes(prev), u16::from_be_bytes(prev));
        let style = if seq == prev {
            SequenceStyle::Constant
        } else if u16::from_le_bytes(seq) == le.wrapping_add(1) {
            SequenceStyle::Le
        } else if u16::from_be_bytes(seq) == be.wrapping_add(1) {
            SequenceStyle::Be
        } else {
            self.seq_style
        };
        (style != self.seq_style).then(|| {
            self.seq_style = style;
            style
        })
    }

    /// The waiter of the command `m` answers, if one waits (waiters that gave up are forgotten).
    fn settle_pending(&mut self, m: &Message) -> Option<Waiter> {
        self.pending.retain(|(_, w)| !w.is_closed());
        let i = self
            .pending
            .iter()
            .position(|(cmd, _)| correlates(cmd, m))?;
        Some(self.pending.swap_remove(i).1)
    }
}

/// A refused login: the spec's refusal (sent whatever `auto_verification` says: the gateway
/// decided, the backend never sees the login), then close.
fn refuse(f: &OwnedFrame, login: &Message, why: Refusal) -> Vec<Action> {
    let refused = reply_to(f, refusal(login));
    let mut out: Vec<Action> = refused.map(Action::Send).into_iter().collect();
    out.push(Action::Close(CloseReason::LoginRefused(why)));
    out
}

/// The automatic answer to a frame other than the login and the transaction record, if the
/// policy wants one.
fn auto_answer(policy: &Policy, role: Option<Role>, f: &OwnedFrame, m: &Message) -> Option<Reply> {
    match role {
        Some(Role::Heartbeat) if policy.auto_heartbeat_response => {
            reply_to(f, answer(m, &Map::new()))
        }
        Some(Role::BillingModelVerify) if policy.auto_billing_model_verify => {
            match &policy.billing_model {
                // The pile's model must match the configured one on every field the answer copies.
                Some(model) if !agrees(m, model) => reply_to(f, refusal(m)),
                _ => reply_to(f, answer(m, &Map::new())),
            }
        }
        Some(Role::BillingModelRequest) if policy.auto_billing_model_response => policy
            .billing_model
            .as_ref()
            .and_then(|model| reply_to(f, answer(m, model))),
        _ => None,
    }
}

/// A reply echoing the request's sequence bytes and CRC order (ERRATA F2, F4).
fn reply_to(f: &OwnedFrame, built: Result<Message, crate::Error>) -> Option<Reply> {
    let message = built
        .inspect_err(
            |e| tracing::warn!(code = f.header.code, error = %e, "cannot build the answer"),
        )
        .ok()?;
    let body = encode_body(&message)?;
    let frame = OutFrame::reply_to(f, message.code(), body);
    Some(Reply { frame, message })
}

fn encode_body(message: &Message) -> Option<bytes::Bytes> {
    let mut body = bytes::BytesMut::new();
    message
        .encode(&mut body)
        .inspect_err(|e| tracing::warn!(error = %e, "cannot encode the answer"))
        .ok()?;
    Some(body.freeze())
}
