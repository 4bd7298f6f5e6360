//! The configuration of `ykc serve`. Each option is written once, in the table below, from which
//! [`ServeConfig`], [`ServeArgs`] (flags, `YKC_*` variables) and [`GO_FLAGS`] follow. Precedence:
//! command line > environment > `--config` YAML file > default ([`super::args::load`]).
//! `ykc.example.yaml` documents every key at length.

mod api;
mod check;
mod table;

pub use self::api::{ApiScope, ApiToken, DEFAULT_TOKEN_NAME, MIN_TOKEN_LEN};
pub use self::check::{read_allowlist, read_billing_model_file, ConfigError};
pub(crate) use self::table::bool_word;
pub use self::table::{env_name, flag_name, FlagValue, GoFlag};
pub use crate::CrcOrder;

use self::check::{ensure, invalid, scheme, validate_host, validate_server};
use self::table::serve_options;
use super::forward;
pub use super::identity::{DuplicateLogin, PileIdentity};
use clap::ValueEnum;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where forwarded frames and events go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum MessagingServerType {
    /// HTTP `POST <endpoint>/<type hex>` to one of `servers`.
    #[default]
    Http,
    /// NATS publish to `charge.proxy.ykc.<type hex>` on the cluster `servers`.
    Nats,
}

/// When a transaction record (0x3B) is confirmed to the pile (0x40).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ConfirmAfter {
    /// Once the record is fsynced in the journal; the outbox delivers it later.
    Journal,
    /// Once every sink acknowledged it (the session keeps serving meanwhile).
    Sink,
}

/// A length of time, written as humantime reads it (`10s`, `500ms`, `30d`, `1h 30m`) or as a
/// bare number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span(pub Duration);

impl std::str::FromStr for Span {
    type Err = String;
    fn from_str(s: &str) -> Result<Span, String> {
        let s = s.trim();
        if let Ok(secs) = s.parse::<u64>() {
            return Ok(Span(Duration::from_secs(secs)));
        }
        humantime::parse_duration(s)
            .map(Span)
            .map_err(|e| format!("`{s}` is not a duration like 10s, 500ms or 30d: {e}"))
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        humantime::format_duration(self.0).fmt(f)
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Span, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Text {
            Secs(u64),
            Text(String),
        }
        match Text::deserialize(d)? {
            Text::Secs(s) => Ok(Span(Duration::from_secs(s))),
            Text::Text(t) => t.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// The nested YAML spellings the issue tracker and operators use (`journal: {path: …}`), and the
/// flat key each stands for. Flat keys work too; both in one file is an error.
const NESTED: &[(&str, &str, &str)] = &[
    ("journal", "path", "journal"),
    ("journal", "max_age", "journal_max_age"),
    ("journal", "max_bytes", "journal_max_bytes"),
    ("billing", "confirm_after", "confirm_after"),
    ("nats", "jetstream", "jetstream"),
    ("shutdown", "grace", "shutdown_grace"),
    ("api", "token", "api_token"),
    ("api", "tokens", "api_tokens"),
    ("api", "insecure_open", "api_insecure_open"),
    ("api", "tls_cert", "api_tls_cert"),
    ("api", "tls_key", "api_tls_key"),
    ("cluster", "servers", "cluster"),
    ("cluster", "node_id", "node_id"),
];

/// Rewrites the sections of [`NESTED`] into flat keys (true when there were any); anything else
/// is left for serde to judge.
fn flatten(doc: &mut serde_yaml::Value) -> Result<bool, serde_yaml::Error> {
    use serde::de::Error as _;
    let Some(top) = doc.as_mapping_mut() else {
        return Ok(false);
    };
    let mut nested = false;
    let mut sections: Vec<&str> = NESTED.iter().map(|(section, _, _)| *section).collect();
    sections.dedup(); // NESTED lists each section's keys together
    for section in sections {
        let Some(serde_yaml::Value::Mapping(inner)) = top.get(section).cloned() else {
            continue;
        };
        top.remove(section);
        nested = true;
        for (k, v) in inner {
            let key = k.as_str().unwrap_or_default(); // a non-text key matches nothing: error below
            let Some(&(_, _, flat)) = NESTED.iter().find(|(s, n, _)| *s == section && *n == key)
            else {
                return Err(serde_yaml::Error::custom(format!(
                    "unknown key `{section}.{key}`"
                )));
            };
            if top.insert(flat.into(), v).is_some() {
                return Err(serde_yaml::Error::custom(format!(
                    "`{section}.{key}` and `{flat}` both given"
                )));
            }
        }
    }
    Ok(nested)
}

/// A string that `Debug` never prints (the NATS password): logs cannot leak it.
#[derive(Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret(s)
    }
}

/// `servers` in YAML: a list, a single string, or null.
fn de_servers<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
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

/// The largest frame the protocol allows (start, length, 255 counted bytes,
/// CRC): the least `max_frame_buffer` that refuses no legitimate frame.
pub const MAX_FRAME_LEN: usize = 259;

/// Where the journal lives unless told otherwise: under the working directory.
pub const DEFAULT_JOURNAL: &str = "ykc-data/journal.db";

serve_options! {
    "Options of the Go proxy" {
        /// Address both listeners (piles, REST API) bind to [default: 0.0.0.0]
        host: String = "0.0.0.0".to_owned(), "ADDR", go "host";
        /// TCP port piles connect to, 0 = ephemeral [default: 27600]
        tcp_port: u16 = 27600, "PORT", go "tcpPort";
        /// HTTP port of the REST API, 0 = ephemeral [default: 9556]
        http_port: u16 = 9556, "PORT", go "httpPort";
        /// Answer login 0x01 with 0x02 accepted (see login_allowlist_file) [default: false]
        auto_verification: bool = false, "BOOL", go "autoVerification";
        /// Answer heartbeat 0x03 with 0x04 [default: true]
        auto_heartbeat_response: bool = true, "BOOL", go "autoHeartbeatResponse";
        /// Answer billing-model check 0x05 with 0x06 (see billing_model_file) [default: false]
        auto_billing_model_verify: bool = false, "BOOL", go "autoBillingModelVerify";
        /// Confirm transaction record 0x3B with 0x40 once forwarded [default: false]
        auto_transaction_record_confirm: bool = false, "BOOL", go "autoTransactionRecordConfirm";
        /// Forwarding protocol of scheme-less servers [default: http]
        messaging_server_type: MessagingServerType = MessagingServerType::Http, "TYPE",
            go "messagingServerType";
        /// HTTP endpoints or NATS URLs, comma-separated or repeated; none = forward nothing
        #[serde(deserialize_with = "de_servers")]
        #[arg(value_delimiter = ',')]
        servers: Vec<String> = Vec::new(), "URL[,URL]", go "servers";
        /// NATS user name; empty = none
        username: Option<String> = None, "NAME", go "username";
        /// NATS password; empty = none. Prefer YKC_PASSWORD or the config file
        #[arg(hide_env_values = true)]
        password: Option<Secret> = None, "PASSWORD", go "password";
    }
    "Limits" {
        /// Most simultaneous pile connections; more are closed at accept [default: 20000]
        max_connections: u32 = 20_000, "N", range 1..=1_000_000;
        /// Heartbeat interval piles are expected to keep, seconds [default: 10]
        heartbeat_interval_secs: u64 = 10, "SECS", range 1..=3600,
            duration heartbeat_interval = from_secs;
        /// Silent heartbeat intervals before a logged-in connection is closed [default: 3]
        missed_heartbeats: u32 = 3, "N", range 1..=100;
        /// Seconds a new connection has to log in (0x01) [default: 30]
        login_timeout_secs: u64 = 30, "SECS", range 1..=3600, duration login_timeout = from_secs;
        /// Drop (and count) frames sent before login [default: true]
        drop_before_login: bool = true, "BOOL";
        /// File of pile codes allowed to log in (their logins answered), one per line; reloaded on change and SIGHUP
        login_allowlist_file: Option<PathBuf> = None, "FILE";
        /// JSON 0x0A/0x58 body: the billing model for 0x05 checks and 0x09 answers
        billing_model_file: Option<PathBuf> = None, "FILE";
        /// Answer 0x09 with 0x0A from --billing-model-file [default: false]
        auto_billing_model_response: bool = false, "BOOL";
        /// Send time sync 0x56 after each accepted login [default: false]
        time_sync_after_login: bool = false, "BOOL";
        /// Messages queued per forwarding sink before dropping [default: 10000]
        forward_queue: usize = 10_000, "N", range 1..=10_000_000;
        /// Timeout of one HTTP POST / NATS publish and flush, ms [default: 5000]
        forward_timeout_ms: u64 = forward::DEFAULT_TIMEOUT.as_millis() as u64, "MS", range 1..=600_000,
            duration forward_timeout = from_millis;
        /// Retries after a failed forward, 0 = try once [default: 3]
        forward_retries: u32 = 3, "N", range 0..=100;
        /// Backoff before the first retry, ms, doubled per retry [default: 200]
        forward_backoff_ms: u64 = 200, "MS", range 0..=600_000,
            duration forward_backoff = from_millis;
        /// How long a REST command waits for the pile's reply, ms [default: 10000]
        command_timeout_ms: u64 = 10_000, "MS", range 1..=600_000,
            duration command_timeout = from_millis;
        /// CRC byte order of frames sent before the pile's own is known [default: le]
        default_crc_order: CrcOrder = CrcOrder::LowFirst, "ORDER";
        /// Bytes buffered per connection for an incomplete frame [default: 4096]
        max_frame_buffer: usize = 4096, "BYTES", range MAX_FRAME_LEN..=16 << 20;
    }
    "Journal and delivery" {
        /// SQLite journal of every frame, `off` = none (YAML journal.path) [default: ykc-data/journal.db]
        journal: String = DEFAULT_JOURNAL.to_owned(), "PATH|off";
        /// Prune journal rows older than this, e.g. 30d; unset keeps them (YAML journal.max_age)
        journal_max_age: Option<Span> = None, "AGE";
        /// Prune the oldest rows above this many bytes, 0 = no limit (YAML journal.max_bytes) [default: 0]
        journal_max_bytes: u64 = 0, "BYTES";
        /// Confirm 0x3B once `journal`ed (fsync) or once every `sink` has it; unset: journal, or sink without a journal (YAML billing.confirm_after)
        confirm_after: Option<ConfirmAfter> = None, "WHEN";
        /// Publish to NATS JetStream with acks and Nats-Msg-Id (YAML nats.jetstream) [default: false]
        jetstream: bool = false, "BOOL";
        /// On SIGTERM/SIGINT, how long the outbox may drain, e.g. 10s (YAML shutdown.grace) [default: 10s]
        shutdown_grace: Span = Span(Duration::from_secs(10)), "DURATION";
    }
    "REST API" {
        /// Bearer token every REST route but /healthz needs (named `default`, scope command); prefer YKC_API_TOKEN (YAML api.token)
        #[arg(hide_env_values = true)]
        api_token: Option<Secret> = None, "TOKEN";
        /// More tokens, NAME:SCOPE:TOKEN with scope read (GET only) or command (YAML api.tokens: [{name, token, scope}])
        #[arg(hide_env_values = true, value_delimiter = ',')]
        api_tokens: Vec<ApiToken> = Vec::new(), "NAME:SCOPE:TOKEN";
        /// Without tokens, serve REST callers from any address, not only loopback (YAML api.insecure_open) [default: false]
        api_insecure_open: bool = false, "BOOL";
        /// PEM certificate chain: serve REST over TLS, with --api-tls-key (YAML api.tls_cert)
        api_tls_cert: Option<PathBuf> = None, "FILE";
        /// PEM private key of --api-tls-cert (YAML api.tls_key)
        api_tls_key: Option<PathBuf> = None, "FILE";
    }
    "Pile identity" {
        /// A login for a pile online elsewhere: `replace` the older connection, or refuse it while that one is alive [default: reject-while-alive]
        duplicate_login: DuplicateLogin = DuplicateLogin::RejectWhileAlive, "RULE";
        /// A login whose SIM card or program version differs from the pile's first: refuse (`pin`), log and count (`warn`), or `off` [default: warn]
        pile_identity: PileIdentity = PileIdentity::Warn, "MODE";
        /// SQLite file of pinned identities, `off` = memory only; unset: identity.db beside the journal (memory only without one)
        identity_file: Option<String> = None, "PATH|off";
    }
    "Connections and rates" {
        /// Close a connection whose write has been blocked this long, e.g. 10s (a pile that stops reading) [default: 10s]
        write_timeout: Span = Span(Duration::from_secs(10)), "DURATION";
        /// Most simultaneous connections from one source address, 0 = no limit [default: 5000]
        max_connections_per_ip: u32 = 5000, "N", range 0..=1_000_000;
        /// Most connections from one source address not yet logged in, 0 = no limit [default: 500]
        max_prelogin_per_ip: u32 = 500, "N", range 0..=1_000_000;
        /// Frames a connection may send per second on average; more are dropped [default: 50]
        max_frames_per_sec: u32 = 50, "N", range 1..=1_000_000;
        /// Frames a connection may send at once above its rate [default: 200]
        frame_burst: u32 = 200, "N", range 1..=1_000_000;
    }
    "Fleet" {
        /// NATS servers joining several gateways into one fleet (presence, commands from any node), comma-separated; unset = a lone gateway (YAML cluster.servers)
        #[serde(deserialize_with = "de_servers")]
        #[arg(value_delimiter = ',')]
        cluster: Vec<String> = Vec::new(), "URL[,URL]";
        /// This gateway's name in the fleet: letters, digits, - and _; unset: the host name (YAML cluster.node_id)
        node_id: Option<String> = None, "NAME";
    }
}

impl ServeConfig {
    /// Parses YAML text; missing keys take their defaults (all, in an empty document: `null`).
    pub fn from_yaml_str(text: &str) -> Result<ServeConfig, serde_yaml::Error> {
        let mut doc: serde_yaml::Value = serde_yaml::from_str(text)?;
        if !flatten(&mut doc)? {
            // Parsed from the text, errors keep their line and column.
            return Ok(serde_yaml::from_str::<Option<_>>(text)?.unwrap_or_default());
        }
        Ok(serde_yaml::from_value::<Option<_>>(doc)?.unwrap_or_default())
    }

    /// Reads a YAML config file, taking relative `login_allowlist_file`, `billing_model_file`
    /// and `api_tls_cert` / `api_tls_key` paths in it relative to the file's directory.
    pub fn from_file(path: &Path) -> Result<ServeConfig, ConfigError> {
        let text = std::fs::read_to_string(path);
        let text = text.map_err(|e| ConfigError::ReadFile(path.into(), e))?;
        let cfg = ServeConfig::from_yaml_str(&text);
        let mut cfg = cfg.map_err(|e| ConfigError::ParseFile(path.into(), e))?;
        let dir = path.parent().unwrap_or(Path::new(""));
        let api = [&mut cfg.api_tls_cert, &mut cfg.api_tls_key];
        for p in [&mut cfg.login_allowlist_file, &mut cfg.billing_model_file]
            .into_iter()
            .chain(api)
        {
            *p = p.as_ref().map(|p| dir.join(p)); // `join` keeps absolute paths.
        }
        Ok(cfg)
    }

    /// Canonical values: `host` trimmed; `servers` split on commas, trimmed, empty ones
    /// dropped (Go's `-servers ""` is none); an empty `username` / `password` / `api_token` is `None`.
    pub fn normalize(&mut self) {
        self.host = self.host.trim().to_owned();
        let servers = self.servers.iter().flat_map(|s| s.split(','));
        let servers = servers.map(str::trim).filter(|s| !s.is_empty());
        self.servers = servers.map(Into::into).collect();
        let cluster = self.cluster.iter().flat_map(|s| s.split(','));
        let cluster = cluster.map(str::trim).filter(|s| !s.is_empty());
        self.cluster = cluster.map(Into::into).collect();
        self.node_id = self.node_id.take().map(|n| n.trim().to_owned());
        self.node_id.take_if(|n| n.is_empty());
        self.username.take_if(|u| u.is_empty());
        self.password.take_if(|p| p.expose().is_empty());
        self.api_token.take_if(|p| p.expose().is_empty());
    }

    /// Checks every value, the combinations of options and the allowlist and billing-model
    /// files (after [`normalize`](Self::normalize)); the first problem names its option.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let (port, respond) = (self.http_port, self.auto_billing_model_response);
        validate_host(&self.host)?;
        ensure!(port == 0 || port != self.tcp_port, "http_port" =>
            "tcp_port and http_port are both {port}; the two listeners need different ports");
        self.servers.iter().try_for_each(|s| validate_server(s))?;
        let nats = self.messaging_server_type == MessagingServerType::Nats;
        ensure!(!nats || !self.servers.is_empty(), "servers" => "messaging_server_type is nats \
            but no NATS server is given (e.g. --servers nats://127.0.0.1:4222)");
        self.check_ranges()?;
        if let Some(path) = &self.login_allowlist_file {
            // Without auto_verification the allowlist answers its own piles' logins.
            read_allowlist(path)?;
        }
        ensure!(self.identity_file.as_deref().is_none_or(|f| !f.trim().is_empty()),
            "identity_file" => "is empty; give a path or `off`");
        if let Some(path) = &self.billing_model_file {
            ensure!(self.auto_billing_model_verify || respond, "billing_model_file" => "is only \
                used by auto_billing_model_verify or auto_billing_model_response; enable one");
            read_billing_model_file(path)?;
        }
        ensure!(!respond || self.billing_model_file.is_some(), "auto_billing_model_response" =>
            "needs billing_model_file (the 0x0A body to answer with)");
        ensure!(!self.journal.trim().is_empty(), "journal" => "is empty; give a path or `off`");
        ensure!(self.journal_path().is_some() || self.confirm_after != Some(ConfirmAfter::Journal),
            "confirm_after" => "is journal but the journal is off");
        ensure!(!self.jetstream || nats, "jetstream" => "needs messaging_server_type nats");
        ensure!(!self.write_timeout.0.is_zero(), "write_timeout" => "is 0; give a duration like 10s");
        self.validate_fleet()?;
        self.validate_api()
    }

    /// The journal file, or `None` when `journal` is `off`.
    pub fn journal_path(&self) -> Option<PathBuf> {
        let j = self.journal.trim();
        (!j.eq_ignore_ascii_case("off")).then(|| PathBuf::from(j))
    }

    /// The pinned-identity file: `identity_file`, else `identity.db` in the journal's directory;
    /// `None` (memory only) for `identity_file: off`, or unset without a journal.
    pub fn identity_path(&self) -> Option<PathBuf> {
        match self.identity_file.as_deref().map(str::trim) {
            Some(f) if f.eq_ignore_ascii_case("off") => None,
            Some(f) => Some(PathBuf::from(f)),
            None => self.journal_path().map(|j| j.with_file_name("identity.db")),
        }
    }

    /// The billing confirmation rule in force: as configured, else `journal` while there is a
    /// journal and `sink` without one.
    pub fn confirm_rule(&self) -> ConfirmAfter {
        self.confirm_after.unwrap_or(match self.journal_path() {
            Some(_) => ConfirmAfter::Journal,
            None => ConfirmAfter::Sink,
        })
    }

    /// `host:port` of the pile (TCP) listener, IPv6 hosts in brackets.
    pub fn tcp_bind_addr(&self) -> String {
        self.bind_addr(self.tcp_port)
    }

    /// `host:port` of the REST (HTTP) listener, IPv6 hosts in brackets.
    pub fn http_bind_addr(&self) -> String {
        self.bind_addr(self.http_port)
    }

    fn bind_addr(&self, port: u16) -> String {
        match &self.host {
            host if host.contains(':') => format!("[{host}]:{port}"),
            host => format!("{host}:{port}"),
        }
    }

    /// Silence that closes a logged-in connection: `heartbeat_interval × missed_heartbeats`.
    pub fn heartbeat_timeout(&self) -> Duration {
        self.heartbeat_interval()
            .saturating_mul(self.missed_heartbeats)
    }

    /// Fleet mode: each cluster server is a NATS URL, and the node id is one subject token.
    fn validate_fleet(&self) -> Result<(), ConfigError> {
        for server in &self.cluster {
            let nats =
                scheme(server).is_none_or(|s| ["nats", "tls", "ws", "wss"].contains(&s.as_str()));
            ensure!(nats && !server.contains(char::is_whitespace), "cluster" => "`{server}` is \
                not a NATS URL (nats://host:port, tls://, ws://, wss://)");
        }
        let node = self.node_name();
        ensure!(crate::gateway::fleet::wire::valid_node_id(&node), "node_id" => "`{node}`: use \
            letters, digits, - and _ (at most 64); the host name is the default");
        Ok(())
    }

    /// This gateway's name in the fleet and on the console: `node_id`, else the host name
    /// (its first label, as a node id allows), else `local`.
    pub fn node_name(&self) -> String {
        if let Some(n) = &self.node_id {
            return n.clone();
        }
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_default();
        let label = host.trim().split('.').next().unwrap_or_default();
        let id: String = label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .take(64)
            .collect();
        if id.is_empty() {
            "local".to_owned()
        } else {
            id
        }
    }

    /// `servers` split by sink, (HTTP, NATS): `http(s)://` entries go over
    /// HTTP, other schemes over NATS, scheme-less ones per `messaging_server_type`.
    pub fn sinks(&self) -> (Vec<String>, Vec<String>) {
        let nats = self.messaging_server_type == MessagingServerType::Nats;
        self.servers.iter().cloned().partition(|s| match scheme(s) {
            Some(scheme) => scheme == "http" || scheme == "https",
            None => !nats,
        })
    }
}

#[cfg(test)]
pub(super) mod tests;
