//! Counters of the gateway, exported in the Prometheus text format at `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard};

/// The gauges read from their source at render time instead of being counted (a counter kept
/// beside the truth drifts as soon as one path forgets to decrement it, e.g. a panicking session).
#[derive(Debug, Clone, Copy, Default)]
pub struct Gauges {
    /// Connections open now: permits taken from the `max_connections` semaphore.
    pub connections_open: u64,
    /// Piles logged in now: entries in the registry.
    pub piles_online: u64,
}

/// Every counter the gateway keeps.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Connections accepted.
    pub connections_total: AtomicU64,
    /// Connections refused at accept, all reasons (`refused` has them by reason).
    pub connections_refused: AtomicU64,
    /// Connections refused at accept, by reason (max_connections, open_files, per_ip, prelogin_per_ip).
    pub refused: Mutex<BTreeMap<&'static str, u64>>,
    /// Connections closed by a limit, by reason (write_timeout, frame_flood).
    pub closed_by_limit: Mutex<BTreeMap<&'static str, u64>>,
    /// Frames dropped over a connection's frame budget.
    pub frames_throttled: AtomicU64,
    /// Failed accepts (e.g. out of file descriptors, EMFILE).
    pub accept_errors: AtomicU64,
    /// Older connections closed by a second login for the same pile.
    pub logins_replaced: AtomicU64,
    /// Logins refused, all reasons.
    pub logins_refused: AtomicU64,
    /// Logins refused by reason (allowlist, duplicate, identity).
    pub logins_refused_by: Mutex<BTreeMap<&'static str, u64>>,
    /// Identity checks of logins by outcome (pinned, matched, mismatch, error).
    pub identity_checks: Mutex<BTreeMap<&'static str, u64>>,
    /// Allowlist reloads by outcome (ok, error).
    pub allowlist_reloads: Mutex<BTreeMap<&'static str, u64>>,
    /// Bytes the stream decoder dropped while resynchronising.
    pub dropped_bytes: AtomicU64,
    /// Connections closed for missed heartbeats or no login.
    pub timeouts: AtomicU64,
    /// Durable forwards of billing records that failed (the record was not confirmed).
    pub billing_unconfirmed: AtomicU64,
    /// REST commands that got their reply.
    pub commands_answered: AtomicU64,
    /// REST commands that timed out.
    pub commands_timed_out: AtomicU64,
    /// Sum and count of command reply latency, seconds.
    pub command_latency: Mutex<(f64, u64)>,
    /// Frames in (from piles) by type.
    pub frames_in: Mutex<BTreeMap<u8, u64>>,
    /// Frames out (to piles) by type.
    pub frames_out: Mutex<BTreeMap<u8, u64>>,
    /// Frames dropped, by reason (before_login, pile_code_mismatch, decode_error …).
    pub dropped_frames: Mutex<BTreeMap<&'static str, u64>>,
}

/// A counter map. Poisoning means a thread panicked inside `bump` or `render` (an allocation
/// failure, say): fail loudly rather than export numbers that may be half-updated.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock()
        .expect("metrics lock poisoned: a session panicked while holding it")
}

fn bump<K: Ord>(m: &Mutex<BTreeMap<K, u64>>, k: K) {
    *lock(m).entry(k).or_default() += 1;
}

impl Metrics {
    /// Counts a frame from a pile.
    pub fn frame_in(&self, code: u8) {
        bump(&self.frames_in, code);
    }
    /// Counts a frame to a pile.
    pub fn frame_out(&self, code: u8) {
        bump(&self.frames_out, code);
    }
    /// Counts a connection refused at accept.
    pub fn refused(&self, reason: &'static str) {
        self.connections_refused.fetch_add(1, Relaxed);
        bump(&self.refused, reason);
    }
    /// Counts a connection closed by a limit.
    pub fn closed_by_limit(&self, reason: &'static str) {
        bump(&self.closed_by_limit, reason);
    }
    /// Counts a dropped frame.
    pub fn dropped(&self, reason: &'static str) {
        bump(&self.dropped_frames, reason);
    }
    /// Counts a refused login.
    pub fn login_refused(&self, reason: &'static str) {
        self.logins_refused.fetch_add(1, Relaxed);
        bump(&self.logins_refused_by, reason);
    }
    /// Counts an identity check.
    pub fn identity_checked(&self, outcome: &'static str) {
        bump(&self.identity_checks, outcome);
    }
    /// Counts an allowlist reload.
    pub fn allowlist_reloaded(&self, outcome: &'static str) {
        bump(&self.allowlist_reloads, outcome);
    }
    /// Records one command latency.
    pub fn command_done(&self, seconds: f64) {
        self.commands_answered.fetch_add(1, Relaxed);
        let mut l = lock(&self.command_latency);
        l.0 += seconds;
        l.1 += 1;
    }

    /// Refused logins by reason (every reason, 0 included), identity checks, allowlist reloads.
    fn render_identity(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP ykc_logins_refused_total Logins refused (0x02 failure, then closed) by reason.\n# TYPE ykc_logins_refused_total counter");
        let refused = lock(&self.logins_refused_by);
        for why in super::session::Refusal::ALL.map(|r| r.label()) {
            let n = refused.get(why).copied().unwrap_or(0);
            let _ = writeln!(out, "ykc_logins_refused_total{{reason=\"{why}\"}} {n}");
        }
        for (name, map, label, help) in [
            (
                "identity_checks_total",
                &self.identity_checks,
                "outcome",
                "Logins compared with their pile's pinned identity, by outcome.",
            ),
            (
                "allowlist_reloads_total",
                &self.allowlist_reloads,
                "outcome",
                "Allowlist file reloads (SIGHUP, file change) by outcome.",
            ),
        ] {
            let _ = writeln!(out, "# HELP ykc_{name} {help}\n# TYPE ykc_{name} counter");
            for (k, n) in lock(map).iter() {
                let _ = writeln!(out, "ykc_{name}{{{label}=\"{k}\"}} {n}");
            }
        }
    }

    /// The Prometheus text exposition: these counters, the derived `gauges`, and the forwarder
    /// counters.
    pub fn render(
        &self,
        gauges: Gauges,
        forward: &[(&'static str, super::forward::ForwardStats)],
    ) -> String {
        let mut out = String::new();
        let mut gauge = |name: &str, help: &str, kind: &str, v: u64| {
            let _ = writeln!(
                out,
                "# HELP ykc_{name} {help}\n# TYPE ykc_{name} {kind}\nykc_{name} {v}"
            );
        };
        gauge(
            "connections_total",
            "TCP connections accepted.",
            "counter",
            self.connections_total.load(Relaxed),
        );
        gauge(
            "connections_open",
            "TCP connections open.",
            "gauge",
            gauges.connections_open,
        );
        gauge(
            "frames_throttled_total",
            "Frames dropped over their connection's frame budget (max_frames_per_sec, frame_burst).",
            "counter",
            self.frames_throttled.load(Relaxed),
        );
        gauge(
            "accept_errors_total",
            "Failed accepts of pile connections (e.g. out of file descriptors).",
            "counter",
            self.accept_errors.load(Relaxed),
        );
        gauge(
            "piles_online",
            "Piles logged in.",
            "gauge",
            gauges.piles_online,
        );
        gauge(
            "logins_replaced_total",
            "Connections closed by a newer login of the same pile.",
            "counter",
            self.logins_replaced.load(Relaxed),
        );
        gauge(
            "dropped_bytes_total",
            "Bytes dropped while resynchronising on 0x68.",
            "counter",
            self.dropped_bytes.load(Relaxed),
        );
        gauge(
            "timeouts_total",
            "Connections closed for missed heartbeats or no login.",
            "counter",
            self.timeouts.load(Relaxed),
        );
        gauge(
            "billing_unconfirmed_total",
            "Transaction records not confirmed because forwarding failed.",
            "counter",
            self.billing_unconfirmed.load(Relaxed),
        );
        gauge(
            "commands_answered_total",
            "REST commands answered by the pile.",
            "counter",
            self.commands_answered.load(Relaxed),
        );
        gauge(
            "commands_timed_out_total",
            "REST commands without a reply in time.",
            "counter",
            self.commands_timed_out.load(Relaxed),
        );
        self.render_identity(&mut out);
        let (sum, count) = *lock(&self.command_latency);
        let _ = writeln!(out, "# HELP ykc_command_latency_seconds Command reply latency.\n# TYPE ykc_command_latency_seconds summary\nykc_command_latency_seconds_sum {sum}\nykc_command_latency_seconds_count {count}");
        for (name, map, help) in [
            (
                "frames_in_total",
                &self.frames_in,
                "Frames from piles by type.",
            ),
            (
                "frames_out_total",
                &self.frames_out,
                "Frames to piles by type.",
            ),
        ] {
            let _ = writeln!(out, "# HELP ykc_{name} {help}\n# TYPE ykc_{name} counter");
            for (code, n) in lock(map).iter() {
                let _ = writeln!(out, "ykc_{name}{{type=\"{code:02x}\"}} {n}");
            }
        }
        for (name, map, help) in [
            (
                "connections_refused_total",
                &self.refused,
                "Connections refused at accept by reason (max_connections, open_files, per_ip, prelogin_per_ip).",
            ),
            (
                "connections_closed_total",
                &self.closed_by_limit,
                "Connections closed by a limit by reason (write_timeout, frame_flood).",
            ),
        ] {
            let _ = writeln!(out, "# HELP ykc_{name} {help}\n# TYPE ykc_{name} counter");
            for (reason, n) in lock(map).iter() {
                let _ = writeln!(out, "ykc_{name}{{reason=\"{reason}\"}} {n}");
            }
        }
        let _ = writeln!(out, "# HELP ykc_dropped_frames_total Frames dropped by reason.\n# TYPE ykc_dropped_frames_total counter");
        for (reason, n) in lock(&self.dropped_frames).iter() {
            let _ = writeln!(out, "ykc_dropped_frames_total{{reason=\"{reason}\"}} {n}");
        }
        if !forward.is_empty() {
            let _ = writeln!(out, "# HELP ykc_forward_total Forwarding outcomes by sink.\n# TYPE ykc_forward_total counter");
        }
        for (sink, f) in forward {
            for (what, n) in [
                ("enqueued", f.enqueued),
                ("delivered", f.delivered),
                ("failed", f.failed),
                ("dropped_queue_full", f.dropped_queue_full),
                ("retries", f.retries),
                ("duplicate", f.duplicates),
            ] {
                let _ = writeln!(
                    out,
                    "ykc_forward_total{{sink=\"{sink}\",outcome=\"{what}\"}} {n}"
                );
            }
        }
        if !forward.is_empty() {
            let _ = writeln!(out, "# HELP ykc_forward_latency_seconds Forwarding latency by sink.\n# TYPE ykc_forward_latency_seconds histogram");
        }
        for (sink, f) in forward {
            for (le, n) in &f.latency_buckets {
                let _ = writeln!(
                    out,
                    "ykc_forward_latency_seconds_bucket{{sink=\"{sink}\",le=\"{le}\"}} {n}"
                );
            }
            let _ = writeln!(out, "ykc_forward_latency_seconds_bucket{{sink=\"{sink}\",le=\"+Inf\"}} {}\nykc_forward_latency_seconds_sum{{sink=\"{sink}\"}} {}\nykc_forward_latency_seconds_count{{sink=\"{sink}\"}} {}", f.latency_count, f.latency_sum_seconds, f.latency_count);
        }
        out
    }
}

/// A per-sink metric: name, Prometheus type, help, and how to read it off an outbox.
type PerSink = (
    &'static str,
    &'static str,
    &'static str,
    fn(&super::outbox::OutboxStats) -> f64,
);

/// The journal's and the outboxes' lines of `/metrics`, appended to `out`.
pub fn render_journal(
    out: &mut String,
    journal: Option<&crate::journal::JournalStats>,
    outboxes: &[super::outbox::OutboxStats],
) {
    use std::fmt::Write as _;
    if let Some(j) = journal {
        for (name, kind, help, v) in [
            (
                "journal_rows_total",
                "counter",
                "Rows committed to the journal.",
                j.committed.load(Relaxed),
            ),
            (
                "journal_commits_total",
                "counter",
                "Journal transactions committed (group commits).",
                j.batches.load(Relaxed),
            ),
            (
                "journal_commit_failures_total",
                "counter",
                "Journal transactions that failed (a full disk, an I/O error).",
                j.failed_batches.load(Relaxed),
            ),
            (
                "journal_dropped_total",
                "counter",
                "Rows not journaled after repeated failures (never a confirmed record).",
                j.dropped.load(Relaxed),
            ),
            (
                "journal_pruned_total",
                "counter",
                "Rows removed by retention.",
                j.pruned.load(Relaxed),
            ),
            (
                "journal_failing",
                "gauge",
                "1 while journal commits fail: transaction records are not confirmed.",
                u64::from(j.failing.load(Relaxed)),
            ),
            (
                "journal_last_id",
                "gauge",
                "Id of the last committed row.",
                j.last_id.load(Relaxed),
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP ykc_{name} {help}\n# TYPE ykc_{name} {kind}\nykc_{name} {v}"
            );
        }
    }
    if outboxes.is_empty() {
        return;
    }
    let per_sink: [PerSink; 5] = [
        (
            "outbox_backlog",
            "gauge",
            "Journal rows not yet delivered to the sink.",
            |o| o.backlog as f64,
        ),
        (
            "outbox_backlog_age_seconds",
            "gauge",
            "Age of the oldest undelivered row read by the outbox.",
            |o| o.backlog_age_seconds,
        ),
        (
            "outbox_delivered_total",
            "counter",
            "Journal rows delivered to the sink.",
            |o| o.forward.delivered as f64,
        ),
        (
            "outbox_cursor",
            "gauge",
            "Everything at or below this journal id is delivered.",
            |o| o.cursor as f64,
        ),
        (
            "outbox_skipped_total",
            "counter",
            "Journal rows that could not be decoded for forwarding.",
            |o| o.skipped as f64,
        ),
    ];
    for (name, kind, help, value) in per_sink {
        let _ = writeln!(out, "# HELP ykc_{name} {help}\n# TYPE ykc_{name} {kind}");
        for o in outboxes {
            let _ = writeln!(out, "ykc_{name}{{sink=\"{}\"}} {}", o.sink, value(o));
        }
    }
}
