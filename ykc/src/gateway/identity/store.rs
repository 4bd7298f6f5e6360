//! The pinned identities: one SQLite table, `pile_identity`, written by one thread that
//! commits the checks queued meanwhile in one transaction.
//!
//! Why a thread with group commit (issue 10, the login-storm stall): a first login pins its
//! identity with an INSERT, and in WAL mode with SQLite's default `synchronous=FULL` every
//! commit is an fsync. One transaction per login, each behind one lock, made logins queue
//! behind fsyncs: a few hundred a second at best on this machine's disk, while a fleet
//! reconnecting after a restart sends thousands (`ykc sim --piles 17500 --ramp 15s`, journal
//! on: login replies waited up to 9.5 s, p99 of all replies 7.2 s, and every waiting login
//! held one of tokio's blocking threads). Now a commit takes every check queued while the
//! previous fsync ran, so the fsync rate no longer bounds the login rate, and a pin is still
//! on disk before its login is answered.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Checks waiting for the writer before a login waits for room (a login storm's backlog).
const QUEUE: usize = 4_096;

/// Most checks committed in one transaction.
const MAX_BATCH: usize = 1_024;

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

/// Why a check has no answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed (the batch's transaction was rolled back).
    #[error("identity store: {0}")]
    Sqlite(String),
    /// The writer thread is gone (it only ends when the store is dropped).
    #[error("identity store writer stopped")]
    Stopped,
    /// The writer thread could not be started (the process is out of threads).
    #[error("identity store writer not started: {0}")]
    Thread(std::io::Error),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Sqlite(e.to_string())
    }
}

/// One login's check, queued for the writer.
struct Request {
    pile: String,
    fields: Map<String, Value>,
    peer: String,
    done: oneshot::Sender<Result<Check, StoreError>>,
}

/// The pinned identities.
///
/// A file of its own rather than a table in the journal: the journal is pruned by age and size
/// and can be off, while a pin must outlive both. Every check reads the table (no cache), so a
/// row deleted by an operator (`sqlite3 FILE "DELETE FROM pile_identity WHERE pile_code =
/// '…'"`) re-pins the pile at its next login, with the gateway running.
pub struct IdentityStore {
    requests: mpsc::Sender<Request>,
    /// Where it is (`None`: in memory).
    pub path: Option<PathBuf>,
}

impl IdentityStore {
    /// Opens (creating) the store at `path`, or one in memory, and starts its writer thread
    /// (it ends when the store is dropped, after answering what was queued).
    pub fn open(path: Option<&Path>) -> Result<IdentityStore, StoreError> {
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
        let (requests, rx) = mpsc::channel(QUEUE);
        std::thread::Builder::new()
            .name("ykc-identity".into())
            .spawn(move || run(db, rx))
            .map_err(StoreError::Thread)?;
        Ok(IdentityStore {
            requests,
            path: path.map(Path::to_path_buf),
        })
    }

    /// Compares `fields` with the pile's pinned identity, pinning them at its first login (on
    /// disk before this returns). Only fields present in both are compared (a field the spec
    /// marks later is not a mismatch).
    pub async fn check(
        &self,
        pile: &str,
        fields: &Map<String, Value>,
        peer: &str,
    ) -> Result<Check, StoreError> {
        let (request, answer) = self.request(pile, fields, peer);
        self.requests
            .send(request)
            .await
            .map_err(|_| StoreError::Stopped)?;
        answer.await.map_err(|_| StoreError::Stopped)?
    }

    fn request(
        &self,
        pile: &str,
        fields: &Map<String, Value>,
        peer: &str,
    ) -> (Request, oneshot::Receiver<Result<Check, StoreError>>) {
        let (done, answer) = oneshot::channel();
        let request = Request {
            pile: pile.to_owned(),
            fields: fields.clone(),
            peer: peer.to_owned(),
            done,
        };
        (request, answer)
    }
}

/// The writer: blocks for a check, takes whatever else is queued (up to [`MAX_BATCH`]) into the
/// same transaction, commits once and answers them all.
fn run(mut db: Connection, mut rx: mpsc::Receiver<Request>) {
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        match check_all(&mut db, &batch) {
            Ok(checks) => {
                for (r, c) in batch.into_iter().zip(checks) {
                    let _ = r.done.send(Ok(c)); // the login may have gone meanwhile
                }
            }
            Err(e) => {
                let why = e.to_string();
                for r in batch {
                    let _ = r.done.send(Err(StoreError::Sqlite(why.clone())));
                }
            }
        }
    }
}

/// Checks `batch` in one transaction (committed before any answer is given). A pile twice in
/// one batch is pinned by the first and compared by the second, as one after the other.
fn check_all(db: &mut Connection, batch: &[Request]) -> rusqlite::Result<Vec<Check>> {
    // IMMEDIATE: the write lock up front, so a reader (an operator's sqlite3 shell) cannot make
    // the upgrade fail halfway; busy_timeout waits for it.
    let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut checks = Vec::with_capacity(batch.len());
    {
        let mut select =
            tx.prepare_cached("SELECT fields FROM pile_identity WHERE pile_code = ?1")?;
        let mut insert = tx.prepare_cached("INSERT INTO pile_identity VALUES (?1, ?2, ?3, ?4)")?;
        for r in batch {
            let pinned: Option<String> =
                select.query_row([&r.pile], |row| row.get(0)).optional()?;
            let check = match pinned {
                None => {
                    let now = Value::Object(r.fields.clone()).to_string();
                    let at = super::super::forward::rfc3339_now();
                    insert.execute(params![r.pile, now, at, r.peer])?;
                    Check::Pinned
                }
                Some(pinned) => compare(&pinned, &r.fields),
            };
            checks.push(check);
        }
    }
    tx.commit()?;
    Ok(checks)
}

/// Compares a login's fields with the pinned JSON object.
fn compare(pinned: &str, fields: &Map<String, Value>) -> Check {
    let pinned: Map<String, Value> = serde_json::from_str(pinned).unwrap_or_default();
    let differs: Vec<_> = fields
        .iter()
        .filter_map(|(k, v)| {
            let old = pinned.get(k)?;
            (old != v).then(|| (k.clone(), old.clone(), v.clone()))
        })
        .collect();
    if differs.is_empty() {
        Check::Matches
    } else {
        Check::Differs(differs)
    }
}
