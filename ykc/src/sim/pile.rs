//! One simulated pile: connect, log in, verify the billing model, heartbeats and real-time
//! data on their intervals, and answers to the platform — every request through
//! [`ykc::answer::answer`], plus the charging state machine (0x34 start → charging 0x13 stream,
//! 0x36 stop → 0x35, 0x19, 0x3B until 0x40 confirms it).
//!
//! A pile is one tokio task holding one connection; everything it keeps is small (a few
//! hundred bytes plus its read buffer), and every loop is bounded by the run's deadline.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use futures::StreamExt;
use serde_json::{Map, Value};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::{sleep_until, timeout, timeout_at, Instant};
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;
use ykc::frames::{
    BillingModelRequest, BillingModelVerifyRequest, BillingModelVerifyResponseVerifyResult,
    HeartbeatRequest, HeartbeatRequestGunStatus, LoginRequest, LoginRequestCarrier,
    LoginRequestNetworkType, LoginRequestPileType, LoginResponseLoginResult,
    TransactionRecordAckConfirmResult,
};
use ykc::{Ascii, Bcd, CrcOrder, Direction, FrameCodec, Message, OwnedFrame, StreamItem};

use super::args::SimArgs;
use super::stats::Stats;

mod charging;

use self::charging::{Charge, Model};

/// Takes the prices and rate slots of a billing-model frame (0x0A and 0x58 share their layout).
macro_rules! adopt_model {
    ($model:expr, $r:expr) => {
        $model.adopt(
            $r.billing_model_no.0,
            [
                ($r.sharp_energy_price, $r.sharp_service_price),
                ($r.peak_energy_price, $r.peak_service_price),
                ($r.flat_energy_price, $r.flat_service_price),
                ($r.valley_energy_price, $r.valley_service_price),
            ],
            &$r.rate_slots,
        )
    };
}

/// How long a pile waits for the platform's last replies after the deadline.
pub(crate) const GRACE: Duration = Duration::from_secs(1);
/// Requests awaiting a reply that one pile tracks at most.
const MAX_PENDING: usize = 64;
/// Unconfirmed transaction records one pile keeps at most.
const MAX_RECORDS: usize = 16;
/// Heartbeat rounds without a 0x04 after which the link counts as lost (spec §6.3: 3).
const HEARTBEATS_MISSED: u32 = 3;
/// Initial read buffer per connection (grows to one frame, 259 bytes, as needed).
const READ_BUFFER: usize = 512;

/// What every pile of a run shares.
#[derive(Debug)]
pub(crate) struct Plan {
    pub args: SimArgs,
    pub crc: CrcOrder,
    pub start: Instant,
    pub deadline: Instant,
    /// Cancelled = stop now, as if the deadline had come.
    pub stop: CancellationToken,
    /// Source ports for `--source-addrs` (see [`super::ports`]).
    pub ports: super::ports::SourcePorts,
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The run's time is up (or it was stopped).
    Deadline,
    /// The connection was lost or given up; the error kind counted.
    Lost(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    LoggingIn,
    Verifying,
    RequestingModel,
    Online,
}

#[derive(Debug)]
struct Gun {
    no: Bcd<1>,
    /// Meter reading, ×10⁻⁴ kWh.
    meter: u64,
    charge: Option<Box<Charge>>,
}

/// A transaction record (0x3B) sent and not yet confirmed by 0x40.
#[derive(Debug)]
struct Unconfirmed {
    serial: Bcd<16>,
    /// The 0x3B message, sent again (with a new sequence number) until confirmed.
    record: Message,
    resends: u32,
    next: Instant,
}

/// A sent request whose reply is awaited.
#[derive(Debug, Clone, Copy)]
struct Pending {
    reply: u8,
    seq: [u8; 2],
    sent: Instant,
}

/// One simulated pile.
pub(crate) struct Pile {
    index: u32,
    code: Bcd<7>,
    plan: Arc<Plan>,
    stats: Arc<Stats>,
    seq: u16,
    phase: Phase,
    logged_in: bool,
    model: Model,
    guns: Vec<Gun>,
    records: Vec<Unconfirmed>,
    pending: Vec<Pending>,
    wbuf: BytesMut,
    queued: u64,
    next_heartbeat: Instant,
    next_realtime: Instant,
    heartbeats_unanswered: u32,
}

/// The BCD bytes of a number of up to 14 digits.
pub(crate) fn bcd7(mut n: u64) -> Bcd<7> {
    let mut out = [0u8; 7];
    for b in out.iter_mut().rev() {
        let lo = (n % 10) as u8;
        n /= 10;
        let hi = (n % 10) as u8;
        n /= 10;
        *b = (hi << 4) | lo;
    }
    Bcd(out)
}

/// The gun number as one BCD byte.
fn gun_bcd(n: u8) -> Bcd<1> {
    Bcd([((n / 10) << 4) | (n % 10)])
}

/// The gun number a BCD byte holds, if decimal.
fn gun_number(b: Bcd<1>) -> Option<u8> {
    let [x] = b.0;
    let (hi, lo) = (x >> 4, x & 0x0F);
    (hi < 10 && lo < 10).then_some(hi * 10 + lo)
}

/// The error kind of an I/O error.
fn io_kind(e: &std::io::Error) -> &'static str {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => "connect_refused",
        K::ConnectionReset => "connection_reset",
        K::ConnectionAborted => "connection_aborted",
        K::BrokenPipe => "broken_pipe",
        K::AddrNotAvailable | K::AddrInUse => "no_local_port",
        K::TimedOut => "timed_out",
        _ if e.raw_os_error() == Some(24) => "too_many_open_files",
        _ => "io_error",
    }
}

fn map(pairs: &[(&str, &str)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), Value::String((*v).to_string())))
        .collect()
}

impl Pile {
    pub(crate) fn new(index: u32, plan: Arc<Plan>, stats: Arc<Stats>) -> Self {
        let code = bcd7(plan.args.pile_code_base.saturating_add(u64::from(index)));
        let now = Instant::now();
        let guns = (1..=plan.args.guns)
            .map(|n| Gun {
                no: gun_bcd(n),
                meter: 10_000_000 + u64::from(index) * 1000,
                charge: None,
            })
            .collect();
        let model = Model::new(plan.args.billing_model);
        Pile {
            index,
            code,
            plan,
            stats,
            seq: 0,
            phase: Phase::LoggingIn,
            logged_in: false,
            model,
            guns,
            records: Vec::new(),
            pending: Vec::new(),
            wbuf: BytesMut::new(),
            queued: 0,
            next_heartbeat: now,
            next_realtime: now,
            heartbeats_unanswered: 0,
        }
    }

    /// Runs the pile until the deadline: connect, a session, reconnect (bounded) when lost.
    pub(crate) async fn run(mut self) {
        let plan = Arc::clone(&self.plan);
        let args = &plan.args;
        let offset = args
            .ramp
            .mul_f64(f64::from(self.index) / f64::from(args.piles.max(1)));
        if !self.pause_until(plan.start + offset).await {
            return;
        }
        let mut reconnects = 0u32;
        loop {
            let now = Instant::now();
            if now >= plan.deadline || plan.stop.is_cancelled() {
                break;
            }
            let limit = (now + args.connect_timeout).min(plan.deadline);
            let connect = tokio::select! {
                r = timeout_at(limit, self.connect(reconnects)) => r,
                () = plan.stop.cancelled() => break,
            };
            match connect {
                Ok(Ok(stream)) => {
                    self.stats.connections_ok.fetch_add(1, Relaxed);
                    self.stats.connected.fetch_add(1, Relaxed);
                    let end = self.session(stream).await;
                    self.stats.connected.fetch_sub(1, Relaxed);
                    match end {
                        End::Deadline => break,
                        End::Lost(kind) => {
                            tracing::debug!(pile = %self.code, kind, "connection lost");
                            self.stats.error(kind);
                        }
                    }
                }
                Ok(Err(e)) => {
                    self.stats.connections_failed.fetch_add(1, Relaxed);
                    self.stats.error(io_kind(&e));
                }
                Err(_) if Instant::now() >= plan.deadline => break,
                Err(_) => {
                    self.stats.connections_failed.fetch_add(1, Relaxed);
                    self.stats.error("connect_timeout");
                }
            }
            if reconnects >= args.max_reconnects {
                self.stats.error("gave_up_reconnecting");
                break;
            }
            reconnects += 1;
            if !self
                .pause_until(Instant::now() + args.reconnect_delay)
                .await
            {
                break;
            }
        }
    }

    /// Connects to this pile's target for attempt `attempt` (round robin by pile, the next
    /// target after each loss), from its source address when `--source-addrs` gives several.
    async fn connect(&self, attempt: u32) -> std::io::Result<TcpStream> {
        let args = &self.plan.args;
        let n = args.targets.len().max(1);
        let pick = (self.index as usize).wrapping_add(attempt as usize) % n;
        let target = *args
            .targets
            .get(pick)
            .expect("validate() refuses an empty target list");
        if args.source_addrs <= 1 || !target.is_ipv4() {
            return TcpStream::connect(target).await;
        }
        let k = (self.index % u32::from(args.source_addrs)) as u8;
        let source = std::net::Ipv4Addr::new(127, 0, 0, 1 + k);
        for _ in 0..super::ports::TRIES {
            let socket = tokio::net::TcpSocket::new_v4()?;
            // The picked ports lie where servers listen (below the ephemeral range): with
            // SO_REUSEADDR this socket, and its TIME_WAIT after it closes, do not keep a server
            // (which sets it too, as tokio's listeners do) from binding that address and port.
            socket.set_reuseaddr(true)?;
            match socket.bind(self.plan.ports.next(source)) {
                Ok(()) => {}
                // A server listens there.
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
                Err(e) => return Err(e),
            }
            match socket.connect(target).await {
                // Another socket (another sim process) has this address and port connected to
                // the same target: the next port.
                Err(e) if e.kind() == std::io::ErrorKind::AddrNotAvailable => continue,
                r => return r,
            }
        }
        // Every port tried is taken: let the kernel search (slow on a crowded range, but sure).
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind((source, 0).into())?;
        socket.connect(target).await
    }

    /// Sleeps until `t`; false when the deadline or a stop comes first.
    async fn pause_until(&self, t: Instant) -> bool {
        let deadline = self.plan.deadline;
        tokio::select! {
            () = sleep_until(t.min(deadline)) => t < deadline,
            () = self.plan.stop.cancelled() => false,
        }
    }

    /// One connection, from login to the deadline or a lost link.
    async fn session(&mut self, mut stream: TcpStream) -> End {
        let _ = stream.set_nodelay(true);
        let deadline = self.plan.deadline;
        let stop = self.plan.stop.clone();
        let (rd, mut wr) = stream.split();
        let mut reader = FramedRead::with_capacity(
            rd,
            FrameCodec::new().with_default_order(self.plan.crc),
            READ_BUFFER,
        );
        self.begin_session();
        let sleep = sleep_until(deadline);
        tokio::pin!(sleep);
        let end = loop {
            if let Err(end) = self.flush(&mut wr).await {
                break end;
            }
            sleep.as_mut().reset(self.next_wake());
            tokio::select! {
                biased;
                item = reader.next() => match item {
                    Some(Ok(item)) => {
                        if let Err(end) = self.on_item(item, true) {
                            break end;
                        }
                    }
                    Some(Err(e)) => break End::Lost(io_kind(&e)),
                    None => break End::Lost("closed_by_platform"),
                },
                () = &mut sleep => {
                    let now = Instant::now();
                    if now >= deadline {
                        break End::Deadline;
                    }
                    if let Err(end) = self.on_timer(now) {
                        break end;
                    }
                }
                () = stop.cancelled() => break End::Deadline,
            }
        };
        if end == End::Deadline {
            // Say goodbye like a pile being switched off: send what is queued, close our
            // side, then count the platform's last replies until it closes too (bounded).
            let _ = self.flush(&mut wr).await;
            let _ = timeout(GRACE, wr.shutdown()).await;
            let _ = timeout(GRACE, async {
                while let Some(Ok(item)) = reader.next().await {
                    let _ = self.on_item(item, false);
                }
            })
            .await;
        }
        self.wbuf.clear();
        self.queued = 0;
        if self.logged_in {
            self.logged_in = false;
            self.stats.online.fetch_sub(1, Relaxed);
        }
        end
    }

    /// Starts a session: login first.
    fn begin_session(&mut self) {
        self.pending.clear();
        self.wbuf.clear();
        self.queued = 0;
        self.phase = Phase::LoggingIn;
        self.heartbeats_unanswered = 0;
        let login = LoginRequest {
            pile_code: self.code,
            pile_type: LoginRequestPileType::Dc,
            gun_count: self.plan.args.guns,
            protocol_version: 16,
            program_version: Ascii(*b"ykcsim01"),
            network_type: LoginRequestNetworkType::Lan,
            sim_card: Bcd([0; 10]),
            carrier: LoginRequestCarrier::Other,
        };
        self.queue_request(&Message::LoginRequest(login));
    }

    /// Writes everything queued; counts the frames once written.
    async fn flush(&mut self, wr: &mut tokio::net::tcp::WriteHalf<'_>) -> Result<(), End> {
        if self.wbuf.is_empty() {
            return Ok(());
        }
        let limit = Instant::now() + self.plan.args.reply_timeout;
        let res = timeout_at(
            limit.min(self.plan.deadline + GRACE),
            wr.write_all(&self.wbuf),
        )
        .await;
        let queued = std::mem::take(&mut self.queued);
        self.wbuf.clear();
        match res {
            Ok(Ok(())) => {
                self.stats.frames_sent.fetch_add(queued, Relaxed);
                Ok(())
            }
            Ok(Err(e)) => Err(End::Lost(io_kind(&e))),
            Err(_) => Err(End::Lost("write_timeout")),
        }
    }

    /// The next instant a timer wants the pile.
    fn next_wake(&self) -> Instant {
        let mut t = self.plan.deadline;
        if self.phase == Phase::Online {
            t = t.min(self.next_heartbeat).min(self.next_realtime);
            for r in &self.records {
                t = t.min(r.next);
            }
        }
        if let Some(p) = self.pending.first() {
            t = t.min(p.sent + self.plan.args.reply_timeout);
        }
        t
    }

    /// A phase offset in `0..interval`, different per pile, so load spreads evenly.
    fn spread(&self, interval: Duration) -> Duration {
        let frac = f64::from(self.index.wrapping_mul(7919) % 1000) / 1000.0;
        interval.mul_f64(frac)
    }

    fn on_timer(&mut self, now: Instant) -> Result<(), End> {
        let rt = self.plan.args.reply_timeout;
        while let Some(p) = self.pending.first().copied() {
            if now < p.sent + rt {
                break;
            }
            self.pending.remove(0);
            self.stats
                .error(&format!("reply_timeout_0x{:02X}", p.reply));
            match p.reply {
                0x02 => return Err(End::Lost("login_timeout")),
                0x06 | 0x0A if self.phase != Phase::Online => {
                    return Err(End::Lost("billing_model_timeout"))
                }
                _ => {}
            }
        }
        if self.phase != Phase::Online {
            return Ok(());
        }
        let args = &self.plan.args;
        let (hb, rt_int, resend, max_resends) = (
            args.heartbeat_interval,
            args.realtime_interval,
            args.record_resend_interval,
            args.record_max_resends,
        );
        if now >= self.next_heartbeat {
            if self.heartbeats_unanswered >= HEARTBEATS_MISSED {
                return Err(End::Lost("heartbeat_lost"));
            }
            for g in 0..self.guns.len() {
                let no = self.guns.get(g).map_or(gun_bcd(1), |gun| gun.no);
                let m = HeartbeatRequest {
                    pile_code: self.code,
                    gun_no: no,
                    gun_status: HeartbeatRequestGunStatus::Normal,
                    trailing: Vec::new(),
                };
                self.queue_request(&Message::HeartbeatRequest(m));
            }
            self.heartbeats_unanswered += 1;
            self.next_heartbeat = next_tick(self.next_heartbeat, hb, now);
        }
        if now >= self.next_realtime {
            for g in 0..self.guns.len() {
                self.queue_realtime(g, now, None);
            }
            self.next_realtime = next_tick(self.next_realtime, rt_int, now);
        }
        let mut i = 0;
        while i < self.records.len() {
            let Some(r) = self.records.get_mut(i) else {
                break;
            };
            if now < r.next {
                i += 1;
                continue;
            }
            if r.resends >= max_resends {
                self.records.remove(i);
                self.stats.error("record_unconfirmed");
                continue;
            }
            r.resends += 1;
            r.next = now + resend;
            let record = r.record.clone();
            self.stats.error("record_resent");
            self.queue_request(&record);
            i += 1;
        }
        Ok(())
    }

    /// One item off the stream; `live` = the session is running (false while draining at the
    /// end: replies are still measured, nothing is sent).
    fn on_item(&mut self, item: StreamItem, live: bool) -> Result<(), End> {
        match item {
            StreamItem::Frame(f) => {
                self.stats.frames_received.fetch_add(1, Relaxed);
                self.on_frame(&f, live)
            }
            StreamItem::Dropped { bytes, .. } => {
                self.stats.errors_add("bytes_dropped", bytes as u64);
                Ok(())
            }
        }
    }

    fn on_frame(&mut self, f: &OwnedFrame, live: bool) -> Result<(), End> {
        let code = f.header.code;
        if f.header.encrypt != 0 {
            self.stats.error("encrypted_frame");
            return Ok(());
        }
        let msg = match Message::decode(code, &f.body) {
            Ok((m, warnings)) => {
                if !warnings.is_empty() {
                    self.stats.error(&format!("decode_warning_0x{code:02X}"));
                }
                m
            }
            Err(_) => {
                self.stats.error(&format!("decode_error_0x{code:02X}"));
                return Ok(());
            }
        };
        let Some(meta) = Message::meta_of(code) else {
            self.stats.error("unknown_frame_type");
            return Ok(());
        };
        if meta.direction == Direction::Up {
            self.stats.error("unexpected_pile_frame");
            return Ok(());
        }
        if meta.reply.is_some() {
            if live {
                self.on_command(f, &msg);
            }
            Ok(())
        } else {
            self.on_reply(f, msg, live)
        }
    }

    /// Matches a reply to the request it answers (reply code + sequence bytes) and records the latency.
    fn correlate(&mut self, code: u8, seq: [u8; 2]) {
        let now = Instant::now();
        let hit = match self
            .pending
            .iter()
            .position(|p| p.reply == code && p.seq == seq)
        {
            Some(i) => Some(i),
            None => {
                let i = self.pending.iter().position(|p| p.reply == code);
                self.stats.error(if i.is_some() {
                    "reply_seq_mismatch"
                } else {
                    "unsolicited_reply"
                });
                i
            }
        };
        if let Some(i) = hit {
            let p = self.pending.remove(i);
            let us = now.saturating_duration_since(p.sent).as_micros();
            self.stats
                .latency_us
                .record(u64::try_from(us).unwrap_or(u64::MAX));
        }
    }

    /// A reply from the platform.
    fn on_reply(&mut self, f: &OwnedFrame, msg: Message, live: bool) -> Result<(), End> {
        self.correlate(f.header.code, f.header.seq);
        if !live {
            return Ok(());
        }
        match msg {
            Message::LoginResponse(r) if self.phase == Phase::LoggingIn => {
                if r.pile_code != self.code {
                    self.stats.error("reply_for_other_pile");
                } else if r.login_result == LoginResponseLoginResult::Success {
                    self.stats.logins_ok.fetch_add(1, Relaxed);
                    self.stats.online.fetch_add(1, Relaxed);
                    self.logged_in = true;
                    self.phase = Phase::Verifying;
                    let m = BillingModelVerifyRequest {
                        pile_code: self.code,
                        billing_model_no: Bcd(self.model.no),
                    };
                    self.queue_request(&Message::BillingModelVerifyRequest(m));
                } else {
                    return Err(End::Lost("login_refused"));
                }
            }
            Message::HeartbeatResponse(_) => self.heartbeats_unanswered = 0,
            Message::BillingModelVerifyResponse(r) if self.phase == Phase::Verifying => {
                if r.verify_result == BillingModelVerifyResponseVerifyResult::Consistent {
                    self.go_online();
                } else {
                    self.phase = Phase::RequestingModel;
                    self.queue_request(&Message::BillingModelRequest(BillingModelRequest {
                        pile_code: self.code,
                    }));
                }
            }
            Message::BillingModelResponse(r) => {
                adopt_model!(self.model, r);
                if self.phase == Phase::RequestingModel {
                    self.go_online();
                }
            }
            Message::TransactionRecordAck(r) => match self
                .records
                .iter()
                .position(|u| u.serial == r.transaction_serial)
            {
                Some(i) => {
                    self.records.remove(i);
                    if r.confirm_result != TransactionRecordAckConfirmResult::Success {
                        self.stats.error("record_rejected");
                    } else if self.plan.args.list_confirmed {
                        self.stats.confirmed(r.transaction_serial.to_string());
                    }
                }
                None => self.stats.error("ack_for_unknown_record"),
            },
            _ => {}
        }
        Ok(())
    }

    fn go_online(&mut self) {
        let now = Instant::now();
        self.phase = Phase::Online;
        let args = &self.plan.args;
        self.next_heartbeat = now + self.spread(args.heartbeat_interval);
        self.next_realtime = now + self.spread(args.realtime_interval);
        // State report on (re)connect, and records a previous connection left unconfirmed.
        for g in 0..self.guns.len() {
            self.queue_realtime(g, now, None);
        }
        for r in &mut self.records {
            r.next = now;
        }
    }

    /// A request from the platform: the charging state machine, else the spec's default answer.
    fn on_command(&mut self, f: &OwnedFrame, msg: &Message) {
        match msg {
            Message::RemoteStartRequest(r) => self.remote_start(f, msg, r),
            Message::RemoteStopRequest(r) => self.remote_stop(f, msg, r),
            Message::ReadRealtimeDataRequest(r) if r.pile_code == self.code => {
                match self.gun_index(r.gun_no) {
                    Some(g) => self.queue_realtime(g, Instant::now(), Some(f)),
                    None => self.answer(f, msg, &Map::new()),
                }
            }
            Message::BillingModelSetRequest(r) => {
                adopt_model!(self.model, r);
                self.answer(f, msg, &Map::new());
            }
            _ => self.answer(f, msg, &Map::new()),
        }
    }

    /// Queues the spec's default answer to `msg` (with `overrides`), echoing its sequence bytes.
    fn answer(&mut self, f: &OwnedFrame, msg: &Message, overrides: &Map<String, Value>) {
        match ykc::answer::answer(msg, overrides) {
            Ok(reply) => self.queue_reply(f, &reply),
            Err(e) => {
                tracing::debug!(pile = %self.code, code = f.header.code, error = %e, "no answer");
                self.stats
                    .error(&format!("no_answer_0x{:02X}", f.header.code));
            }
        }
    }

    fn gun_index(&self, no: Bcd<1>) -> Option<usize> {
        let n = usize::from(gun_number(no)?);
        (1..=self.guns.len()).contains(&n).then(|| n - 1)
    }

    /// Queues a frame the pile starts (with its own sequence number) and tracks its reply if it
    /// has one; false when it could not be encoded.
    fn queue_request(&mut self, m: &Message) -> bool {
        let seq = self.seq.to_le_bytes();
        if !self.queue(m, seq, self.plan.crc) {
            return false;
        }
        self.seq = self.seq.wrapping_add(1);
        if let Some(reply) = m.meta().and_then(|meta| meta.reply) {
            if self.pending.len() >= MAX_PENDING {
                self.pending.remove(0);
                self.stats.error("pending_overflow");
            }
            self.pending.push(Pending {
                reply,
                seq,
                sent: Instant::now(),
            });
        }
        true
    }

    /// Queues `m` as the reply to `request` (its sequence bytes and CRC order).
    fn queue_reply(&mut self, request: &OwnedFrame, m: &Message) {
        self.queue(m, request.header.seq, request.crc_order);
    }

    /// Appends `m`'s frame to the write buffer; false (and counted) when it cannot be encoded.
    fn queue(&mut self, m: &Message, seq: [u8; 2], order: CrcOrder) -> bool {
        match m.write_frame(seq, order, &mut self.wbuf) {
            Ok(()) => {
                self.queued += 1;
                true
            }
            Err(_) => {
                self.stats
                    .error(&format!("encode_error_0x{:02X}", m.code()));
                false
            }
        }
    }
}

/// The next tick of a periodic timer: one interval on, or one interval from now if behind.
fn next_tick(prev: Instant, interval: Duration, now: Instant) -> Instant {
    let next = prev + interval;
    if next <= now {
        now + interval
    } else {
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcd_codes() {
        assert_eq!(bcd7(32010200000001).to_string(), "32010200000001");
        assert_eq!(bcd7(7).to_string(), "00000000000007");
        assert_eq!(gun_bcd(1).0, [0x01]);
        assert_eq!(gun_bcd(12).0, [0x12]);
        assert_eq!(gun_number(Bcd([0x12])), Some(12));
        assert_eq!(gun_number(Bcd([0x1A])), None);
    }
}
