//! Who may call the REST API: bearer tokens with a scope, or, without any token, protected mode
//! as Redis does it (loopback callers only, unless `api_insecure_open`).
//!
//! [`Auth::check`] is the whole decision, a pure function of the caller's address, its
//! `Authorization` header and the route; [`guard`] is the axum middleware that applies it and
//! hands the handlers a [`Caller`].

use super::{error, ApiError};
use crate::gateway::config::{ApiScope, ApiToken, ServeConfig};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// The route every caller may use, token or not: load balancers probe it.
pub const OPEN_ROUTE: &str = "/healthz";

/// Routes open to every caller: the health probe and the console's page and assets (they hold
/// no data; the page asks for a token when the API answers 401).
pub fn is_open(path: &str) -> bool {
    path == OPEN_ROUTE || path == "/" || path.starts_with("/console/assets/")
}

/// The REST API's access rules, read once from the configuration.
#[derive(Debug, Clone)]
pub struct Auth {
    tokens: Vec<ApiToken>,
    insecure_open: bool,
}

/// Who made a request, as the command log names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's name, or `loopback` (protected mode) or `open` (`api_insecure_open`).
    pub name: String,
    /// The source address, when the server knows it.
    pub addr: Option<SocketAddr>,
}

impl Caller {
    /// The source address as text (`-` when unknown).
    pub fn source(&self) -> String {
        self.addr.map_or_else(|| "-".to_owned(), |a| a.to_string())
    }
}

/// Why a request is refused: 401 (no or wrong token) or 403 (scope, protected mode).
#[derive(Debug)]
pub struct Refusal(ApiError);

impl Refusal {
    /// The API error inside.
    pub fn error(&self) -> &ApiError {
        &self.0
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let unauthorized = self.0.status() == StatusCode::UNAUTHORIZED;
        let mut r = self.0.into_response();
        if unauthorized {
            let challenge = HeaderValue::from_static("Bearer realm=\"ykc\"");
            r.headers_mut().insert(header::WWW_AUTHENTICATE, challenge);
        }
        r
    }
}

/// True for 127.0.0.0/8, ::1 and IPv4-mapped loopback (`::ffff:127.0.0.1`).
pub fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

const HOW_TO_SET_A_TOKEN: &str = "set a token (--api-token, YKC_API_TOKEN, or api.tokens in the \
    config file) and send `Authorization: Bearer <token>`, or start the gateway with \
    --api-insecure-open to serve every address without one";

impl Auth {
    /// The rules of `config`.
    pub fn new(config: &ServeConfig) -> Auth {
        Auth {
            tokens: config.rest_tokens(),
            insecure_open: config.api_insecure_open,
        }
    }

    /// True when some token is configured (then every route but `/healthz` needs one).
    pub fn has_tokens(&self) -> bool {
        !self.tokens.is_empty()
    }

    /// Decides a request: from `addr` (none when the server does not say), with the raw
    /// `Authorization` header, for `method` on `path`.
    pub fn check(
        &self,
        addr: Option<SocketAddr>,
        authorization: Option<&[u8]>,
        method: &Method,
        path: &str,
    ) -> Result<Caller, Refusal> {
        let caller = |name: &str| Caller {
            name: name.to_owned(),
            addr,
        };
        if is_open(path) {
            return Ok(caller("open"));
        }
        if !self.has_tokens() {
            return match addr {
                _ if self.insecure_open => Ok(caller("open")),
                Some(a) if is_loopback(a.ip()) => Ok(caller("loopback")),
                _ => Err(Refusal(error(
                    StatusCode::FORBIDDEN,
                    format!(
                        "protected mode: no REST token is configured, so only loopback callers \
                         are served ({} is not one); {HOW_TO_SET_A_TOKEN}",
                        addr.map_or_else(|| "this caller".to_owned(), |a| a.ip().to_string())
                    ),
                    None,
                ))),
            };
        }
        let token = self.token(authorization)?;
        // POST /parse only decodes the hex it is given: reading, not commanding.
        let reads = matches!(*method, Method::GET | Method::HEAD) || path == "/parse";
        if token.scope == ApiScope::Read && !reads {
            return Err(Refusal(error(
                StatusCode::FORBIDDEN,
                format!(
                    "token `{}` has scope read: it may use GET routes (and POST /parse) only; {method} {path} \
                     needs a token with scope command",
                    token.name
                ),
                None,
            )));
        }
        Ok(caller(&token.name))
    }

    /// The token the header carries, compared with every configured one in constant time.
    fn token(&self, authorization: Option<&[u8]>) -> Result<&ApiToken, Refusal> {
        let unauthorized = |why: &str| {
            Refusal(error(
                StatusCode::UNAUTHORIZED,
                format!("{why}: send `Authorization: Bearer <token>` (the REST API has tokens)"),
                None,
            ))
        };
        let header = authorization.ok_or_else(|| unauthorized("no Authorization header"))?;
        let given = bearer(header).ok_or_else(|| unauthorized("not a Bearer credential"))?;
        let mut found = None;
        for t in &self.tokens {
            // Every token is compared, so the time taken does not say which one matched.
            if bool::from(t.token.expose().as_bytes().ct_eq(given)) {
                found = Some(t);
            }
        }
        found.ok_or_else(|| unauthorized("wrong token"))
    }
}

/// The credential of `Bearer <credential>` (the scheme in any case, RFC 7235).
fn bearer(header: &[u8]) -> Option<&[u8]> {
    let (scheme, rest) = header.split_at_checked(7)?;
    scheme
        .eq_ignore_ascii_case(b"bearer ")
        .then(|| rest.trim_ascii())
        .filter(|c| !c.is_empty())
}

/// The middleware: refuses what [`Auth::check`] refuses, else runs the route with the
/// [`Caller`] in the request's extensions.
pub async fn guard(State(auth): State<Arc<Auth>>, mut req: Request, next: Next) -> Response {
    let addr = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let header = req.headers().get(header::AUTHORIZATION);
    match auth.check(
        addr,
        header.map(HeaderValue::as_bytes),
        req.method(),
        req.uri().path(),
    ) {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(refusal) => refusal.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef-command";
    const READ: &str = "0123456789abcdef-read";

    fn auth(tokens: &[(&str, &str, ApiScope)], open: bool) -> Auth {
        Auth {
            tokens: tokens
                .iter()
                .map(|(name, token, scope)| ApiToken {
                    name: (*name).into(),
                    token: token.to_string().into(),
                    scope: *scope,
                })
                .collect(),
            insecure_open: open,
        }
    }

    fn addr(s: &str) -> Option<SocketAddr> {
        Some(s.parse().unwrap())
    }

    fn status(r: Result<Caller, Refusal>) -> Result<String, u16> {
        r.map(|c| c.name).map_err(|e| e.error().status().as_u16())
    }

    #[test]
    fn protected_mode_serves_loopback_only() {
        let a = auth(&[], false);
        let cmd = "/piles/1/commands/0x92";
        for lo in [
            "127.0.0.1:5",
            "127.9.9.9:5",
            "[::1]:5",
            "[::ffff:127.0.0.1]:5",
        ] {
            assert_eq!(
                status(a.check(addr(lo), None, &Method::POST, cmd)),
                Ok("loopback".into())
            );
        }
        for far in [
            "10.0.0.7:5",
            "192.168.1.2:80",
            "[fe80::1]:5",
            "[::ffff:10.0.0.1]:5",
        ] {
            let r = a.check(addr(far), None, &Method::GET, "/piles");
            let e = r.unwrap_err();
            assert_eq!(e.error().status(), StatusCode::FORBIDDEN);
            let why = format!("{:?}", e.error());
            assert!(
                why.contains("--api-token") && why.contains("--api-insecure-open"),
                "{why}"
            );
        }
        // An unknown source is not loopback; /healthz is open to all.
        assert_eq!(
            status(a.check(None, None, &Method::GET, "/piles")),
            Err(403)
        );
        assert!(a
            .check(addr("10.0.0.7:5"), None, &Method::GET, OPEN_ROUTE)
            .is_ok());
        let open = auth(&[], true);
        assert_eq!(
            status(open.check(addr("10.0.0.7:5"), None, &Method::POST, cmd)),
            Ok("open".into())
        );
    }

    #[test]
    fn tokens_are_needed_from_every_address() {
        let a = auth(
            &[
                ("ops", TOKEN, ApiScope::Command),
                ("ro", READ, ApiScope::Read),
            ],
            false,
        );
        let lo = addr("127.0.0.1:5");
        let bearer = format!("Bearer {TOKEN}");
        for (header, want) in [
            (None, Err(401)),
            (Some("Bearer nope-nope-nope-nope"), Err(401)),
            (Some("Basic b3BzOnB3"), Err(401)),
            (Some("Bearer "), Err(401)),
            (Some(&bearer[..bearer.len() - 1]), Err(401)),
            (Some(bearer.as_str()), Ok("ops".to_owned())),
        ] {
            let r = a.check(lo, header.map(str::as_bytes), &Method::GET, "/piles");
            assert_eq!(status(r), want, "{header:?}");
        }
        let lower = format!("bearer {TOKEN}");
        assert!(a
            .check(lo, Some(lower.as_bytes()), &Method::POST, "/x")
            .is_ok());
        assert!(a.check(lo, None, &Method::GET, OPEN_ROUTE).is_ok());
        let far = addr("10.1.1.1:9");
        assert!(
            a.check(far, None, &Method::GET, "/").is_ok(),
            "the console page"
        );
        assert!(a
            .check(far, None, &Method::GET, "/console/assets/app.js")
            .is_ok());
        assert!(a.check(far, None, &Method::GET, "/console/fleet").is_err());
        assert!(a.check(far, None, &Method::GET, "/meta/frames").is_err());
    }

    #[test]
    fn read_scope_is_refused_on_commands() {
        let a = auth(&[("grafana", READ, ApiScope::Read)], false);
        let h = format!("Bearer {READ}");
        let far = addr("10.1.1.1:9");
        assert_eq!(
            status(a.check(far, Some(h.as_bytes()), &Method::POST, "/parse")),
            Ok("grafana".into())
        );
        assert_eq!(
            status(a.check(far, Some(h.as_bytes()), &Method::GET, "/piles")),
            Ok("grafana".into())
        );
        let e = a
            .check(far, Some(h.as_bytes()), &Method::POST, "/proxy/92")
            .unwrap_err();
        assert_eq!(e.error().status(), StatusCode::FORBIDDEN);
        assert!(format!("{:?}", e.error()).contains("scope read"));
    }
}
