//! Why a configuration is refused: [`ConfigError`], and the checks of
//! values and files that name the option at fault.

use super::{env_name, flag_name, MessagingServerType, GO_FLAGS};
use std::collections::BTreeSet;
use std::fmt::Display;
use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The `--config` file could not be read.
    #[error("cannot read config file {}: {source}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The `--config` file is not valid YAML for
    /// [`ServeConfig`](super::ServeConfig) (serde names the unknown key or the
    /// bad value, with line and column).
    #[error("config file {}: {source}", path.display())]
    ParseFile {
        /// The file.
        path: PathBuf,
        /// The YAML error.
        source: serde_yaml::Error,
    },
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
    let go = GO_FLAGS
        .iter()
        .find(|g| g.key == key)
        .map(|g| format!(", Go -{}", g.go))
        .unwrap_or_default();
    format!("`{key}` (--{}, {}{go})", flag_name(key), env_name(key))
}

pub(super) fn invalid(option: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        option,
        reason: reason.into(),
    }
}

pub(super) fn check_range<T: PartialOrd + Display>(
    option: &'static str,
    value: T,
    range: RangeInclusive<T>,
) -> Result<(), ConfigError> {
    if !range.contains(&value) {
        let (min, max) = range.into_inner();
        return Err(invalid(option, format!("{value} is outside {min}..={max}")));
    }
    Ok(())
}

pub(super) fn validate_host(host: &str) -> Result<(), ConfigError> {
    if host.is_empty() {
        return Err(invalid("host", "is empty (use 0.0.0.0 for all interfaces)"));
    }
    let hostname = host
        .split('.')
        .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if host.parse::<IpAddr>().is_err() && !hostname {
        return Err(invalid(
            "host",
            format!("`{host}` is neither an IP address nor a host name (IPv6 without brackets, e.g. ::)"),
        ));
    }
    Ok(())
}

/// The scheme of `s` (`http` of `http://x`), lowercased, if it has one.
pub(super) fn scheme(s: &str) -> Option<String> {
    s.split_once("://")
        .map(|(scheme, _)| scheme.to_ascii_lowercase())
}

pub(super) fn validate_server(kind: MessagingServerType, server: &str) -> Result<(), ConfigError> {
    if server.chars().any(char::is_whitespace) {
        return Err(invalid(
            "servers",
            format!("`{server}` contains whitespace"),
        ));
    }
    let rest = server.split_once("://").map_or(server, |(_, r)| r);
    if rest.is_empty() || rest.starts_with('/') {
        return Err(invalid("servers", format!("`{server}` has no host")));
    }
    match scheme(server).as_deref() {
        // Explicit schemes pick the sink, so HTTP and NATS can be used together.
        None | Some("http" | "https" | "nats" | "tls" | "ws" | "wss") => Ok(()),
        Some(s) => Err(invalid(
            "servers",
            format!(
                "`{server}`: scheme {s}:// is neither HTTP (http://, https://) nor NATS (nats://, tls://, ws://, wss://); \
                 a scheme-less entry follows messaging_server_type ({kind})"
            ),
        )),
    }
}

/// Reads `path` for `option`, naming both on failure.
fn read(option: &'static str, path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path)
        .map_err(|e| invalid(option, format!("cannot read {}: {e}", path.display())))
}

/// Reads a login allowlist: one pile code per line, 14 hex digits (the BCD
/// pile code as `ykc parse` prints it), upper-cased; blank lines and `#`
/// comments (whole-line or trailing) are ignored. Errors name
/// `login_allowlist_file`, the file and the line; a file with no codes is an
/// error too (it would refuse every pile).
pub fn read_allowlist(path: &Path) -> Result<BTreeSet<String>, ConfigError> {
    const OPT: &str = "login_allowlist_file";
    let text = read(OPT, path)?;
    let mut codes = BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split('#').next().unwrap_or("").trim();
        if code.is_empty() {
            continue;
        }
        if code.len() != 14 || !code.chars().all(|c| c.is_ascii_hexdigit()) {
            let at = format!("{}:{}", path.display(), n + 1);
            let why = format!("{at}: `{code}` is not a pile code (14 hex digits)");
            return Err(invalid(OPT, why));
        }
        codes.insert(code.to_ascii_uppercase());
    }
    if codes.is_empty() {
        let why = "lists no pile codes; every login would be refused";
        return Err(invalid(OPT, format!("{} {why}", path.display())));
    }
    Ok(codes)
}

/// Reads a billing-model file and checks its shape: a JSON object with a
/// `billing_model_no`. Returns the text for the gateway to decode with the
/// 0x0A / 0x58 frame types (which check every field). Errors name
/// `billing_model_file`.
pub fn read_billing_model_file(path: &Path) -> Result<String, ConfigError> {
    const OPT: &str = "billing_model_file";
    let text = read(OPT, path)?;
    let at = path.display();
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| invalid(OPT, format!("{at} is not valid JSON: {e}")))?;
    let Some(object) = value.as_object() else {
        return Err(invalid(OPT, format!("{at} is not a JSON object")));
    };
    if !object.contains_key("billing_model_no") {
        return Err(invalid(OPT, format!("{at} has no `billing_model_no`")));
    }
    Ok(text)
}
