//! The fleet's directory as one node sees it: which node holds each pile, and which nodes are
//! alive. Pure state, fed by the two key-value watchers and asked by REST and logins; no I/O.
//!
//! JetStream removes entries past the bucket's `max_age` without telling watchers (nats-server
//! 2.9 writes no delete marker for them), so freshness is judged here from each entry's time:
//! an entry older than the bucket's age is gone, and a pile whose node stopped renewing its own
//! entry is not reachable there (its node died; the pile will log in elsewhere).

use crate::Bcd;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
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

/// One pile's entry, 40 bytes without heap allocations of its own: every node holds the
/// whole fleet's (100,000 piles). The code is the key, as its 7 BCD bytes; the node is an index
/// into the directory's node names; the times and the address are kept parsed and written out
/// again as the gateway wrote them (milliseconds, `ip:port`).
#[derive(Debug, Clone)]
struct Held {
    connection_id: u64,
    since_ms: u64,
    /// When the entry was written, in seconds (freshness is judged in seconds).
    written_s: u32,
    addr: Addr,
    node: u16,
}

/// A pile's address: an IPv4 one inline, anything else (IPv6, or text that is not an address)
/// boxed, as rare.
#[derive(Debug, Clone)]
enum Addr {
    V4([u8; 4], u16),
    /// A thin pointer: the common case stays 16 bytes.
    Other(Arc<String>),
}

impl Addr {
    fn parse(text: &str) -> Addr {
        match text.parse::<SocketAddr>() {
            Ok(SocketAddr::V4(a)) => Addr::V4(a.ip().octets(), a.port()),
            _ => Addr::Other(Arc::new(text.to_owned())),
        }
    }

    fn text(&self) -> String {
        match self {
            Addr::V4(ip, port) => SocketAddr::from((*ip, *port)).to_string(),
            Addr::Other(text) => text.to_string(),
        }
    }
}

/// Pile code → holder, and node → last sign of life.
#[derive(Debug)]
pub struct Directory {
    /// A hash map rather than a B-tree: 100,000 entries take 8.5 MB here and about twice that
    /// in a B-tree filled in code order (half-full leaves); pages are sorted when asked for.
    piles: HashMap<[u8; 7], Held>,
    nodes: HashMap<Arc<str>, SystemTime>,
    /// Every node name seen, by [`Held::node`] (never shrinks: a fleet names few nodes).
    names: Vec<Arc<str>>,
    ids: HashMap<Arc<str>, u16>,
    /// How long a pile entry stays without renewal (the bucket's `max_age`).
    pile_ttl: Duration,
    /// How long a node counts as alive after its last renewal.
    node_ttl: Duration,
}

impl Directory {
    /// An empty directory with the buckets' ages.
    pub fn new(pile_ttl: Duration, node_ttl: Duration) -> Directory {
        Directory {
            piles: HashMap::new(),
            nodes: HashMap::new(),
            names: Vec::new(),
            ids: HashMap::new(),
            pile_ttl,
            node_ttl,
        }
    }

    /// A pile entry was written (`Some`, at `written`) or deleted (`None`). A key that is not
    /// a pile code (the gateway writes none), or a node beyond the 65,536th, is ignored.
    pub fn pile(&mut self, pile: &str, update: Option<(Presence, SystemTime)>) {
        let Some(key) = code(pile) else {
            return;
        };
        let Some((p, written)) = update else {
            self.piles.remove(&key);
            return;
        };
        let Some(node) = self.intern(&p.node) else {
            return;
        };
        let since_ms = humantime::parse_rfc3339_weak(&p.since).map_or(0, ms);
        let held = Held {
            node,
            connection_id: p.connection_id,
            since_ms,
            written_s: u32::try_from(ms(written) / 1000).unwrap_or(u32::MAX),
            addr: Addr::parse(&p.remote_addr),
        };
        self.piles.insert(key, held);
    }

    /// A node renewed its liveness entry at `at` (`None`: it left).
    pub fn node(&mut self, node: &str, at: Option<SystemTime>) {
        match at {
            Some(at) => {
                let name = self.ids.get_key_value(node).map(|(k, _)| k.clone());
                self.nodes.insert(name.unwrap_or_else(|| node.into()), at);
            }
            None => {
                self.nodes.remove(node);
            }
        }
    }

    /// The index of a node name, added when new (`None` past `u16::MAX` names).
    fn intern(&mut self, node: &str) -> Option<u16> {
        if let Some(id) = self.ids.get(node) {
            return Some(*id);
        }
        let id = u16::try_from(self.names.len()).ok()?;
        let name: Arc<str> = node.into();
        self.names.push(name.clone());
        self.ids.insert(name, id);
        Some(id)
    }

    fn name(&self, h: &Held) -> &str {
        self.names.get(usize::from(h.node)).map_or("", |n| n)
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
        self.reachable(held, now).then(|| self.presence(held))
    }

    fn reachable(&self, held: &Held, now: SystemTime) -> bool {
        fresh(at(u64::from(held.written_s) * 1000), self.pile_ttl, now)
            && self.node_alive(self.name(held), now)
    }

    /// Up to `limit` reachable piles in code order after `after`, and whether more follow.
    pub fn page(
        &self,
        after: Option<&str>,
        limit: usize,
        now: SystemTime,
    ) -> (Vec<(String, Presence)>, bool) {
        // A cursor that is not a code (never one `next` gave) is compared as text.
        let cursor = after.map(|a| code(a).ok_or(a));
        let keys = self
            .piles
            .iter()
            .filter(|(k, h)| {
                let past = match cursor {
                    None => true,
                    Some(Ok(c)) => **k > c,
                    Some(Err(a)) => text(k).as_str() > a,
                };
                past && self.reachable(h, now)
            })
            .map(|(k, _)| k)
            .collect();
        let (keys, more) = first(keys, limit);
        (self.entries(keys), more)
    }

    /// Reachable piles whose code, node or address contains `needle`: how many there are in
    /// all, how many match, and the first `limit` of those in code order (the console's search).
    pub fn search(
        &self,
        needle: &str,
        limit: usize,
        now: SystemTime,
    ) -> (usize, usize, Vec<(String, Presence)>) {
        let mut online = 0;
        let mut keys = Vec::new();
        for (key, h) in self.piles.iter().filter(|(_, h)| self.reachable(h, now)) {
            online += 1;
            let hit = needle.is_empty()
                || text(key).contains(needle)
                || self.name(h).contains(needle)
                || h.addr.text().contains(needle);
            if hit {
                keys.push(key);
            }
        }
        let matched = keys.len();
        let (keys, _) = first(keys, limit);
        (online, matched, self.entries(keys))
    }

    fn entries(&self, keys: Vec<&[u8; 7]>) -> Vec<(String, Presence)> {
        let entry = |k: &[u8; 7]| Some((text(k), self.presence(self.piles.get(k)?)));
        keys.into_iter().filter_map(entry).collect()
    }

    /// Forgets entries past their age (the bucket dropped them already).
    pub fn prune(&mut self, now: SystemTime) {
        let ttl = self.pile_ttl;
        self.piles
            .retain(|_, h| fresh(at(u64::from(h.written_s) * 1000), ttl, now));
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

impl Directory {
    fn presence(&self, h: &Held) -> Presence {
        Presence {
            node: self.name(h).to_owned(),
            connection_id: h.connection_id,
            since: crate::gateway::forward::rfc3339(at(h.since_ms)),
            remote_addr: h.addr.text(),
        }
    }
}

/// The first `limit` of `keys` in code order, and whether there were more: a selection in
/// linear time, then a sort of the page alone.
fn first(mut keys: Vec<&[u8; 7]>, limit: usize) -> (Vec<&[u8; 7]>, bool) {
    let more = keys.len() > limit;
    if more && limit > 0 {
        keys.select_nth_unstable(limit - 1);
    }
    keys.truncate(limit);
    keys.sort_unstable();
    (keys, more)
}

/// Milliseconds since the epoch (0 before it).
fn ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The time `ms` milliseconds after the epoch.
fn at(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
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

#[cfg(test)]
mod memory {
    use super::*;

    fn rss_kib() -> u64 {
        let s = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
        let pages: u64 = s
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        pages * 4
    }

    #[test]
    #[ignore = "a measurement: cargo test -p ykc --lib directory_of_100k -- --ignored --nocapture"]
    fn directory_of_100k() {
        let before = rss_kib();
        let mut d = Directory::new(Duration::from_secs(90), Duration::from_secs(6));
        let now = SystemTime::now();
        for i in 0..100_000u64 {
            let p = Presence {
                node: format!("gw{}", i % 6),
                connection_id: i,
                since: "2026-12-02T00:00:00.000Z".into(),
                remote_addr: format!("127.0.0.{}:{}", i % 5 + 1, 20000 + i % 30000),
            };
            d.pile(&(32010200000001 + i).to_string(), Some((p, now)));
        }
        let after = rss_kib();
        eprintln!(
            "100k entries: {} KiB ({} B each)",
            after - before,
            (after - before) * 1024 / 100_000
        );
        assert_eq!(d.len(), 100_000);
    }
}
