//! Shared helpers for the end-to-end tests: the checked-in corpus and the spec.

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// One corpus frame (see `ykc_gen::corpus::CorpusFrame`).
#[derive(Debug, Clone)]
pub struct CorpusFrame {
    /// File it came from.
    pub file: String,
    /// Frame type code.
    pub code: u8,
    /// Frame name.
    pub name: String,
    /// The whole frame.
    pub bytes: Vec<u8>,
    /// True when printed bytes were right as printed.
    pub printed_crc_ok: bool,
}

/// Every frame of `tests/corpus/*.json`, in file order.
pub fn corpus() -> Vec<CorpusFrame> {
    let dir = root().join("tests/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    let mut out = Vec::new();
    for f in files.iter().filter(|p| p.extension().is_some_and(|x| x == "json")) {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let list: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap_or_default();
        for v in list {
            let hex = v["hex"].as_str().unwrap_or_default();
            out.push(CorpusFrame {
                file: f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                code: v["code"].as_u64().unwrap_or_default() as u8,
                name: v["name"].as_str().unwrap_or_default().to_string(),
                bytes: ykc::value::parse_hex(hex).unwrap_or_default(),
                printed_crc_ok: v["printed_crc_ok"].as_bool().unwrap_or_default(),
            });
        }
    }
    out
}

/// The body of a whole frame (after the 6 header bytes, before the CRC).
pub fn body(frame: &[u8]) -> &[u8] {
    frame.get(6..frame.len().saturating_sub(2)).unwrap_or_default()
}

/// Frames generated from `tests/fixtures/vendor-spec` by the build script: proof that
/// adding a frame takes one YAML file and no Rust.
pub mod vendor {
    include!(concat!(env!("OUT_DIR"), "/frames.rs"));
}
