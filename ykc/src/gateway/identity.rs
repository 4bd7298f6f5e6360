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
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};
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

/// What the store says about a login.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// The pile's first login: its identity is pinned now.
    Pinned,
    /// The same as pinned.
    Matches,
    /// These fields differ: (name, pinned, now).
    Differs(Vec<(String, Value, Value)>),
}

impl Check {
    /// The metrics label.
    pub fn label(&self) -> &'static str {
        match self {
            Check::Pinned => "pinned",
            Check::Matches => "matched",
            Check::Differs(_) => "mismatch",
        }
    }
}

/// The pinned identities: one SQLite table, `pile_identity`.
///
/// A file of its own rather than a table in the journal: the journal is pruned by age and size
/// and can be off, while a pin must outlive both; and its single writer thread batches frames
/// for throughput, while this is read and written once per login. Every check reads the table
/// (no cache), so a row deleted by an operator (`sqlite3 FILE "DELETE FROM pile_identity WHERE
/// pile_code = '…'"`) re-pins the pile at its next login, with the gateway running.
pub struct IdentityStore {
    db: Mutex<Connection>,
    /// Where it is (`None`: in memory).
    pub path: Option<PathBuf>,
}

impl IdentityStore {
    /// Opens (creating) the store at `path`, or one in memory.
    pub fn open(path: Option<&Path>) -> rusqlite::Result<IdentityStore> {
        let db = match path {
            Some(p) => {
                if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                    // A missing directory shows up as the open's error just below.
                    let _ = std::fs::create_dir_all(dir);
                }
                let db = Connection::open(p)?;
                db.pragma_update(None, "journal_mode", "WAL")?;
                db.busy_timeout(Duration::from_secs(5))?;
                db
            }
            None => Connection::open_in_memory()?,
        };
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS pile_identity (
                pile_code TEXT PRIMARY KEY,
                fields TEXT NOT NULL,      -- JSON object: the login's identity fields
                first_seen TEXT NOT NULL,  -- RFC 3339
                first_peer TEXT NOT NULL   -- the address of that first login
            )",
        )?;
        Ok(IdentityStore {
            db: Mutex::new(db),
            path: path.map(Path::to_path_buf),
        })
    }

    /// Compares `fields` with the pile's pinned identity, pinning them at its first login. Only
    /// fields present in both are compared (a field the spec marks later is not a mismatch).
    pub fn check(
        &self,
        pile: &str,
        fields: &Map<String, Value>,
        peer: &str,
    ) -> rusqlite::Result<Check> {
        let db = self.db.lock().expect("identity store lock poisoned");
        let now = Value::Object(fields.clone()).to_string();
        let pinned: Option<String> = db
            .query_row(
                "SELECT fields FROM pile_identity WHERE pile_code = ?1",
                [pile],
                |r| r.get(0),
            )
            .optional()?;
        let Some(pinned) = pinned else {
            // OR IGNORE: a racing first login of the same code pinned first; compare with it.
            let at = super::forward::rfc3339_now();
            let n = db.execute(
                "INSERT OR IGNORE INTO pile_identity VALUES (?1, ?2, ?3, ?4)",
                params![pile, now, at, peer],
            )?;
            drop(db);
            return if n == 1 {
                Ok(Check::Pinned)
            } else {
                self.check(pile, fields, peer)
            };
        };
        let pinned: Map<String, Value> = serde_json::from_str(&pinned).unwrap_or_default();
        let differs: Vec<_> = fields
            .iter()
            .filter_map(|(k, v)| {
                let old = pinned.get(k)?;
                (old != v).then(|| (k.clone(), old.clone(), v.clone()))
            })
            .collect();
        Ok(if differs.is_empty() {
            Check::Matches
        } else {
            Check::Differs(differs)
        })
    }
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
    let (p, who) = (pile.to_owned(), peer.to_owned());
    let checked = tokio::task::spawn_blocking(move || store.check(&p, &fields, &who)).await;
    let check = match checked {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            shared.metrics.identity_checked("error");
            error!(conn_id, pile, error = %e, "identity store failed; login let in");
            return None;
        }
        Err(e) => {
            shared.metrics.identity_checked("error");
            error!(conn_id, pile, error = %e, "identity check failed; login let in");
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

    #[test]
    fn the_first_login_pins_and_a_later_one_is_compared() {
        let s = IdentityStore::open(None).expect("memory store");
        let a = identity_of(&login("1", "V1.0"));
        assert_eq!(s.check("P", &a, "127.0.0.1:1").unwrap(), Check::Pinned);
        assert_eq!(s.check("P", &a, "127.0.0.1:2").unwrap(), Check::Matches);
        let b = identity_of(&login("2", "V1.0"));
        let Check::Differs(d) = s.check("P", &b, "127.0.0.1:3").unwrap() else {
            panic!("a different SIM differs")
        };
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].0, "sim_card");
        // The pin stays the first login's.
        assert_eq!(s.check("P", &a, "127.0.0.1:4").unwrap(), Check::Matches);
        assert_eq!(s.check("Q", &b, "127.0.0.1:5").unwrap(), Check::Pinned);
    }

    #[test]
    fn pins_persist_in_the_file() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("sub/identity.db");
        let a = identity_of(&login("1", "V1.0"));
        let s = IdentityStore::open(Some(&path)).expect("store");
        assert_eq!(s.check("P", &a, "x").unwrap(), Check::Pinned);
        drop(s);
        let s = IdentityStore::open(Some(&path)).expect("reopened");
        assert_eq!(s.check("P", &a, "x").unwrap(), Check::Matches);
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
