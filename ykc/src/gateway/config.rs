//! The configuration of `ykc serve`: every option and limit with its
//! default, the YAML config-file format, and validation.
//!
//! Sources, highest precedence first: command line, `YKC_*` environment
//! variables, the YAML file given with `--config`, the defaults below
//! (see [`super::args::load`]). `ykc.example.yaml` documents every key.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The largest frame the protocol allows: start byte, length byte, 255
/// counted bytes, two CRC bytes. A smaller `max_frame_buffer` would refuse
/// legitimate frames.
pub const MAX_FRAME_LEN: usize = 259;

/// One command-line flag of the Go `ykc-proxy-server` and the
/// [`ServeConfig`] key it sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoFlag {
    /// The Go flag name, without dashes (`tcpPort`).
    pub go: &'static str,
    /// The [`ServeConfig`] field / YAML key (`tcp_port`); the kebab-case
    /// long flag and the `YKC_*` variable are derived from it.
    pub key: &'static str,
    /// A Go `flag.Bool`: `-name` alone means true, a value needs `=`.
    pub boolean: bool,
}

/// Every flag `ykc-proxy-server` defines (its `parseOptions`), in its order.
pub const GO_FLAGS: &[GoFlag] = &[
    GoFlag {
        go: "host",
        key: "host",
        boolean: false,
    },
    GoFlag {
        go: "tcpPort",
        key: "tcp_port",
        boolean: false,
    },
    GoFlag {
        go: "httpPort",
        key: "http_port",
        boolean: false,
    },
    GoFlag {
        go: "autoVerification",
        key: "auto_verification",
        boolean: true,
    },
    GoFlag {
        go: "autoHeartbeatResponse",
        key: "auto_heartbeat_response",
        boolean: true,
    },
    GoFlag {
        go: "autoBillingModelVerify",
        key: "auto_billing_model_verify",
        boolean: true,
    },
    GoFlag {
        go: "autoTransactionRecordConfirm",
        key: "auto_transaction_record_confirm",
        boolean: true,
    },
    GoFlag {
        go: "messagingServerType",
        key: "messaging_server_type",
        boolean: false,
    },
    GoFlag {
        go: "servers",
        key: "servers",
        boolean: false,
    },
    GoFlag {
        go: "username",
        key: "username",
        boolean: false,
    },
    GoFlag {
        go: "password",
        key: "password",
        boolean: false,
    },
];

/// The kebab-case long flag of a config key, without dashes (`tcp-port`).
pub fn flag_name(key: &str) -> String {
    key.replace('_', "-")
}

/// The environment variable of a config key (`YKC_TCP_PORT`).
pub fn env_name(key: &str) -> String {
    format!("YKC_{}", key.to_ascii_uppercase())
}

/// Where forwarded frames and events go.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum MessagingServerType {
    /// HTTP `POST <endpoint>/<type hex>` to one of `servers`.
    #[default]
    Http,
    /// NATS publish to `charge.proxy.ykc.<type hex>` on the cluster `servers`.
    Nats,
}

impl fmt::Display for MessagingServerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MessagingServerType::Http => "http",
            MessagingServerType::Nats => "nats",
        })
    }
}

/// Byte order of the two CRC bytes in frames the gateway sends before it has
/// seen the pile's own order (replies always copy the request's order).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum CrcByteOrder {
    /// Low byte first, as the protocol document says (`ykc::CrcOrder::LowFirst`).
    #[default]
    Le,
    /// High byte first, as many piles in the field send (`ykc::CrcOrder::HighFirst`).
    Be,
}

impl fmt::Display for CrcByteOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CrcByteOrder::Le => "le",
            CrcByteOrder::Be => "be",
        })
    }
}

/// Every option and limit of `ykc serve`.
///
/// In YAML every key is optional (missing keys take the default) and unknown
/// keys are errors. `Debug` never prints the password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServeConfig {
    // ── the Go proxy's options ──────────────────────────────────────────
    /// Address both listeners bind to (TCP for piles, HTTP for the REST API).
    /// Go `-host`, default `0.0.0.0`.
    pub host: String,
    /// TCP port piles connect to; 0 = an ephemeral port. Go `-tcpPort`, default 27600.
    pub tcp_port: u16,
    /// HTTP port of the REST API; 0 = an ephemeral port. Go `-httpPort`, default 9556.
    pub http_port: u16,
    /// Answer login 0x01 with 0x02 "accepted" (subject to `login_allowlist_file`).
    /// Go `-autoVerification`, default false.
    pub auto_verification: bool,
    /// Answer heartbeat 0x03 with 0x04. Go `-autoHeartbeatResponse`, default **true**.
    pub auto_heartbeat_response: bool,
    /// Answer billing-model check 0x05 with 0x06 (against `billing_model_file`
    /// when given, else "consistent"). Go `-autoBillingModelVerify`, default false.
    pub auto_billing_model_verify: bool,
    /// Confirm transaction record 0x3B with 0x40, only once the record was
    /// forwarded successfully. Go `-autoTransactionRecordConfirm`, default false.
    pub auto_transaction_record_confirm: bool,
    /// Forwarding protocol. Go `-messagingServerType`, default `http`.
    pub messaging_server_type: MessagingServerType,
    /// HTTP endpoints (a scheme-less one means `http://`) or NATS URLs; empty =
    /// forward nothing. Go `-servers a,b`; commas split entries from every source.
    #[serde(deserialize_with = "de_servers")]
    pub servers: Vec<String>,
    /// NATS user name. Go `-username`; an empty value means none.
    pub username: Option<String>,
    /// NATS password. Go `-password`; an empty value means none.
    pub password: Option<String>,

    // ── limits ──────────────────────────────────────────────────────────
    /// Most simultaneous pile connections; further ones are closed at
    /// accept. 1..=1,000,000, default 20,000.
    pub max_connections: u32,
    /// Heartbeat interval piles are expected to keep, in seconds (the
    /// protocol says 10). 1..=3600, default 10.
    pub heartbeat_interval_secs: u64,
    /// Intervals without any frame after which a logged-in connection is
    /// closed. 1..=100, default 3.
    pub missed_heartbeats: u32,
    /// Seconds a new connection may take to log in (0x01) before it is
    /// closed. 1..=3600, default 30.
    pub login_timeout_secs: u64,
    /// Drop (and count) frames a connection sends before its login. Default true.
    pub drop_before_login: bool,
    /// File of pile codes allowed to log in, one per line (14 hex digits,
    /// `#` comments, blank lines ignored); others get 0x02 "refused".
    /// Needs `auto_verification`. Default none (everyone is accepted).
    pub login_allowlist_file: Option<PathBuf>,
    /// JSON object of a 0x0A / 0x58 body (spec field names; `pile_code` is
    /// replaced per pile): the billing model for `auto_billing_model_verify`
    /// and `auto_billing_model_response`. Default none.
    pub billing_model_file: Option<PathBuf>,
    /// Answer billing-model request 0x09 with 0x0A built from
    /// `billing_model_file` (required). Default false.
    pub auto_billing_model_response: bool,
    /// Send time sync 0x56 (the gateway's clock) right after a login is
    /// accepted. Default false.
    pub time_sync_after_login: bool,
    /// Messages queued per forwarding sink; beyond it messages are dropped
    /// and counted. 1..=10,000,000, default 10,000.
    pub forward_queue: usize,
    /// Timeout of one HTTP POST / NATS flush, in ms. 1..=600,000, default 5000.
    pub forward_timeout_ms: u64,
    /// Retries after a failed forward (0 = try once). 0..=100, default 3.
    pub forward_retries: u32,
    /// Backoff before the first retry, in ms, doubled on each further one.
    /// 0..=600,000, default 200.
    pub forward_backoff_ms: u64,
    /// How long a REST command waits for the pile's reply, in ms, before 504.
    /// 1..=600,000, default 10,000.
    pub command_timeout_ms: u64,
    /// CRC byte order of frames sent before the pile's own order is known.
    /// Default `le`.
    pub default_crc_order: CrcByteOrder,
    /// Bytes one connection may buffer while a frame is incomplete; beyond it
    /// the stream codec drops the candidate and resynchronises.
    /// 259 (one maximal frame)..=16 MiB, default 4096.
    pub max_frame_buffer: usize,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            host: "0.0.0.0".to_owned(),
            tcp_port: 27600,
            http_port: 9556,
            auto_verification: false,
            auto_heartbeat_response: true,
            auto_billing_model_verify: false,
            auto_transaction_record_confirm: false,
            messaging_server_type: MessagingServerType::Http,
            servers: Vec::new(),
            username: None,
            password: None,
            max_connections: 20_000,
            heartbeat_interval_secs: 10,
            missed_heartbeats: 3,
            login_timeout_secs: 30,
            drop_before_login: true,
            login_allowlist_file: None,
            billing_model_file: None,
            auto_billing_model_response: false,
            time_sync_after_login: false,
            forward_queue: 10_000,
            forward_timeout_ms: 5_000,
            forward_retries: 3,
            forward_backoff_ms: 200,
            command_timeout_ms: 10_000,
            default_crc_order: CrcByteOrder::Le,
            max_frame_buffer: 4096,
        }
    }
}

impl fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Destructured so a new field cannot be forgotten here.
        let ServeConfig {
            host,
            tcp_port,
            http_port,
            auto_verification,
            auto_heartbeat_response,
            auto_billing_model_verify,
            auto_transaction_record_confirm,
            messaging_server_type,
            servers,
            username,
            password,
            max_connections,
            heartbeat_interval_secs,
            missed_heartbeats,
            login_timeout_secs,
            drop_before_login,
            login_allowlist_file,
            billing_model_file,
            auto_billing_model_response,
            time_sync_after_login,
            forward_queue,
            forward_timeout_ms,
            forward_retries,
            forward_backoff_ms,
            command_timeout_ms,
            default_crc_order,
            max_frame_buffer,
        } = self;
        f.debug_struct("ServeConfig")
            .field("host", host)
            .field("tcp_port", tcp_port)
            .field("http_port", http_port)
            .field("auto_verification", auto_verification)
            .field("auto_heartbeat_response", auto_heartbeat_response)
            .field("auto_billing_model_verify", auto_billing_model_verify)
            .field(
                "auto_transaction_record_confirm",
                auto_transaction_record_confirm,
            )
            .field("messaging_server_type", messaging_server_type)
            .field("servers", servers)
            .field("username", username)
            .field("password", &password.as_ref().map(|_| "<redacted>"))
            .field("max_connections", max_connections)
            .field("heartbeat_interval_secs", heartbeat_interval_secs)
            .field("missed_heartbeats", missed_heartbeats)
            .field("login_timeout_secs", login_timeout_secs)
            .field("drop_before_login", drop_before_login)
            .field("login_allowlist_file", login_allowlist_file)
            .field("billing_model_file", billing_model_file)
            .field("auto_billing_model_response", auto_billing_model_response)
            .field("time_sync_after_login", time_sync_after_login)
            .field("forward_queue", forward_queue)
            .field("forward_timeout_ms", forward_timeout_ms)
            .field("forward_retries", forward_retries)
            .field("forward_backoff_ms", forward_backoff_ms)
            .field("command_timeout_ms", command_timeout_ms)
            .field("default_crc_order", default_crc_order)
            .field("max_frame_buffer", max_frame_buffer)
            .finish()
    }
}

/// `servers` in YAML: a list, a single string, or null.
fn de_servers<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(s)) => vec![s],
        Some(OneOrMany::Many(v)) => v,
    })
}

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
    /// The `--config` file is not valid YAML for [`ServeConfig`] (serde names
    /// the unknown key or the bad value, with line and column).
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
        /// The [`ServeConfig`] key (`servers`).
        option: &'static str,
        /// What is wrong and, where possible, how to fix it.
        reason: String,
    },
}

impl ConfigError {
    /// The [`ServeConfig`] key an [`ConfigError::Invalid`] is about.
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

fn invalid(option: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        option,
        reason: reason.into(),
    }
}

fn check_range<T: PartialOrd + fmt::Display>(
    option: &'static str,
    value: T,
    min: T,
    max: T,
) -> Result<(), ConfigError> {
    if value < min || value > max {
        return Err(invalid(option, format!("{value} is outside {min}..={max}")));
    }
    Ok(())
}

impl ServeConfig {
    /// Parses YAML text (missing keys take their defaults; an empty document
    /// is all defaults). Does not [`normalize`](Self::normalize) or
    /// [`validate`](Self::validate).
    pub fn from_yaml_str(text: &str) -> Result<ServeConfig, serde_yaml::Error> {
        // An empty or comments-only document is `null`, which a struct rejects.
        if serde_yaml::from_str::<serde_yaml::Value>(text)?.is_null() {
            return Ok(ServeConfig::default());
        }
        serde_yaml::from_str(text)
    }

    /// Reads a YAML config file. Relative `login_allowlist_file` and
    /// `billing_model_file` paths in it are taken relative to the file's
    /// directory. Does not normalize or validate.
    pub fn from_file(path: &Path) -> Result<ServeConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
            path: path.to_owned(),
            source,
        })?;
        let mut cfg =
            ServeConfig::from_yaml_str(&text).map_err(|source| ConfigError::ParseFile {
                path: path.to_owned(),
                source,
            })?;
        let dir = path.parent().unwrap_or(Path::new(""));
        for p in [&mut cfg.login_allowlist_file, &mut cfg.billing_model_file]
            .into_iter()
            .flatten()
        {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        }
        Ok(cfg)
    }

    /// Puts values from any source into canonical form: `servers` entries are
    /// split on commas, trimmed, and empty ones dropped (so the Go proxy's
    /// `-servers ""` is "no servers"); an empty `username` / `password` is
    /// `None`; `host` is trimmed.
    pub fn normalize(&mut self) {
        self.host = self.host.trim().to_owned();
        self.servers = self
            .servers
            .iter()
            .flat_map(|s| s.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if self.username.as_deref().is_some_and(str::is_empty) {
            self.username = None;
        }
        if self.password.as_deref().is_some_and(str::is_empty) {
            self.password = None;
        }
    }

    /// Checks every value and the combinations of options, and that the
    /// allowlist and billing-model files are readable and well-formed. The
    /// first problem is returned, naming its option. Call after
    /// [`normalize`](Self::normalize).
    pub fn validate(&self) -> Result<(), ConfigError> {
        validate_host(&self.host)?;
        if self.http_port != 0 && self.http_port == self.tcp_port {
            return Err(invalid(
                "http_port",
                format!(
                    "tcp_port and http_port are both {}; the two listeners need different ports",
                    self.http_port
                ),
            ));
        }
        for server in &self.servers {
            validate_server(self.messaging_server_type, server)?;
        }
        if self.messaging_server_type == MessagingServerType::Nats && self.servers.is_empty() {
            return Err(invalid(
                "servers",
                "messaging_server_type is nats but no NATS server is given (e.g. --servers nats://127.0.0.1:4222)",
            ));
        }

        check_range("max_connections", self.max_connections, 1, 1_000_000)?;
        check_range(
            "heartbeat_interval_secs",
            self.heartbeat_interval_secs,
            1,
            3600,
        )?;
        check_range("missed_heartbeats", self.missed_heartbeats, 1, 100)?;
        check_range("login_timeout_secs", self.login_timeout_secs, 1, 3600)?;
        check_range("forward_queue", self.forward_queue, 1, 10_000_000)?;
        check_range("forward_timeout_ms", self.forward_timeout_ms, 1, 600_000)?;
        check_range("forward_retries", self.forward_retries, 0, 100)?;
        check_range("forward_backoff_ms", self.forward_backoff_ms, 0, 600_000)?;
        check_range("command_timeout_ms", self.command_timeout_ms, 1, 600_000)?;
        check_range(
            "max_frame_buffer",
            self.max_frame_buffer,
            MAX_FRAME_LEN,
            16 << 20,
        )?;

        if let Some(path) = &self.login_allowlist_file {
            if !self.auto_verification {
                return Err(invalid(
                    "login_allowlist_file",
                    "is only used when auto_verification answers logins; enable --auto-verification",
                ));
            }
            read_allowlist(path)?;
        }
        match &self.billing_model_file {
            Some(path) => {
                if !self.auto_billing_model_verify && !self.auto_billing_model_response {
                    return Err(invalid(
                        "billing_model_file",
                        "is only used by auto_billing_model_verify or auto_billing_model_response; enable one of them",
                    ));
                }
                read_billing_model_file(path)?;
            }
            None if self.auto_billing_model_response => {
                return Err(invalid(
                    "auto_billing_model_response",
                    "needs billing_model_file (the 0x0A body to answer with)",
                ));
            }
            None => {}
        }
        Ok(())
    }

    /// `host:port` of the pile (TCP) listener, IPv6 hosts in brackets.
    pub fn tcp_bind_addr(&self) -> String {
        bind_addr(&self.host, self.tcp_port)
    }

    /// `host:port` of the REST (HTTP) listener, IPv6 hosts in brackets.
    pub fn http_bind_addr(&self) -> String {
        bind_addr(&self.host, self.http_port)
    }

    /// The heartbeat interval.
    pub fn heartbeat_interval(&self) -> Duration {
        Duration::from_secs(self.heartbeat_interval_secs)
    }

    /// Silence after which a logged-in connection is closed:
    /// `heartbeat_interval × missed_heartbeats`.
    pub fn heartbeat_timeout(&self) -> Duration {
        self.heartbeat_interval()
            .saturating_mul(self.missed_heartbeats)
    }

    /// Time a connection has to log in.
    pub fn login_timeout(&self) -> Duration {
        Duration::from_secs(self.login_timeout_secs)
    }

    /// Timeout of one forwarding attempt.
    pub fn forward_timeout(&self) -> Duration {
        Duration::from_millis(self.forward_timeout_ms)
    }

    /// Backoff before the first forwarding retry (doubled each retry).
    pub fn forward_backoff(&self) -> Duration {
        Duration::from_millis(self.forward_backoff_ms)
    }

    /// How long a REST command waits for the pile's reply.
    pub fn command_timeout(&self) -> Duration {
        Duration::from_millis(self.command_timeout_ms)
    }
}

fn bind_addr(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn validate_host(host: &str) -> Result<(), ConfigError> {
    if host.is_empty() {
        return Err(invalid("host", "is empty (use 0.0.0.0 for all interfaces)"));
    }
    if host.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    let hostname = host
        .split('.')
        .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if !hostname {
        return Err(invalid(
            "host",
            format!("`{host}` is neither an IP address nor a host name (IPv6 without brackets, e.g. ::)"),
        ));
    }
    Ok(())
}

/// The scheme of `s` (`http` of `http://x`), lowercased, if it has one.
fn scheme(s: &str) -> Option<String> {
    s.split_once("://")
        .map(|(scheme, _)| scheme.to_ascii_lowercase())
}

fn validate_server(kind: MessagingServerType, server: &str) -> Result<(), ConfigError> {
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
                 a scheme-less entry follows messaging_server_type ({})",
                if kind == MessagingServerType::Nats { "nats" } else { "http" }
            ),
        )),
    }
}

impl ServeConfig {
    /// `servers` split by sink: explicit `http(s)://` entries go over HTTP, explicit NATS schemes over
    /// NATS, and scheme-less entries follow `messaging_server_type`. Returns (HTTP, NATS).
    pub fn sinks(&self) -> (Vec<String>, Vec<String>) {
        let (mut http, mut nats) = (Vec::new(), Vec::new());
        for s in &self.servers {
            match scheme(s).as_deref() {
                Some("http" | "https") => http.push(s.clone()),
                Some(_) => nats.push(s.clone()),
                None if self.messaging_server_type == MessagingServerType::Nats => {
                    nats.push(s.clone())
                }
                None => http.push(s.clone()),
            }
        }
        (http, nats)
    }
}

/// Reads a login allowlist: one pile code per line, 14 hex digits (the BCD
/// pile code as `ykc parse` prints it), upper-cased; blank lines and `#`
/// comments (whole-line or trailing) are ignored. Errors name
/// `login_allowlist_file`, the file and the line; a file with no codes is an
/// error too (it would refuse every pile).
pub fn read_allowlist(path: &Path) -> Result<BTreeSet<String>, ConfigError> {
    const OPT: &str = "login_allowlist_file";
    let text = std::fs::read_to_string(path)
        .map_err(|e| invalid(OPT, format!("cannot read {}: {e}", path.display())))?;
    let mut codes = BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split('#').next().unwrap_or("").trim();
        if code.is_empty() {
            continue;
        }
        if code.len() != 14 || !code.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(invalid(
                OPT,
                format!(
                    "{}:{}: `{code}` is not a pile code (14 hex digits)",
                    path.display(),
                    n + 1
                ),
            ));
        }
        codes.insert(code.to_ascii_uppercase());
    }
    if codes.is_empty() {
        return Err(invalid(
            OPT,
            format!(
                "{} lists no pile codes; every login would be refused",
                path.display()
            ),
        ));
    }
    Ok(codes)
}

/// Reads a billing-model file and checks its shape: a JSON object with a
/// `billing_model_no`. Returns the text for the gateway to decode with the
/// 0x0A / 0x58 frame types (which check every field). Errors name
/// `billing_model_file`.
pub fn read_billing_model_file(path: &Path) -> Result<String, ConfigError> {
    const OPT: &str = "billing_model_file";
    let text = std::fs::read_to_string(path)
        .map_err(|e| invalid(OPT, format!("cannot read {}: {e}", path.display())))?;
    if !text.trim_start().starts_with('{') {
        return Err(invalid(
            OPT,
            format!("{} is not a JSON object", path.display()),
        ));
    }
    // JSON is YAML, so serde_yaml checks the syntax without another dependency.
    let value: serde_yaml::Value = serde_yaml::from_str(&text)
        .map_err(|e| invalid(OPT, format!("{} is not valid JSON: {e}", path.display())))?;
    let has_no = value
        .as_mapping()
        .is_some_and(|m| m.contains_key("billing_model_no"));
    if !has_no {
        return Err(invalid(
            OPT,
            format!("{} has no `billing_model_no`", path.display()),
        ));
    }
    Ok(text)
}

#[cfg(test)]
pub(super) mod test_util {
    use std::io::Write;
    use std::path::PathBuf;

    /// A file in a fresh temporary directory, removed on drop.
    pub(crate) struct TempFile {
        pub path: PathBuf,
    }

    impl TempFile {
        pub fn new(name: &str, contents: &str) -> TempFile {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "ykc-config-test-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(name);
            std::fs::File::create(&path)
                .unwrap()
                .write_all(contents.as_bytes())
                .unwrap();
            TempFile { path }
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            if let Some(dir) = self.path.parent() {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_util::TempFile;
    use super::*;

    fn valid(mut cfg: ServeConfig) -> Result<ServeConfig, ConfigError> {
        cfg.normalize();
        cfg.validate().map(|()| cfg)
    }

    fn invalid_option(cfg: ServeConfig) -> &'static str {
        match valid(cfg) {
            Err(e) => e.option().unwrap_or("<not Invalid>"),
            Ok(c) => panic!("accepted {c:?}"),
        }
    }

    const EXAMPLE: &str = include_str!("../../../ykc.example.yaml");

    #[test]
    fn defaults_match_the_go_proxy() {
        let c = ServeConfig::default();
        assert_eq!(c.host, "0.0.0.0");
        assert_eq!((c.tcp_port, c.http_port), (27600, 9556));
        assert!(!c.auto_verification);
        assert!(c.auto_heartbeat_response);
        assert!(!c.auto_billing_model_verify);
        assert!(!c.auto_transaction_record_confirm);
        assert_eq!(c.messaging_server_type, MessagingServerType::Http);
        assert!(c.servers.is_empty());
        assert_eq!((c.username, c.password), (None, None));
        assert!(valid(ServeConfig::default()).is_ok());
    }

    #[test]
    fn empty_yaml_is_defaults() {
        assert_eq!(
            ServeConfig::from_yaml_str("").unwrap(),
            ServeConfig::default()
        );
        assert_eq!(
            ServeConfig::from_yaml_str("# nothing\n").unwrap(),
            ServeConfig::default()
        );
        assert_eq!(
            ServeConfig::from_yaml_str("{}").unwrap(),
            ServeConfig::default()
        );
    }

    #[test]
    fn partial_yaml_keeps_other_defaults() {
        let c = ServeConfig::from_yaml_str("tcp_port: 1\nmessaging_server_type: nats\n").unwrap();
        assert_eq!(c.tcp_port, 1);
        assert_eq!(c.messaging_server_type, MessagingServerType::Nats);
        assert_eq!(c.http_port, 9556);
        assert!(c.auto_heartbeat_response);
    }

    #[test]
    fn unknown_yaml_key_is_an_error_naming_it() {
        let e = ServeConfig::from_yaml_str("tcpPort: 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `tcpPort`"), "{e}");
        let e = ServeConfig::from_yaml_str("tcp_port: 70000\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("tcp_port"), "{e}");
        let e = ServeConfig::from_yaml_str("default_crc_order: middle\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("default_crc_order"), "{e}");
    }

    #[test]
    fn servers_in_yaml_list_string_or_null() {
        let c = valid(ServeConfig::from_yaml_str("servers: [a:1, 'b:2, c:3']").unwrap()).unwrap();
        assert_eq!(c.servers, ["a:1", "b:2", "c:3"]);
        let c = valid(ServeConfig::from_yaml_str("servers: 'a:1,b:2'").unwrap()).unwrap();
        assert_eq!(c.servers, ["a:1", "b:2"]);
        let c = ServeConfig::from_yaml_str("servers: ~").unwrap();
        assert!(c.servers.is_empty());
    }

    #[test]
    fn normalize_empty_values() {
        let mut c = ServeConfig {
            servers: vec![String::new(), " , x:1 ,".into()],
            username: Some(String::new()),
            password: Some(String::new()),
            host: " 127.0.0.1 ".into(),
            ..ServeConfig::default()
        };
        c.normalize();
        assert_eq!(c.servers, ["x:1"]);
        assert_eq!((c.username, c.password), (None, None));
        assert_eq!(c.host, "127.0.0.1");
    }

    #[test]
    fn example_file_parses_and_is_defaults_but_servers() {
        let mut c = ServeConfig::from_yaml_str(EXAMPLE).unwrap();
        c.normalize();
        c.validate().unwrap();
        // The one deliberate difference: an HTTP endpoint, as in the Go README.
        assert_eq!(c.servers, ["http://127.0.0.1:8080/charge/ykc/messages"]);
        c.servers.clear();
        assert_eq!(c, ServeConfig::default());
    }

    #[test]
    fn example_file_documents_every_key() {
        let parsed: serde_yaml::Mapping = serde_yaml::from_str(EXAMPLE).unwrap();
        let all = serde_yaml::to_value(ServeConfig::default()).unwrap();
        let all = all.as_mapping().unwrap();
        let keys = |m: &serde_yaml::Mapping| -> Vec<String> {
            m.keys().map(|k| k.as_str().unwrap().to_owned()).collect()
        };
        assert_eq!(keys(&parsed), keys(all), "example keys, in struct order");
        for key in keys(all) {
            let env = format!("env: {}", env_name(&key));
            let flag = format!("--{}", flag_name(&key));
            assert!(EXAMPLE.contains(&env), "example lacks `{env}`");
            assert!(EXAMPLE.contains(&flag), "example lacks `{flag}`");
            assert!(
                EXAMPLE.contains(&format!("\n{key}:")),
                "example lacks key {key}"
            );
        }
        for g in GO_FLAGS {
            assert!(
                EXAMPLE.contains(&format!("Go: -{} ", g.go)),
                "example lacks Go -{}",
                g.go
            );
        }
    }

    #[test]
    fn ports_zero_is_ephemeral_but_equal_ports_conflict() {
        assert!(valid(ServeConfig {
            http_port: 0,
            tcp_port: 0,
            ..Default::default()
        })
        .is_ok());
        let c = ServeConfig {
            http_port: 27600,
            ..Default::default()
        };
        assert_eq!(invalid_option(c), "http_port");
    }

    #[test]
    fn host_must_be_an_address_or_name() {
        for ok in ["0.0.0.0", "::", "::1", "localhost", "gw-1.example.com"] {
            assert!(
                valid(ServeConfig {
                    host: ok.into(),
                    ..Default::default()
                })
                .is_ok(),
                "{ok}"
            );
        }
        for bad in ["", "[::1]", "a b", "host:1", "a..b"] {
            let c = ServeConfig {
                host: bad.into(),
                ..Default::default()
            };
            assert_eq!(invalid_option(c), "host", "{bad}");
        }
    }

    #[test]
    fn bind_addrs_bracket_ipv6() {
        let c = ServeConfig {
            host: "::".into(),
            ..Default::default()
        };
        assert_eq!(c.tcp_bind_addr(), "[::]:27600");
        assert_eq!(ServeConfig::default().http_bind_addr(), "0.0.0.0:9556");
    }

    #[test]
    fn explicit_schemes_pick_the_sink_and_mix() {
        let http = |s: &str| ServeConfig {
            servers: vec![s.into()],
            ..Default::default()
        };
        let nats = |s: &str| ServeConfig {
            servers: vec![s.into()],
            messaging_server_type: MessagingServerType::Nats,
            ..Default::default()
        };
        for ok in [
            "127.0.0.1:8080/charge/ykc/messages",
            "http://a",
            "HTTPS://a/b",
            "nats://a:4222",
        ] {
            assert!(valid(http(ok)).is_ok(), "{ok}");
        }
        for ok in [
            "nats://127.0.0.1:4222",
            "tls://a:4222",
            "a:4222",
            "http://a",
        ] {
            assert!(valid(nats(ok)).is_ok(), "{ok}");
        }
        for bad in ["ftp://a", "http://", "a b", "nats://"] {
            assert_eq!(invalid_option(http(bad)), "servers", "{bad}");
            assert_eq!(invalid_option(nats(bad)), "servers", "{bad}");
        }
        let mixed = ServeConfig {
            servers: vec![
                "127.0.0.1:8080/ykc".into(),
                "nats://127.0.0.1:4222".into(),
                "https://b".into(),
            ],
            ..Default::default()
        };
        assert_eq!(
            mixed.sinks(),
            (
                vec!["127.0.0.1:8080/ykc".to_string(), "https://b".to_string()],
                vec!["nats://127.0.0.1:4222".to_string()]
            )
        );
        let none = ServeConfig {
            messaging_server_type: MessagingServerType::Nats,
            ..Default::default()
        };
        assert_eq!(invalid_option(none), "servers");
    }

    #[test]
    fn limits_out_of_range_name_the_option() {
        let d = ServeConfig::default;
        let cases: [(ServeConfig, &str); 11] = [
            (
                ServeConfig {
                    max_connections: 0,
                    ..d()
                },
                "max_connections",
            ),
            (
                ServeConfig {
                    heartbeat_interval_secs: 0,
                    ..d()
                },
                "heartbeat_interval_secs",
            ),
            (
                ServeConfig {
                    heartbeat_interval_secs: 3601,
                    ..d()
                },
                "heartbeat_interval_secs",
            ),
            (
                ServeConfig {
                    missed_heartbeats: 0,
                    ..d()
                },
                "missed_heartbeats",
            ),
            (
                ServeConfig {
                    login_timeout_secs: 0,
                    ..d()
                },
                "login_timeout_secs",
            ),
            (
                ServeConfig {
                    forward_queue: 0,
                    ..d()
                },
                "forward_queue",
            ),
            (
                ServeConfig {
                    forward_timeout_ms: 0,
                    ..d()
                },
                "forward_timeout_ms",
            ),
            (
                ServeConfig {
                    forward_retries: 101,
                    ..d()
                },
                "forward_retries",
            ),
            (
                ServeConfig {
                    forward_backoff_ms: 600_001,
                    ..d()
                },
                "forward_backoff_ms",
            ),
            (
                ServeConfig {
                    command_timeout_ms: 0,
                    ..d()
                },
                "command_timeout_ms",
            ),
            (
                ServeConfig {
                    max_frame_buffer: 258,
                    ..d()
                },
                "max_frame_buffer",
            ),
        ];
        for (cfg, option) in cases {
            assert_eq!(invalid_option(cfg), option);
        }
        let ok = ServeConfig {
            forward_retries: 0,
            forward_backoff_ms: 0,
            max_frame_buffer: 259,
            ..d()
        };
        assert!(valid(ok).is_ok());
    }

    #[test]
    fn durations() {
        let c = ServeConfig::default();
        assert_eq!(c.heartbeat_timeout(), Duration::from_secs(30));
        assert_eq!(c.login_timeout(), Duration::from_secs(30));
        assert_eq!(c.forward_timeout(), Duration::from_millis(5000));
        assert_eq!(c.forward_backoff(), Duration::from_millis(200));
        assert_eq!(c.command_timeout(), Duration::from_secs(10));
    }

    #[test]
    fn allowlist_file() {
        let f = TempFile::new(
            "allow.txt",
            "# piles\n55031412782305\n\n  5503141278230a  # trailing\n",
        );
        let codes = read_allowlist(&f.path).unwrap();
        assert_eq!(
            codes.into_iter().collect::<Vec<_>>(),
            ["55031412782305", "5503141278230A"]
        );
        let c = ServeConfig {
            auto_verification: true,
            login_allowlist_file: Some(f.path.clone()),
            ..Default::default()
        };
        assert!(valid(c.clone()).is_ok());
        // Needs auto_verification.
        let off = ServeConfig {
            auto_verification: false,
            ..c
        };
        assert_eq!(invalid_option(off), "login_allowlist_file");
    }

    #[test]
    fn allowlist_errors() {
        let missing = ServeConfig {
            auto_verification: true,
            login_allowlist_file: Some(PathBuf::from("/nonexistent/ykc-allow.txt")),
            ..Default::default()
        };
        let e = valid(missing).unwrap_err();
        assert_eq!(e.option(), Some("login_allowlist_file"));
        assert!(e.to_string().contains("/nonexistent/ykc-allow.txt"), "{e}");

        let bad = TempFile::new("allow.txt", "55031412782305\n5503141278\n");
        let e = read_allowlist(&bad.path).unwrap_err().to_string();
        assert!(e.contains(":2: `5503141278`"), "{e}");
        let empty = TempFile::new("allow.txt", "# none yet\n");
        assert!(read_allowlist(&empty.path)
            .unwrap_err()
            .to_string()
            .contains("no pile codes"));
    }

    #[test]
    fn billing_model_file() {
        let f = TempFile::new(
            "bm.json",
            r#"{"billing_model_no": "0100", "loss_ratio": 0}"#,
        );
        let c = ServeConfig {
            auto_billing_model_response: true,
            billing_model_file: Some(f.path.clone()),
            ..Default::default()
        };
        assert!(valid(c.clone()).is_ok());
        let unused = ServeConfig {
            auto_billing_model_response: false,
            ..c.clone()
        };
        assert_eq!(invalid_option(unused), "billing_model_file");
        let verify_only = ServeConfig {
            auto_billing_model_response: false,
            auto_billing_model_verify: true,
            ..c
        };
        assert!(valid(verify_only).is_ok());

        let needs_file = ServeConfig {
            auto_billing_model_response: true,
            ..Default::default()
        };
        assert_eq!(invalid_option(needs_file), "auto_billing_model_response");

        for bad in [
            "billing_model_no: 1",
            "{\"loss_ratio\": 0}",
            "{\"billing_model_no\": ",
        ] {
            let f = TempFile::new("bm.json", bad);
            let e = read_billing_model_file(&f.path).unwrap_err();
            assert_eq!(e.option(), Some("billing_model_file"), "{bad}");
        }
    }

    #[test]
    fn from_file_resolves_paths_beside_the_file() {
        let f = TempFile::new(
            "ykc.yaml",
            "login_allowlist_file: allow.txt\nbilling_model_file: /abs/bm.json\n",
        );
        let c = ServeConfig::from_file(&f.path).unwrap();
        let dir = f.path.parent().unwrap();
        assert_eq!(c.login_allowlist_file, Some(dir.join("allow.txt")));
        assert_eq!(c.billing_model_file, Some(PathBuf::from("/abs/bm.json")));
    }

    #[test]
    fn from_file_errors_name_the_file() {
        let e = ServeConfig::from_file(Path::new("/nonexistent/ykc.yaml")).unwrap_err();
        assert!(matches!(e, ConfigError::ReadFile { .. }));
        assert!(e.to_string().contains("/nonexistent/ykc.yaml"), "{e}");
        let f = TempFile::new("ykc.yaml", "tcp_port: [1]\n");
        let e = ServeConfig::from_file(&f.path).unwrap_err();
        assert!(matches!(e, ConfigError::ParseFile { .. }));
        let msg = e.to_string();
        assert!(
            msg.contains("ykc.yaml") && msg.contains("tcp_port"),
            "{msg}"
        );
    }

    #[test]
    fn debug_redacts_the_password() {
        let c = ServeConfig {
            password: Some("hunter2".into()),
            ..Default::default()
        };
        let s = format!("{c:?}");
        assert!(!s.contains("hunter2") && s.contains("<redacted>"), "{s}");
    }

    #[test]
    fn error_message_names_flag_env_and_go_flag() {
        let e = invalid("tcp_port", "x").to_string();
        assert_eq!(
            e,
            "invalid `tcp_port` (--tcp-port, YKC_TCP_PORT, Go -tcpPort): x"
        );
        let e = invalid("forward_queue", "x").to_string();
        assert_eq!(
            e,
            "invalid `forward_queue` (--forward-queue, YKC_FORWARD_QUEUE): x"
        );
    }
}
