//! `ykc serve`: the gateway in front of the piles.
//!
//! - [`config`] and [`args`]: every option and limit, from the Go `ykc-proxy-server` flags verbatim,
//!   kebab-case flags, `YKC_*` variables and a YAML file (annotated example: `ykc.example.yaml`).
//! - [`registry`]: the piles online, one connection each; a newer login closes the older one.
//! - `session`: one task per connection — framing, login, auto-answers, forwarding, commands.
//! - [`forward`]: HTTP and NATS forwarding, fire-and-forget or durable (billing records).
//! - [`api`]: the REST API (axum) on the HTTP port; [`metrics`]: Prometheus counters.

pub mod api;
pub mod args;
pub mod config;
pub mod forward;
pub mod metrics;
pub mod registry;
mod session;

use config::ServeConfig;
use forward::{ForwardConfig, Forwarder, SinkKind};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use tokio::net::TcpListener;
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
    /// The configuration refers to something unusable.
    #[error("configuration: {0}")]
    Config(String),
}

/// State shared by every connection and the REST API.
pub struct Shared {
    /// The configuration.
    pub config: ServeConfig,
    /// Online piles.
    pub registry: registry::Registry,
    /// Counters.
    pub metrics: metrics::Metrics,
    /// Where frames go: an HTTP and/or a NATS forwarder (none when no servers are configured).
    pub forwarders: Vec<Forwarder>,
    /// Pile codes allowed to log in (none = all).
    pub allowlist: Option<BTreeSet<String>>,
    /// The billing model body (0x0A fields) to answer billing-model requests with.
    pub billing_model: Option<Map<String, Value>>,
    next_conn: AtomicU64,
}

/// A running gateway: its addresses, and a way to stop it.
pub struct Running {
    /// The pile (TCP) address actually bound.
    pub tcp_addr: SocketAddr,
    /// The REST address actually bound.
    pub http_addr: SocketAddr,
    /// Shared state (registry, metrics).
    pub shared: Arc<Shared>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl Running {
    /// Stops accepting connections and serving REST.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

async fn build_shared(config: ServeConfig) -> Result<Shared, GatewayError> {
    let (http, nats) = config.sinks();
    let mut forwarders = Vec::new();
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
        forwarders.push(Forwarder::new(fc).await?);
    }
    let allowlist = match &config.login_allowlist_file {
        Some(p) => {
            Some(config::read_allowlist(p).map_err(|e| GatewayError::Config(e.to_string()))?)
        }
        None => None,
    };
    let billing_model = match &config.billing_model_file {
        Some(p) => {
            let text = config::read_billing_model_file(p)
                .map_err(|e| GatewayError::Config(e.to_string()))?;
            match serde_json::from_str::<Value>(&text) {
                Ok(Value::Object(m)) => Some(m),
                _ => {
                    return Err(GatewayError::Config(format!(
                        "{}: not a JSON object of billing model fields",
                        p.display()
                    )))
                }
            }
        }
        None => None,
    };
    Ok(Shared {
        config,
        registry: Default::default(),
        metrics: Default::default(),
        forwarders,
        allowlist,
        billing_model,
        next_conn: AtomicU64::new(1),
    })
}

/// Binds both ports and serves until [`Running::stop`].
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
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(accept_loop(shared.clone(), tcp, stopped.clone()));
    let app = api::router(shared.clone());
    let mut http_stop = stopped;
    tokio::spawn(async move {
        let shutdown = async move {
            let _ = http_stop.changed().await;
        };
        if let Err(e) = axum::serve(http, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            warn!(error = %e, "REST server stopped");
        }
    });
    info!(%tcp_addr, %http_addr, "ykc gateway listening");
    Ok(Running {
        tcp_addr,
        http_addr,
        shared,
        stop,
    })
}

fn local(l: &TcpListener, addr: &str) -> Result<SocketAddr, GatewayError> {
    l.local_addr().map_err(|source| GatewayError::Bind {
        addr: addr.to_string(),
        source,
    })
}

async fn accept_loop(
    shared: Arc<Shared>,
    tcp: TcpListener,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let (stream, peer) = tokio::select! {
            r = tcp.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped.changed() => return,
        };
        let m = &shared.metrics;
        if m.connections_open.load(Relaxed) >= shared.config.max_connections as u64 {
            m.connections_refused.fetch_add(1, Relaxed);
            warn!(%peer, "connection refused: max_connections reached");
            drop(stream);
            continue;
        }
        m.connections_total.fetch_add(1, Relaxed);
        m.connections_open.fetch_add(1, Relaxed);
        let _ = stream.set_nodelay(true);
        let conn_id = shared.next_conn.fetch_add(1, Relaxed);
        let s = shared.clone();
        tokio::spawn(async move {
            session::serve(s.clone(), stream, peer, conn_id).await;
            s.metrics.connections_open.fetch_sub(1, Relaxed);
        });
    }
}

/// Runs the gateway until Ctrl-C.
pub async fn run(config: ServeConfig) -> Result<(), GatewayError> {
    let running = start(config).await?;
    let _ = tokio::signal::ctrl_c().await;
    info!("shutting down");
    running.stop();
    for f in &running.shared.forwarders {
        f.shutdown(std::time::Duration::from_secs(5)).await;
    }
    Ok(())
}
