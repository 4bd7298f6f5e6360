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

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

/// The ports handed out: all unprivileged ones.
const LOW: u32 = 1024;
const SPAN: u32 = 65536 - LOW;

/// Ports tried for one connection before the kernel is asked to choose (a crowded machine).
pub(crate) const TRIES: u32 = 64;

/// A cursor over the port range, shared by the piles of one process.
#[derive(Debug)]
pub(crate) struct SourcePorts {
    next: AtomicU32,
}

impl SourcePorts {
    /// A cursor starting at a place that depends on `seed` (the pile code base and the process
    /// id), so that sim processes running together mostly walk different ports.
    pub(crate) fn new(seed: u64) -> SourcePorts {
        // A multiplicative hash spreads nearby seeds (code bases a million apart) over the range.
        let start = (seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as u32 % SPAN;
        SourcePorts {
            next: AtomicU32::new(start),
        }
    }

    /// The next address to bind a pile's socket to, from source address `ip`.
    pub(crate) fn next(&self, ip: Ipv4Addr) -> SocketAddr {
        let n = self.next.fetch_add(1, Relaxed) % SPAN;
        let port = u16::try_from(LOW + n).expect("LOW + SPAN - 1 is 65535");
        SocketAddr::from((ip, port))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_stay_unprivileged_and_wrap() {
        let p = SourcePorts::new(7);
        let ip = Ipv4Addr::LOCALHOST;
        let ports: Vec<u16> = (0..2 * SPAN).map(|_| p.next(ip).port()).collect();
        assert!(ports.iter().all(|&x| u32::from(x) >= LOW));
        assert_eq!(
            ports[0], ports[SPAN as usize],
            "the cursor wraps around the range"
        );
        let a = SourcePorts::new(32010200000001).next(ip).port();
        let b = SourcePorts::new(32010201000001).next(ip).port();
        assert_ne!(a, b, "processes with other code bases start elsewhere");
    }
}
