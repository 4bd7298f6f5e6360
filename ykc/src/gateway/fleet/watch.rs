//! Following the presence buckets into the [`Directory`](super::Directory), with a bounded
//! recovery when the watch's consumer dies with its NATS node.
//!
//! A key-value watch is an ordered push consumer with one replica, in memory, on one NATS
//! node. When that node is killed, async-nats notices late: a client connected elsewhere waits
//! for two missed idle heartbeats (10 s) before it reports the watch broken, and a client that
//! reconnects remakes the consumer itself with a back-off that reaches 10 s between attempts
//! while JetStream elects new leaders — recovery took from 50 ms to over 20 s. So every watch
//! is checked here against its bucket: when the bucket holds a revision the watch has not
//! delivered and the watch stays silent for [`WATCH_STALL`], it is dropped and made again from
//! the last revision applied (only the changes since; a fresh start reads every key). The node
//! bucket's watch, which sees every node's renewal every 2 s, is made again as soon as it is
//! silent for [`NODES_SILENCE`], without waiting for the bucket to answer: its stream may
//! itself be electing a leader, and the watch must be back as soon as that is done (a node
//! whose renewals are not seen for 6 s counts as dead).

use super::{pause, Fleet};
use async_nats::jetstream::kv;
use futures::future::BoxFuture;
use futures::StreamExt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// How often a watch is compared with its bucket's last revision.
const WATCH_CHECK: Duration = Duration::from_secs(1);
/// A watch behind its bucket that delivered nothing for this long is dead (a living one
/// delivers within milliseconds; the node bucket alone is written every 2 s by every node).
const WATCH_STALL: Duration = Duration::from_secs(2);
/// The node bucket's watch silent this long is dead (every node renews every 2 s).
const NODES_SILENCE: Duration = super::NODE_RENEW.saturating_mul(2);
/// Bound of one attempt to watch (at most the fleet's `timeout`). A consumer is made within
/// milliseconds; while JetStream recovers from a lost node, requests to make one often get no
/// answer at all (seen: several in a row, for up to 7 s), and a new attempt is what succeeds.
const WATCH_OPEN: Duration = Duration::from_secs(1);
/// Pause before watching again after a failed attempt (JetStream may be electing leaders).
const WATCH_RETRY: Duration = Duration::from_millis(250);

/// Why following a watch stopped.
enum Ended {
    Shutdown,
    /// Watch again (from the last revision applied, or from scratch when that is 0).
    Again(String),
}

impl Fleet {
    /// Follows one bucket into the directory until `shutdown`; a broken or stalled watch is
    /// made again.
    pub(super) async fn watch(self: Arc<Self>, piles: bool, shutdown: CancellationToken) {
        let store = if piles { &self.piles } else { &self.nodes };
        let bound = WATCH_OPEN.min(self.config.timeout);
        let mut cursor = Cursor::default();
        loop {
            let watch = match tokio::time::timeout(bound, open(store, cursor.seen)).await {
                Ok(Ok(w)) => w,
                failed => {
                    let error = match failed {
                        Ok(Err(e)) => e.to_string(),
                        _ => format!("no answer within {bound:?}"),
                    };
                    warn!(bucket = store.name, error, "fleet: cannot watch; retrying");
                    if pause(&shutdown, WATCH_RETRY).await {
                        continue;
                    }
                    return;
                }
            };
            if cursor.seen > 0 {
                info!(
                    bucket = store.name,
                    after = cursor.seen,
                    "fleet: watching again"
                );
            }
            match self.follow(piles, watch, &mut cursor, &shutdown).await {
                Ended::Shutdown => return,
                Ended::Again(why) => warn!(bucket = store.name, why, "fleet: watching again"),
            }
        }
    }

    /// Applies `watch`'s entries, checking every [`WATCH_CHECK`] that it keeps up with its
    /// bucket; `cursor` follows the last revision applied.
    async fn follow(
        &self,
        piles: bool,
        mut watch: kv::Watch,
        cursor: &mut Cursor,
        shutdown: &CancellationToken,
    ) -> Ended {
        let store = if piles { &self.piles } else { &self.nodes };
        let mut tick = tokio::time::interval(WATCH_CHECK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut check: Option<BoxFuture<'static, Option<Last>>> = None;
        let mut live = Liveness::new(Instant::now());
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return Ended::Shutdown,
                e = watch.next() => match e {
                    Some(Ok(e)) => {
                        cursor.seen = cursor.seen.max(e.revision);
                        live.entry(Instant::now());
                        self.apply(piles, e);
                    }
                    Some(Err(e)) => return Ended::Again(e.to_string()),
                    None => return Ended::Again("the watch ended".into()),
                },
                _ = tick.tick() => {
                    if !piles && live.silent(Instant::now(), NODES_SILENCE) {
                        return Ended::Again(format!("no renewal for {NODES_SILENCE:?}"));
                    }
                    if check.is_none() {
                        let bound = WATCH_CHECK.min(self.config.timeout);
                        check = Some(last_revision(store.clone(), bound));
                    }
                }
                last = async { check.as_mut().expect("polled only when set").await },
                    if check.is_some() =>
                {
                    check = None;
                    // No answer (JetStream electing a leader, say): nothing to compare.
                    let Some(last) = last else { continue };
                    if cursor.created.replace(last.created).is_some_and(|c| c != last.created) {
                        // The bucket was made anew: its revisions start again.
                        cursor.seen = 0;
                        return Ended::Again("the bucket was recreated".into());
                    }
                    let seen = cursor.seen;
                    let behind = last.entries > 0 && last.revision > seen;
                    if live.stalled(behind, Instant::now()) {
                        let why = format!("silent at revision {seen}, bucket at {}", last.revision);
                        return Ended::Again(why);
                    }
                }
            }
        }
    }

    /// Applies one entry to the directory (a later value of a key replaces the one held, so
    /// entries seen twice after a new watch do no harm).
    fn apply(&self, piles: bool, e: kv::Entry) {
        let written = SystemTime::from(e.created);
        let put = e.operation == kv::Operation::Put;
        let mut d = self.write();
        if !piles {
            d.node(&e.key, put.then_some(written));
            return;
        }
        let update = match put.then(|| serde_json::from_slice::<super::Presence>(&e.value)) {
            None => None,
            Some(Ok(p)) => Some((p, written)),
            Some(Err(err)) => {
                warn!(pile = e.key, error = %err, "fleet: unreadable presence entry; ignored");
                return;
            }
        };
        d.pile(&e.key, update);
    }
}

/// A watch of every key: after revision `seen`, or every key's current value first when
/// `seen` is 0. The buckets keep one value per key, so the revisions after `seen` are exactly
/// the changes since (deletes included); entries that aged out meanwhile the directory prunes.
async fn open(store: &kv::Store, seen: u64) -> Result<kv::Watch, kv::WatchError> {
    if seen == 0 {
        store.watch_with_history(">").await
    } else {
        store.watch_from_revision(">", seen + 1).await
    }
}

/// Where a bucket's watch is.
#[derive(Debug, Default)]
struct Cursor {
    /// The last revision applied: a new watch starts after it (0: from every key's value).
    seen: u64,
    /// When the bucket's stream was created (unix ns), once known: another time is another
    /// bucket, whose revisions start again.
    created: Option<i128>,
}

/// A bucket's last revision, how many entries it holds, and its stream's creation (unix ns).
struct Last {
    revision: u64,
    entries: u64,
    created: i128,
}

/// Asks the bucket's stream for its last revision; `None` without an answer within `timeout`.
fn last_revision(store: kv::Store, timeout: Duration) -> BoxFuture<'static, Option<Last>> {
    Box::pin(async move {
        match tokio::time::timeout(timeout, store.stream.get_info()).await {
            Ok(Ok(info)) => Some(Last {
                revision: info.state.last_sequence,
                entries: info.state.messages,
                created: info.created.unix_timestamp_nanos(),
            }),
            Ok(Err(e)) => {
                debug!(bucket = store.name, error = %e, "fleet: bucket state unknown");
                None
            }
            Err(_) => None,
        }
    })
}

/// Whether a watch is alive, judged from what it delivers and from its bucket's state.
#[derive(Debug)]
struct Liveness {
    /// When the watch was first found behind its bucket, since it last caught up.
    behind_since: Option<Instant>,
    /// When the watch last delivered an entry (or started).
    last_entry: Instant,
}

impl Liveness {
    fn new(now: Instant) -> Liveness {
        Liveness {
            behind_since: None,
            last_entry: now,
        }
    }

    fn entry(&mut self, now: Instant) {
        self.last_entry = now;
    }

    /// Nothing delivered for `limit` (since the watch started, or its last entry).
    fn silent(&self, now: Instant, limit: Duration) -> bool {
        now.duration_since(self.last_entry) >= limit
    }

    /// The bucket holds a revision not delivered yet (`behind`): dead when that has lasted
    /// [`WATCH_STALL`] and nothing came for as long (a long replay keeps delivering).
    fn stalled(&mut self, behind: bool, now: Instant) -> bool {
        if !behind {
            self.behind_since = None;
            return false;
        }
        let since = *self.behind_since.get_or_insert(now);
        now.duration_since(since) >= WATCH_STALL
            && now.duration_since(self.last_entry) >= WATCH_STALL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watch_behind_and_silent_is_dead() {
        let t0 = Instant::now();
        let s = |n: u64| t0 + Duration::from_secs(n);
        let mut live = Liveness::new(t0);
        assert!(
            !live.stalled(false, s(10)),
            "caught up: alive however long silent"
        );
        assert!(!live.stalled(true, s(11)), "just found behind");
        assert!(!live.stalled(true, s(12)));
        assert!(live.stalled(true, s(13)), "behind for 2 s, silent for 13 s");
        // Behind but delivering (a long replay): alive.
        let mut live = Liveness::new(t0);
        for i in 1..10 {
            live.entry(s(i));
            assert!(!live.stalled(true, s(i)));
        }
        assert!(!live.stalled(true, s(10)));
        assert!(live.stalled(true, s(11)), "nothing since 9 s");
        // Catching up clears the suspicion.
        assert!(!live.stalled(false, s(13)));
        assert!(!live.stalled(true, s(14)));
        assert!(live.silent(s(13), Duration::from_secs(4)));
        live.entry(s(13));
        assert!(!live.silent(s(16), Duration::from_secs(4)));
    }
}
