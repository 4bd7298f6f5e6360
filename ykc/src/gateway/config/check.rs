//! [`ConfigError`], and the checks of values and files that name the option at fault.

use super::{env_name, flag_name, GO_FLAGS};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::{collections::BTreeSet, net::IpAddr};

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The `--config` file could not be read.
    #[error("cannot read config file {}: {}", .0.display(), .1)]
    ReadFile(PathBuf, #[source] std::io::Error),
    /// The `--config` file is not a valid YAML config (serde names the key, line and column).
    #[error("config file {}: {}", .0.display(), .1)]
    ParseFile(PathBuf, #[source] serde_yaml::Error),
    /// An option has a bad value or conflicts with another option.
    #[error("invalid {}: {reason}", describe_option(option))]
    Invalid {
        /// The config key (`servers`).
        option: &'static str,
        /// What is wrong and, where possible, how to fix it.
        reason: String,
    },
}

impl ConfigError {
    /// The config key an [`ConfigError::Invalid`] is about.
    pub fn option(&self) -> Option<&'static str> {
        match self {
            ConfigError::Invalid { option, .. } => Some(option),
            _ => None,
        }
    }
}

/// "`servers` (--servers, YKC_SERVERS, Go -servers)".
fn describe_option(key: &str) -> String {
    let (flag, env) = (flag_name(key), env_name(key));
    match GO_FLAGS.iter().find(|g| g.key == key) {
        Some(g) => format!("`{key}` (--{flag}, {env}, Go -{})", g.go),
        None => format!("`{key}` (--{flag}, {env})"),
    }
}

pub(super) fn invalid(option: &'static str, reason: String) -> ConfigError {
    ConfigError::Invalid { option, reason }
}

/// `ensure!(cond, option => "why {x}")`: unless `cond`, returns [`ConfigError::Invalid`].
macro_rules! ensure {
    ($cond:expr, $option:expr => $($reason:tt)+) => {
        if !$cond {
            return Err(invalid($option, format!($($reason)+)));
        }
    };
}
pub(super) use ensure;

/// An IP address or a host name (IPv6 without brackets).
pub(super) fn validate_host(host: &str) -> Result<(), ConfigError> {
    let label = |l: &str| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let ok = host.parse::<IpAddr>().is_ok() || host.split('.').all(label);
    ensure!(!host.is_empty(), "host" => "is empty (use 0.0.0.0 for all interfaces)");
    ensure!(ok, "host" => "`{host}` is neither an IP address (IPv6 unbracketed) nor a host name");
    Ok(())
}

/// The scheme of `s` (`http` of `http://x`), lowercased, if it has one.
pub(super) fn scheme(s: &str) -> Option<String> {
    s.split_once("://")
        .map(|(scheme, _)| scheme.to_ascii_lowercase())
}

/// A server without blanks, with a host, and with an HTTP or NATS scheme if any.
pub(super) fn validate_server(server: &str) -> Result<(), ConfigError> {
    let rest = server.split_once("://").map_or(server, |(_, r)| r);
    // Explicit schemes pick the sink, so HTTP and NATS can be used together.
    let scheme = scheme(server).unwrap_or_else(|| "http".to_owned());
    let known = ["http", "https", "nats", "tls", "ws", "wss"].contains(&scheme.as_str());
    ensure!(!server.contains(char::is_whitespace), "servers" => "`{server}` contains whitespace");
    ensure!(!rest.is_empty() && !rest.starts_with('/'), "servers" => "`{server}` has no host");
    ensure!(known, "servers" => "`{server}`: scheme {scheme}:// is neither HTTP (http://, \
        https://) nor NATS (nats://, tls://, ws://, wss://); scheme-less entries follow \
        messaging_server_type");
    Ok(())
}

/// Reads a login allowlist: one pile code per line as `ykc parse` prints it (14 hex digits),
/// upper-cased; `#` comments are ignored. A bad line, or no code (all refused), is an error.
pub fn read_allowlist(path: &Path) -> Result<BTreeSet<String>, ConfigError> {
    const OPT: &str = "login_allowlist_file";
    let at = path.display();
    let text = std::fs::read_to_string(path);
    let text = text.map_err(|e| invalid(OPT, format!("cannot read {at}: {e}")))?;
    let mut codes = BTreeSet::new();
    for (n, line) in (1..).zip(text.lines()) {
        let code = line.split('#').next().unwrap_or("").trim();
        let hex = code.len() == 14 && code.chars().all(|c| c.is_ascii_hexdigit());
        ensure!(hex || code.is_empty(), OPT => "{at}:{n}: `{code}` is not a pile code (14 hex)");
        codes.extend(hex.then(|| code.to_ascii_uppercase()));
    }
    ensure!(!codes.is_empty(), OPT => "{at} lists no pile codes; every login would be refused");
    Ok(codes)
}

/// Reads a billing-model file: a JSON object with a `billing_model_no`. The
/// gateway encodes its fields with the 0x0A / 0x58 types, which check each one.
pub fn read_billing_model_file(path: &Path) -> Result<Map<String, Value>, ConfigError> {
    const OPT: &str = "billing_model_file";
    let at = path.display();
    let text = std::fs::read_to_string(path);
    let text = text.map_err(|e| invalid(OPT, format!("cannot read {at}: {e}")))?;
    let fields: Map<String, Value> = serde_json::from_str(&text)
        .map_err(|e| invalid(OPT, format!("{at} is not a JSON object: {e}")))?;
    ensure!(fields.contains_key("billing_model_no"), OPT => "{at} has no `billing_model_no`");
    Ok(fields)
}
