//! `ykc journal`: read the gateway's journal file, offline or while the gateway runs.

use crate::parse::LangArg;
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use ykc::envelope::Lang;
use ykc::journal::{parse_time, row_json, time_text, Query, Reader, Row};
use ykc::meta::Direction;

/// Output layout.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object per frame: the parse envelope with a `journal` object.
    Json,
    /// One line per frame: id, time, pile, direction, type, name, raw hex.
    Table,
}

/// Arguments of `ykc journal`.
#[derive(Args)]
pub struct JournalArgs {
    /// The journal file (the gateway's `--journal`, default ykc-data/journal.db).
    #[arg(default_value = "ykc-data/journal.db")]
    pub path: PathBuf,
    /// Only this pile (14 digits).
    #[arg(long)]
    pub pile: Option<String>,
    /// Only this frame type (hex: 3b, 0x3B).
    #[arg(long = "type", value_parser = parse_type)]
    pub code: Option<u8>,
    /// Only frames at or after this time (RFC 3339, or Unix ms).
    #[arg(long, value_parser = parse_time)]
    pub since: Option<i64>,
    /// Only frames before this time (RFC 3339, or Unix ms).
    #[arg(long, value_parser = parse_time)]
    pub until: Option<i64>,
    /// Only up (pile → platform) or down frames.
    #[arg(long, value_parser = parse_direction)]
    pub direction: Option<Direction>,
    /// Most frames printed (newest ones, printed oldest first); 0 = all.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    /// Keep printing frames as they are journaled (until interrupted).
    #[arg(long)]
    pub follow: bool,
    /// Output layout.
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    /// Language of the envelope's texts.
    #[arg(long, value_enum, default_value = "zh")]
    pub lang: LangArg,
}

fn parse_type(s: &str) -> Result<u8, String> {
    let digits = s.trim_start_matches("0x").trim_start_matches("0X");
    u8::from_str_radix(digits, 16).map_err(|_| format!("`{s}` is not a frame type (hex, e.g. 3b)"))
}

fn parse_direction(s: &str) -> Result<Direction, String> {
    match s {
        "up" => Ok(Direction::Up),
        "down" => Ok(Direction::Down),
        _ => Err(format!("`{s}` is neither up nor down")),
    }
}

/// Prints the matching frames, then follows the file when asked.
pub fn run(a: &JournalArgs) -> Result<ExitCode, String> {
    if !a.path.exists() {
        return Err(format!("{}: no such journal file", a.path.display()));
    }
    let reader = Reader::open(&a.path).map_err(|e| e.to_string())?;
    let mut q = Query {
        pile: a.pile.clone(),
        since_ms: a.since,
        until_ms: a.until,
        code: a.code,
        direction: a.direction,
        limit: if a.limit == 0 { usize::MAX } else { a.limit },
        ..Query::default()
    };
    let mut rows = reader.rows(&q).map_err(|e| e.to_string())?;
    rows.reverse(); // read newest first, printed in time order
    let mut last = print(a, &rows)?.unwrap_or(0);
    if !a.follow {
        return Ok(ExitCode::SUCCESS);
    }
    q.oldest_first = true;
    q.limit = 10_000;
    loop {
        q.after_id = Some(last);
        let rows = reader.rows(&q).map_err(|e| e.to_string())?;
        match print(a, &rows)? {
            Some(id) => last = id,
            None => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// Prints rows; the last id printed.
fn print(a: &JournalArgs, rows: &[Row]) -> Result<Option<i64>, String> {
    let lang = match a.lang {
        LangArg::Zh => Lang::Zh,
        LangArg::En => Lang::En,
    };
    let mut out = std::io::stdout().lock();
    for row in rows {
        let line = match a.format {
            Format::Json => row_json(row, lang).to_string(),
            Format::Table => table_line(row),
        };
        writeln!(out, "{line}").map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok(rows.last().map(|r| r.id))
}

fn table_line(row: &Row) -> String {
    let e = &row.entry;
    if let Some(event) = e.event {
        let detail = ykc::journal::detail(row).map_or_else(String::new, |d| format!("  {d}"));
        return format!(
            "{:>8}  {}  {:14}  {:7}  {}{detail}",
            row.id,
            time_text(e.time_ms),
            e.pile.as_deref().unwrap_or("-"),
            event.as_str(),
            e.peer.as_deref().unwrap_or("-"),
        );
    }
    let name = ykc::Message::meta_of(e.code).map_or("unknown", |m| m.name);
    let dir = match e.direction {
        Direction::Up => "up  ",
        Direction::Down => "down",
    };
    format!(
        "{:>8}  {}  {:14}  {dir}  0x{:02X} {:32}  {}",
        row.id,
        time_text(e.time_ms),
        e.pile.as_deref().unwrap_or("-"),
        e.code,
        name,
        ykc::hex::encode_upper(&e.raw),
    )
}
