//! Counters shared by every simulated pile, and an HDR-style latency histogram.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

/// Sub-buckets per power of two: 2^5 = 32, so a recorded value is off by at most 1/32 (3 %).
const SUB_BITS: u32 = 5;
const SUB: u64 = 1 << SUB_BITS;
/// Values below this are counted exactly (one bucket each).
const LINEAR: u64 = 2 * SUB;
/// Buckets for the whole u64 range.
const BUCKETS: usize = (LINEAR + (64 - (SUB_BITS as u64 + 1)) * SUB) as usize;

/// A log-bucket histogram of `u64` values (HDR style, ~3 % precision), safe to record into
/// from many tasks at once; fixed size (~15 KiB), no allocation per value.
#[derive(Debug)]
pub struct Histogram {
    buckets: Box<[AtomicU64]>,
    count: AtomicU64,
    max: AtomicU64,
    sum: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

/// The bucket of `v`.
fn index(v: u64) -> usize {
    if v < LINEAR {
        return v as usize;
    }
    let e = 63 - v.leading_zeros(); // >= SUB_BITS + 1
    let shift = e - SUB_BITS;
    let mantissa = (v >> shift) - SUB; // 0..SUB
    (LINEAR + u64::from(e - SUB_BITS - 1) * SUB + mantissa) as usize
}

/// The largest value that falls in bucket `i`.
fn highest_in(i: usize) -> u64 {
    let i = i as u64;
    if i < LINEAR {
        return i;
    }
    let rel = i - LINEAR;
    let shift = rel / SUB + 1; // e - SUB_BITS
    let mantissa = rel % SUB + SUB;
    let low = mantissa.checked_shl(shift as u32).unwrap_or(u64::MAX);
    low.saturating_add((1u64 << shift) - 1)
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Histogram {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            max: AtomicU64::new(0),
            sum: AtomicU64::new(0),
        }
    }

    /// Records one value.
    pub fn record(&self, v: u64) {
        if let Some(b) = self.buckets.get(index(v)) {
            b.fetch_add(1, Relaxed);
        }
        self.count.fetch_add(1, Relaxed);
        self.sum.fetch_add(v, Relaxed);
        self.max.fetch_max(v, Relaxed);
    }

    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.count.load(Relaxed)
    }

    /// The largest value recorded (exact), 0 when empty.
    pub fn max(&self) -> u64 {
        self.max.load(Relaxed)
    }

    /// The mean, 0 when empty.
    pub fn mean(&self) -> f64 {
        let n = self.count();
        if n == 0 {
            0.0
        } else {
            self.sum.load(Relaxed) as f64 / n as f64
        }
    }

    /// The value at quantile `q` (0..=1): the highest value of the bucket holding the
    /// ⌈q·n⌉-th smallest recording, never above the maximum; 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        let total: u64 = self.buckets.iter().map(|b| b.load(Relaxed)).sum();
        if total == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0u64;
        for (i, b) in self.buckets.iter().enumerate() {
            seen += b.load(Relaxed);
            if seen >= rank {
                return highest_in(i).min(self.max());
            }
        }
        self.max()
    }
}

/// What all piles of one run count together.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub connections_ok: AtomicU64,
    pub connections_failed: AtomicU64,
    pub logins_ok: AtomicU64,
    /// Piles connected right now.
    pub connected: AtomicI64,
    /// Piles logged in right now.
    pub online: AtomicI64,
    pub frames_sent: AtomicU64,
    pub frames_received: AtomicU64,
    /// Reply latencies in microseconds.
    pub latency_us: Histogram,
    errors: Mutex<BTreeMap<String, u64>>,
    /// Serials of confirmed transaction records (kept only with `--list-confirmed`).
    confirmed: Mutex<Vec<String>>,
}

impl Stats {
    /// Counts one error of kind `key`.
    pub fn error(&self, key: &str) {
        self.errors_add(key, 1);
    }

    /// Counts `n` errors of kind `key`.
    pub fn errors_add(&self, key: &str, n: u64) {
        let mut m = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        match m.get_mut(key) {
            Some(c) => *c = c.saturating_add(n),
            None => {
                m.insert(key.to_string(), n);
            }
        }
    }

    /// A copy of the error counts.
    pub fn errors(&self) -> BTreeMap<String, u64> {
        self.errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Notes a transaction record the platform confirmed.
    pub fn confirmed(&self, serial: String) {
        self.confirmed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(serial);
    }

    /// The serials noted by [`Stats::confirmed`], in confirmation order.
    pub fn confirmed_serials(&self) -> Vec<String> {
        self.confirmed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// All errors counted so far.
    pub fn error_total(&self) -> u64 {
        self.errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_tight() {
        let mut last = 0;
        for v in (0..5000u64).chain([1 << 20, (1 << 20) + 12345, u64::MAX / 3, u64::MAX]) {
            let i = index(v);
            assert!(i < BUCKETS, "{v} -> {i}");
            assert!(i >= last || v > 5000);
            last = i;
            let hi = highest_in(i);
            assert!(hi >= v, "{v}: bucket top {hi}");
            // At most 1/32 above the value.
            assert!(hi - v <= v / SUB, "{v}: bucket top {hi}");
        }
        assert_eq!(index(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn quantiles() {
        let h = Histogram::new();
        assert_eq!(h.quantile(0.5), 0);
        for v in 1..=1000u64 {
            h.record(v);
        }
        assert_eq!(h.count(), 1000);
        assert_eq!(h.max(), 1000);
        let p50 = h.quantile(0.5);
        assert!((500..=516).contains(&p50), "{p50}");
        let p99 = h.quantile(0.99);
        assert!((990..=1000).contains(&p99), "{p99}");
        assert_eq!(h.quantile(1.0), 1000);
        assert_eq!(h.quantile(0.0), 1);
        assert!((h.mean() - 500.5).abs() < 1e-9);
    }

    #[test]
    fn error_counts() {
        let s = Stats::default();
        s.error("a");
        s.errors_add("a", 2);
        s.error("b");
        assert_eq!(s.errors().get("a"), Some(&3));
        assert_eq!(s.error_total(), 4);
    }
}
