//! `ykc journal` through the real binary, on a journal file written by the library.

use bytes::Bytes;
use std::process::{Command, Output};
use ykc::journal::{now_ms, Entry, Journal, JournalConfig};
use ykc::meta::Direction;
use ykc::CrcOrder;

/// The PDF's login response sample (0x02), a whole frame.
const LOGIN_RESP: &str = "680C0000000255031412782305 00DA4C";

fn frame(hex: &str) -> Bytes {
    Bytes::from(ykc::hex::decode(hex).expect("hex"))
}

fn ykc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ykc"))
        .args(args)
        .output()
        .expect("run ykc")
}

async fn journal_with(dir: &std::path::Path, rows: usize) -> std::path::PathBuf {
    let path = dir.join("journal.db");
    let j = Journal::open(JournalConfig::new(&path)).expect("open");
    for n in 0..rows {
        let pile = if n % 2 == 0 {
            "55031412782305"
        } else {
            "55031412782306"
        };
        j.append(Entry {
            time_ms: now_ms() - 1000 + n as i64,
            pile: Some(pile.into()),
            conn: 3,
            direction: Direction::Down,
            code: 0x02,
            seq: [0, 0],
            crc_order: CrcOrder::LowFirst,
            raw: frame(LOGIN_RESP),
            event: None,
            peer: None,
            detail: None,
            forward: true,
        })
        .await
        .expect("append");
    }
    j.flush().await.expect("flush");
    path
}

#[tokio::test]
async fn prints_envelopes_with_journal_metadata_filtered_by_pile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = journal_with(dir.path(), 6).await;
    let path = path.to_str().expect("utf-8 path");
    let out = ykc(&["journal", path, "--pile", "55031412782305", "--type", "02"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 3);
    let first = &lines[0];
    assert_eq!(first["journal"]["id"], 1);
    assert_eq!(first["journal"]["direction"], "down");
    assert_eq!(first["journal"]["pile"], "55031412782305");
    assert_eq!(first["code"], 200, "the parse envelope: {first}");
    assert!(lines[0]["journal"]["id"].as_i64() < lines[1]["journal"]["id"].as_i64());
}

#[tokio::test]
async fn table_and_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = journal_with(dir.path(), 6).await;
    let path = path.to_str().expect("utf-8 path");
    let out = ykc(&["journal", path, "--format", "table", "--limit", "2"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[1].trim_start().starts_with('6'),
        "newest last: {text}"
    );
    assert!(lines[1].contains("0x02"), "{text}");
}

#[test]
fn a_missing_file_is_an_error() {
    let out = ykc(&["journal", "/nonexistent/journal.db"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such journal file"));
}
