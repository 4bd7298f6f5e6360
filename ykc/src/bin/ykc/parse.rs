//! `ykc parse`: hex in (arguments, stdin, a text file) or a raw capture, one envelope per frame out.

use crate::input::parse_hex_text;
use clap::{Args, ValueEnum};
use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use tokio_util::codec::Decoder;
use ykc::envelope::{Envelope, Lang};
use ykc::{Error, FrameCodec, StreamItem};

/// Output layout.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON envelope per frame.
    Json,
    /// A human-readable table per frame: each field's names, raw bytes and value.
    Table,
}

/// Language of messages.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    /// 中文 (default, as the ykc-parser prints).
    Zh,
    /// English.
    En,
}

/// Arguments of `ykc parse`.
#[derive(Args)]
pub struct ParseArgs {
    /// Hex frames: spaces optional, any case, `0x` per byte allowed, several frames per string; `-` reads stdin (one or more frames per line).
    pub hex: Vec<String>,
    /// A text file of hex frames, one or more per line.
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// A raw TCP byte capture, framed with the stream codec (split frames, garbage and resync handled).
    #[arg(long)]
    pub binary: Option<PathBuf>,
    /// Pretty-printed JSON (the default when stdout is a terminal).
    #[arg(long)]
    pub pretty: bool,
    /// Output layout.
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    /// Language of msg/errors/warnings.
    #[arg(long, value_enum, default_value = "zh")]
    pub lang: LangArg,
    /// Also fail (exit 1) on a bad CRC.
    #[arg(long)]
    pub strict: bool,
}

/// Writes envelopes and remembers whether all were good.
struct Out<W: Write> {
    w: W,
    format: Format,
    pretty: bool,
    strict: bool,
    frames: usize,
    failed: usize,
}

impl<W: Write> Out<W> {
    fn emit(&mut self, env: &Envelope<'_>) -> std::io::Result<()> {
        self.frames += 1;
        if !env.is_valid() || (self.strict && env.crc_valid() == Some(false)) {
            self.failed += 1;
        }
        match (self.format, self.pretty) {
            (Format::Table, _) => crate::table::write(&mut self.w, env)?,
            (Format::Json, true) => serde_json::to_writer_pretty(&mut self.w, env)?,
            (Format::Json, false) => serde_json::to_writer(&mut self.w, env)?,
        }
        self.w.write_all(b"\n")
    }

    /// Every frame of one line of hex text.
    fn text(&mut self, line: &str, lang: Lang) -> std::io::Result<()> {
        if line.trim().is_empty() {
            return Ok(());
        }
        match parse_hex_text(line) {
            Ok(bytes) => self.bytes(&bytes, lang),
            Err(reason) => self.emit(&Envelope::failed(Error::Hex { reason }, lang)),
        }
    }

    fn bytes(&mut self, mut bytes: &[u8], lang: Lang) -> std::io::Result<()> {
        if bytes.is_empty() {
            return self.emit(&Envelope::failed(Error::Empty, lang));
        }
        while !bytes.is_empty() {
            let (env, used) = Envelope::parse(bytes, lang);
            self.emit(&env)?;
            bytes = bytes.get(used.max(1)..).unwrap_or_default();
        }
        Ok(())
    }

    fn lines(&mut self, r: impl BufRead, lang: Lang) -> std::io::Result<()> {
        for line in r.lines() {
            self.text(&line?, lang)?;
        }
        Ok(())
    }

    fn capture(&mut self, data: &[u8], lang: Lang) -> std::io::Result<()> {
        let mut codec = FrameCodec::new();
        let mut buf = bytes::BytesMut::from(data);
        let mut frame = bytes::BytesMut::new();
        loop {
            let item = match codec.decode_eof(&mut buf)? {
                Some(i) => i,
                None => break,
            };
            match item {
                StreamItem::Frame(f) => {
                    frame.clear();
                    f.write_to(&mut frame);
                    self.bytes(&frame, lang)?;
                }
                StreamItem::Dropped { bytes, reason } => {
                    let reason = serde_json::to_string(&reason).unwrap_or_default();
                    self.emit(&Envelope::failed(Error::Dropped { bytes, reason }, lang))?;
                }
            }
        }
        Ok(())
    }
}

/// Runs `ykc parse`.
pub fn run(a: &ParseArgs) -> Result<ExitCode, String> {
    let lang = if a.lang == LangArg::En { Lang::En } else { Lang::Zh };
    let stdout = std::io::stdout();
    let pretty = a.pretty || (stdout.is_terminal() && a.format == Format::Json);
    let mut out = Out { w: std::io::BufWriter::with_capacity(1 << 16, stdout.lock()), format: a.format, pretty, strict: a.strict, frames: 0, failed: 0 };
    if a.hex.is_empty() && a.file.is_none() && a.binary.is_none() {
        return Err("nothing to parse: give hex, `-` for stdin, --file or --binary (see --help)".into());
    }
    let io = |e: std::io::Error| e.to_string();
    for h in &a.hex {
        if h == "-" {
            out.lines(std::io::stdin().lock(), lang).map_err(io)?;
        } else {
            out.text(h, lang).map_err(io)?;
        }
    }
    if let Some(p) = &a.file {
        let f = std::fs::File::open(p).map_err(|e| format!("{}: {e}", p.display()))?;
        out.lines(std::io::BufReader::with_capacity(1 << 20, f), lang).map_err(io)?;
    }
    if let Some(p) = &a.binary {
        let mut data = Vec::new();
        std::fs::File::open(p).and_then(|mut f| f.read_to_end(&mut data)).map_err(|e| format!("{}: {e}", p.display()))?;
        out.capture(&data, lang).map_err(io)?;
    }
    if out.frames == 0 {
        out.emit(&Envelope::failed(Error::Empty, lang)).map_err(io)?;
    }
    out.w.flush().map_err(io)?;
    Ok(if out.failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
