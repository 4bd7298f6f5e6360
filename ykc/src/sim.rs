//! `ykc sim`: simulated charging piles — and the load generator of `ykc serve`.
//!
//! [`run`] starts `--piles` piles, one tokio task and one TCP connection each, against a
//! platform on this machine (loopback only), for a bounded `--duration`. Each pile logs in
//! (0x01 → 0x02), verifies its billing model (0x05 → 0x06, on "inconsistent" 0x09 → 0x0A),
//! then sends heartbeats (0x03) and real-time data (0x13) on their intervals, and answers
//! the platform like a real pile: every platform → pile request gets the spec's default
//! answer ([`ykc::answer::answer`], sequence bytes echoed), and a charging state machine
//! drives 0x34 → 0x33 → charging 0x13 stream, 0x36 → 0x35 → 0x19 → 0x3B (resent until 0x40).
//!
//! The time from each request that has a reply (0x01, 0x03, 0x05, 0x09, 0x3B …) to its
//! reply (matched by reply code and sequence bytes) goes into a latency histogram; a progress
//! line goes to stderr every `--progress-interval`, and [`run`] returns a [`Summary`].

mod args;
mod clock;
mod pile;
mod ports;
mod stats;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::task::JoinSet;
use tokio::time::{timeout_at, Instant};
use tokio_util::sync::CancellationToken;

pub use self::args::{
    parse_duration, parse_pile_code, parse_target, SimArgs, MAX_DURATION, MAX_GUNS, MAX_PILES,
};
pub use self::stats::Histogram;

use self::pile::{Pile, Plan, GRACE};
use self::stats::Stats;

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The target is not a loopback address.
    #[error("refusing target {0}: ykc sim only connects to loopback addresses (127.0.0.0/8, [::1], localhost)")]
    NotLoopback(String),
    /// An option is out of its bounds.
    #[error("invalid option: {0}")]
    InvalidArgs(String),
}

/// What a run did, for people ([`fmt::Display`]) and machines (JSON via `serde`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Piles simulated.
    pub piles: u32,
    /// TCP connects that succeeded (reconnects included).
    pub connections_ok: u64,
    /// TCP connects that failed or timed out.
    pub connections_failed: u64,
    /// Logins the platform accepted (0x02 success).
    pub logins_ok: u64,
    /// Frames written by the piles.
    pub frames_sent: u64,
    /// Frames received by the piles (verified CRC).
    pub frames_received: u64,
    /// (frames_sent + frames_received) / duration_s.
    pub frames_per_sec: f64,
    /// Replies matched to their request (the latency samples).
    pub replies: u64,
    /// Median request → reply time, ms.
    pub reply_latency_p50_ms: f64,
    /// 99th percentile request → reply time, ms.
    pub reply_latency_p99_ms: f64,
    /// Longest request → reply time, ms.
    pub reply_latency_max_ms: f64,
    /// Counted problems and notable events by kind (reply timeouts, lost connections,
    /// resent transaction records, dropped bytes …).
    pub errors: BTreeMap<String, u64>,
    /// Wall time of the run, s (from start until every pile closed).
    pub duration_s: f64,
    /// Serials of the transaction records the platform confirmed, with `--list-confirmed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmed_serials: Option<Vec<String>>,
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

impl Summary {
    fn from_stats(piles: u32, s: &Stats, elapsed: Duration) -> Summary {
        let secs = elapsed.as_secs_f64();
        let sent = s.frames_sent.load(Relaxed);
        let received = s.frames_received.load(Relaxed);
        Summary {
            piles,
            connections_ok: s.connections_ok.load(Relaxed),
            connections_failed: s.connections_failed.load(Relaxed),
            logins_ok: s.logins_ok.load(Relaxed),
            frames_sent: sent,
            frames_received: received,
            frames_per_sec: if secs > 0.0 {
                (sent + received) as f64 / secs
            } else {
                0.0
            },
            replies: s.latency_us.count(),
            reply_latency_p50_ms: ms(s.latency_us.quantile(0.50)),
            reply_latency_p99_ms: ms(s.latency_us.quantile(0.99)),
            reply_latency_max_ms: ms(s.latency_us.max()),
            errors: s.errors(),
            duration_s: secs,
            confirmed_serials: None,
        }
    }

    /// The summary as text (`json` = false) or pretty JSON.
    pub fn render(&self, json: bool) -> String {
        if json {
            serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
        } else {
            self.to_string()
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "ykc sim: {} piles, {:.1} s", self.piles, self.duration_s)?;
        writeln!(
            f,
            "  connections  {} ok, {} failed; logins {} ok",
            self.connections_ok, self.connections_failed, self.logins_ok
        )?;
        writeln!(
            f,
            "  frames       {} sent, {} received, {:.1} frames/s",
            self.frames_sent, self.frames_received, self.frames_per_sec
        )?;
        writeln!(
            f,
            "  replies      {}, latency p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            self.replies,
            self.reply_latency_p50_ms,
            self.reply_latency_p99_ms,
            self.reply_latency_max_ms
        )?;
        if self.errors.is_empty() {
            write!(f, "  errors       none")
        } else {
            let list: Vec<String> = self
                .errors
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            write!(f, "  errors       {}", list.join(", "))
        }
    }
}

/// Runs the simulation to its end and returns what happened.
///
/// Fails only on options out of bounds (a non-loopback target first of all); connection
/// problems are counted in [`Summary::errors`]. Returns within `duration` + 4 s: after the
/// deadline each pile flushes, closes its side and counts the platform's last replies for up
/// to a second; any pile still running then is aborted (counted as `pile_task_aborted`).
pub async fn run(args: SimArgs) -> Result<Summary, SimError> {
    run_until(args, std::future::pending::<()>()).await
}

/// [`run`], ending early — as at the deadline: every pile flushes, closes and counts the
/// platform's last replies — once `shutdown` completes (e.g. `tokio::signal::ctrl_c()`).
pub async fn run_until<F>(args: SimArgs, shutdown: F) -> Result<Summary, SimError>
where
    F: Future + Send + 'static,
{
    args.validate()?;
    let start = Instant::now();
    let deadline = start + args.duration;
    let piles = args.piles;
    let progress_every = args.progress_interval;
    // A pile's last steps after the deadline (flush, shutdown, drain) take at most 3 × GRACE.
    let hard_stop = deadline + 3 * GRACE + Duration::from_secs(1);
    let stats = Arc::new(Stats::default());
    let stop = CancellationToken::new();
    let seed = args.pile_code_base ^ u64::from(std::process::id()) << 48;
    let plan = Arc::new(Plan {
        ports: ports::SourcePorts::new(seed),
        crc: args.crc_order,
        args,
        start,
        deadline,
        stop: stop.clone(),
    });
    let stopper = {
        let stop = stop.clone();
        tokio::spawn(async move {
            shutdown.await;
            tracing::info!("ykc sim stopping early");
            stop.cancel();
        })
    };
    tracing::info!(piles, targets = ?plan.args.targets, "ykc sim starting");

    let mut tasks = JoinSet::new();
    for i in 0..piles {
        tasks.spawn(Pile::new(i, Arc::clone(&plan), Arc::clone(&stats)).run());
    }
    let progress = (!progress_every.is_zero()).then(|| {
        let lines = progress_lines(Arc::clone(&stats), start, deadline, progress_every, piles);
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = lines => {}
                () = stop.cancelled() => {}
            }
        })
    });

    loop {
        match timeout_at(hard_stop, tasks.join_next()).await {
            Ok(Some(Ok(()))) => {}
            Ok(Some(Err(e))) => {
                tracing::warn!(error = %e, "pile task failed");
                stats.error("pile_task_failed");
            }
            Ok(None) => break,
            Err(_) => {
                stats.errors_add("pile_task_aborted", tasks.len() as u64);
                tasks.abort_all();
                break;
            }
        }
    }
    if let Some(p) = progress {
        p.abort();
    }
    stopper.abort();
    let mut summary = Summary::from_stats(piles, &stats, start.elapsed());
    if plan.args.list_confirmed {
        summary.confirmed_serials = Some(stats.confirmed_serials());
    }
    Ok(summary)
}

/// One progress line on stderr every `every` until the deadline.
async fn progress_lines(
    stats: Arc<Stats>,
    start: Instant,
    deadline: Instant,
    every: Duration,
    piles: u32,
) {
    let mut tick = tokio::time::interval_at(start + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (mut last_sent, mut last_recv, mut last_at) = (0u64, 0u64, start);
    let max_lines = (deadline - start).as_nanos() / every.as_nanos().max(1) + 1;
    for _ in 0..max_lines {
        let now = tick.tick().await;
        if now > deadline {
            break;
        }
        let (sent, recv) = (
            stats.frames_sent.load(Relaxed),
            stats.frames_received.load(Relaxed),
        );
        let dt = now
            .saturating_duration_since(last_at)
            .as_secs_f64()
            .max(1e-9);
        eprintln!(
            "[{:6.1}s] piles {}/{} online ({} connected), sent {:.0}/s, recv {:.0}/s, replies {}, p50 {:.3} ms, p99 {:.3} ms, errors {}",
            now.saturating_duration_since(start).as_secs_f64(),
            stats.online.load(Relaxed),
            piles,
            stats.connected.load(Relaxed),
            (sent - last_sent) as f64 / dt,
            (recv - last_recv) as f64 / dt,
            stats.latency_us.count(),
            ms(stats.latency_us.quantile(0.5)),
            ms(stats.latency_us.quantile(0.99)),
            stats.error_total(),
        );
        (last_sent, last_recv, last_at) = (sent, recv, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_non_loopback() {
        let mut a = SimArgs::try_parse_from(["sim", "--duration", "1s"]).unwrap();
        a.targets = vec!["192.0.2.1:27600".parse().unwrap()];
        let e = run(a).await.unwrap_err();
        assert!(matches!(e, SimError::NotLoopback(_)));
        assert!(e.to_string().contains("loopback"), "{e}");
    }

    #[test]
    fn summary_renders() {
        let s = Summary::from_stats(2, &Stats::default(), Duration::from_secs(2));
        let text = s.to_string();
        assert!(
            text.contains("2 piles") && text.contains("errors       none"),
            "{text}"
        );
        let v: serde_json::Value = serde_json::from_str(&s.render(true)).unwrap();
        assert_eq!(v["piles"], 2);
        assert_eq!(v["reply_latency_p99_ms"], 0.0);
        assert!(
            v.get("confirmed_serials").is_none(),
            "listed only with --list-confirmed"
        );
    }
}
