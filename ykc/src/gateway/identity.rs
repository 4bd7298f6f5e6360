//! Who may speak for a pile code: the rules for a second login (`--duplicate-login`), the
//! identity pinned at a pile's first login (`--pile-identity`, `--identity-file`), and the
//! allowlist file, reloaded while the gateway runs (`login_allowlist_file`).
//!
//! Which login fields make up a pile's identity comes from the spec (`identity: true` on the
//! login frame's fields: the SIM card number and the program version); nothing here names them.

use super::config::{ConfigError, FlagValue};
use super::session::Refusal;
use super::Shared;
use crate::meta::Role;
use crate::Message;
use clap::builder::ValueParser;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

mod store;
pub use store::{Check, IdentityStore, StoreError};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

/// What a second login of a pile online on another connection gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum DuplicateLogin {
    /// The newer login wins: the older connection is closed (the gateway's behaviour before).
    Replace,
    /// Refused (0x02 failure, then closed) while the holder has sent a frame within the
    /// heartbeat timeout; a holder silent longer is replaced.
    RejectWhileAlive,
}

/// What a login that differs from the pile's pinned identity gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum PileIdentity {
    /// Refused (0x02 failure, then closed).
    Pin,
    /// Logged and counted; the login is accepted.
    Warn,
    /// Not compared, not remembered.
    Off,
}

impl FlagValue for DuplicateLogin {
    fn parser() -> ValueParser {
        clap::value_parser!(DuplicateLogin).into()
    }
}

impl FlagValue for PileIdentity {
    fn parser() -> ValueParser {
        clap::value_parser!(PileIdentity).into()
    }
}

/// How often the allowlist file's modification time is looked at.
pub const ALLOWLIST_POLL: Duration = Duration::from_secs(2);

/// The pile codes allowed to log in, read from a file and swapped whole on reload (a login sees
/// the old list or the new one, never half of each).
#[derive(Debug)]
pub struct Allowlist {
    path: PathBuf,
    codes: RwLock<Arc<BTreeSet<String>>>,
    /// The file's (modification time, length) when last read, to notice a change.
    stamp: Mutex<Option<(SystemTime, u64)>>,
}

impl Allowlist {
    /// A list read from `path` (what [`super::config::read_allowlist`] returned for it).
    pub fn new(path: PathBuf, codes: BTreeSet<String>) -> Allowlist {
        let stamp = Mutex::new(file_stamp(&path));
        Allowlist {
            path,
            codes: RwLock::new(Arc::new(codes)),
            stamp,
        }
    }

    /// Whether the pile code (digits as `ykc parse` prints them) is on the list.
    pub fn contains(&self, pile: &str) -> bool {
        self.snapshot().contains(pile)
    }

    /// The list now.
    pub fn snapshot(&self) -> Arc<BTreeSet<String>> {
        self.codes
            .read()
            .expect("allowlist lock poisoned: a reload panicked")
            .clone()
    }

    /// Reads the file again. A file that cannot be read or has a bad line keeps the old list.
    pub fn reload(&self) -> Result<usize, ConfigError> {
        let stamp = file_stamp(&self.path);
        let codes = super::config::read_allowlist(&self.path)?;
        let n = codes.len();
        *self
            .codes
            .write()
            .expect("allowlist lock poisoned: a reload panicked") = Arc::new(codes);
        *self.stamp.lock().expect("allowlist stamp lock poisoned") = stamp;
        Ok(n)
    }

    /// Whether the file changed since it was last read.
    fn changed(&self) -> bool {
        let now = file_stamp(&self.path);
        let mut last = self.stamp.lock().expect("allowlist stamp lock poisoned");
        if now == *last {
            return false;
        }
        // Noted even when the reload then fails: a bad file is reported once, not every poll.
        *last = now;
        true
    }
}

fn file_stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

/// Reloads the allowlist on SIGHUP and when its file changes, until `shutdown`.
pub(super) async fn watch_allowlist(shared: Arc<Shared>, shutdown: CancellationToken) {
    let Some(list) = shared.policy.allowlist.clone() else {
        return;
    };
    let mut hup = hangups();
    let mut poll = tokio::time::interval(ALLOWLIST_POLL);
    loop {
        let why = tokio::select! {
            () = shutdown.cancelled() => return,
            _ = poll.tick() => {
                if !list.changed() {
                    continue;
                }
                "file changed"
            }
            Some(()) = next_hangup(&mut hup) => "SIGHUP",
        };
        let outcome = match list.reload() {
            Ok(n) => {
                info!(path = %list.path.display(), piles = n, why, "allowlist reloaded");
                "ok"
            }
            Err(e) => {
                error!(error = %e, why, "allowlist not reloaded; the previous list stays");
                "error"
            }
        };
        shared.metrics.allowlist_reloaded(outcome);
    }
}

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = Option<()>;

#[cfg(unix)]
fn hangups() -> Hangups {
    use tokio::signal::unix::{signal, SignalKind};
    signal(SignalKind::hangup())
        .inspect_err(
            |e| warn!(error = %e, "no SIGHUP handler: the allowlist reloads on change only"),
        )
        .ok()
}

#[cfg(not(unix))]
fn hangups() -> Hangups {
    None
}

/// The next SIGHUP; never, without a handler.
async fn next_hangup(h: &mut Hangups) -> Option<()> {
    #[cfg(unix)]
    if let Some(s) = h {
        return s.recv().await;
    }
    let _ = h;
    std::future::pending().await
}

/// The identity fields of a login, by the spec's `identity: true`, as JSON values.
pub fn identity_of(login: &Message) -> Map<String, Value> {
    let Some(meta) = Message::meta_of(login.code()).filter(|m| m.role == Some(Role::Login)) else {
        return Map::new();
    };
    let body = crate::answer::body_json(login);
    meta.fields
        .iter()
        .filter(|f| f.identity)
        .filter_map(|f| Some((f.name.to_string(), body.get(f.name)?.clone())))
        .collect()
}

/// Checks a login against the pile's pinned identity (per `--pile-identity`); logs and counts
/// the outcome. Returns the refusal in `pin` mode when it differs. A store that fails lets the
/// login in (logged): refusing every pile because a disk is full would stop the whole fleet.
pub(super) async fn check_login(
    shared: &Arc<Shared>,
    pile: &str,
    login: &Message,
    peer: &str,
    conn_id: u64,
) -> Option<Refusal> {
    let mode = shared.config.pile_identity;
    let store = shared
        .identity
        .clone()
        .filter(|_| mode != PileIdentity::Off)?;
    let fields = identity_of(login);
    if fields.is_empty() {
        return None;
    }
    let check = match store.check(pile, &fields, peer).await {
        Ok(c) => c,
        Err(e) => {
            shared.metrics.identity_checked("error");
            error!(conn_id, pile, error = %e, "identity store failed; login let in");
            return None;
        }
    };
    shared.metrics.identity_checked(check.label());
    let Check::Differs(diff) = check else {
        return None;
    };
    let diff: Vec<String> = diff
        .iter()
        .map(|(k, old, new)| format!("{k}: pinned {old}, now {new}"))
        .collect();
    let diff = diff.join("; ");
    if mode == PileIdentity::Pin {
        warn!(conn_id, pile, %peer, differs = %diff, "login refused: it differs from the pile's pinned identity");
        return Some(Refusal::Identity);
    }
    warn!(conn_id, pile, %peer, differs = %diff, "login differs from the pile's pinned identity (accepted: --pile-identity warn)");
    None
}

/// The identity store the configuration asks for: none with `--pile-identity off`; the file
/// `identity_file` names (`off` = in memory); unset, `identity.db` beside the journal, or in
/// memory without a journal.
pub(super) fn open_store(
    config: &super::config::ServeConfig,
) -> Result<Option<Arc<IdentityStore>>, super::GatewayError> {
    if config.pile_identity == PileIdentity::Off {
        return Ok(None);
    }
    let path = config.identity_path();
    let store =
        IdentityStore::open(path.as_deref()).map_err(|source| super::GatewayError::Identity {
            path: path.clone().unwrap_or_else(|| ":memory:".into()),
            source,
        })?;
    match &store.path {
        Some(p) => info!(path = %p.display(), "pile identity store open"),
        None => info!("pile identities kept in memory only (no journal, no identity_file)"),
    }
    Ok(Some(Arc::new(store)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn login(sim: &str, version: &str) -> Message {
        let body = json!({"pile_code": "32010200000001", "pile_type": "dc", "gun_count": 2,
            "protocol_version": 1.6, "program_version": version, "network_type": "lan",
            "sim_card": sim, "carrier": "other"});
        Message::from_json(0x01, &body).expect("login")
    }

    #[test]
    fn the_spec_names_the_identity_fields() {
        let id = identity_of(&login("89860012345678901234", "V1.0"));
        let names: Vec<&str> = id.keys().map(String::as_str).collect();
        assert_eq!(names, ["program_version", "sim_card"]);
        assert_eq!(id["sim_card"], "89860012345678901234");
    }

    /// The store's answer for `pile` logging in with `fields` (the store always answers here).
    async fn check(s: &IdentityStore, pile: &str, fields: &Map<String, Value>) -> Check {
        s.check(pile, fields, "127.0.0.1:1")
            .await
            .expect("the store answers")
    }

    #[tokio::test]
    async fn the_first_login_pins_and_a_later_one_is_compared() {
        let s = IdentityStore::open(None).expect("memory store");
        let a = identity_of(&login("1", "V1.0"));
        assert_eq!(check(&s, "P", &a).await, Check::Pinned);
        assert_eq!(check(&s, "P", &a).await, Check::Matches);
        let b = identity_of(&login("2", "V1.0"));
        let Check::Differs(d) = check(&s, "P", &b).await else {
            panic!("a different SIM differs")
        };
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].0, "sim_card");
        // The pin stays the first login's.
        assert_eq!(check(&s, "P", &a).await, Check::Matches);
        assert_eq!(check(&s, "Q", &b).await, Check::Pinned);
    }

    #[tokio::test]
    async fn pins_persist_in_the_file() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("sub/identity.db");
        let a = identity_of(&login("1", "V1.0"));
        let s = IdentityStore::open(Some(&path)).expect("store");
        assert_eq!(check(&s, "P", &a).await, Check::Pinned);
        drop(s);
        let s = IdentityStore::open(Some(&path)).expect("reopened");
        assert_eq!(check(&s, "P", &a).await, Check::Matches);
    }

    /// A login storm: checks queued together are committed together, each answered as if
    /// alone (a pile twice in one batch is pinned by the first and compared by the second).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_first_logins_are_pinned_in_groups() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Arc::new(IdentityStore::open(Some(&dir.path().join("id.db"))).expect("store"));
        let a = identity_of(&login("1", "V1.0"));
        let b = identity_of(&login("2", "V1.0"));
        let checks = (0..500).map(|i| {
            let (s, a, b) = (store.clone(), a.clone(), b.clone());
            tokio::spawn(async move {
                let pile = format!("P{}", i / 2);
                // The second login of each pile differs in its SIM card.
                let fields = if i % 2 == 0 { a } else { b };
                s.check(&pile, &fields, "127.0.0.1:1").await
            })
        });
        let done = futures::future::join_all(checks.collect::<Vec<_>>()).await;
        let labels: Vec<&str> = done
            .iter()
            .map(|r| r.as_ref().expect("task").as_ref().expect("check").label())
            .collect();
        assert_eq!(labels.iter().filter(|l| **l == "pinned").count(), 250);
        assert_eq!(labels.iter().filter(|l| **l == "mismatch").count(), 250);
        drop(store);
        let s = IdentityStore::open(Some(&dir.path().join("id.db"))).expect("reopened");
        let c = s.check("P7", &a, "x").await.expect("check");
        let c2 = s.check("P7", &b, "x").await.expect("check");
        assert!(
            matches!(
                (&c, &c2),
                (Check::Matches, Check::Differs(_)) | (Check::Differs(_), Check::Matches)
            ),
            "the pins are on disk: {c:?} {c2:?}"
        );
    }

    #[test]
    fn a_bad_allowlist_file_keeps_the_old_list() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("allow.txt");
        std::fs::write(&path, "32010200000001\n").unwrap();
        let codes = super::super::config::read_allowlist(&path).unwrap();
        let list = Allowlist::new(path.clone(), codes);
        assert!(list.contains("32010200000001"));
        assert!(!list.changed());
        std::fs::write(&path, "32010200000002\n32010200000003\n").unwrap();
        assert!(list.changed());
        assert_eq!(list.reload().unwrap(), 2);
        assert!(!list.contains("32010200000001") && list.contains("32010200000003"));
        std::fs::write(&path, "not a pile code\n").unwrap();
        assert!(list.reload().is_err());
        assert!(list.contains("32010200000003"), "the old list stays");
    }
}
