//! The piles online now, keyed by pile code (compared as the 7 raw bytes, ERRATA R5).
//!
//! One connection holds a pile code at a time. Whether a second login takes it over or is
//! refused (`--duplicate-login`) is decided under the map's lock, so two logins racing for the
//! same code get one answer each: [`Registry::admit`].

use super::identity::DuplicateLogin;
use crate::codec::OutFrame;
use crate::frames::Message;
use crate::CrcOrder;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// A frame to write to a pile, optionally waiting for the pile's reply.
#[derive(Debug)]
pub struct Outbound {
    /// The frame.
    pub frame: OutFrame,
    /// The decoded command, for forwarding and reply correlation.
    pub message: Message,
    /// Who waits for the reply.
    pub waiter: Option<oneshot::Sender<Message>>,
    /// Told when the frame was written (or could not be).
    pub written: Option<oneshot::Sender<bool>>,
    /// Write `frame.seq` as given (a backend answering a pile's request) instead of the next sequence.
    pub keep_seq: bool,
}

/// What the registry knows about an online pile.
#[derive(Debug, Clone, Serialize)]
pub struct PileInfo {
    /// Pile code as digits.
    pub pile_code: String,
    /// The connection it speaks on.
    pub connection_id: u64,
    /// Remote address.
    pub remote_addr: String,
    /// Login time (RFC 3339).
    pub online_since: String,
    /// The login frame's body (rendered as its fields in JSON).
    #[serde(serialize_with = "login_fields")]
    pub login: bytes::Bytes,
    /// CRC byte order the pile uses, once seen.
    pub crc_order: Option<CrcOrder>,
    /// How the pile numbers its frames, as learned from consecutive frames.
    pub sequence_style: SequenceStyle,
    /// Milliseconds since the last frame from the pile.
    pub last_frame_ms_ago: u64,
}

/// How a pile numbers its frames (ERRATA F4, R2), learned by its session from consecutive
/// frames. In JSON: `"le"`, `"be"`, `"constant"` or `"unknown"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SequenceStyle {
    /// Not learned yet (fewer than two frames, or no pattern seen).
    #[default]
    Unknown,
    /// A little-endian counter, as the protocol document says.
    Le,
    /// A big-endian counter.
    Be,
    /// The same two bytes on every frame.
    Constant,
}

/// The login body's fields, decoded only when asked for.
fn login_fields<S: serde::Serializer>(body: &bytes::Bytes, s: S) -> Result<S::Ok, S::Error> {
    let code = crate::answer::frame_for(crate::meta::Role::Login).map_or(0, |m| m.code);
    match Message::decode(code, body) {
        Ok((m, _)) => serde::Serialize::serialize(&m, s),
        Err(_) => s.serialize_none(),
    }
}

struct Entry {
    info: PileInfo,
    last_frame: Arc<AtomicU64>,
    tx: mpsc::Sender<Box<Outbound>>,
    kick: Option<oneshot::Sender<()>>,
}

/// The online piles.
pub struct Registry {
    piles: Mutex<HashMap<[u8; 7], Entry>>,
    epoch: Instant,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            piles: Mutex::new(HashMap::new()),
            epoch: Instant::now(),
        }
    }
}

/// A login the registry took ([`Registry::admit`]).
#[derive(Debug)]
pub struct Admitted {
    /// The new entry's activity handle.
    pub presence: Presence,
    /// The older connection it replaced (kicked), if any.
    pub replaced: Option<PileInfo>,
}

/// A login the registry refused: the pile is held by a live connection.
#[derive(Debug)]
pub struct Held {
    /// The connection holding the pile (its address, how long it has been silent).
    pub holder: PileInfo,
    /// The newcomer's kick sender, handed back unused.
    pub kick: oneshot::Sender<()>,
}

/// A handle a session keeps to update its entry cheaply.
#[derive(Debug, Clone)]
pub struct Presence {
    last_frame: Arc<AtomicU64>,
    epoch: Instant,
}

impl Presence {
    /// Notes that a frame just arrived.
    pub fn touch(&self) {
        self.last_frame
            .store(self.epoch.elapsed().as_millis() as u64, Relaxed);
    }
}

impl Registry {
    /// The map. A poisoned lock means a session panicked halfway through changing it; going on
    /// would serve a registry that may be inconsistent, so this fails loudly instead.
    fn piles(&self) -> MutexGuard<'_, HashMap<[u8; 7], Entry>> {
        self.piles
            .lock()
            .expect("registry lock poisoned: a session panicked while holding it")
    }

    /// Whether a panic poisoned the registry (checked before cleaning up during an unwind, where
    /// a second panic would abort the process).
    pub fn is_poisoned(&self) -> bool {
        self.piles.is_poisoned()
    }

    /// Registers a logged-in pile, replacing (and kicking) an older connection of it; returns
    /// whether there was one.
    pub fn insert(
        &self,
        key: [u8; 7],
        info: PileInfo,
        tx: mpsc::Sender<Box<Outbound>>,
        kick: oneshot::Sender<()>,
    ) -> (bool, Presence) {
        let a = self
            .admit(key, info, tx, kick, DuplicateLogin::Replace, Duration::ZERO)
            .expect("`replace` admits every login");
        (a.replaced.is_some(), a.presence)
    }

    /// Registers a logged-in pile by `rule` when another connection holds its code: with
    /// [`DuplicateLogin::Replace`], or when the holder sent no frame within `alive`, the older
    /// connection is kicked and the newcomer takes the entry; otherwise the newcomer is refused
    /// with what is known of the holder. Decided under one lock: racing logins cannot both win.
    pub fn admit(
        &self,
        key: [u8; 7],
        info: PileInfo,
        tx: mpsc::Sender<Box<Outbound>>,
        kick: oneshot::Sender<()>,
        rule: DuplicateLogin,
        alive: Duration,
    ) -> Result<Admitted, Box<Held>> {
        let now = self.epoch.elapsed().as_millis() as u64;
        let mut piles = self.piles();
        if let Some(held) = piles.get(&key) {
            let silent = now.saturating_sub(held.last_frame.load(Relaxed));
            let reject = rule == DuplicateLogin::RejectWhileAlive
                && held.info.connection_id != info.connection_id
                && Duration::from_millis(silent) < alive;
            if reject {
                let holder = self.snapshot(held);
                return Err(Box::new(Held { holder, kick }));
            }
        }
        let last_frame = Arc::new(AtomicU64::new(now));
        let presence = Presence {
            last_frame: last_frame.clone(),
            epoch: self.epoch,
        };
        let entry = Entry {
            info,
            last_frame,
            tx,
            kick: Some(kick),
        };
        let replaced = piles.insert(key, entry).map(|mut old| {
            if let Some(k) = old.kick.take() {
                // The older connection may have ended meanwhile; then nothing is left to close.
                let _ = k.send(());
            }
            self.snapshot(&old)
        });
        Ok(Admitted { presence, replaced })
    }

    /// A login of `key` on another node of the fleet: by `rule`, as [`admit`](Self::admit)
    /// decides for a local one, the holder here is closed (`Ok(Some(it))`) or keeps the pile
    /// (`Err(it)`); `Ok(None)` when the pile is not held here.
    pub fn release(
        &self,
        key: &[u8; 7],
        rule: DuplicateLogin,
        alive: Duration,
    ) -> Result<Option<PileInfo>, Box<PileInfo>> {
        let now = self.epoch.elapsed().as_millis() as u64;
        let mut piles = self.piles();
        let Some(held) = piles.get(key) else {
            return Ok(None);
        };
        let silent = now.saturating_sub(held.last_frame.load(Relaxed));
        if rule == DuplicateLogin::RejectWhileAlive && Duration::from_millis(silent) < alive {
            return Err(Box::new(self.snapshot(held)));
        }
        let mut old = piles.remove(key).expect("looked up under the same lock");
        if let Some(k) = old.kick.take() {
            // The connection may have ended meanwhile; then nothing is left to close.
            let _ = k.send(());
        }
        Ok(Some(self.snapshot(&old)))
    }

    /// The piles whose last frame is within `alive`, for renewing their fleet presence.
    pub fn alive(&self, alive: Duration) -> Vec<[u8; 7]> {
        let now = self.epoch.elapsed().as_millis() as u64;
        let alive = alive.as_millis() as u64;
        self.piles()
            .iter()
            .filter(|(_, e)| now.saturating_sub(e.last_frame.load(Relaxed)) < alive)
            .map(|(k, _)| *k)
            .collect()
    }

    /// Removes the pile if `conn` still owns it; true when removed.
    pub fn remove(&self, key: &[u8; 7], conn: u64) -> bool {
        let mut m = self.piles();
        if m.get(key).is_some_and(|e| e.info.connection_id == conn) {
            m.remove(key);
            return true;
        }
        false
    }

    /// Updates what is known about the pile's framing.
    pub fn set_framing(
        &self,
        key: &[u8; 7],
        conn: u64,
        crc: Option<CrcOrder>,
        seq_style: SequenceStyle,
    ) {
        if let Some(e) = self
            .piles()
            .get_mut(key)
            .filter(|e| e.info.connection_id == conn)
        {
            e.info.crc_order = crc.or(e.info.crc_order);
            e.info.sequence_style = seq_style;
        }
    }

    /// The sender of the pile's connection.
    pub fn sender(&self, key: &[u8; 7]) -> Option<mpsc::Sender<Box<Outbound>>> {
        self.piles().get(key).map(|e| e.tx.clone())
    }

    fn snapshot(&self, e: &Entry) -> PileInfo {
        let now = self.epoch.elapsed().as_millis() as u64;
        PileInfo {
            last_frame_ms_ago: now.saturating_sub(e.last_frame.load(Relaxed)),
            ..e.info.clone()
        }
    }

    /// Whether the pile is held here (no snapshot taken).
    pub fn contains(&self, key: &[u8; 7]) -> bool {
        self.piles().contains_key(key)
    }

    /// One pile.
    pub fn get(&self, key: &[u8; 7]) -> Option<PileInfo> {
        self.piles().get(key).map(|e| self.snapshot(e))
    }

    /// Every online pile, by pile code.
    pub fn list(&self) -> Vec<PileInfo> {
        let mut v: Vec<PileInfo> = self.piles().values().map(|e| self.snapshot(e)).collect();
        v.sort_by(|a, b| a.pile_code.cmp(&b.pile_code));
        v
    }

    /// How many piles are online: the `piles_online` gauge, read from the map itself so it
    /// cannot drift from it.
    pub fn len(&self) -> usize {
        self.piles().len()
    }

    /// True when no pile is online.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PILE: [u8; 7] = [0x32, 1, 2, 0, 0, 0, 1];

    fn info(conn: u64) -> PileInfo {
        PileInfo {
            pile_code: "32010200000001".into(),
            connection_id: conn,
            remote_addr: format!("127.0.0.1:{conn}"),
            online_since: String::new(),
            login: bytes::Bytes::new(),
            crc_order: None,
            sequence_style: SequenceStyle::Unknown,
            last_frame_ms_ago: 0,
        }
    }

    /// Admits connection `conn`; its kick receiver, or the holder that refused it.
    fn admit(
        r: &Registry,
        conn: u64,
        rule: DuplicateLogin,
        alive: Duration,
    ) -> Result<(Admitted, oneshot::Receiver<()>), Box<Held>> {
        let (tx, _) = mpsc::channel(1);
        let (kick, kicked) = oneshot::channel();
        r.admit(PILE, info(conn), tx, kick, rule, alive)
            .map(|a| (a, kicked))
    }

    #[test]
    fn a_live_holder_keeps_its_pile() {
        let r = Registry::default();
        let alive = Duration::from_secs(30);
        let (_, mut first) = admit(&r, 1, DuplicateLogin::RejectWhileAlive, alive).unwrap();
        let held = admit(&r, 2, DuplicateLogin::RejectWhileAlive, alive).unwrap_err();
        assert_eq!(held.holder.remote_addr, "127.0.0.1:1");
        assert_eq!(r.get(&PILE).unwrap().connection_id, 1);
        assert!(first.try_recv().is_err(), "the holder is not kicked");
    }

    #[test]
    fn a_silent_holder_is_replaced() {
        let r = Registry::default();
        let (_, mut first) =
            admit(&r, 1, DuplicateLogin::RejectWhileAlive, Duration::ZERO).unwrap();
        let (a, _) = admit(&r, 2, DuplicateLogin::RejectWhileAlive, Duration::ZERO).unwrap();
        assert_eq!(a.replaced.unwrap().connection_id, 1);
        assert_eq!(r.get(&PILE).unwrap().connection_id, 2);
        assert!(first.try_recv().is_ok(), "the older connection is kicked");
        // And the older one, going, does not take the newer one's entry with it.
        assert!(!r.remove(&PILE, 1));
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn replace_always_takes_over() {
        let r = Registry::default();
        let alive = Duration::from_secs(30);
        let (_, mut first) = admit(&r, 1, DuplicateLogin::Replace, alive).unwrap();
        let (a, _) = admit(&r, 2, DuplicateLogin::Replace, alive).unwrap();
        assert!(a.replaced.is_some());
        assert!(first.try_recv().is_ok());
    }

    #[test]
    fn a_login_elsewhere_releases_by_the_same_rule() {
        let r = Registry::default();
        let alive = Duration::from_secs(30);
        let (_, mut first) = admit(&r, 1, DuplicateLogin::RejectWhileAlive, alive).unwrap();
        let held = r.release(&PILE, DuplicateLogin::RejectWhileAlive, alive);
        assert_eq!(held.unwrap_err().connection_id, 1);
        assert!(first.try_recv().is_err(), "a live holder is not kicked");
        let released = r.release(&PILE, DuplicateLogin::Replace, alive).unwrap();
        assert_eq!(released.unwrap().connection_id, 1);
        assert!(first.try_recv().is_ok(), "the holder is closed");
        assert!(r.is_empty());
        assert!(r
            .release(&PILE, DuplicateLogin::Replace, alive)
            .unwrap()
            .is_none());
    }

    #[test]
    fn racing_logins_get_one_winner() {
        let r = std::sync::Arc::new(Registry::default());
        let alive = Duration::from_secs(30);
        let won: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (1..=8)
                .map(|conn| {
                    let r = r.clone();
                    s.spawn(move || {
                        admit(&r, conn, DuplicateLogin::RejectWhileAlive, alive)
                            .is_ok_and(|(a, _)| a.replaced.is_none())
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| usize::from(h.join().unwrap()))
                .sum()
        });
        assert_eq!(won, 1);
        assert_eq!(r.len(), 1);
    }
}
