//! `ykc parse`, `ykc encode` and `ykc frames` through the real binary: every input form,
//! output mode, exit status and bad input of the CLI issue.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const LOGIN_RESP: &str = "68 0C 00 00 00 02 55 03 14 12 78 23 05 00 DA 4C";
const VERIFY_RESP: &str = "680ECE0400065503141278230500000 08E2F";

fn ykc(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ykc"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ykc");
    if let Some(mut si) = child.stdin.take() {
        // No input given: the child sees an empty stdin.
        si.write_all(stdin.unwrap_or_default()).expect("stdin");
    }
    child.wait_with_output().expect("wait")
}

fn lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn tmp(name: &str, data: &[u8]) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("ykc-cli-{}-{name}", std::process::id()));
    std::fs::write(&p, data).expect("write tmp");
    p
}

#[test]
fn hex_forms_all_parse() {
    for input in [
        LOGIN_RESP,
        "680c000000025503141278230500da4c",
        "0x68 0x0C 0x00 0x00 0x00 0x02 0x55 0x03 0x14 0x12 0x78 0x23 0x05 0x00 0xDA 0x4C",
    ] {
        let o = ykc(&["parse", input], None);
        assert_eq!(o.status.code(), Some(0), "{input}");
        let v = &lines(&o)[0];
        assert_eq!(v["code"], 200);
        assert_eq!(v["body_data"]["pile_code"], "55031412782305");
    }
}

#[test]
fn several_frames_per_string_line_file_and_stdin() {
    let two = format!("{LOGIN_RESP} {VERIFY_RESP}").replace("0 08E2F", "008E2F");
    let o = ykc(&["parse", &two], None);
    let v = lines(&o);
    assert_eq!(v.len(), 2);
    assert_eq!(
        (v[0]["frame_type"].as_str(), v[1]["frame_type"].as_str()),
        (Some("0x02"), Some("0x06"))
    );
    let text = format!("{two}\n\n{LOGIN_RESP}\n");
    assert_eq!(lines(&ykc(&["parse", "-"], Some(text.as_bytes()))).len(), 3);
    let p = tmp("dump.txt", text.as_bytes());
    let o = ykc(&["parse", "--file", p.to_str().unwrap()], None);
    std::fs::remove_file(&p).ok();
    assert_eq!(lines(&o).len(), 3);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn binary_capture_with_split_garbage_is_framed() {
    let frame = ykc::hex::decode(LOGIN_RESP).unwrap();
    let mut cap = b"AT+OK\r\n".to_vec();
    cap.extend_from_slice(&frame);
    cap.extend_from_slice(&[0x68, 0x02]); // a bad length, then more garbage
    cap.extend_from_slice(&frame);
    cap.extend_from_slice(&frame[..5]); // truncated at the end
    let p = tmp("cap.bin", &cap);
    let o = ykc(&["parse", "--binary", p.to_str().unwrap()], None);
    std::fs::remove_file(&p).ok();
    let v = lines(&o);
    let ok = v.iter().filter(|x| x["code"] == 200).count();
    let dropped: u64 = v
        .iter()
        .filter(|x| x["code"] == 500)
        .map(|x| {
            let m = x["msg"].as_str().expect("every envelope has a msg");
            m.split("丢弃")
                .nth(1)
                .and_then(|t| t.split('字').next())
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(ok, 2, "{v:#?}");
    assert_eq!(
        dropped as usize,
        cap.len() - 2 * frame.len(),
        "every other byte is reported dropped"
    );
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn output_modes() {
    let pretty = ykc(&["parse", "--pretty", LOGIN_RESP], None);
    assert!(String::from_utf8_lossy(&pretty.stdout).contains("\n  \"code\": 200"));
    let table = ykc(&["parse", "--format", "table", LOGIN_RESP], None);
    let t = String::from_utf8_lossy(&table.stdout);
    assert!(
        t.contains("pile_code") && t.contains("桩编码") && t.contains("55 03 14 12 78 23 05"),
        "{t}"
    );
    let en = lines(&ykc(&["parse", "--lang", "en", "68 22 00"], None));
    assert_eq!(
        en[0]["msg"],
        "parse failed: frame too short: 3 bytes, at least 8 needed"
    );
}

#[test]
fn exit_statuses() {
    assert_eq!(ykc(&["parse", LOGIN_RESP], None).status.code(), Some(0));
    assert_eq!(ykc(&["parse", "68 22 00"], None).status.code(), Some(1));
    assert_eq!(
        ykc(&["parse", "--no-such-flag"], None).status.code(),
        Some(2)
    );
    assert_eq!(ykc(&["parse"], None).status.code(), Some(2));
    let bad_crc = LOGIN_RESP.replace("DA 4C", "DA 4D");
    let o = ykc(&["parse", &bad_crc], None);
    assert_eq!(o.status.code(), Some(0), "a bad CRC is a warning");
    let v = &lines(&o)[0];
    assert_eq!(v["crc16_valid"], false);
    assert!(v["warnings"][0].as_str().unwrap().contains("0xDA4C"), "{v}");
    assert_eq!(
        v["body_data"]["pile_code"], "55031412782305",
        "body still decoded"
    );
    assert_eq!(
        ykc(&["parse", "--strict", &bad_crc], None).status.code(),
        Some(1)
    );
}

#[test]
fn bad_inputs_get_clear_messages() {
    let cases: &[(&str, &str)] = &[
        ("68 0Z", "'Z'"),
        ("68 0", "奇数"),
        ("68 22 00", "报文长度过短: 3字节，最少需要8字节"),
        (
            "69 0C 00 00 00 02 55 03 14 12 78 23 05 00 DA 4C",
            "起始标志错误",
        ),
        (
            "68 40 00 00 00 02 55 03 14 12 78 23 05 00 DA 4C",
            "数据长度不符",
        ),
    ];
    for (input, needle) in cases {
        let o = ykc(&["parse", input], None);
        assert_eq!(o.status.code(), Some(1), "{input}");
        let v = &lines(&o)[0];
        assert_eq!(v["code"], 500);
        assert!(v["msg"].as_str().unwrap().contains(needle), "{input}: {v}");
        assert!(
            String::from_utf8_lossy(&o.stderr).is_empty(),
            "no backtrace: {input}"
        );
    }
    // Body too short for its table: partial data holds what fits.
    let mut out = bytes::BytesMut::new();
    ykc::encode_frame(
        [0, 0],
        0,
        0x01,
        &[0x55, 0x03, 0x14, 0x12, 0x78, 0x23, 0x05, 0x00, 0x02],
        ykc::CrcOrder::LowFirst,
        &mut out,
    )
    .unwrap();
    let hex = ykc::hex::encode_upper(&out);
    let v = &lines(&ykc(&["parse", &hex], None))[0];
    assert_eq!(v["partial_data"]["pile_code"], "55031412782305");
    assert_eq!(v["partial_data"]["gun_count"], 2);
    // Unknown type: raw body and a warning; encrypted: opaque and a warning.
    for (flag, code, needle) in [(0u8, 0x9Bu8, "未知帧类型"), (1, 0x03, "加密")] {
        out.clear();
        ykc::encode_frame(
            [0, 0],
            flag,
            code,
            &[1, 2, 3],
            ykc::CrcOrder::LowFirst,
            &mut out,
        )
        .unwrap();
        let hex = ykc::hex::encode_upper(&out);
        let o = ykc(&["parse", &hex], None);
        assert_eq!(o.status.code(), Some(0));
        let v = &lines(&o)[0];
        assert!(v["warnings"][0].as_str().unwrap().contains(needle), "{v}");
    }
    // Empty stdin, and a 10 MB line of garbage hex.
    let o = ykc(&["parse", "-"], Some(b""));
    assert_eq!(
        (o.status.code(), lines(&o)[0]["msg"].as_str()),
        (Some(1), Some("解析失败: 报文为空"))
    );
    let big = "00".repeat(5 * 1024 * 1024);
    let o = ykc(&["parse", "-"], Some(big.as_bytes()));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(lines(&o).len(), 1);
}

#[test]
fn encode_round_trips_every_corpus_frame() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    for f in files {
        let list: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        for c in list {
            let hex = c["hex"].as_str().unwrap().replace(' ', "");
            let parsed = ykc(&["parse", &hex], None);
            let env = &lines(&parsed)[0];
            let code = env["frame_type"].as_str().unwrap();
            let seq = format!("{}", env["sequence_number"]);
            let order = if env["crc16_byte_order"] == "high_first" {
                "be"
            } else {
                "le"
            };
            let o = ykc(
                &["encode", code, "--seq", &seq, "--crc-order", order, "-"],
                Some(env.to_string().as_bytes()),
            );
            assert_eq!(
                o.status.code(),
                Some(0),
                "{}: {}",
                f.display(),
                String::from_utf8_lossy(&o.stderr)
            );
            let again = String::from_utf8_lossy(&o.stdout).trim().to_string();
            let reparsed = &lines(&ykc(&["parse", &again], None))[0];
            assert_eq!(reparsed["body_data"], env["body_data"], "{}", f.display());
            if !env["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w.as_str().expect("warnings are strings").contains("容错"))
            {
                assert_eq!(again, hex, "{}: encode(parse(x)) == x", f.display());
            }
        }
    }
}

#[test]
fn encode_reports_bad_fields_and_frames_lists_the_spec() {
    let o = ykc(
        &[
            "encode",
            "login_response",
            r#"{"pile_code": "5503141278230X", "login_result": 0}"#,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("pile_code"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = ykc(&["frames"], None);
    let t = String::from_utf8_lossy(&o.stdout);
    assert_eq!(t.lines().count(), 52, "header + 51 frames");
    assert!(t.contains("transaction_record") && t.contains("交易记录"));
    let o = ykc(&["frames", "0x3B"], None);
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(t.contains("stop_reason") && t.contains("停止原因"), "{t}");
}

#[test]
fn envelope_snapshots_of_every_corpus_frame() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let mut all = String::new();
    for f in &files {
        let list: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        for c in list {
            let bytes = ykc::hex::decode(c["hex"].as_str().unwrap()).unwrap();
            let (env, _) = ykc::envelope::Envelope::parse(&bytes, ykc::envelope::Lang::Zh);
            all.push_str(&serde_json::to_string(&env).unwrap());
            all.push('\n');
        }
    }
    insta::assert_snapshot!("envelopes", all);
}

/// `ykc serve` with the Go proxy's flags verbatim: `-flag value`, `-flag=value`, `--flag`,
/// and `-autoVerification true` (which the Go binary silently mis-parses).
#[test]
fn serve_accepts_the_go_proxy_flags() {
    use std::io::{Read, Write as _};
    let free = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (tcp, http) = (free(), free());
    let mut child = Command::new(env!("CARGO_BIN_EXE_ykc"))
        .args([
            "serve",
            "-host",
            "127.0.0.1",
            &format!("-tcpPort={tcp}"),
            "--httpPort",
            &http.to_string(),
            "-autoVerification",
            "true",
            "-autoHeartbeatResponse=false",
            "--journal",
            "off",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ykc serve");
    let mut conn = None;
    for _ in 0..100 {
        if let Ok(c) = std::net::TcpStream::connect(("127.0.0.1", tcp)) {
            conn = Some(c);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mut conn = conn.expect("gateway listens on -tcpPort");
    conn.set_read_timeout(Some(std::time::Duration::from_secs(3)))
        .unwrap();
    let body = [
        0x32, 0x01, 0x02, 0, 0, 0, 0x01, 0x00, 0x02, 0x10, b'V', b'1', 0, 0, 0, 0, 0, 0, 0x01, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0x04,
    ];
    let mut out = bytes::BytesMut::new();
    ykc::encode_frame(
        [0x2A, 0x00],
        0,
        0x01,
        &body,
        ykc::CrcOrder::LowFirst,
        &mut out,
    )
    .unwrap();
    conn.write_all(&out).unwrap();
    let mut buf = [0u8; 16];
    conn.read_exact(&mut buf)
        .expect("0x02 login answer (-autoVerification true took effect)");
    let (reply, _) = ykc::RawFrame::parse(&buf).unwrap();
    assert_eq!((reply.header.code, reply.header.seq), (0x02, [0x2A, 0x00]));
    // -autoHeartbeatResponse=false: a heartbeat gets no answer.
    out.clear();
    ykc::encode_frame(
        [1, 0],
        0,
        0x03,
        &[0x32, 0x01, 0x02, 0, 0, 0, 0x01, 0x01, 0x00],
        ykc::CrcOrder::LowFirst,
        &mut out,
    )
    .unwrap();
    conn.write_all(&out).unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_millis(500)))
        .unwrap();
    assert!(conn.read(&mut buf).is_err(), "no heartbeat answer");
    let health = std::net::TcpStream::connect(("127.0.0.1", http)).map(|mut s| {
        let _ = s.write_all(b"GET /healthz HTTP/1.0\r\n\r\n");
        let mut t = String::new();
        let _ = s.read_to_string(&mut t);
        t
    });
    let _ = child.kill();
    let _ = child.wait();
    let health = health.expect("GET /healthz");
    assert!(health.contains("\"piles_online\":1"), "{health}");
}
