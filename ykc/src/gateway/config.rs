//! The configuration of `ykc serve`: every option and limit with its
//! default, the YAML config-file format, and validation.
//!
//! Each option is written once, in the table below; [`serve_options!`]
//! derives from it [`ServeConfig`], the clap flags and `YKC_*` variables of
//! [`ServeArgs`], the Go flag spellings [`GO_FLAGS`] and the range checks.
//! Sources, highest precedence first: command line, `YKC_*` environment
//! variables (clap merges these two), the YAML file given with `--config`,
//! the defaults (see [`super::args::load`]). `ykc.example.yaml` documents
//! every key.

mod check;
mod table;
mod types;

pub use self::check::{read_allowlist, read_billing_model_file, ConfigError};
pub(crate) use self::table::bool_word;
pub use self::table::{env_name, flag_name, FlagValue, GoFlag};
pub use self::types::{MessagingServerType, Secret};
pub use crate::CrcOrder;

use self::check::{check_range, invalid, scheme, validate_host, validate_server};
use self::table::serve_options;
use self::types::{de_from_str, de_servers};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The largest frame the protocol allows: start byte, length byte, 255
/// counted bytes, two CRC bytes. A smaller `max_frame_buffer` would refuse
/// legitimate frames.
pub const MAX_FRAME_LEN: usize = 259;

serve_options! {
    "Listeners" {
        /// Address both listeners (piles, REST API) bind to [default: 0.0.0.0] (Go -host).
        host: String = "0.0.0.0".to_owned(), "ADDR", go "host";
        /// TCP port piles connect to, 0 = ephemeral [default: 27600] (Go -tcpPort).
        tcp_port: u16 = 27600, "PORT", go "tcpPort";
        /// HTTP port of the REST API, 0 = ephemeral [default: 9556] (Go -httpPort).
        http_port: u16 = 9556, "PORT", go "httpPort";
    }
    "Automatic answers" {
        /// Answer login 0x01 with 0x02 accepted (or refused, per login_allowlist_file)
        /// [default: false] (Go -autoVerification).
        auto_verification: bool = false, "BOOL", go "autoVerification";
        /// Answer heartbeat 0x03 with 0x04 [default: true] (Go -autoHeartbeatResponse).
        auto_heartbeat_response: bool = true, "BOOL", go "autoHeartbeatResponse";
        /// Answer billing-model check 0x05 with 0x06, against billing_model_file if given
        /// [default: false] (Go -autoBillingModelVerify).
        auto_billing_model_verify: bool = false, "BOOL", go "autoBillingModelVerify";
        /// Confirm transaction record 0x3B with 0x40 once it was forwarded
        /// [default: false] (Go -autoTransactionRecordConfirm).
        auto_transaction_record_confirm: bool = false, "BOOL", go "autoTransactionRecordConfirm";
    }
    "Forwarding" {
        /// Forwarding protocol for scheme-less servers [default: http] (Go -messagingServerType).
        messaging_server_type: MessagingServerType = MessagingServerType::Http, "TYPE",
            go "messagingServerType";
        /// HTTP endpoints (scheme-less = http://) or NATS URLs, comma-separated or repeated;
        /// none = forward nothing (Go -servers).
        #[serde(deserialize_with = "de_servers")]
        #[arg(value_delimiter = ',')]
        servers: Vec<String> = Vec::new(), "URL[,URL]", go "servers";
        /// NATS user name; empty = none (Go -username).
        username: Option<String> = None, "NAME", go "username";
        /// NATS password; empty = none; prefer YKC_PASSWORD or the config file (Go -password).
        #[arg(hide_env_values = true)]
        password: Option<Secret> = None, "PASSWORD", go "password";
    }
    "Connections and sessions" {
        /// Most simultaneous pile connections; more are closed at accept [default: 20000].
        max_connections: u32 = 20_000, "N", range 1..=1_000_000;
        /// Heartbeat interval piles are expected to keep, seconds [default: 10].
        heartbeat_interval_secs: u64 = 10, "SECS", range 1..=3600,
            duration heartbeat_interval = from_secs;
        /// Silent heartbeat intervals before a logged-in connection is closed [default: 3].
        missed_heartbeats: u32 = 3, "N", range 1..=100;
        /// Seconds a new connection has to log in (0x01) [default: 30].
        login_timeout_secs: u64 = 30, "SECS", range 1..=3600,
            duration login_timeout = from_secs;
        /// Drop (and count) frames sent before login [default: true].
        drop_before_login: bool = true, "BOOL";
        /// File of pile codes allowed to log in, one per line (14 hex digits, `#` comments);
        /// others are refused. Needs --auto-verification [default: none, all accepted].
        login_allowlist_file: Option<PathBuf> = None, "FILE";
    }
    "Billing model" {
        /// JSON 0x0A/0x58 body (spec field names, pile_code filled in per pile): the billing
        /// model for 0x05 checks and 0x09 answers [default: none].
        billing_model_file: Option<PathBuf> = None, "FILE";
        /// Answer 0x09 with 0x0A from --billing-model-file (required) [default: false].
        auto_billing_model_response: bool = false, "BOOL";
        /// Send time sync 0x56 after each accepted login [default: false].
        time_sync_after_login: bool = false, "BOOL";
    }
    "Forwarding limits" {
        /// Messages queued per forwarding sink before dropping [default: 10000].
        forward_queue: usize = 10_000, "N", range 1..=10_000_000;
        /// Timeout of one HTTP POST / NATS flush, ms [default: 5000].
        forward_timeout_ms: u64 = 5_000, "MS", range 1..=600_000,
            duration forward_timeout = from_millis;
        /// Retries after a failed forward, 0 = try once [default: 3].
        forward_retries: u32 = 3, "N", range 0..=100;
        /// Backoff before the first retry, ms, doubled per retry [default: 200].
        forward_backoff_ms: u64 = 200, "MS", range 0..=600_000,
            duration forward_backoff = from_millis;
    }
    "REST commands and framing" {
        /// How long a REST command waits for the pile's reply before 504, ms [default: 10000].
        command_timeout_ms: u64 = 10_000, "MS", range 1..=600_000,
            duration command_timeout = from_millis;
        /// CRC byte order of frames sent before the pile's own is known [default: le].
        #[serde(deserialize_with = "de_from_str")]
        default_crc_order: CrcOrder = CrcOrder::LowFirst, "ORDER";
        /// Bytes buffered per connection for an incomplete frame; beyond it the codec
        /// resynchronises [default: 4096, at least 259].
        max_frame_buffer: usize = 4096, "BYTES", range MAX_FRAME_LEN..=16 << 20;
    }
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
        let path_buf = || path.to_owned();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
            path: path_buf(),
            source,
        })?;
        let mut cfg =
            ServeConfig::from_yaml_str(&text).map_err(|source| ConfigError::ParseFile {
                path: path_buf(),
                source,
            })?;
        let dir = path.parent().unwrap_or(Path::new(""));
        for p in [&mut cfg.login_allowlist_file, &mut cfg.billing_model_file]
            .into_iter()
            .flatten()
        {
            *p = dir.join(&*p); // `join` keeps an absolute path as it is.
        }
        Ok(cfg)
    }

    /// Puts values from any source into canonical form: `servers` entries are
    /// split on commas, trimmed, and empty ones dropped (so the Go proxy's
    /// `-servers ""` is "no servers"); an empty `username` / `password` is
    /// `None`; `host` is trimmed.
    pub fn normalize(&mut self) {
        self.host = self.host.trim().to_owned();
        let servers = self
            .servers
            .iter()
            .flat_map(|s| s.split(','))
            .map(str::trim);
        self.servers = servers
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        self.username.take_if(|u| u.is_empty());
        self.password.take_if(|p| p.expose().is_empty());
    }

    /// Checks every value and the combinations of options, and that the
    /// allowlist and billing-model files are readable and well-formed. The
    /// first problem is returned, naming its option. Call after
    /// [`normalize`](Self::normalize).
    pub fn validate(&self) -> Result<(), ConfigError> {
        validate_host(&self.host)?;
        if self.http_port != 0 && self.http_port == self.tcp_port {
            let why = "the two listeners need different ports";
            let port = self.http_port;
            let why = format!("tcp_port and http_port are both {port}; {why}");
            return Err(invalid("http_port", why));
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
        self.check_ranges()?;
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
            Some(_) if !self.auto_billing_model_verify && !self.auto_billing_model_response => {
                Err(invalid(
                    "billing_model_file",
                    "is only used by auto_billing_model_verify or auto_billing_model_response; enable one of them",
                ))
            }
            Some(path) => read_billing_model_file(path).map(drop),
            None if self.auto_billing_model_response => Err(invalid(
                "auto_billing_model_response",
                "needs billing_model_file (the 0x0A body to answer with)",
            )),
            None => Ok(()),
        }
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
        match self.host.contains(':') {
            true => format!("[{}]:{port}", self.host),
            false => format!("{}:{port}", self.host),
        }
    }

    /// Silence after which a logged-in connection is closed:
    /// `heartbeat_interval × missed_heartbeats`.
    pub fn heartbeat_timeout(&self) -> Duration {
        self.heartbeat_interval()
            .saturating_mul(self.missed_heartbeats)
    }

    /// `servers` split by sink: explicit `http(s)://` entries go over HTTP,
    /// explicit NATS schemes over NATS, and scheme-less entries follow
    /// `messaging_server_type`. Returns (HTTP, NATS).
    pub fn sinks(&self) -> (Vec<String>, Vec<String>) {
        let nats_default = self.messaging_server_type == MessagingServerType::Nats;
        self.servers
            .iter()
            .cloned()
            .partition(|s| match scheme(s).as_deref() {
                Some(scheme) => matches!(scheme, "http" | "https"),
                None => !nats_default,
            })
    }
}

#[cfg(test)]
pub(super) mod tests;
