//! Counters of one forwarder: the live atomics and the [`ForwardStats`] snapshot.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the delivery latency histogram, as Prometheus `le` labels;
/// a last `+Inf` bucket follows them.
pub const LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Microsecond bounds of [`LATENCY_BUCKETS`], for the hot path.
const LATENCY_BOUNDS_US: [u64; 13] = [
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    5_000_000, 10_000_000,
];

/// A snapshot of the counters, for logs and the Prometheus export.
#[derive(Debug, Clone, PartialEq)]
pub struct ForwardStats {
    /// Payloads accepted into the queue.
    pub enqueued: u64,
    /// Payloads delivered (queued and durable).
    pub delivered: u64,
    /// Payloads given up on after their last attempt (queued and durable).
    pub failed: u64,
    /// Payloads dropped because the queue was full.
    pub dropped_queue_full: u64,
    /// Payloads refused because the forwarder was shut down.
    pub dropped_closed: u64,
    /// Retries made (attempts after a first one).
    pub retries: u64,
    /// JetStream: deliveries the stream acknowledged as duplicates (a `Nats-Msg-Id` it already
    /// had within its duplicate window), so stored once. Counted in `delivered` too.
    pub duplicates: u64,
    /// Payloads in the queue right now.
    pub queued: usize,
    /// Delivered payloads whose latency was measured (= `delivered`).
    pub latency_count: u64,
    /// Sum of their latencies (first attempt start to success), seconds.
    pub latency_sum_seconds: f64,
    /// Cumulative histogram: for each bound of [`LATENCY_BUCKETS`], how many took at most that;
    /// the last entry (`f64::INFINITY`) equals `latency_count`.
    pub latency_buckets: Vec<(f64, u64)>,
}

/// The live counters behind [`ForwardStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) enqueued: AtomicU64,
    pub(crate) delivered: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) dropped_queue_full: AtomicU64,
    pub(crate) dropped_closed: AtomicU64,
    pub(crate) retries: AtomicU64,
    pub(crate) latency_sum_us: AtomicU64,
    pub(crate) latency_count: AtomicU64,
    /// Non-cumulative counts per bucket; the last one is `+Inf`.
    pub(crate) latency_buckets: [AtomicU64; 14],
}

impl Counters {
    pub(crate) fn record_delivery(&self, took: Duration) {
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.delivered.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_us.fetch_add(us, Ordering::Relaxed);
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        let slot = LATENCY_BOUNDS_US
            .iter()
            .position(|b| us <= *b)
            .unwrap_or(LATENCY_BOUNDS_US.len());
        if let Some(c) = self.latency_buckets.get(slot) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The snapshot; `duplicates` is 0: the sink sees the JetStream acks and counts them
    /// (the owner of the sink fills it in from [`super::Sink::duplicates`]).
    pub(crate) fn snapshot(&self, queued: usize) -> ForwardStats {
        let mut running = 0u64;
        let mut latency_buckets = Vec::with_capacity(self.latency_buckets.len());
        for (i, c) in self.latency_buckets.iter().enumerate() {
            running = running.saturating_add(c.load(Ordering::Relaxed));
            latency_buckets.push((
                LATENCY_BUCKETS.get(i).copied().unwrap_or(f64::INFINITY),
                running,
            ));
        }
        ForwardStats {
            enqueued: self.enqueued.load(Ordering::Relaxed),
            delivered: self.delivered.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            dropped_queue_full: self.dropped_queue_full.load(Ordering::Relaxed),
            dropped_closed: self.dropped_closed.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            duplicates: 0,
            queued,
            latency_count: self.latency_count.load(Ordering::Relaxed),
            latency_sum_seconds: self.latency_sum_us.load(Ordering::Relaxed) as f64 / 1e6,
            latency_buckets,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative() {
        let c = Counters::default();
        c.record_delivery(Duration::from_micros(500));
        c.record_delivery(Duration::from_millis(30));
        c.record_delivery(Duration::from_secs(60));
        let s = c.snapshot(0);
        assert_eq!(s.latency_count, 3);
        assert_eq!(s.latency_buckets.first(), Some(&(0.001, 1)));
        assert_eq!(s.latency_buckets.get(5), Some(&(0.05, 2)));
        assert_eq!(s.latency_buckets.last().map(|b| b.1), Some(3));
        assert!(s.latency_buckets.last().is_some_and(|b| b.0.is_infinite()));
    }
}
