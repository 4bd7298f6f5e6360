//! Limits that keep one source from costing other piles their service: connections per source
//! address, a frame budget per connection, the open-file limit, and logs that summarise a
//! repeated event instead of writing one line per occurrence.
//!
//! Everything kept per pile here is small on purpose (issue 10 budgets a few KB per pile): a
//! [`FrameBudget`] is 12 bytes, the per-address table holds one entry per source *address* (many
//! piles behind one NAT share it), and the bad-input tally is allocated only once a connection
//! sends bad input.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};
use tracing::{info, warn};

/// How often a repeated event (bad input on a connection, refused connections, failing
/// accepts) is summarised in the log after its first occurrence was logged.
pub(super) const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Open files kept free of pile connections: the REST listener and its clients, the sinks'
/// connections, the journal's files, DNS lookups. With fewer than this left, a pile
/// connection is refused at accept instead of starving the REST API of descriptors.
pub(super) const FILE_RESERVE: u64 = 64;

/// Why a connection was refused at accept: the `reason` label of
/// `ykc_connections_refused_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Refusal {
    /// `max_connections` connections are open.
    MaxConnections,
    /// The open-file limit leaves no room for another pile (see [`FILE_RESERVE`]).
    OpenFiles,
    /// `max_connections_per_ip` connections from this address are open.
    PerIp,
    /// `max_prelogin_per_ip` connections from this address have not logged in yet.
    PreloginPerIp,
}

impl Refusal {
    /// The metrics label.
    pub fn label(self) -> &'static str {
        match self {
            Refusal::MaxConnections => "max_connections",
            Refusal::OpenFiles => "open_files",
            Refusal::PerIp => "per_ip",
            Refusal::PreloginPerIp => "prelogin_per_ip",
        }
    }
}

/// Connections open per source address: all of them, and those not logged in yet.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    open: u32,
    prelogin: u32,
}

/// The per-address connection table. An address is in it only while it has a connection
/// open, so its size follows the open connections' distinct addresses, not the history.
#[derive(Debug)]
pub struct Sources {
    /// Most connections per address, 0 = no limit.
    max_open: u32,
    /// Most connections per address that have not logged in, 0 = no limit.
    max_prelogin: u32,
    counts: Mutex<HashMap<IpAddr, Counts>>,
}

impl Sources {
    /// A table enforcing the two limits (0 = no limit).
    pub fn new(max_open: u32, max_prelogin: u32) -> Sources {
        Sources {
            max_open,
            max_prelogin,
            counts: Mutex::default(),
        }
    }

    fn counts(&self) -> MutexGuard<'_, HashMap<IpAddr, Counts>> {
        // Nothing can panic while the lock is held (plain integer updates), so a poisoned
        // lock still holds consistent counts.
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a new connection from `ip` (open and not logged in), or says why it is refused.
    /// Every `Ok` must be matched by one [`Sources::release`].
    pub fn admit(&self, ip: IpAddr) -> Result<(), Refusal> {
        let mut map = self.counts();
        let c = map.entry(ip).or_default();
        if self.max_open > 0 && c.open >= self.max_open {
            return Err(Refusal::PerIp);
        }
        if self.max_prelogin > 0 && c.prelogin >= self.max_prelogin {
            return Err(Refusal::PreloginPerIp);
        }
        c.open += 1;
        c.prelogin += 1;
        Ok(())
    }

    /// A connection from `ip` logged in: it no longer counts against the pre-login limit.
    pub fn logged_in(&self, ip: IpAddr) {
        if let Some(c) = self.counts().get_mut(&ip) {
            c.prelogin = c.prelogin.saturating_sub(1);
        }
    }

    /// A connection from `ip` closed (`logged_in`: it had logged in before).
    pub fn release(&self, ip: IpAddr, logged_in: bool) {
        let mut map = self.counts();
        let Some(c) = map.get_mut(&ip) else {
            return;
        };
        c.open = c.open.saturating_sub(1);
        if !logged_in {
            c.prelogin = c.prelogin.saturating_sub(1);
        }
        if c.open == 0 {
            map.remove(&ip);
        }
    }

    /// Addresses with a connection open (for tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.counts().len()
    }
}

/// Milliseconds since the first call, wrapping after 49 days: what a [`FrameBudget`] keeps
/// instead of an `Instant` (4 bytes instead of 16 per pile). Only differences of it are used,
/// and a connection is never silent for 49 days (the heartbeat timeout closes it long before).
pub(super) fn now_ms() -> u32 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    // Truncation is the intended wrap-around.
    EPOCH.get_or_init(Instant::now).elapsed().as_millis() as u32
}

/// A token bucket of frames for one connection: `rate` frames a second on average, `burst` at
/// once, counted in thousandths of a frame so that a refill of a few milliseconds is not lost.
#[derive(Debug, Clone, Copy)]
pub(super) struct FrameBudget {
    /// Thousandths of a frame available.
    milli: u32,
    /// [`now_ms`] at the last frame.
    last_ms: u32,
    /// Frames dropped since the bucket was last full: the current excess.
    over: u32,
}

/// What the budget says about one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Within budget: handle it.
    Admit,
    /// Over budget: drop it; this many frames have been dropped since the bucket was full.
    Throttle(u32),
}

impl FrameBudget {
    /// A full bucket (a pile's login and first frames are never throttled).
    pub(super) fn new(burst: u32, now_ms: u32) -> FrameBudget {
        FrameBudget {
            milli: burst.saturating_mul(1000),
            last_ms: now_ms,
            over: 0,
        }
    }

    /// Takes one frame's token at `now_ms`, refilling `rate` per second up to `burst`.
    pub(super) fn take(&mut self, now_ms: u32, rate: u32, burst: u32) -> Verdict {
        let cap = u64::from(burst) * 1000;
        let elapsed = u64::from(now_ms.wrapping_sub(self.last_ms));
        self.last_ms = now_ms;
        let milli = (u64::from(self.milli) + elapsed * u64::from(rate)).min(cap);
        if milli == cap {
            // Full again: the pile kept within its budget long enough; an earlier excess is over.
            self.over = 0;
        }
        if milli >= 1000 {
            self.milli = u32::try_from(milli - 1000).unwrap_or(u32::MAX);
            return Verdict::Admit;
        }
        self.milli = u32::try_from(milli).unwrap_or(u32::MAX);
        self.over = self.over.saturating_add(1);
        Verdict::Throttle(self.over)
    }
}

/// Frames dropped over budget in one excess that close the connection: ten seconds' worth of
/// budget. A pile sending twice its budget is closed after about ten seconds; a flood at
/// thousands of frames a second within a fraction of one.
pub(super) fn excess_limit(rate: u32) -> u32 {
    rate.saturating_mul(10).max(1)
}

/// Raises the soft open-file limit (RLIMIT_NOFILE) to the hard one and returns the soft limit
/// in force, logging both. `None` where the platform has no such limit.
pub(super) fn raise_open_files() -> Option<u64> {
    let before = rlimit::getrlimit(rlimit::Resource::NOFILE).ok();
    let now = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => Some(n),
        Err(e) => {
            warn!(error = %e, "cannot raise the open-file limit");
            before.map(|(soft, _)| soft)
        }
    };
    if let (Some((soft, hard)), Some(now)) = (before, now) {
        info!(
            soft_before = soft,
            hard,
            soft = now,
            "open-file limit (RLIMIT_NOFILE)"
        );
    }
    now
}

/// Files this process has open now (Linux: `/proc/self/fd`); a modest guess elsewhere.
fn files_open() -> u64 {
    std::fs::read_dir("/proc/self/fd").map_or(32, |d| d.count() as u64)
}

/// How many pile connections the open-file limit leaves room for: the limit, less what is
/// open now (listeners, journal, sinks, stdio), less [`FILE_RESERVE`]. Raises the soft limit
/// first. Warns when `max_connections` is more than that.
pub(super) fn pile_file_budget(max_connections: u32) -> u32 {
    let Some(limit) = raise_open_files() else {
        return max_connections;
    };
    let open = files_open();
    let room = limit.saturating_sub(open).saturating_sub(FILE_RESERVE);
    let room = u32::try_from(room).unwrap_or(u32::MAX).max(1);
    if room < max_connections {
        warn!(
            max_connections,
            open_file_limit = limit,
            files_open = open,
            reserved = FILE_RESERVE,
            piles = room,
            "max_connections exceeds what the open-file limit allows: at most {room} piles \
             connect; raise the hard limit (ulimit -Hn, systemd LimitNOFILE=)"
        );
    }
    room.min(max_connections)
}

/// A repeated event's log: the first occurrence is logged at once, later ones are counted
/// and summarised at most once per [`LOG_INTERVAL`].
#[derive(Debug, Default)]
pub(super) struct Tally<K: Ord> {
    /// Counts since the last line, by kind.
    counts: Vec<(K, u64)>,
    /// When the last line was written (None: never).
    logged: Option<Instant>,
}

impl<K: Ord + Copy> Tally<K> {
    /// A tally with nothing counted.
    pub(super) fn new() -> Self {
        Tally {
            counts: Vec::new(),
            logged: None,
        }
    }

    /// Counts `n` of `kind` at `now`. True when a line is due now: the first occurrence ever,
    /// or the interval since the last line has passed (then [`Tally::take`] the counts).
    pub(super) fn add(&mut self, kind: K, n: u64, now: Instant) -> bool {
        match self.counts.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, c)) => *c += n,
            None => {
                self.counts.push((kind, n));
                self.counts.sort_by_key(|a| a.0);
            }
        }
        self.logged
            .is_none_or(|at| now.duration_since(at) >= LOG_INTERVAL)
    }

    /// The counts since the last line, emptied, noting a line written at `now`.
    pub(super) fn take(&mut self, now: Instant) -> Vec<(K, u64)> {
        self.logged = Some(now);
        std::mem::take(&mut self.counts)
    }

    /// When the counts kept since the last line are due to be written (None: nothing kept).
    pub(super) fn due(&self) -> Option<Instant> {
        let at = self.logged?;
        (!self.counts.is_empty()).then(|| at + LOG_INTERVAL)
    }

    /// Whether anything is counted since the last line.
    pub(super) fn pending(&self) -> bool {
        !self.counts.is_empty()
    }
}

/// `kind=n` pairs for a log line.
pub(super) fn render_counts<K: Copy>(
    counts: &[(K, u64)],
    label: impl Fn(K) -> &'static str,
) -> String {
    let mut s = String::new();
    for (k, n) in counts {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(label(*k));
        s.push('=');
        s.push_str(itoa::Buffer::new().format(*n));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_address_limits_count_open_and_prelogin_connections() {
        let s = Sources::new(3, 2);
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        assert_eq!(s.admit(a), Ok(()));
        assert_eq!(s.admit(a), Ok(()));
        assert_eq!(s.admit(a), Err(Refusal::PreloginPerIp));
        assert_eq!(s.admit(b), Ok(()), "another address has its own counts");
        s.logged_in(a);
        assert_eq!(s.admit(a), Ok(()), "a login frees a pre-login slot");
        assert_eq!(s.admit(a), Err(Refusal::PerIp));
        s.release(a, true);
        s.release(a, false);
        s.release(a, false);
        s.release(b, false);
        assert_eq!(
            s.len(),
            0,
            "addresses leave the table with their last connection"
        );
        let open = Sources::new(0, 0);
        assert!((0..10_000).all(|_| open.admit(a).is_ok()), "0 = no limit");
    }

    #[test]
    fn the_frame_budget_admits_a_burst_then_the_rate() {
        let (rate, burst) = (50, 200);
        let mut b = FrameBudget::new(burst, 0);
        assert!((0..200).all(|_| b.take(0, rate, burst) == Verdict::Admit));
        assert_eq!(b.take(0, rate, burst), Verdict::Throttle(1));
        assert_eq!(
            b.take(10, rate, burst),
            Verdict::Throttle(2),
            "half a frame"
        );
        assert_eq!(
            b.take(20, rate, burst),
            Verdict::Admit,
            "20 ms refill one frame"
        );
        assert_eq!(b.take(20, rate, burst), Verdict::Throttle(3));
        // Quiet for the 4 s a full refill takes: the excess is over.
        assert_eq!(b.take(4_100, rate, burst), Verdict::Admit);
        assert!((0..199).all(|_| b.take(4_100, rate, burst) == Verdict::Admit));
        assert_eq!(b.take(4_100, rate, burst), Verdict::Throttle(1));
        assert_eq!(excess_limit(rate), 500);
        assert!(std::mem::size_of::<FrameBudget>() <= 12);
    }

    #[test]
    fn the_budget_survives_the_clock_wrapping() {
        let mut b = FrameBudget::new(1, u32::MAX - 5);
        assert_eq!(b.take(u32::MAX - 5, 1, 1), Verdict::Admit);
        assert_eq!(b.take(994, 1, 1), Verdict::Admit, "1000 ms across the wrap");
    }

    #[test]
    fn a_tally_logs_the_first_at_once_then_once_per_interval() {
        let t0 = Instant::now();
        let mut t = Tally::new();
        assert!(
            t.add("bytes", 512, t0),
            "the first occurrence is logged at once"
        );
        assert_eq!(t.take(t0), vec![("bytes", 512)]);
        assert!(!t.add("bytes", 512, t0 + Duration::from_secs(1)));
        assert!(!t.add("frames", 1, t0 + Duration::from_secs(2)));
        assert_eq!(t.due(), Some(t0 + LOG_INTERVAL));
        assert!(t.add("bytes", 1, t0 + LOG_INTERVAL));
        assert_eq!(
            t.take(t0 + LOG_INTERVAL),
            vec![("bytes", 513), ("frames", 1)]
        );
        assert!(!t.pending());
        assert_eq!(t.due(), None);
    }
}
