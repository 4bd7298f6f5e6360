//! `ykc serve`: the gateway in front of the piles.
//!
//! Layered as tokio's mini-redis is:
//! - `listener`: accepts TCP connections within `max_connections` (one semaphore permit per
//!   connection, owned by its task) and spawns them into one [`TaskTracker`](tokio_util::task::TaskTracker).
//! - `connection`: the transport of one pile — reads frames through the codec, writes every frame
//!   through the codec's encoder, and carries out what the session decides.
//! - [`session`]: the protocol state of one pile as a pure state machine,
//!   `on_frame(frame) -> actions`: login, auto-answers, command correlation, timeouts.
//! - [`forward`]: HTTP and NATS forwarding, fire-and-forget or durable (billing records).
//! - `shutdown`: [`Running`]: one cancellation token that reaches the listener, the REST server
//!   and every connection, and a bounded wait for their tasks and the forwarders.
//! - [`registry`]: the piles online, one connection each; a newer login closes the older one.
//! - [`api`]: the REST API (axum) on the HTTP port; [`metrics`]: Prometheus counters.
//! - [`console`]: the operators' web page on the same port (`GET /`).
//! - [`config`] and [`args`]: every option and limit, from the Go `ykc-proxy-server` flags verbatim,
//!   kebab-case flags, `YKC_*` variables and a YAML file (annotated example: `ykc.example.yaml`).

pub mod api;
pub mod args;
mod billing;
pub mod config;
mod connection;
pub mod console;
pub mod fleet;
pub mod forward;
mod history;
pub mod identity;
mod limits;
mod listener;
pub mod metrics;
pub mod outbox;
pub mod registry;

pub mod session;
mod shutdown;

pub use shutdown::Running;

use crate::journal::{Journal, JournalConfig};
use config::ServeConfig;
use forward::{ForwardConfig, Forwarder, Forwarders, SinkKind};
use session::Policy;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// A listener could not bind.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The forwarder could not be built.
    #[error("forwarding: {0}")]
    Forward(#[from] forward::ForwardError),
    /// The journal could not be opened.
    #[error("journal: {0}")]
    Journal(#[from] crate::journal::JournalError),
    /// The configuration refers to something unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// Fleet mode could not start (NATS unreachable, no JetStream, a bad node id).
    #[error("fleet: {0}")]
    Fleet(#[from] fleet::FleetError),
    /// The pinned-identity store could not be opened.
    #[error("identity store {}: {source}", path.display())]
    Identity {
        /// Its file.
        path: std::path::PathBuf,
        /// The cause.
        source: identity::StoreError,
    },
}

/// State shared by every connection and the REST API.
pub struct Shared {
    /// The configuration.
    pub config: ServeConfig,
    /// The rules every session follows (read from the configuration once).
    pub policy: Policy,
    /// Online piles.
    pub registry: registry::Registry,
    /// Counters.
    pub metrics: metrics::Metrics,
    /// Where frames go: an HTTP and/or a NATS forwarder (none when no servers are configured).
    pub forwarders: Forwarders,
    /// One permit per open connection, `connection_limit` in all.
    pub connections: Arc<Semaphore>,
    /// `max_connections`, or fewer when the open-file limit leaves room for fewer piles.
    pub connection_limit: u32,
    /// Connections open per source address (`max_connections_per_ip`, `max_prelogin_per_ip`).
    pub sources: limits::Sources,
    /// The journal of every frame (none with `journal: off`).
    pub journal: Option<Journal>,
    /// With a journal, forwarding reads from it: one outbox per sink (and `forwarders` is empty).
    pub outboxes: outbox::Outboxes,
    /// The operators' web page: its live frame feed and last status frames.
    pub console: console::Console,
    /// The pinned pile identities (none with `--pile-identity off`).
    pub identity: Option<Arc<identity::IdentityStore>>,
    /// This node's membership of a fleet (`cluster`), set once at start.
    pub fleet: std::sync::OnceLock<Arc<fleet::Fleet>>,
}

impl Shared {
    /// The gauges, read from their sources: permits taken, piles registered.
    pub fn gauges(&self) -> metrics::Gauges {
        let max = self.connection_limit as usize;
        metrics::Gauges {
            connections_open: max.saturating_sub(self.connections.available_permits()) as u64,
            piles_online: self.registry.len() as u64,
        }
    }
}

/// One forwarding configuration per sink kind that has servers.
fn forward_configs(config: &ServeConfig) -> Vec<ForwardConfig> {
    let (http, nats) = config.sinks();
    let mut out = Vec::new();
    for (kind, servers) in [(SinkKind::Http, http), (SinkKind::Nats, nats)] {
        if servers.is_empty() {
            continue;
        }
        let mut fc = ForwardConfig::new(kind, servers);
        if kind == SinkKind::Nats {
            fc.username = config.username.clone();
            fc.password = config.password.as_ref().map(|p| p.expose().to_owned());
        }
        fc.queue = config.forward_queue;
        fc.timeout = config.forward_timeout();
        fc.retries = config.forward_retries;
        fc.backoff = config.forward_backoff();
        fc.jetstream = config.jetstream;
        out.push(fc);
    }
    out
}

/// Forwarding: the journal's outboxes, or without a journal the in-memory forwarders.
async fn forwarding(
    config: &ServeConfig,
    journal: Option<&Journal>,
) -> Result<(Forwarders, outbox::Outboxes), GatewayError> {
    let mut forwarders = Vec::new();
    let mut outboxes = Vec::new();
    for fc in forward_configs(config) {
        match journal {
            Some(j) => outboxes.push(outbox::Outbox::start(fc, j.clone()).await?),
            None => forwarders.push(Forwarder::new(fc).await?),
        }
    }
    Ok((forwarders.into(), outbox::Outboxes(outboxes)))
}

fn policy(config: &ServeConfig) -> Result<Policy, GatewayError> {
    let allowlist = match &config.login_allowlist_file {
        Some(p) => {
            let codes =
                config::read_allowlist(p).map_err(|e| GatewayError::Config(e.to_string()))?;
            Some(Arc::new(identity::Allowlist::new(p.clone(), codes)))
        }
        None => None,
    };
    let billing_model = match &config.billing_model_file {
        Some(p) => Some(
            config::read_billing_model_file(p).map_err(|e| GatewayError::Config(e.to_string()))?,
        ),
        None => None,
    };
    Ok(Policy {
        auto_verification: config.auto_verification,
        auto_heartbeat_response: config.auto_heartbeat_response,
        auto_billing_model_verify: config.auto_billing_model_verify,
        auto_transaction_record_confirm: config.auto_transaction_record_confirm,
        auto_billing_model_response: config.auto_billing_model_response,
        drop_before_login: config.drop_before_login,
        time_sync_after_login: config.time_sync_after_login,
        login_timeout: config.login_timeout(),
        heartbeat_timeout: config.heartbeat_timeout(),
        allowlist,
        billing_model,
    })
}

/// Opens the journal the configuration names (none with `journal: off`).
fn journal(config: &ServeConfig) -> Result<Option<Journal>, GatewayError> {
    let Some(path) = config.journal_path() else {
        return Ok(None);
    };
    let mut jc = JournalConfig::new(path);
    jc.max_age = config.journal_max_age.map(|s| s.0);
    jc.max_bytes = (config.journal_max_bytes > 0).then_some(config.journal_max_bytes);
    let journal = Journal::open(jc)?;
    info!(path = %journal.path().display(), uid = journal.uid(), "journal open");
    Ok(Some(journal))
}

async fn build_shared(config: ServeConfig) -> Result<Shared, GatewayError> {
    let journal = journal(&config)?;
    let (forwarders, outboxes) = forwarding(&config, journal.as_ref()).await?;
    // Counted after the journal and sinks are open, so their files are set aside.
    let connection_limit = limits::pile_file_budget(config.max_connections);
    Ok(Shared {
        journal,
        outboxes,
        policy: policy(&config)?,
        identity: identity::open_store(&config)?,
        forwarders,
        connections: Arc::new(Semaphore::new(connection_limit as usize)),
        connection_limit,
        sources: limits::Sources::new(config.max_connections_per_ip, config.max_prelogin_per_ip),
        registry: Default::default(),
        fleet: Default::default(),
        metrics: Default::default(),
        console: console::Console::new(config.node_name()),
        config,
    })
}

/// Binds both ports and serves until [`Running::stop`] or [`Running::shutdown`].
pub async fn start(config: ServeConfig) -> Result<Running, GatewayError> {
    let tcp_bind = config.tcp_bind_addr();
    let http_bind = config.http_bind_addr();
    let tcp = TcpListener::bind(&tcp_bind)
        .await
        .map_err(|source| GatewayError::Bind {
            addr: tcp_bind.clone(),
            source,
        })?;
    let http = TcpListener::bind(&http_bind)
        .await
        .map_err(|source| GatewayError::Bind {
            addr: http_bind.clone(),
            source,
        })?;
    let (tcp_addr, http_addr) = (local(&tcp, &tcp_bind)?, local(&http, &http_bind)?);
    let shared = Arc::new(build_shared(config).await?);
    let (shutdown, tasks) = (CancellationToken::new(), TaskTracker::new());
    // Joined before the first pile is accepted: logins consult the fleet.
    if let Some(f) = fleet::member::join(&shared, shutdown.clone(), &tasks).await? {
        let _ = shared.fleet.set(f);
    }
    let listener = listener::Listener {
        tcp,
        shared: shared.clone(),
        shutdown: shutdown.clone(),
        tasks: tasks.clone(),
    };
    tasks.spawn(listener.run());
    tasks.spawn(console::Console::maintain(shared.clone(), shutdown.clone()));
    tasks.spawn(identity::watch_allowlist(shared.clone(), shutdown.clone()));
    let app = api::router(shared.clone());
    tasks.spawn(api::serve(http, app, &shared.config, shutdown.clone())?);
    info!(%tcp_addr, %http_addr, "ykc gateway listening");
    Ok(Running {
        tcp_addr,
        http_addr,
        shared,
        shutdown,
        tasks,
    })
}

fn local(l: &TcpListener, addr: &str) -> Result<SocketAddr, GatewayError> {
    l.local_addr().map_err(|source| GatewayError::Bind {
        addr: addr.to_string(),
        source,
    })
}

/// Runs the gateway until Ctrl-C or SIGTERM, then shuts it down within `shutdown_grace`:
/// stop accepting, close the sessions, flush the journal, let the outbox drain.
pub async fn run(config: ServeConfig) -> Result<(), GatewayError> {
    let grace = config.shutdown_grace.0;
    let running = start(config).await?;
    shutdown::signalled().await;
    info!(?grace, "shutting down");
    if !running.shutdown(grace).await {
        warn!(?grace, "shutdown grace ran out: undelivered rows stay in the journal for the next start (without a journal, queued forwards were lost)");
    }
    Ok(())
}
