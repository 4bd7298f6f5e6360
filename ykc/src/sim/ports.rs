//! The source ports piles bind to when `--source-addrs` gives several addresses.
//!
//! Why the sim picks them rather than binding port 0: for `bind(addr, 0)` the kernel searches
//! its local port range for a free port (`inet_csk_get_port`), under its bind-table locks, in
//! the calling thread. With some ten thousand sockets bound on a few addresses that search
//! took seconds: at 8,000 – 16,000 connections a `ykc sim` run stalled for 1 – 18 s with both
//! runtime threads in `inet_csk_get_port` (sampled from `/proc/PID/task/*/stack`), while the
//! gateway sat idle and a second sim process's pile saw no delay: the "16,384-pile stall" of
//! issue 10 was the load generator's. A `bind` to a given port checks that port only; a
//! port in use (by another sim process, a listener, a socket in TIME_WAIT) is skipped.
//!
//! The ports handed out lie outside the kernel's ephemeral range (`ip_local_port_range`): a
//! port bound on any address is one `connect()` no longer picks for any, so a large run inside
//! that range left other programs on the machine with no local port (EADDRNOTAVAIL).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

/// The lowest port handed out: the first unprivileged one.
const LOW: u32 = 1024;

/// The kernel's ephemeral range when it cannot be read (Linux's default).
const EPHEMERAL: (u32, u32) = (32768, 60999);

/// Ports tried for one connection before the kernel is asked to choose (a crowded machine).
pub(crate) const TRIES: u32 = 64;

/// A cursor over the port range, shared by the piles of one process.
#[derive(Debug)]
pub(crate) struct SourcePorts {
    next: AtomicU32,
    /// The ephemeral range, skipped: first and last port.
    skip: (u32, u32),
}

impl SourcePorts {
    /// A cursor starting at a place that depends on `seed` (the pile code base and the process
    /// id), so that sim processes running together mostly walk different ports.
    pub(crate) fn new(seed: u64) -> SourcePorts {
        SourcePorts::outside(seed, ephemeral_range())
    }

    fn outside(seed: u64, skip: (u32, u32)) -> SourcePorts {
        let skip = (skip.0.clamp(LOW, 65535), skip.1.clamp(LOW, 65535));
        let ports = SourcePorts {
            next: AtomicU32::new(0),
            skip,
        };
        // A multiplicative hash spreads nearby seeds (code bases a million apart) over the range.
        let start = (seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as u32 % ports.span();
        ports.next.store(start, Relaxed);
        ports
    }

    /// How many ports are handed out.
    fn span(&self) -> u32 {
        let skipped = (self.skip.1 + 1).saturating_sub(self.skip.0);
        (65536 - LOW).saturating_sub(skipped).max(1)
    }

    /// The next address to bind a pile's socket to, from source address `ip`.
    pub(crate) fn next(&self, ip: Ipv4Addr) -> SocketAddr {
        let mut port = LOW + self.next.fetch_add(1, Relaxed) % self.span();
        if port >= self.skip.0 {
            port += (self.skip.1 + 1).saturating_sub(self.skip.0);
        }
        let port = u16::try_from(port.min(65535)).expect("clamped to 65535");
        SocketAddr::from((ip, port))
    }
}

/// The kernel's ephemeral port range (Linux), else [`EPHEMERAL`].
fn ephemeral_range() -> (u32, u32) {
    let path = "/proc/sys/net/ipv4/ip_local_port_range";
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut it = text.split_whitespace().map(str::parse::<u32>);
    match (it.next(), it.next()) {
        (Some(Ok(lo)), Some(Ok(hi))) if lo <= hi => (lo, hi),
        _ => EPHEMERAL,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_stay_unprivileged_outside_the_ephemeral_range_and_wrap() {
        let p = SourcePorts::outside(7, EPHEMERAL);
        let span = p.span();
        assert_eq!(span, 65536 - 1024 - (60999 - 32768 + 1));
        let ip = Ipv4Addr::LOCALHOST;
        let ports: Vec<u16> = (0..2 * span).map(|_| p.next(ip).port()).collect();
        let allowed = |x: u16| u32::from(x) >= LOW && !(32768..=60999).contains(&u32::from(x));
        assert!(ports.iter().all(|&x| allowed(x)));
        assert!(ports.contains(&65535) && ports.contains(&32767) && ports.contains(&61000));
        assert_eq!(
            ports[0], ports[span as usize],
            "the cursor wraps around the range"
        );
        let a = SourcePorts::new(32010200000001).next(ip).port();
        let b = SourcePorts::new(32010201000001).next(ip).port();
        assert_ne!(a, b, "processes with other code bases start elsewhere");
    }
}
