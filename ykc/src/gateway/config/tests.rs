//! Unit tests of the option table, YAML parsing and validation.

use super::*;
use std::io::Write;

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

const EXAMPLE: &str = include_str!("../../../../ykc.example.yaml");

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
fn crc_order_in_yaml_as_on_the_command_line() {
    for (text, order) in [("le", CrcOrder::LowFirst), ("be", CrcOrder::HighFirst)] {
        let c = ServeConfig::from_yaml_str(&format!("default_crc_order: {text}\n")).unwrap();
        assert_eq!(c.default_crc_order, order, "{text}");
    }
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
        password: Some(String::new().into()),
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
    let keys: Vec<&str> = parsed.keys().map(|k| k.as_str().unwrap()).collect();
    assert_eq!(keys, ServeConfig::KEYS, "example keys, in table order");
    for &key in ServeConfig::KEYS {
        let env = format!("env: {}", env_name(key));
        let flag = format!("--{}", flag_name(key));
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
    // Without auto_verification the allowlist answers its own piles' logins.
    let off = ServeConfig {
        auto_verification: false,
        ..c
    };
    assert!(valid(off).is_ok());
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
        password: Some(String::from("hunter2").into()),
        ..Default::default()
    };
    let s = format!("{c:?}");
    assert!(!s.contains("hunter2") && s.contains("<redacted>"), "{s}");
}

#[test]
fn error_message_names_flag_env_and_go_flag() {
    let e = invalid("tcp_port", "x".into()).to_string();
    assert_eq!(
        e,
        "invalid `tcp_port` (--tcp-port, YKC_TCP_PORT, Go -tcpPort): x"
    );
    let e = invalid("forward_queue", "x".into()).to_string();
    assert_eq!(
        e,
        "invalid `forward_queue` (--forward-queue, YKC_FORWARD_QUEUE): x"
    );
}

#[test]
fn nested_sections_read_as_their_flat_keys() {
    let c = ServeConfig::from_yaml_str(
        "journal: {path: /var/lib/ykc/j.db, max_age: 30d, max_bytes: 1000}\n\
         billing: {confirm_after: sink}\nshutdown: {grace: 2s}\nmessaging_server_type: nats\n\
         nats: {jetstream: true}\n",
    )
    .unwrap();
    assert_eq!(c.journal_path(), Some("/var/lib/ykc/j.db".into()));
    assert_eq!(
        c.journal_max_age,
        Some(Span(Duration::from_secs(30 * 86_400)))
    );
    assert_eq!(c.journal_max_bytes, 1000);
    assert_eq!(c.confirm_rule(), ConfirmAfter::Sink);
    assert_eq!(c.shutdown_grace, Span(Duration::from_secs(2)));
    assert!(c.jetstream);
    let both = ServeConfig::from_yaml_str("journal: {path: a}\njournal_max_bytes: 1\n").unwrap();
    assert_eq!(both.journal, "a");
    let err = ServeConfig::from_yaml_str("journal: {path: a}\njournal: b\n");
    assert!(err.is_err());
    let err = ServeConfig::from_yaml_str("journal: {pth: a}\n").unwrap_err();
    assert!(err.to_string().contains("journal.pth"), "{err}");
}

#[test]
fn journal_off_changes_the_confirmation_rule() {
    let mut c = ServeConfig {
        journal: "OFF".into(),
        ..Default::default()
    };
    assert_eq!(c.journal_path(), None);
    assert_eq!(c.confirm_rule(), ConfirmAfter::Sink);
    c.confirm_after = Some(ConfirmAfter::Journal);
    assert!(c.validate().is_err());
    assert_eq!(ServeConfig::default().confirm_rule(), ConfirmAfter::Journal);
}

#[test]
fn fleet_options() {
    let yaml = "cluster:\n  servers: [nats://127.0.0.1:4222, 'tls://n2:4222']\n  node_id: gw-1\n";
    let c = valid(ServeConfig::from_yaml_str(yaml).unwrap()).unwrap();
    assert_eq!(c.cluster, ["nats://127.0.0.1:4222", "tls://n2:4222"]);
    assert_eq!(c.node_name(), "gw-1");
    let flat = valid(ServeConfig {
        cluster: vec![" nats://a:4222, b:4222 ".into()],
        node_id: Some(" ".into()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(flat.cluster, ["nats://a:4222", "b:4222"]);
    assert!(flat.node_id.is_none(), "blank: the host name");
    assert!(wire_valid(&flat.node_name()), "{}", flat.node_name());
    let http = ServeConfig {
        cluster: vec!["http://127.0.0.1:4222".into()],
        ..Default::default()
    };
    assert_eq!(invalid_option(http), "cluster");
    let dotted = ServeConfig {
        node_id: Some("gw.1".into()),
        ..Default::default()
    };
    assert_eq!(invalid_option(dotted), "node_id");
}

fn wire_valid(id: &str) -> bool {
    crate::gateway::fleet::wire::valid_node_id(id)
}
