//! This gateway as a member of the fleet: what it answers other nodes ([`Member`]), which piles
//! it renews, and the three moments a connection tells the fleet something: a login that may
//! be held elsewhere ([`login_elsewhere`]), a login taken ([`announce`]) and a pile gone
//! ([`withdraw`]).

use super::{Answerer, Ask, Fleet, FleetConfig, FleetError, Presence, Reply, Request};
use crate::gateway::api;
use crate::gateway::registry::PileInfo;
use crate::gateway::session::Refusal;
use crate::gateway::Shared;
use crate::journal::{Entry, Event};
use futures::future::BoxFuture;
use serde_json::json;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, warn};

/// Bound of one NATS operation of fleet mode (bucket setup retries ten of these).
const FLEET_TIMEOUT: Duration = Duration::from_secs(2);

/// Joins the fleet the configuration names (`cluster`), if any.
pub async fn join(
    shared: &Arc<Shared>,
    shutdown: CancellationToken,
    tasks: &TaskTracker,
) -> Result<Option<Arc<Fleet>>, FleetError> {
    let c = &shared.config;
    if c.cluster.is_empty() {
        return Ok(None);
    }
    let login = c
        .username
        .clone()
        .map(|u| (u, c.password.as_ref().map(|p| p.expose().to_owned())));
    let heartbeat_timeout = c.heartbeat_timeout();
    let config = FleetConfig {
        servers: c.cluster.clone(),
        login: login.map(|(u, p)| (u, p.unwrap_or_default())),
        node: c.node_name(),
        // A pile's entry outlives three renewals, so one lost put does not take it offline.
        pile_ttl: heartbeat_timeout.saturating_mul(3),
        renew: heartbeat_timeout,
        timeout: FLEET_TIMEOUT,
    };
    let member = Arc::new(Member {
        shared: Arc::downgrade(shared),
    });
    Fleet::start(config, member, shutdown, tasks)
        .await
        .map(Some)
}

/// Answers other nodes for this gateway. Holds the gateway weakly: the gateway holds the fleet.
pub struct Member {
    shared: Weak<Shared>,
}

impl Answerer for Member {
    fn answer(&self, ask: Ask, request: Request) -> BoxFuture<'static, Reply> {
        let shared = self.shared.upgrade();
        Box::pin(async move {
            let Some(s) = shared else {
                return reply(503, json!({ "error": "the gateway is stopping" }));
            };
            match ask {
                Ask::Command => api::remote::answer_command(&s, request).await,
                Ask::Proxy => api::remote::answer_proxy(&s, request).await,
                Ask::Pile => api::remote::answer_pile(&s, &request.pile),
                Ask::Login => answer_login(&s, &request),
            }
        })
    }

    fn held(&self) -> usize {
        self.shared.upgrade().map_or(0, |s| s.registry.len())
    }

    fn alive(&self) -> Vec<[u8; 7]> {
        self.shared
            .upgrade()
            .map(|s| s.registry.alive(s.policy.heartbeat_timeout))
            .unwrap_or_default()
    }

    fn presence(&self, pile: &[u8; 7]) -> Option<(String, Presence)> {
        let s = self.shared.upgrade()?;
        let info = s.registry.get(pile)?;
        let node = s.console.node();
        // A pile the fleet says another node took since (a login there while this node did
        // not answer in time) is not written back over that node's entry.
        let fleet = s.fleet.get()?;
        if fleet
            .lookup(&info.pile_code)
            .is_some_and(|p| p.node != node)
        {
            return None;
        }
        Some((info.pile_code.clone(), presence(node, &info)))
    }
}

/// An answer of `status` with a JSON body.
pub fn reply(status: u16, body: serde_json::Value) -> Reply {
    Reply {
        status,
        body: body.to_string().into(),
    }
}

fn presence(node: &str, p: &PileInfo) -> Presence {
    Presence {
        node: node.to_owned(),
        connection_id: p.connection_id,
        since: p.online_since.clone(),
        remote_addr: p.remote_addr.clone(),
    }
}

/// Another node asks whether a pile held here may log in there: the duplicate-login rule
/// decides as for a local second login (200: go ahead, the holder here is closed if there was
/// one; 409: refused, the holder is alive).
fn answer_login(s: &Shared, r: &Request) -> Reply {
    let Ok(key) = api::body::pile_key(&r.pile, "pile") else {
        return reply(400, json!({ "error": "not a pile code", "field": "pile" }));
    };
    let rule = s.config.duplicate_login;
    match s.registry.release(&key, rule, s.policy.heartbeat_timeout) {
        Ok(None) => reply(200, json!({ "held": false })),
        Ok(Some(old)) => {
            s.metrics
                .logins_replaced
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            warn!(
                pile = r.pile,
                newcomer = r.peer,
                newcomer_node = r.caller,
                older = old.remote_addr,
                older_conn_id = old.connection_id,
                older_silent_ms = old.last_frame_ms_ago,
                "second login on another node: the connection here is closed"
            );
            if let Some(j) = &s.journal {
                let e = Entry::event(
                    Event::Offline,
                    r.pile.clone(),
                    old.connection_id,
                    old.remote_addr,
                );
                j.append_later(e);
            }
            reply(200, json!({ "held": true, "released": true }))
        }
        Err(holder) => {
            warn!(pile = r.pile, newcomer = r.peer, newcomer_node = r.caller,
                holder = holder.remote_addr, holder_conn_id = holder.connection_id,
                holder_silent_ms = holder.last_frame_ms_ago,
                "second login on another node refused: the pile is online here on a live connection");
            let error = format!("pile {} is online on a live connection", r.pile);
            reply(409, json!({ "error": error, "holder": holder.remote_addr }))
        }
    }
}

/// Before a login is registered here: when the fleet says another node holds the pile, that
/// node decides by the duplicate-login rule. `Some(refusal)` when it keeps the pile. A node
/// that does not answer is taken for gone (its entries age out), so the login goes ahead.
pub async fn login_elsewhere(s: &Shared, pile: &str, peer: &str) -> Option<Refusal> {
    let fleet = s.fleet.get()?;
    let holder = fleet.lookup(pile).filter(|p| p.node != fleet.node())?;
    let request = Request {
        pile: pile.to_owned(),
        caller: fleet.node().to_owned(),
        peer: peer.to_owned(),
        ..Default::default()
    };
    match fleet
        .ask(&holder.node, Ask::Login, &request, fleet.timeout_default())
        .await
    {
        Ok(r) if r.status == 409 => {
            warn!(
                pile,
                peer,
                holder_node = holder.node,
                holder = holder.remote_addr,
                "second login refused: the pile is online on another node, on a live connection"
            );
            Some(Refusal::Duplicate)
        }
        Ok(_) => None,
        Err(e) => {
            debug!(pile, holder_node = holder.node, error = %e, "login: the holder's node did not answer; taking the pile");
            None
        }
    }
}

/// A login was registered here: writes the pile's presence, so other nodes route to it, in a
/// task of its own: the login is answered without waiting for the put (in a login storm the
/// NATS server's answer took tens of milliseconds that every login felt). A command through
/// another node in the moment between finds no holder (404). A failure is logged; the next
/// renewal writes it again.
pub fn announce(s: &Shared, key: &[u8; 7]) {
    let (Some(fleet), Some(info)) = (s.fleet.get(), s.registry.get(key)) else {
        return;
    };
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let p = presence(fleet.node(), &info);
    let fleet = fleet.clone();
    rt.spawn(async move {
        if let Err(e) = fleet.announce(&info.pile_code, &p).await {
            warn!(pile = info.pile_code, error = %e, "fleet: presence not written (the next renewal retries)");
        }
    });
}

/// The pile's connection `conn` ended: deletes its presence, unless another login owns it by
/// then. In a task of its own (called from a destructor).
pub fn withdraw(s: &Arc<Shared>, pile: String, conn: u64) {
    let (Some(fleet), Ok(rt)) = (s.fleet.get(), tokio::runtime::Handle::try_current()) else {
        return;
    };
    let fleet = fleet.clone();
    rt.spawn(async move {
        if let Err(e) = fleet.withdraw(&pile, conn).await {
            debug!(pile, error = %e, "fleet: presence not withdrawn (it ages out)");
        }
    });
}
