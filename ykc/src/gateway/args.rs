//! Command-line flags of `ykc serve`, the Go proxy's flag spellings, and
//! [`load`], which merges flags, `YKC_*` environment variables, the YAML
//! file and the defaults into one validated [`ServeConfig`].
//!
//! Call [`normalize_go_args`] on the raw argument list before clap sees it:
//! it rewrites `-tcpPort 27600`, `-autoVerification true` and the like into
//! the kebab-case long flags of [`ServeArgs`].

use super::config::{
    flag_name, ConfigError, CrcByteOrder, MessagingServerType, ServeConfig, GO_FLAGS,
};
use std::ffi::OsString;
use std::path::PathBuf;

/// A boolean word as Go's `strconv.ParseBool` accepts it (`1 t true 0 f
/// false` in any case), plus `yes/no/y/n/on/off`.
fn bool_word(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "t" | "true" | "y" | "yes" | "on" => Some(true),
        "0" | "f" | "false" | "n" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// clap value parser for the boolean options.
fn parse_bool(s: &str) -> Result<bool, String> {
    bool_word(s).ok_or_else(|| format!("`{s}` is not a boolean (true/false, 1/0, yes/no, on/off)"))
}

/// Rewrites the Go `ykc-proxy-server` flags in `args` into the kebab-case
/// long flags of [`ServeArgs`]; everything else passes through untouched.
///
/// Accepted, as Go users type them (`-` or `--`, Go's camelCase names):
/// - `-tcpPort=27600` and `-tcpPort 27600` → `--tcp-port=27600` (the value
///   is attached with `=`, so one starting with `-` survives, as in Go);
/// - `-autoVerification` → `--auto-verification=true`;
///   `-autoVerification=false` → `--auto-verification=false`;
/// - `-autoVerification true` / `-autoVerification false`: a separate boolean
///   word right after a boolean flag is taken as its value. (Go's `flag`
///   package would set the flag to true and stop parsing at the word,
///   silently ignoring every flag after it.)
///
/// A bad boolean after `=` is kept, so clap reports it against the option.
/// Rewriting stops at `--`; arguments that are not valid UTF-8 pass through.
pub fn normalize_go_args(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut out = Vec::new();
    let mut args = args.into_iter().peekable();
    while let Some(arg) = args.next() {
        let Some(text) = arg.to_str() else {
            out.push(arg);
            continue;
        };
        if text == "--" {
            out.push(arg);
            out.extend(args);
            break;
        }
        let Some(body) = text.strip_prefix("--").or_else(|| text.strip_prefix('-')) else {
            out.push(arg);
            continue;
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        };
        let Some(flag) = GO_FLAGS.iter().find(|f| f.go == name) else {
            out.push(arg);
            continue;
        };
        let long = format!("--{}", flag_name(flag.key));
        if flag.boolean {
            let value = match inline {
                Some(v) => bool_word(v).map_or_else(|| v.to_owned(), |b| b.to_string()),
                None => match args
                    .peek()
                    .and_then(|next| next.to_str())
                    .and_then(bool_word)
                {
                    Some(b) => {
                        args.next();
                        b.to_string()
                    }
                    None => "true".to_owned(),
                },
            };
            out.push(format!("{long}={value}").into());
        } else {
            match inline {
                Some(v) => out.push(format!("{long}={v}").into()),
                None => match args.next() {
                    Some(v) => {
                        let mut joined = OsString::from(format!("{long}="));
                        joined.push(v);
                        out.push(joined);
                    }
                    // clap reports the missing value.
                    None => out.push(long.into()),
                },
            }
        }
    }
    out
}

/// Flags of `ykc serve`. Every option is also a `YKC_*` environment variable
/// and a key of the `--config` YAML file; unset flags leave the file's value
/// (or the default) alone. The Go proxy's `-camelCase` flags are accepted via
/// [`normalize_go_args`].
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct ServeArgs {
    /// YAML config file; see ykc.example.yaml for every key.
    #[arg(long, env = "YKC_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Address both listeners bind to [default: 0.0.0.0] (Go -host).
    #[arg(long, env = "YKC_HOST", value_name = "ADDR", overrides_with = "host")]
    pub host: Option<String>,
    /// TCP port piles connect to, 0 = ephemeral [default: 27600] (Go -tcpPort).
    #[arg(
        long,
        env = "YKC_TCP_PORT",
        value_name = "PORT",
        overrides_with = "tcp_port"
    )]
    pub tcp_port: Option<u16>,
    /// HTTP port of the REST API, 0 = ephemeral [default: 9556] (Go -httpPort).
    #[arg(
        long,
        env = "YKC_HTTP_PORT",
        value_name = "PORT",
        overrides_with = "http_port"
    )]
    pub http_port: Option<u16>,
    /// Answer login 0x01 with 0x02 accepted [default: false] (Go -autoVerification).
    #[arg(
        long, env = "YKC_AUTO_VERIFICATION", value_name = "BOOL", num_args = 0..=1,
        default_missing_value = "true", value_parser = parse_bool,
        overrides_with = "auto_verification"
    )]
    pub auto_verification: Option<bool>,
    /// Answer heartbeat 0x03 with 0x04 [default: true] (Go -autoHeartbeatResponse).
    #[arg(
        long, env = "YKC_AUTO_HEARTBEAT_RESPONSE", value_name = "BOOL", num_args = 0..=1,
        default_missing_value = "true", value_parser = parse_bool,
        overrides_with = "auto_heartbeat_response"
    )]
    pub auto_heartbeat_response: Option<bool>,
    /// Answer billing-model check 0x05 with 0x06 [default: false] (Go -autoBillingModelVerify).
    #[arg(
        long, env = "YKC_AUTO_BILLING_MODEL_VERIFY", value_name = "BOOL", num_args = 0..=1,
        default_missing_value = "true", value_parser = parse_bool,
        overrides_with = "auto_billing_model_verify"
    )]
    pub auto_billing_model_verify: Option<bool>,
    /// Confirm 0x3B with 0x40 once forwarded [default: false] (Go -autoTransactionRecordConfirm).
    #[arg(
        long, env = "YKC_AUTO_TRANSACTION_RECORD_CONFIRM", value_name = "BOOL", num_args = 0..=1,
        default_missing_value = "true", value_parser = parse_bool,
        overrides_with = "auto_transaction_record_confirm"
    )]
    pub auto_transaction_record_confirm: Option<bool>,
    /// Forwarding protocol [default: http] (Go -messagingServerType).
    #[arg(
        long,
        env = "YKC_MESSAGING_SERVER_TYPE",
        value_name = "TYPE",
        ignore_case = true,
        overrides_with = "messaging_server_type"
    )]
    pub messaging_server_type: Option<MessagingServerType>,
    /// HTTP endpoints or NATS URLs, comma-separated or repeated (Go -servers).
    #[arg(
        long,
        env = "YKC_SERVERS",
        value_name = "URL[,URL]",
        value_delimiter = ','
    )]
    pub servers: Option<Vec<String>>,
    /// NATS user name (Go -username).
    #[arg(
        long,
        env = "YKC_USERNAME",
        value_name = "NAME",
        overrides_with = "username"
    )]
    pub username: Option<String>,
    /// NATS password (Go -password); prefer YKC_PASSWORD or the config file.
    #[arg(
        long,
        env = "YKC_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true,
        overrides_with = "password"
    )]
    pub password: Option<String>,

    /// Most simultaneous pile connections [default: 20000].
    #[arg(
        long,
        env = "YKC_MAX_CONNECTIONS",
        value_name = "N",
        help_heading = "Limits",
        overrides_with = "max_connections"
    )]
    pub max_connections: Option<u32>,
    /// Expected heartbeat interval, seconds [default: 10].
    #[arg(
        long,
        env = "YKC_HEARTBEAT_INTERVAL_SECS",
        value_name = "SECS",
        help_heading = "Limits",
        overrides_with = "heartbeat_interval_secs"
    )]
    pub heartbeat_interval_secs: Option<u64>,
    /// Silent intervals before a connection is closed [default: 3].
    #[arg(
        long,
        env = "YKC_MISSED_HEARTBEATS",
        value_name = "N",
        help_heading = "Limits",
        overrides_with = "missed_heartbeats"
    )]
    pub missed_heartbeats: Option<u32>,
    /// Seconds a new connection has to log in [default: 30].
    #[arg(
        long,
        env = "YKC_LOGIN_TIMEOUT_SECS",
        value_name = "SECS",
        help_heading = "Limits",
        overrides_with = "login_timeout_secs"
    )]
    pub login_timeout_secs: Option<u64>,
    /// Drop frames sent before login [default: true].
    #[arg(
        long, env = "YKC_DROP_BEFORE_LOGIN", value_name = "BOOL", num_args = 0..=1,
        default_missing_value = "true", value_parser = parse_bool, help_heading = "Limits",
        overrides_with = "drop_before_login"
    )]
    pub drop_before_login: Option<bool>,
    /// File of pile codes allowed to log in, one per line (needs --auto-verification).
    #[arg(
        long,
        env = "YKC_LOGIN_ALLOWLIST_FILE",
        value_name = "FILE",
        help_heading = "Limits",
        overrides_with = "login_allowlist_file"
    )]
    pub login_allowlist_file: Option<PathBuf>,
    /// JSON 0x0A/0x58 body: the billing model for 0x05 checks and 0x09 answers.
    #[arg(
        long,
        env = "YKC_BILLING_MODEL_FILE",
        value_name = "FILE",
        help_heading = "Limits",
        overrides_with = "billing_model_file"
    )]
    pub billing_model_file: Option<PathBuf>,
    /// Answer 0x09 with 0x0A from --billing-model-file [default: false].
    #[arg(
        long, env = "YKC_AUTO_BILLING_MODEL_RESPONSE", value_name = "BOOL", num_args = 0..=1,
        default_missing_value = "true", value_parser = parse_bool, help_heading = "Limits",
        overrides_with = "auto_billing_model_response"
    )]
    pub auto_billing_model_response: Option<bool>,
    /// Send time sync 0x56 after each accepted login [default: false].
    #[arg(
        long, env = "YKC_TIME_SYNC_AFTER_LOGIN", value_name = "BOOL", num_args = 0..=1,
        default_missing_value = "true", value_parser = parse_bool, help_heading = "Limits",
        overrides_with = "time_sync_after_login"
    )]
    pub time_sync_after_login: Option<bool>,
    /// Messages queued per forwarding sink before dropping [default: 10000].
    #[arg(
        long,
        env = "YKC_FORWARD_QUEUE",
        value_name = "N",
        help_heading = "Limits",
        overrides_with = "forward_queue"
    )]
    pub forward_queue: Option<usize>,
    /// Timeout of one forward, ms [default: 5000].
    #[arg(
        long,
        env = "YKC_FORWARD_TIMEOUT_MS",
        value_name = "MS",
        help_heading = "Limits",
        overrides_with = "forward_timeout_ms"
    )]
    pub forward_timeout_ms: Option<u64>,
    /// Retries after a failed forward [default: 3].
    #[arg(
        long,
        env = "YKC_FORWARD_RETRIES",
        value_name = "N",
        help_heading = "Limits",
        overrides_with = "forward_retries"
    )]
    pub forward_retries: Option<u32>,
    /// First retry backoff, ms, doubled per retry [default: 200].
    #[arg(
        long,
        env = "YKC_FORWARD_BACKOFF_MS",
        value_name = "MS",
        help_heading = "Limits",
        overrides_with = "forward_backoff_ms"
    )]
    pub forward_backoff_ms: Option<u64>,
    /// How long a REST command waits for the pile's reply, ms [default: 10000].
    #[arg(
        long,
        env = "YKC_COMMAND_TIMEOUT_MS",
        value_name = "MS",
        help_heading = "Limits",
        overrides_with = "command_timeout_ms"
    )]
    pub command_timeout_ms: Option<u64>,
    /// CRC byte order before the pile's own is known [default: le].
    #[arg(
        long,
        env = "YKC_DEFAULT_CRC_ORDER",
        value_name = "ORDER",
        ignore_case = true,
        help_heading = "Limits",
        overrides_with = "default_crc_order"
    )]
    pub default_crc_order: Option<CrcByteOrder>,
    /// Bytes buffered per connection for an incomplete frame [default: 4096].
    #[arg(
        long,
        env = "YKC_MAX_FRAME_BUFFER",
        value_name = "BYTES",
        help_heading = "Limits",
        overrides_with = "max_frame_buffer"
    )]
    pub max_frame_buffer: Option<usize>,
}

impl ServeArgs {
    /// Overwrites the options of `cfg` that were given on the command line or
    /// in the environment.
    pub fn apply_to(&self, cfg: &mut ServeConfig) {
        fn set<T: Clone>(target: &mut T, value: &Option<T>) {
            if let Some(v) = value {
                *target = v.clone();
            }
        }
        fn set_some<T: Clone>(target: &mut Option<T>, value: &Option<T>) {
            if value.is_some() {
                target.clone_from(value);
            }
        }
        // Destructured so a new flag cannot be forgotten here.
        let ServeArgs {
            config: _,
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
        set(&mut cfg.host, host);
        set(&mut cfg.tcp_port, tcp_port);
        set(&mut cfg.http_port, http_port);
        set(&mut cfg.auto_verification, auto_verification);
        set(&mut cfg.auto_heartbeat_response, auto_heartbeat_response);
        set(
            &mut cfg.auto_billing_model_verify,
            auto_billing_model_verify,
        );
        set(
            &mut cfg.auto_transaction_record_confirm,
            auto_transaction_record_confirm,
        );
        set(&mut cfg.messaging_server_type, messaging_server_type);
        set(&mut cfg.servers, servers);
        set_some(&mut cfg.username, username);
        set_some(&mut cfg.password, password);
        set(&mut cfg.max_connections, max_connections);
        set(&mut cfg.heartbeat_interval_secs, heartbeat_interval_secs);
        set(&mut cfg.missed_heartbeats, missed_heartbeats);
        set(&mut cfg.login_timeout_secs, login_timeout_secs);
        set(&mut cfg.drop_before_login, drop_before_login);
        set_some(&mut cfg.login_allowlist_file, login_allowlist_file);
        set_some(&mut cfg.billing_model_file, billing_model_file);
        set(
            &mut cfg.auto_billing_model_response,
            auto_billing_model_response,
        );
        set(&mut cfg.time_sync_after_login, time_sync_after_login);
        set(&mut cfg.forward_queue, forward_queue);
        set(&mut cfg.forward_timeout_ms, forward_timeout_ms);
        set(&mut cfg.forward_retries, forward_retries);
        set(&mut cfg.forward_backoff_ms, forward_backoff_ms);
        set(&mut cfg.command_timeout_ms, command_timeout_ms);
        set(&mut cfg.default_crc_order, default_crc_order);
        set(&mut cfg.max_frame_buffer, max_frame_buffer);
    }
}

/// The effective configuration: command line > environment (clap merges
/// these two into `args`) > the `--config` YAML file > defaults; then
/// [normalized](ServeConfig::normalize) and
/// [validated](ServeConfig::validate).
pub fn load(args: &ServeArgs) -> Result<ServeConfig, ConfigError> {
    let mut cfg = match &args.config {
        Some(path) => ServeConfig::from_file(path)?,
        None => ServeConfig::default(),
    };
    args.apply_to(&mut cfg);
    cfg.normalize();
    cfg.validate()?;
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::super::config::test_util::TempFile;
    use super::*;
    use clap::Parser;
    use std::sync::{Mutex, MutexGuard};

    /// clap reads the process environment, so every test that parses holds
    /// this lock; tests that set `YKC_*` variables remove them before
    /// releasing it.
    static ENV: Mutex<()> = Mutex::new(());

    fn env_lock() -> MutexGuard<'static, ()> {
        ENV.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[derive(Parser, Debug)]
    #[command(name = "ykc")]
    struct Cli {
        #[command(subcommand)]
        command: Command,
    }

    #[derive(clap::Subcommand, Debug)]
    enum Command {
        Serve(ServeArgs),
    }

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    fn strs(args: Vec<OsString>) -> Vec<String> {
        args.into_iter().map(|a| a.into_string().unwrap()).collect()
    }

    /// `ykc serve <args>` through normalization and clap.
    fn try_args(args: &[&str]) -> Result<ServeArgs, clap::Error> {
        let argv = [&["ykc", "serve"], args].concat();
        let Command::Serve(a) = Cli::try_parse_from(normalize_go_args(os(&argv)))?.command;
        Ok(a)
    }

    fn args_locked(args: &[&str]) -> ServeArgs {
        try_args(args).unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    fn config(args: &[&str]) -> ServeConfig {
        let _g = env_lock();
        load(&args_locked(args)).unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    fn clap_error(args: &[&str]) -> String {
        let _g = env_lock();
        match try_args(args) {
            Err(e) => e.to_string(),
            Ok(a) => panic!("{args:?} parsed: {a:?}"),
        }
    }

    fn load_error(args: &[&str]) -> ConfigError {
        let _g = env_lock();
        match load(&args_locked(args)) {
            Err(e) => e,
            Ok(c) => panic!("{args:?} loaded: {c:?}"),
        }
    }

    /// Sets `vars` for the duration of `f`, holding the lock.
    fn with_env<T>(vars: &[(&str, &str)], f: impl FnOnce() -> T) -> T {
        let _g = env_lock();
        for (k, v) in vars {
            std::env::set_var(k, v);
        }
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        for (k, _) in vars {
            std::env::remove_var(k);
        }
        out.unwrap_or_else(|p| std::panic::resume_unwind(p))
    }

    // ── normalize_go_args ───────────────────────────────────────────────

    #[test]
    fn normalize_leaves_kebab_flags_untouched() {
        let argv = os(&["ykc", "serve", "--tcp-port", "1"]);
        assert_eq!(normalize_go_args(argv.clone()), argv);
        let argv = os(&[
            "ykc",
            "parse",
            "-x",
            "--auto-verification",
            "-h",
            "serve",
            "27600",
        ]);
        assert_eq!(normalize_go_args(argv.clone()), argv);
    }

    #[test]
    fn normalize_value_flags_in_every_form() {
        for (go, value, kebab) in [
            ("host", "127.0.0.1", "host"),
            ("tcpPort", "27600", "tcp-port"),
            ("httpPort", "9556", "http-port"),
            ("messagingServerType", "nats", "messaging-server-type"),
            ("servers", "a:1,b:2", "servers"),
            ("username", "user", "username"),
            ("password", "pwd", "password"),
        ] {
            let want = vec![format!("--{kebab}={value}")];
            for dashes in ["-", "--"] {
                let joined = normalize_go_args(os(&[&format!("{dashes}{go}={value}")]));
                assert_eq!(strs(joined), want, "{dashes}{go}={value}");
                let split = normalize_go_args(os(&[&format!("{dashes}{go}"), value]));
                assert_eq!(strs(split), want, "{dashes}{go} {value}");
            }
        }
    }

    #[test]
    fn normalize_boolean_flags_in_every_form() {
        for (go, kebab) in [
            ("autoVerification", "auto-verification"),
            ("autoHeartbeatResponse", "auto-heartbeat-response"),
            ("autoBillingModelVerify", "auto-billing-model-verify"),
            (
                "autoTransactionRecordConfirm",
                "auto-transaction-record-confirm",
            ),
        ] {
            for dashes in ["-", "--"] {
                let f = format!("{dashes}{go}");
                let t = vec![format!("--{kebab}=true")];
                let fl = vec![format!("--{kebab}=false")];
                assert_eq!(strs(normalize_go_args(os(&[&f]))), t);
                assert_eq!(strs(normalize_go_args(os(&[&format!("{f}=true")]))), t);
                assert_eq!(strs(normalize_go_args(os(&[&format!("{f}=false")]))), fl);
                assert_eq!(strs(normalize_go_args(os(&[&format!("{f}=0")]))), fl);
                assert_eq!(strs(normalize_go_args(os(&[&f, "true"]))), t);
                assert_eq!(strs(normalize_go_args(os(&[&f, "false"]))), fl);
                assert_eq!(strs(normalize_go_args(os(&[&f, "FALSE"]))), fl);
                // A following flag is not a value.
                let next = strs(normalize_go_args(os(&[&f, "-tcpPort", "1"])));
                assert_eq!(next, [format!("--{kebab}=true"), "--tcp-port=1".to_owned()]);
            }
        }
    }

    #[test]
    fn normalize_keeps_odd_values_for_clap() {
        // A value starting with '-' stays the value, as in Go.
        assert_eq!(
            strs(normalize_go_args(os(&["-password", "-secret"]))),
            ["--password=-secret"]
        );
        // A bad boolean after '=' reaches clap unchanged.
        assert_eq!(
            strs(normalize_go_args(os(&["-autoVerification=maybe"]))),
            ["--auto-verification=maybe"]
        );
        // A missing value is left for clap to report.
        assert_eq!(strs(normalize_go_args(os(&["-tcpPort"]))), ["--tcp-port"]);
        // Unknown camelCase and everything after `--` pass through.
        let argv = os(&["-tcpport", "1", "--", "-tcpPort", "2"]);
        assert_eq!(normalize_go_args(argv.clone()), argv);
    }

    #[cfg(unix)]
    #[test]
    fn normalize_passes_non_utf8_through() {
        use std::os::unix::ffi::OsStringExt;
        let bad = OsString::from_vec(vec![0x2d, 0xff]);
        let pwd = OsString::from_vec(vec![b'p', 0xff]);
        let out = normalize_go_args(vec![bad.clone(), OsString::from("-password"), pwd]);
        assert_eq!(out[0], bad);
        assert_eq!(out[1], OsString::from_vec(b"--password=p\xff".to_vec()));
    }

    // ── ServeArgs + load: the Go flags end to end ───────────────────────

    #[test]
    fn no_arguments_is_the_defaults() {
        assert_eq!(config(&[]), ServeConfig::default());
    }

    #[test]
    fn every_go_value_flag_in_each_form() {
        for form in [
            &["-host=127.0.0.1", "-tcpPort=1", "-httpPort=2"][..],
            &["-host", "127.0.0.1", "-tcpPort", "1", "-httpPort", "2"],
            &["--host", "127.0.0.1", "--tcpPort", "1", "--httpPort", "2"],
            &["--host=127.0.0.1", "--tcpPort=1", "--httpPort=2"],
            &["--host", "127.0.0.1", "--tcp-port", "1", "--http-port=2"],
        ] {
            let c = config(form);
            assert_eq!(
                (c.host.as_str(), c.tcp_port, c.http_port),
                ("127.0.0.1", 1, 2),
                "{form:?}"
            );
        }
        for form in [
            &[
                "-messagingServerType=nats",
                "-servers=nats://a:4222,b:4222",
                "-username=u",
                "-password=p",
            ][..],
            &[
                "-messagingServerType",
                "nats",
                "-servers",
                "nats://a:4222,b:4222",
                "-username",
                "u",
                "-password",
                "p",
            ],
            &[
                "--messagingServerType",
                "NATS",
                "--servers",
                "nats://a:4222",
                "--servers",
                "b:4222",
                "--username=u",
                "--password",
                "p",
            ],
            &[
                "--messaging-server-type",
                "nats",
                "--servers=nats://a:4222,b:4222",
                "--username",
                "u",
                "--password=p",
            ],
        ] {
            let c = config(form);
            assert_eq!(
                c.messaging_server_type,
                MessagingServerType::Nats,
                "{form:?}"
            );
            assert_eq!(c.servers, ["nats://a:4222", "b:4222"], "{form:?}");
            assert_eq!(c.username.as_deref(), Some("u"), "{form:?}");
            assert_eq!(c.password.as_deref(), Some("p"), "{form:?}");
        }
    }

    #[test]
    fn every_go_boolean_flag_in_each_form() {
        let get = |c: &ServeConfig| {
            [
                c.auto_verification,
                c.auto_heartbeat_response,
                c.auto_billing_model_verify,
                c.auto_transaction_record_confirm,
            ]
        };
        let names = [
            "autoVerification",
            "autoHeartbeatResponse",
            "autoBillingModelVerify",
            "autoTransactionRecordConfirm",
        ];
        for (i, name) in names.iter().enumerate() {
            for (forms, want) in [
                (
                    vec![vec![format!("-{name}")], vec![format!("--{name}")]],
                    true,
                ),
                (
                    vec![vec![format!("-{name}=true")], vec![format!("--{name}=1")]],
                    true,
                ),
                (vec![vec![format!("-{name}"), "true".into()]], true),
                (
                    vec![vec![format!("-{name}=false")], vec![format!("--{name}=0")]],
                    false,
                ),
                (vec![vec![format!("-{name}"), "false".into()]], false),
            ] {
                for form in forms {
                    let refs: Vec<&str> = form.iter().map(String::as_str).collect();
                    let got = get(&config(&refs));
                    let mut expected = get(&ServeConfig::default());
                    expected[i] = want;
                    assert_eq!(got, expected, "{form:?}");
                }
            }
        }
    }

    #[test]
    fn go_readme_example_with_separate_true_words() {
        // Go stops parsing at the first `true` and ignores -autoBillingModelVerify.
        let c = config(&[
            "-servers",
            "127.0.0.1:8080",
            "-autoVerification",
            "true",
            "-autoBillingModelVerify",
            "true",
        ]);
        assert!(c.auto_verification && c.auto_billing_model_verify);
        assert_eq!(c.servers, ["127.0.0.1:8080"]);
        assert_eq!(c.messaging_server_type, MessagingServerType::Http);
    }

    #[test]
    fn auto_heartbeat_response_defaults_true_and_can_be_disabled() {
        assert!(config(&[]).auto_heartbeat_response);
        assert!(!config(&["-autoHeartbeatResponse=false"]).auto_heartbeat_response);
        assert!(!config(&["-autoHeartbeatResponse", "false"]).auto_heartbeat_response);
        assert!(!config(&["--auto-heartbeat-response", "false"]).auto_heartbeat_response);
        assert!(!config(&["--auto-heartbeat-response=no"]).auto_heartbeat_response);
        assert!(config(&["--drop-before-login"]).drop_before_login);
        assert!(!config(&["--drop-before-login=false"]).drop_before_login);
    }

    #[test]
    fn kebab_booleans_take_an_optional_value() {
        let c = config(&[
            "--auto-verification",
            "--auto-billing-model-verify=false",
            "--time-sync-after-login",
        ]);
        assert!(c.auto_verification && !c.auto_billing_model_verify && c.time_sync_after_login);
        let c = config(&["--auto-verification", "--tcp-port", "5"]);
        assert!(c.auto_verification);
        assert_eq!(c.tcp_port, 5);
    }

    #[test]
    fn last_occurrence_wins_like_go() {
        let c = config(&[
            "-tcpPort",
            "1",
            "-tcpPort=2",
            "--auto-verification",
            "-autoVerification=false",
        ]);
        assert_eq!(c.tcp_port, 2);
        assert!(!c.auto_verification);
    }

    #[test]
    fn every_limit_flag() {
        let allow = TempFile::new("allow.txt", "55031412782305\n");
        let bm = TempFile::new("bm.json", r#"{"billing_model_no":"0100"}"#);
        let allow_path = allow.path.to_str().unwrap();
        let bm_path = bm.path.to_str().unwrap();
        let c = config(&[
            "--max-connections=7",
            "--heartbeat-interval-secs=11",
            "--missed-heartbeats=4",
            "--login-timeout-secs=12",
            "--drop-before-login=false",
            "--auto-verification",
            "--login-allowlist-file",
            allow_path,
            "--billing-model-file",
            bm_path,
            "--auto-billing-model-response",
            "--time-sync-after-login=true",
            "--forward-queue=13",
            "--forward-timeout-ms=14",
            "--forward-retries=0",
            "--forward-backoff-ms=0",
            "--command-timeout-ms=16",
            "--default-crc-order=BE",
            "--max-frame-buffer=1024",
        ]);
        let want = ServeConfig {
            max_connections: 7,
            heartbeat_interval_secs: 11,
            missed_heartbeats: 4,
            login_timeout_secs: 12,
            drop_before_login: false,
            auto_verification: true,
            login_allowlist_file: Some(allow.path.clone()),
            billing_model_file: Some(bm.path.clone()),
            auto_billing_model_response: true,
            time_sync_after_login: true,
            forward_queue: 13,
            forward_timeout_ms: 14,
            forward_retries: 0,
            forward_backoff_ms: 0,
            command_timeout_ms: 16,
            default_crc_order: CrcByteOrder::Be,
            max_frame_buffer: 1024,
            ..ServeConfig::default()
        };
        assert_eq!(c, want);
    }

    #[test]
    fn empty_go_values_mean_none() {
        let c = config(&["-servers", "", "-username=", "-password", ""]);
        assert!(c.servers.is_empty());
        assert_eq!((c.username, c.password), (None, None));
    }

    // ── environment, file, precedence ───────────────────────────────────

    #[test]
    fn environment_variables() {
        let c = with_env(
            &[
                ("YKC_TCP_PORT", "1"),
                ("YKC_AUTO_HEARTBEAT_RESPONSE", "false"),
                ("YKC_AUTO_VERIFICATION", "1"),
                ("YKC_MESSAGING_SERVER_TYPE", "nats"),
                ("YKC_SERVERS", "nats://a:4222,nats://b:4222"),
                ("YKC_PASSWORD", "secret"),
                ("YKC_FORWARD_RETRIES", "9"),
                ("YKC_DEFAULT_CRC_ORDER", "be"),
            ],
            || load(&args_locked(&[])),
        )
        .unwrap();
        assert_eq!(c.tcp_port, 1);
        assert!(!c.auto_heartbeat_response && c.auto_verification);
        assert_eq!(c.messaging_server_type, MessagingServerType::Nats);
        assert_eq!(c.servers, ["nats://a:4222", "nats://b:4222"]);
        assert_eq!(c.password.as_deref(), Some("secret"));
        assert_eq!(c.forward_retries, 9);
        assert_eq!(c.default_crc_order, CrcByteOrder::Be);
    }

    #[test]
    fn bad_environment_value_names_the_variable() {
        let e = with_env(&[("YKC_HTTP_PORT", "http")], || {
            try_args(&[]).unwrap_err().to_string()
        });
        assert!(e.contains("--http-port"), "{e}");
        let e = with_env(&[("YKC_AUTO_VERIFICATION", "maybe")], || {
            try_args(&[]).unwrap_err().to_string()
        });
        assert!(e.contains("--auto-verification"), "{e}");
    }

    #[test]
    fn config_file() {
        let f = TempFile::new(
            "ykc.yaml",
            "tcp_port: 1\nauto_heartbeat_response: false\nservers: [a:1]\nforward_queue: 5\n",
        );
        let path = f.path.to_str().unwrap();
        let c = config(&["--config", path]);
        let want = ServeConfig {
            tcp_port: 1,
            auto_heartbeat_response: false,
            servers: vec!["a:1".into()],
            forward_queue: 5,
            ..ServeConfig::default()
        };
        assert_eq!(c, want);
        let via_env = with_env(&[("YKC_CONFIG", path)], || load(&args_locked(&[]))).unwrap();
        assert_eq!(via_env, want);
    }

    #[test]
    fn precedence_command_line_over_env_over_file_over_default() {
        let f = TempFile::new(
            "ykc.yaml",
            "tcp_port: 1\nhttp_port: 2\nhost: 127.0.0.2\nservers: file:1\n",
        );
        let path = f.path.to_str().unwrap();
        let c = with_env(
            &[
                ("YKC_TCP_PORT", "10"),
                ("YKC_HTTP_PORT", "20"),
                ("YKC_SERVERS", "env:1"),
            ],
            || {
                load(&args_locked(&[
                    "--config", path, "-tcpPort", "100", "-servers", "cli:1",
                ]))
            },
        )
        .unwrap();
        assert_eq!(c.tcp_port, 100, "command line beats env and file");
        assert_eq!(c.http_port, 20, "env beats file");
        assert_eq!(c.host, "127.0.0.2", "file beats default");
        assert_eq!(c.servers, ["cli:1"], "servers are replaced, not merged");
        assert_eq!(c.forward_queue, 10_000, "default");
        // A boolean false on the command line beats true from the environment.
        let c = with_env(&[("YKC_AUTO_VERIFICATION", "true")], || {
            load(&args_locked(&["-autoVerification", "false"]))
        })
        .unwrap();
        assert!(!c.auto_verification);
    }

    #[test]
    fn example_file_loads_through_config_flag() {
        let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../ykc.example.yaml");
        let c = config(&["--config", example]);
        assert_eq!(c.servers, ["http://127.0.0.1:8080/charge/ykc/messages"]);
    }

    // ── bad values name the option ──────────────────────────────────────

    #[test]
    fn bad_command_line_values_name_the_option() {
        for (args, option) in [
            (&["-tcpPort", "abc"][..], "--tcp-port"),
            (&["-tcpPort=70000"], "--tcp-port"),
            (&["-httpPort", "-1"], "--http-port"),
            (&["-autoVerification=maybe"], "--auto-verification"),
            (
                &["-messagingServerType", "kafka"],
                "--messaging-server-type",
            ),
            (&["--max-connections", "x"], "--max-connections"),
            (&["--default-crc-order", "middle"], "--default-crc-order"),
            (&["-tcpPort"], "--tcp-port"),
        ] {
            let e = clap_error(args);
            assert!(e.contains(option), "{args:?}: {e}");
        }
        // Go's boolean-then-word mis-parse is not silent here: a non-boolean
        // word after a boolean flag is an error.
        assert!(clap_error(&["-autoVerification", "servers"]).contains("servers"));
    }

    #[test]
    fn invalid_combinations_name_the_option() {
        for (args, option) in [
            (&["-servers", "ftp://127.0.0.1:21"][..], "servers"),
            (&["-messagingServerType", "nats"], "servers"),
            (&["-tcpPort", "9000", "-httpPort", "9000"], "http_port"),
            (
                &["--heartbeat-interval-secs", "0"],
                "heartbeat_interval_secs",
            ),
            (&["--max-frame-buffer", "100"], "max_frame_buffer"),
            (
                &[
                    "--auto-verification",
                    "--login-allowlist-file",
                    "/nonexistent/allow",
                ],
                "login_allowlist_file",
            ),
            (
                &["--auto-billing-model-response"],
                "auto_billing_model_response",
            ),
            (&["-host", "not a host"], "host"),
        ] {
            let e = load_error(args);
            assert_eq!(e.option(), Some(option), "{args:?}: {e}");
            assert!(
                e.to_string().contains(&format!("--{}", flag_name(option))),
                "{e}"
            );
        }
        // Port 0 is an ephemeral port, not an error.
        assert_eq!(config(&["-httpPort", "0", "-tcpPort", "0"]).http_port, 0);
    }

    #[test]
    fn bad_config_file_is_an_error_naming_the_key() {
        let f = TempFile::new("ykc.yaml", "tcpPort: 1\n");
        let e = load_error(&["--config", f.path.to_str().unwrap()]).to_string();
        assert!(e.contains("unknown field `tcpPort`"), "{e}");
        let e = load_error(&["--config", "/nonexistent/ykc.yaml"]).to_string();
        assert!(e.contains("/nonexistent/ykc.yaml"), "{e}");
    }

    #[test]
    fn every_go_flag_maps_to_a_serve_arg() {
        use clap::CommandFactory;
        let cmd = Cli::command();
        let serve = cmd.find_subcommand("serve").unwrap();
        for g in GO_FLAGS {
            let long = flag_name(g.key);
            let arg = serve
                .get_arguments()
                .find(|a| a.get_long() == Some(long.as_str()));
            let arg = arg.unwrap_or_else(|| panic!("no --{long} for Go -{}", g.go));
            let env = arg.get_env().and_then(|e| e.to_str()).unwrap();
            assert_eq!(env, super::super::config::env_name(g.key));
        }
        // And every option has its YKC_ variable.
        for a in serve
            .get_arguments()
            .filter(|a| a.get_long().is_some_and(|l| l != "help"))
        {
            let key = a.get_id().as_str();
            let env = a.get_env().and_then(|e| e.to_str()).unwrap_or("");
            assert_eq!(env, super::super::config::env_name(key), "--{key}");
        }
    }

    #[test]
    fn help_renders() {
        use clap::CommandFactory;
        let mut cmd = Cli::command();
        let help = cmd
            .find_subcommand_mut("serve")
            .unwrap()
            .render_long_help()
            .to_string();
        assert!(help.contains("--auto-verification [<BOOL>]"), "{help}");
        assert!(help.contains("YKC_TCP_PORT"), "{help}");
    }
}
