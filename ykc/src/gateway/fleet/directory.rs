//! The fleet's directory as one node sees it: which node holds each pile, and which nodes are
//! alive. Pure state, fed by the two key-value watchers and asked by REST and logins; no I/O.
//!
//! JetStream removes entries past the bucket's `max_age` without telling watchers (nats-server
//! 2.9 writes no delete marker for them), so freshness is judged here from each entry's time:
//! an entry older than the bucket's age is gone, and a pile whose node stopped renewing its own
//! entry is not reachable there (its node died; the pile will log in elsewhere).

use crate::Bcd;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where a pile is held: what a presence entry in the key-value bucket says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    /// The node (gateway) that holds the pile's connection.
    pub node: String,
    /// That node's connection id.
    pub connection_id: u64,
    /// When the pile logged in there (RFC 3339).
    pub since: String,
    /// The pile's address as that node sees it.
    pub remote_addr: String,
}

/// One pile's entry, compact and without heap allocations of its own: every node holds the
/// whole fleet's. The code is the key, as its 7 BCD bytes; the login time and the address are
/// kept parsed, and written out again as the gateway wrote them (milliseconds, `ip:port`).
#[derive(Debug, Clone)]
struct Held {
    node: Arc<str>,
    connection_id: u64,
    since_ms: u64,
    remote_addr: Option<SocketAddr>,
    written: SystemTime,
}

/// Pile code → holder, and node → last sign of life.
#[derive(Debug)]
pub struct Directory {
    piles: BTreeMap<[u8; 7], Held>,
    nodes: HashMap<Arc<str>, SystemTime>,
    /// How long a pile entry stays without renewal (the bucket's `max_age`).
    pile_ttl: Duration,
    /// How long a node counts as alive after its last renewal.
    node_ttl: Duration,
}

impl Directory {
    /// An empty directory with the buckets' ages.
    pub fn new(pile_ttl: Duration, node_ttl: Duration) -> Directory {
        Directory {
            piles: BTreeMap::new(),
            nodes: HashMap::new(),
            pile_ttl,
            node_ttl,
        }
    }

    /// A pile entry was written (`Some`, at `written`) or deleted (`None`). A key that is not
    /// a pile code (the gateway writes none) is ignored.
    pub fn pile(&mut self, pile: &str, update: Option<(Presence, SystemTime)>) {
        let Some(key) = code(pile) else {
            return;
        };
        let Some((p, written)) = update else {
            self.piles.remove(&key);
            return;
        };
        let node = self.intern(&p.node);
        let since_ms = humantime::parse_rfc3339_weak(&p.since)
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_millis() as u64);
        let held = Held {
            node,
            connection_id: p.connection_id,
            since_ms,
            remote_addr: p.remote_addr.parse().ok(),
            written,
        };
        self.piles.insert(key, held);
    }

    /// A node renewed its liveness entry at `at` (`None`: it left).
    pub fn node(&mut self, node: &str, at: Option<SystemTime>) {
        match at {
            Some(at) => {
                let node = self.intern(node);
                self.nodes.insert(node, at);
            }
            None => {
                self.nodes.remove(node);
            }
        }
    }

    /// The one `Arc<str>` of a node name, shared by all its piles' entries.
    fn intern(&self, node: &str) -> Arc<str> {
        match self.nodes.get_key_value(node) {
            Some((k, _)) => k.clone(),
            None => Arc::from(node),
        }
    }

    /// Whether `node` renewed its liveness entry within the node age.
    pub fn node_alive(&self, node: &str, now: SystemTime) -> bool {
        self.nodes
            .get(node)
            .is_some_and(|at| fresh(*at, self.node_ttl, now))
    }

    /// The living nodes, sorted.
    pub fn nodes(&self, now: SystemTime) -> Vec<String> {
        let mut out: Vec<String> = self
            .nodes
            .iter()
            .filter(|(_, at)| fresh(**at, self.node_ttl, now))
            .map(|(n, _)| n.to_string())
            .collect();
        out.sort();
        out
    }

    /// Who holds `pile` now: a fresh entry on a living node.
    pub fn lookup(&self, pile: &str, now: SystemTime) -> Option<Presence> {
        let held = self.piles.get(&code(pile)?)?;
        self.reachable(held, now).then(|| presence(held))
    }

    fn reachable(&self, held: &Held, now: SystemTime) -> bool {
        fresh(held.written, self.pile_ttl, now) && self.node_alive(&held.node, now)
    }

    /// Up to `limit` reachable piles in code order after `after`, and whether more follow.
    pub fn page(
        &self,
        after: Option<&str>,
        limit: usize,
        now: SystemTime,
    ) -> (Vec<(String, Presence)>, bool) {
        use std::ops::Bound::{Excluded, Unbounded};
        // A cursor that is not a code (never one `next` gave) is compared as text.
        let start = after.and_then(code).map_or(Unbounded, Excluded);
        let mut live = self
            .piles
            .range((start, Unbounded))
            .filter(|(k, _)| after.is_none_or(|a| text(k).as_str() > a))
            .filter(|(_, h)| self.reachable(h, now));
        let page: Vec<_> = live
            .by_ref()
            .take(limit)
            .map(|(k, h)| (text(k), presence(h)))
            .collect();
        (page, live.next().is_some())
    }

    /// Reachable piles whose code, node or address contains `needle`: how many there are in
    /// all, how many match, and the first `limit` of those in code order (the console's search).
    pub fn search(
        &self,
        needle: &str,
        limit: usize,
        now: SystemTime,
    ) -> (usize, usize, Vec<(String, Presence)>) {
        let (mut online, mut matched, mut page) = (0, 0, Vec::new());
        for (key, h) in self.piles.iter().filter(|(_, h)| self.reachable(h, now)) {
            online += 1;
            let hit = needle.is_empty()
                || text(key).contains(needle)
                || h.node.contains(needle)
                || h.remote_addr
                    .is_some_and(|a| a.to_string().contains(needle));
            if !hit {
                continue;
            }
            matched += 1;
            if page.len() < limit {
                page.push((text(key), presence(h)));
            }
        }
        (online, matched, page)
    }

    /// Forgets entries past their age (the bucket dropped them already).
    pub fn prune(&mut self, now: SystemTime) {
        let ttl = self.pile_ttl;
        self.piles.retain(|_, h| fresh(h.written, ttl, now));
        let ttl = self.node_ttl.saturating_mul(10);
        self.nodes.retain(|_, at| fresh(*at, ttl, now));
    }

    /// Pile entries held, fresh or not (until the next prune).
    pub fn len(&self) -> usize {
        self.piles.len()
    }

    /// No pile entries held.
    pub fn is_empty(&self) -> bool {
        self.piles.is_empty()
    }
}

fn presence(h: &Held) -> Presence {
    let since = UNIX_EPOCH + Duration::from_millis(h.since_ms);
    Presence {
        node: h.node.to_string(),
        connection_id: h.connection_id,
        since: crate::gateway::forward::rfc3339(since),
        remote_addr: h.remote_addr.map(|a| a.to_string()).unwrap_or_default(),
    }
}

/// A pile code's 7 BCD bytes (14 digits; hex digits too, as odd codes are printed).
fn code(pile: &str) -> Option<[u8; 7]> {
    if pile.len() != 14 {
        return None;
    }
    Bcd::<7>::from_digits(pile).ok().map(|b| b.0)
}

/// A key as the gateway writes pile codes.
fn text(key: &[u8; 7]) -> String {
    Bcd(*key).to_string()
}

/// Written within `ttl` of `now` (a time ahead of `now`, another clock's, counts as fresh).
fn fresh(written: SystemTime, ttl: Duration, now: SystemTime) -> bool {
    now.duration_since(written).map_or(true, |age| age < ttl)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 + s)
    }

    fn on(node: &str, conn: u64) -> Presence {
        Presence {
            node: node.into(),
            connection_id: conn,
            since: "2026-12-02T00:00:00.000Z".into(),
            remote_addr: "127.0.0.1:5000".into(),
        }
    }

    fn dir() -> Directory {
        Directory::new(Duration::from_secs(90), Duration::from_secs(6))
    }

    #[test]
    fn a_pile_is_found_on_a_living_node_only() {
        let mut d = dir();
        d.node("c", Some(at(0)));
        d.pile("32010200000001", Some((on("c", 7), at(0))));
        assert_eq!(d.lookup("32010200000001", at(5)), Some(on("c", 7)));
        assert_eq!(d.lookup("32010200000002", at(5)), None);
        // Node c stops renewing (killed): its piles are not reachable there any more.
        assert_eq!(d.lookup("32010200000001", at(7)), None);
        // The pile logs in on b: found there.
        d.node("b", Some(at(8)));
        d.pile("32010200000001", Some((on("b", 3), at(8))));
        assert_eq!(d.lookup("32010200000001", at(9)), Some(on("b", 3)));
        assert_eq!(d.nodes(at(9)), vec!["b".to_string()]);
    }

    #[test]
    fn entries_age_out_and_deletes_count() {
        let mut d = dir();
        d.pile("32010200000001", Some((on("a", 1), at(0))));
        d.pile("32010200000002", Some((on("a", 2), at(50))));
        d.node("a", Some(at(95)));
        assert_eq!(d.lookup("32010200000001", at(95)), None, "older than 90 s");
        assert!(d.lookup("32010200000002", at(95)).is_some());
        d.pile("32010200000002", None);
        assert_eq!(d.lookup("32010200000002", at(95)), None);
        d.prune(at(95));
        assert!(d.is_empty());
    }

    #[test]
    fn pages_follow_code_order() {
        let mut d = dir();
        d.node("a", Some(at(0)));
        for i in 1..=5 {
            d.pile(&format!("3201020000000{i}"), Some((on("a", i), at(0))));
        }
        let (p, more) = d.page(None, 2, at(1));
        let codes: Vec<_> = p.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(codes, ["32010200000001", "32010200000002"]);
        assert!(more);
        let (p, more) = d.page(Some("32010200000004"), 2, at(1));
        assert_eq!(p.len(), 1);
        assert!(!more);
        let (online, matched, page) = d.search("0000000", 1, at(1));
        assert_eq!((online, matched, page.len()), (5, 5, 1));
        assert_eq!(d.search("05", 9, at(1)).1, 1);
        assert_eq!(d.search("", 9, at(100)).0, 0, "aged out");
    }
}
