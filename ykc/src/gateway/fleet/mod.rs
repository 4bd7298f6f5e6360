//! Fleet mode: several gateways behind one TCP load balancer, joined over NATS (the engine the
//! gateway already speaks) — no home-made cluster protocol and no other store.
//!
//! - **Presence** lives in two JetStream key-value buckets. `ykc_piles`: pile code → the node
//!   holding its connection ([`Presence`]), written at login, deleted at close (only by its
//!   holder), and renewed for every pile still alive, so a dead node's entries age out with the
//!   bucket's `max_age`. `ykc_nodes`: node id → a liveness entry renewed every [`NODE_RENEW`];
//!   a pile whose node stopped renewing is not reachable there, at once, without waiting for
//!   its own entry to age out.
//! - Every node **watches** both buckets into its [`Directory`], so REST lookups and listings
//!   cost no round trip. A watch found silent while its bucket moved on (its consumer died with
//!   a NATS node) is made again from the last revision applied, within seconds.
//! - **Requests** between nodes are NATS requests on `ykc.node.<id>.<cmd|pile|login>`
//!   ([`wire`]): a REST command for a pile held elsewhere is run by the holder, through the very
//!   handler a local caller gets; a login of a pile held elsewhere asks the holder whether the
//!   duplicate-login policy lets it go.

pub mod directory;
pub mod member;
mod watch;
pub mod wire;

pub use directory::{Directory, Presence};
pub use wire::{Ask, Reply, Request};

use crate::gateway::forward::nats_client;
use async_nats::jetstream::{self, kv};
use futures::future::BoxFuture;
use futures::StreamExt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

/// How often a node renews its liveness entry.
pub const NODE_RENEW: Duration = Duration::from_secs(2);
/// A node that has not renewed its entry for this long is taken for dead (three renewals).
pub const NODE_TTL: Duration = Duration::from_secs(6);
/// Requests answered at once by one node; more wait (each is a short task).
const MAX_ANSWERING: usize = 1024;
/// Pile entries renewed concurrently (each one key-value put and its ack).
const RENEW_CONCURRENCY: usize = 64;
/// Renewals go out in a batch every this often, spread over the renewal period.
const RENEW_TICK: Duration = Duration::from_millis(100);

/// Why the fleet could not start or a request between nodes failed.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// The configuration is unusable (servers, node id).
    #[error("fleet configuration: {0}")]
    Config(String),
    /// NATS or JetStream failed.
    #[error("NATS: {0}")]
    Nats(String),
    /// Nobody answers on the node's subject: the node is gone.
    #[error("node {node} does not answer")]
    NoResponders {
        /// The node asked.
        node: String,
    },
    /// The node did not answer in time.
    #[error("node {node} did not answer within {after:?}")]
    Timeout {
        /// The node asked.
        node: String,
        /// The wait.
        after: Duration,
    },
    /// An answer that does not follow [`wire`].
    #[error("fleet protocol: {0}")]
    Protocol(String),
}

/// What fleet mode needs to know.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    /// NATS servers of the fleet (`nats://host:port`).
    pub servers: Vec<String>,
    /// User name and password, as for forwarding.
    pub login: Option<(String, String)>,
    /// This node's id (a subject token and a key).
    pub node: String,
    /// The piles bucket's `max_age`: how long a pile entry lives without renewal.
    pub pile_ttl: Duration,
    /// How often the entries of piles still alive are renewed (below `pile_ttl`).
    pub renew: Duration,
    /// Bound of one NATS operation (bucket setup, put, request default).
    pub timeout: Duration,
}

/// The node's side of the gateway: answers what other nodes ask, and names the piles to renew.
pub trait Answerer: Send + Sync + 'static {
    /// Answers a request of another node.
    fn answer(&self, ask: Ask, request: Request) -> BoxFuture<'static, Reply>;
    /// The piles held here that are alive (sent a frame within the heartbeat timeout): only
    /// their codes, so a renewal holds little at once ([`presence`](Self::presence) is asked
    /// for each as its turn comes).
    fn alive(&self) -> Vec<[u8; 7]>;
    /// The presence to write for a pile held here; `None` when it is gone, or another node
    /// took it meanwhile.
    fn presence(&self, pile: &[u8; 7]) -> Option<(String, Presence)>;
    /// How many piles are held here (the node entry's count, every 2 s: cheap).
    fn held(&self) -> usize;
}

/// One node's membership of the fleet.
pub struct Fleet {
    config: FleetConfig,
    client: async_nats::Client,
    piles: kv::Store,
    nodes: kv::Store,
    directory: RwLock<Directory>,
    started: String,
}

impl Fleet {
    /// Connects, creates or binds the buckets (waiting up to ten `timeout`s for NATS), announces
    /// the node, and starts the watchers, renewals and the answering of requests, until
    /// `shutdown` is cancelled.
    pub async fn start(
        config: FleetConfig,
        answerer: Arc<dyn Answerer>,
        shutdown: CancellationToken,
        tasks: &TaskTracker,
    ) -> Result<Arc<Fleet>, FleetError> {
        if !wire::valid_node_id(&config.node) {
            return Err(FleetError::Config(format!(
                "node id `{}`: use letters, digits, - and _ (at most 64)",
                config.node
            )));
        }
        let login = config.login.as_ref().map(|(u, p)| (u.as_str(), p.as_str()));
        let client = nats_client(&config.servers, login, config.timeout, "ykc-fleet")
            .await
            .map_err(FleetError::Config)?;
        let js = jetstream::new(client.clone());
        let setup = config.timeout.saturating_mul(10);
        let piles = bucket(&js, wire::PILES_BUCKET, config.pile_ttl, setup).await?;
        let nodes = bucket(&js, wire::NODES_BUCKET, NODE_TTL, setup).await?;
        let fleet = Arc::new(Fleet {
            directory: RwLock::new(Directory::new(config.pile_ttl, NODE_TTL)),
            started: crate::gateway::forward::rfc3339_now(),
            config,
            client,
            piles,
            nodes,
        });
        fleet.renew_node(0).await?;
        fleet.spawn_tasks(answerer, shutdown, tasks).await?;
        info!(node = fleet.node(), "fleet: joined");
        Ok(fleet)
    }

    /// This node's id.
    pub fn node(&self) -> &str {
        &self.config.node
    }

    /// Who holds `pile` now (this node included), from the directory.
    pub fn lookup(&self, pile: &str) -> Option<Presence> {
        self.read().lookup(pile, SystemTime::now())
    }

    /// Who holds `pile` according to the bucket itself (one round trip): for when the
    /// directory does not know the pile or its answer proved stale.
    pub async fn holder(&self, pile: &str) -> Result<Option<Presence>, FleetError> {
        let get = tokio::time::timeout(self.config.timeout, self.piles.get(pile)).await;
        let value = get
            .map_err(|_| self.timeout("presence get"))?
            .map_err(|e| FleetError::Nats(format!("presence of {pile}: {e}")))?;
        // Not judged by the directory's node liveness: this is asked when the directory may be
        // stale, and a request to a gone node fails at once (no responders).
        Ok(value.and_then(|v| serde_json::from_slice::<Presence>(&v).ok()))
    }

    /// The request timeout this node was configured with.
    pub fn timeout_default(&self) -> Duration {
        self.config.timeout
    }

    /// A page of the fleet's piles in code order after `after`, and whether more follow.
    pub fn page(&self, after: Option<&str>, limit: usize) -> (Vec<(String, Presence)>, bool) {
        self.read().page(after, limit, SystemTime::now())
    }

    /// The console's search over the fleet: (online, matched, first `limit` matches).
    pub fn search(&self, needle: &str, limit: usize) -> (usize, usize, Vec<(String, Presence)>) {
        self.read().search(needle, limit, SystemTime::now())
    }

    /// The living nodes.
    pub fn nodes(&self) -> Vec<String> {
        self.read().nodes(SystemTime::now())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Directory> {
        self.directory
            .read()
            .expect("no code panics while holding the directory lock")
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Directory> {
        self.directory
            .write()
            .expect("no code panics while holding the directory lock")
    }

    /// Writes `pile`'s entry now (a login): other nodes find it as soon as the put is acked.
    pub async fn announce(&self, pile: &str, presence: &Presence) -> Result<(), FleetError> {
        let value = serde_json::to_vec(presence).expect("a Presence always serialises");
        let put = self.piles.put(pile, value.into());
        match tokio::time::timeout(self.config.timeout, put).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(FleetError::Nats(format!("presence of {pile}: {e}"))),
            Err(_) => Err(self.timeout("presence put")),
        }
    }

    /// Deletes `pile`'s entry if it is still this node's connection `connection_id` (a newer
    /// login elsewhere owns it otherwise). The delete names the revision read, so a login
    /// elsewhere between the two is not undone.
    pub async fn withdraw(&self, pile: &str, connection_id: u64) -> Result<(), FleetError> {
        let entry = self.piles.entry(pile).await;
        let entry = entry.map_err(|e| FleetError::Nats(format!("presence of {pile}: {e}")))?;
        let Some(entry) = entry.filter(|e| e.operation == kv::Operation::Put) else {
            return Ok(());
        };
        let ours = serde_json::from_slice::<Presence>(&entry.value)
            .is_ok_and(|p| p.node == self.config.node && p.connection_id == connection_id);
        if ours {
            let delete = self
                .piles
                .delete_expect_revision(pile, Some(entry.revision));
            if let Err(e) = delete.await {
                debug!(pile, error = %e, "presence not deleted (written again meanwhile)");
            }
        }
        Ok(())
    }

    /// Asks `node` and waits up to `wait` for its answer.
    pub async fn ask(
        &self,
        node: &str,
        ask: Ask,
        request: &Request,
        wait: Duration,
    ) -> Result<Reply, FleetError> {
        use async_nats::RequestErrorKind as K;
        let req = async_nats::Request::new()
            .headers(request.headers())
            .payload(request.body.clone())
            .timeout(Some(wait));
        match self
            .client
            .send_request(wire::subject(node, ask), req)
            .await
        {
            Ok(m) => Reply::from_message(&m),
            Err(e) => Err(match e.kind() {
                K::NoResponders => FleetError::NoResponders { node: node.into() },
                K::TimedOut => FleetError::Timeout {
                    node: node.into(),
                    after: wait,
                },
                _ => FleetError::Nats(e.to_string()),
            }),
        }
    }

    fn timeout(&self, what: &str) -> FleetError {
        FleetError::Nats(format!(
            "{what}: no answer within {:?}",
            self.config.timeout
        ))
    }

    /// Renews this node's liveness entry.
    async fn renew_node(&self, piles: usize) -> Result<(), FleetError> {
        let info = wire::NodeInfo {
            started: self.started.clone(),
            piles,
        };
        let value = serde_json::to_vec(&info).expect("a NodeInfo always serialises");
        let put = self.nodes.put(&self.config.node, value.into());
        match tokio::time::timeout(self.config.timeout, put).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(FleetError::Nats(format!("node entry: {e}"))),
            Err(_) => Err(self.timeout("node entry")),
        }
    }

    /// Renews the entries of the piles held here and alive, spread evenly over `over`: every
    /// renewal is a put that the NATS server fans out to every node's watch, and a burst of a
    /// whole node's piles at once (17,000 at 100,000 piles on six nodes) was a CPU spike whose
    /// wait the piles' replies felt (p99 from 1 ms to 65 ms, seen here).
    async fn renew_piles(
        &self,
        answerer: &dyn Answerer,
        alive: Vec<[u8; 7]>,
        over: Duration,
        shutdown: &CancellationToken,
    ) -> usize {
        let ticks = (over.as_millis() / RENEW_TICK.as_millis()).max(1) as usize;
        let per_tick = alive.len().div_ceil(ticks).max(1);
        let mut tick = tokio::time::interval(RENEW_TICK);
        let mut failed = 0;
        for chunk in alive.chunks(per_tick) {
            tick.tick().await;
            if shutdown.is_cancelled() {
                break;
            }
            let entries = chunk.iter().filter_map(|p| answerer.presence(p));
            failed += futures::stream::iter(entries.collect::<Vec<_>>())
                .map(|(pile, p)| async move { self.announce(&pile, &p).await.is_err() })
                .buffer_unordered(RENEW_CONCURRENCY)
                .filter(|failed| std::future::ready(*failed))
                .count()
                .await;
        }
        if failed > 0 {
            warn!(failed, "fleet: some pile entries were not renewed");
        }
        failed
    }

    async fn spawn_tasks(
        self: &Arc<Self>,
        answerer: Arc<dyn Answerer>,
        shutdown: CancellationToken,
        tasks: &TaskTracker,
    ) -> Result<(), FleetError> {
        let subject = format!("ykc.node.{}.>", self.config.node);
        let requests = self.client.subscribe(subject).await;
        let requests = requests.map_err(|e| FleetError::Nats(format!("subscribe: {e}")))?;
        let (f, a, s) = (self.clone(), answerer.clone(), shutdown.clone());
        tasks.spawn(async move { f.answer_requests(requests, a, s).await });
        let (f, s) = (self.clone(), shutdown.clone());
        tasks.spawn(async move { f.watch(true, s).await });
        let (f, s) = (self.clone(), shutdown.clone());
        tasks.spawn(async move { f.watch(false, s).await });
        let f = self.clone();
        tasks.spawn(async move { f.renew(answerer, shutdown).await });
        Ok(())
    }

    /// Answers requests on `ykc.node.<id>.>`, each in a task of its own.
    async fn answer_requests(
        self: Arc<Self>,
        mut requests: async_nats::Subscriber,
        answerer: Arc<dyn Answerer>,
        shutdown: CancellationToken,
    ) {
        let slots = Arc::new(tokio::sync::Semaphore::new(MAX_ANSWERING));
        loop {
            let m = tokio::select! {
                () = shutdown.cancelled() => return,
                m = requests.next() => match m { Some(m) => m, None => return },
            };
            let (Some(ask), Some(reply_to)) = (Ask::from_subject(&m.subject), m.reply.clone())
            else {
                debug!(subject = %m.subject, "fleet: not a request; ignored");
                continue;
            };
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            let (client, answerer) = (self.client.clone(), answerer.clone());
            tokio::spawn(async move {
                let _slot = slot;
                let reply = answerer.answer(ask, Request::from_message(&m)).await;
                let sent = client.publish_with_headers(reply_to, reply.headers(), reply.body);
                if let Err(e) = sent.await {
                    warn!(error = %e, "fleet: answer not sent");
                }
            });
        }
    }

    /// Renews the node entry every [`NODE_RENEW`] and the alive piles' entries every `renew`;
    /// prunes the directory. At shutdown the node entry is deleted (its piles are closed by
    /// then, and their entries withdrawn by their connections).
    async fn renew(self: Arc<Self>, answerer: Arc<dyn Answerer>, shutdown: CancellationToken) {
        let mut last_piles = tokio::time::Instant::now();
        while pause(&shutdown, NODE_RENEW).await {
            if let Err(e) = self.renew_node(answerer.held()).await {
                warn!(error = %e, "fleet: node entry not renewed");
            }
            if last_piles.elapsed() >= self.config.renew {
                last_piles = tokio::time::Instant::now();
                let (f, a, alive) = (self.clone(), answerer.clone(), answerer.alive());
                // Done before the next round starts.
                let over = self.config.renew.mul_f64(0.75);
                let stop = shutdown.clone();
                // Its own task: thousands of puts must not delay the node's own renewal.
                tokio::spawn(async move { f.renew_piles(&*a, alive, over, &stop).await });
                self.write().prune(SystemTime::now());
            }
        }
        let _ = self.nodes.delete(&self.config.node).await;
    }
}

/// Sleeps `d`; false when `shutdown` came first.
async fn pause(shutdown: &CancellationToken, d: Duration) -> bool {
    tokio::select! {
        () = shutdown.cancelled() => false,
        () = tokio::time::sleep(d) => true,
    }
}

/// Binds bucket `name`, or creates it (in memory: presence is rebuilt by the piles' logins and
/// renewals; three replicas where the NATS cluster has them, else one), retrying until NATS
/// answers or `setup` passed.
async fn bucket(
    js: &jetstream::Context,
    name: &str,
    max_age: Duration,
    setup: Duration,
) -> Result<kv::Store, FleetError> {
    let deadline = tokio::time::Instant::now() + setup;
    loop {
        let last = match try_bucket(js, name, max_age).await {
            Ok(store) => return Ok(store),
            Err(e) => e,
        };
        if tokio::time::Instant::now() >= deadline {
            return Err(FleetError::Nats(format!("bucket {name}: {last}")));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The bucket's stream is created here as a key-value bucket's stream is laid out
/// (`KV_<name>` on `$KV.<name>.>`, one value per key, rollups, no deletes of messages):
/// async-nats's `create_key_value` first reads the account's limits in a form nats-server 2.9
/// (Debian 12's) does not send, and fails there.
async fn try_bucket(
    js: &jetstream::Context,
    name: &str,
    max_age: Duration,
) -> Result<kv::Store, String> {
    use jetstream::stream::{Config, DiscardPolicy, StorageType};
    if let Ok(store) = js.get_key_value(name).await {
        return Ok(store);
    }
    let mut last = String::new();
    for replicas in [3, 1] {
        let config = Config {
            name: format!("KV_{name}"),
            subjects: vec![format!("$KV.{name}.>")],
            max_messages_per_subject: 1,
            max_age,
            storage: StorageType::Memory,
            num_replicas: replicas,
            allow_rollup: true,
            deny_delete: true,
            allow_direct: true,
            discard: DiscardPolicy::New,
            ..Default::default()
        };
        match js.create_stream(config).await {
            Ok(_) => {
                info!(bucket = name, replicas, ?max_age, "fleet: bucket created");
                return js.get_key_value(name).await.map_err(|e| e.to_string());
            }
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}
