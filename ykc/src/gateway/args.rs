//! [`normalize_go_args`], which turns the Go proxy's flag spellings into
//! those of [`ServeArgs`], and [`load`], which layers flags, `YKC_*`
//! variables, the YAML file and the defaults into one valid [`ServeConfig`].

pub use super::config::ServeArgs;
use super::config::{bool_word, flag_name, ConfigError, GoFlag, ServeConfig, GO_FLAGS};
use std::ffi::OsString;

/// Rewrites the Go `ykc-proxy-server` flags in `args` (run it before clap)
/// into the kebab-case long flags of [`ServeArgs`]; the rest passes as it is.
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
        if arg == "--" {
            out.push(arg);
            out.extend(args);
            break;
        }
        let Some((flag, inline)) = arg.to_str().and_then(go_flag) else {
            out.push(arg);
            continue;
        };
        let value = match inline {
            Some(v) if flag.boolean => Some(canonical_bool(v)),
            Some(v) => Some(v.into()),
            None if flag.boolean => {
                let next = args.next_if(|w| w.to_str().and_then(bool_word).is_some());
                Some(next.map_or("true".into(), |w| canonical_bool(&w.to_string_lossy())))
            }
            None => args.next(), // None: clap reports the missing value.
        };
        let mut long = OsString::from(format!("--{}", flag_name(flag.key)));
        if let Some(value) = value {
            long.push("=");
            long.push(value);
        }
        out.push(long);
    }
    out
}

/// The Go flag an argument names (`-tcpPort`, `--tcpPort=1`) and its `=` value.
fn go_flag(arg: &str) -> Option<(&'static GoFlag, Option<&str>)> {
    let body = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-'))?;
    let (name, inline) = body
        .split_once('=')
        .map_or((body, None), |(n, v)| (n, Some(v)));
    Some((GO_FLAGS.iter().find(|f| f.go == name)?, inline))
}

/// `true`/`false` for a boolean word; anything else as it is, for clap to report.
fn canonical_bool(word: &str) -> OsString {
    bool_word(word).map_or_else(|| word.into(), |b| b.to_string().into())
}

/// The effective configuration: command line > environment (both in `args`,
/// by clap) > the `--config` YAML file > defaults; normalized and validated.
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
    use super::super::config::tests::TempFile;
    use super::super::config::{CrcOrder, MessagingServerType, Secret};
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
            assert_eq!(
                c.password.as_ref().map(Secret::expose),
                Some("p"),
                "{form:?}"
            );
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
            default_crc_order: CrcOrder::HighFirst,
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
        assert_eq!(c.password.as_ref().map(Secret::expose), Some("secret"));
        assert_eq!(c.forward_retries, 9);
        assert_eq!(c.default_crc_order, CrcOrder::HighFirst);
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

    /// The `[default: X]` each help text states is what `ServeConfig::default()` holds.
    #[test]
    fn defaults_in_help_are_the_defaults() {
        use clap::CommandFactory;
        let cmd = Cli::command();
        let serve = cmd.find_subcommand("serve").unwrap();
        let mut checked = 0;
        for a in serve.get_arguments() {
            let help = a.get_help().map(ToString::to_string).unwrap_or_default();
            let Some((_, rest)) = help.split_once("[default: ") else {
                continue;
            };
            let value = rest.split(']').next().unwrap();
            let flag = format!("--{}={value}", a.get_long().unwrap());
            assert_eq!(config(&[&flag]), ServeConfig::default(), "{flag}");
            checked += 1;
        }
        assert!(checked >= 20, "{checked}");
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
