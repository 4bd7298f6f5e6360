//! `ykc encode`: a frame from the JSON field names `ykc parse` prints.

use clap::Args;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use ykc::{CrcOrder, Message};

/// Arguments of `ykc encode`.
#[derive(Args)]
pub struct EncodeArgs {
    /// Frame type: `0x01`, `01`, `1` or a name such as `login_request`.
    pub frame: String,
    /// The body as JSON (`body_data` of `ykc parse`, or a whole envelope); `-` or nothing reads stdin.
    pub json: Option<String>,
    /// Read the JSON from a file.
    #[arg(long = "json", value_name = "FILE")]
    pub json_file: Option<PathBuf>,
    /// Sequence number, written little-endian (decimal or 0x-hex).
    #[arg(long, default_value = "0")]
    pub seq: String,
    /// CRC byte order: le (low byte first, the default; what the PDF's valid samples use) or be
    /// (high byte first, as some piles send).
    #[arg(long, default_value = "le")]
    pub crc_order: CrcOrder,
    /// Print spaced bytes.
    #[arg(long)]
    pub spaced: bool,
}

/// Resolves a frame type given as a code or a name.
pub fn frame_code(s: &str) -> Result<u8, String> {
    let t = s.trim();
    let hex = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    if let Ok(c) = u8::from_str_radix(hex, 16) {
        return Ok(c);
    }
    ykc::frames::FRAMES
        .iter()
        .find(|m| m.name == t || m.name_zh == t)
        .map(|m| m.code)
        .ok_or_else(|| format!("`{s}` is not a frame type code or name (see `ykc frames`)"))
}

fn parse_seq(s: &str) -> Result<[u8; 2], String> {
    let t = s.trim();
    let v = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => u16::from_str_radix(h, 16),
        None => t.parse::<u16>(),
    };
    v.map(u16::to_le_bytes)
        .map_err(|_| format!("--seq `{s}` is not a number from 0 to 65535"))
}

fn read_json(a: &EncodeArgs) -> Result<serde_json::Value, String> {
    let text = match (&a.json, &a.json_file) {
        (_, Some(p)) => std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?,
        (Some(j), None) if j != "-" => j.clone(),
        _ => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| e.to_string())?;
            s
        }
    };
    serde_json::from_str(&text).map_err(|e| format!("the JSON does not parse: {e}"))
}

/// Runs `ykc encode`.
pub fn run(a: &EncodeArgs) -> Result<ExitCode, String> {
    let code = frame_code(&a.frame)?;
    let json = read_json(a)?;
    // A whole envelope (from `ykc parse`) carries the body under `body_data`.
    let body_json = json.get("body_data").unwrap_or(&json);
    let msg = match Message::from_json(code, body_json) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("ykc encode: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let order = a.crc_order;
    let seq = parse_seq(&a.seq)?;
    let frame = match msg.to_frame(seq, order) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("ykc encode: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    if a.spaced {
        println!("{}", ykc::hex::encode_upper_spaced(&frame));
    } else {
        println!("{}", ykc::hex::Upper(&frame));
    }
    Ok(ExitCode::SUCCESS)
}
