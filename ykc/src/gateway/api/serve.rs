//! Serving the router: plain HTTP through `axum::serve`, or TLS through axum-server (each
//! handshake in its connection's own task, so a slow client holds up no one), both with the
//! caller's address for the access rules, both stopped by the gateway's cancellation token.

use super::auth::Auth;
use crate::gateway::config::ServeConfig;
use crate::gateway::GatewayError;
use axum::Router;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// The REST server as a task to spawn: it serves `app` on `http` until `stop` is cancelled.
/// Fails at once when the TLS files cannot be used.
pub fn serve(
    http: TcpListener,
    app: Router,
    config: &ServeConfig,
    stop: CancellationToken,
) -> Result<Pin<Box<dyn Future<Output = ()> + Send>>, GatewayError> {
    announce(config);
    let make = app.into_make_service_with_connect_info::<SocketAddr>();
    let Some((cert, key)) = config.rest_tls() else {
        return Ok(Box::pin(async move {
            let server = axum::serve(http, make).with_graceful_shutdown(stop.cancelled_owned());
            if let Err(e) = server.await {
                warn!(error = %e, "REST server stopped");
            }
        }));
    };
    let tls = super::tls::server_config(cert, key).map_err(GatewayError::Config)?;
    let tls = axum_server::tls_rustls::RustlsConfig::from_config(tls);
    let listener = http
        .into_std()
        .map_err(|e| GatewayError::Config(format!("REST listener: {e}")))?;
    let server = axum_server::from_tcp_rustls(listener, tls)
        .map_err(|e| GatewayError::Config(format!("REST listener: {e}")))?;
    let handle = axum_server::Handle::new();
    let grace = config.shutdown_grace.0;
    let stopper = handle.clone();
    Ok(Box::pin(async move {
        tokio::spawn(async move {
            stop.cancelled().await;
            stopper.graceful_shutdown(Some(grace));
        });
        if let Err(e) = server.handle(handle).serve(make).await {
            warn!(error = %e, "REST server (TLS) stopped");
        }
    }))
}

/// Says at start who the REST API serves.
fn announce(config: &ServeConfig) {
    let auth = Auth::new(config);
    let tls = config.rest_tls().is_some();
    if auth.has_tokens() {
        let names: Vec<String> = config
            .rest_tokens()
            .iter()
            .map(ToString::to_string)
            .collect();
        info!(tls, tokens = ?names, "REST API: bearer tokens required");
    } else if config.api_insecure_open {
        warn!(
            tls,
            "REST API open to every address without a token (--api-insecure-open): \
            anyone who reaches the port can command every pile"
        );
    } else {
        info!(
            tls,
            "REST API in protected mode: no token configured, only loopback callers are \
            served (set --api-token / YKC_API_TOKEN / api.tokens, or --api-insecure-open)"
        );
    }
}
