//! Emits the test corpus: every sample frame, repaired and with a correct CRC.

use crate::spec::{FrameSpec, Spec};
use crate::validate::parse_hex;
use serde::Serialize;

/// CRC-16/MODBUS over seq..body.
pub const CRC16: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_MODBUS);

/// One corpus frame.
#[derive(Debug, Clone, Serialize)]
pub struct CorpusFrame {
    /// Frame type code.
    pub code: u8,
    /// Frame name.
    pub name: String,
    /// Where it came from.
    pub source: String,
    /// Whole frame as spaced hex, CRC low byte first.
    pub hex: String,
    /// True when the PDF's printed bytes were already right (CRC included).
    pub printed_crc_ok: bool,
    /// True when bytes other than the CRC were repaired.
    pub repaired: bool,
    /// The spec's note.
    pub note: String,
}

fn spaced(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The frame with its CRC recomputed (low byte first).
pub fn with_crc(mut b: Vec<u8>) -> Vec<u8> {
    let n = b.len();
    if n >= 8 {
        let crc = CRC16.checksum(b.get(2..n - 2).expect("n >= 8, so 2..n-2 is in range"));
        b.truncate(n - 2);
        b.extend_from_slice(&crc.to_le_bytes());
    }
    b
}

/// The corpus frames of one spec frame (one per sample, or a synthetic all-zero one).
pub fn frames_of(f: &FrameSpec) -> Vec<CorpusFrame> {
    let mut out: Vec<CorpusFrame> = f
        .samples
        .iter()
        .filter_map(|s| {
            let printed = parse_hex(&s.printed).ok()?;
            let base = match &s.hex {
                Some(h) => parse_hex(h).ok()?,
                None => printed.clone(),
            };
            let fixed = with_crc(base);
            Some(CorpusFrame {
                code: f.code,
                name: f.name.clone(),
                source: format!("PDF §{} sample", f.section),
                hex: spaced(&fixed),
                printed_crc_ok: fixed == printed,
                repaired: s.hex.is_some(),
                note: s.note.trim().to_string(),
            })
        })
        .collect();
    if out.is_empty() {
        out.push(synthetic(f));
    }
    out
}

/// A zero-filled frame of the table's length, for frames without a sample.
fn synthetic(f: &FrameSpec) -> CorpusFrame {
    let body = vec![0u8; f.fixed_len()];
    let mut b = vec![0x68, (body.len() + 4).min(255) as u8, 0, 0, 0, f.code];
    b.extend_from_slice(&body);
    b.extend_from_slice(&[0, 0]);
    CorpusFrame {
        code: f.code,
        name: f.name.clone(),
        source: "synthetic (zero body, no sample in the spec)".into(),
        hex: spaced(&with_crc(b)),
        printed_crc_ok: false,
        repaired: false,
        note: String::new(),
    }
}

/// `(relative path, content)` per frame: `<code>.json`, a list of frames.
pub fn render(spec: &Spec) -> Vec<(String, String)> {
    spec.frames
        .iter()
        .map(|f| {
            let json = serde_json::to_string_pretty(&frames_of(f))
                .expect("a list of JSON values always serializes");
            (format!("{:02x}_{}.json", f.code, f.name), json + "\n")
        })
        .collect()
}
