//! `ykc parse`: hex in (arguments, stdin, a text file) or a raw capture, one envelope per frame out.

use clap::{Args, ValueEnum};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
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

/// Renders envelopes into a buffer and counts frames and failures.
#[derive(Clone)]
struct Out {
    w: Vec<u8>,
    format: Format,
    pretty: bool,
    strict: bool,
    frames: usize,
    failed: usize,
    scratch: Vec<u8>,
}

/// Lines are read in blocks of about this many bytes, each split across the cores.
const BLOCK: usize = 1 << 20;

impl Out {
    /// An empty buffer with the same options.
    fn fork(&self) -> Out {
        Out {
            w: Vec::with_capacity(self.w.capacity()),
            frames: 0,
            failed: 0,
            scratch: Vec::new(),
            ..self.clone()
        }
    }

    /// Moves the rendered bytes to `sink` and adds the counts.
    fn drain_into(
        &mut self,
        sink: &mut impl Write,
        totals: &mut (usize, usize),
    ) -> std::io::Result<()> {
        sink.write_all(&self.w)?;
        self.w.clear();
        totals.0 += std::mem::take(&mut self.frames);
        totals.1 += std::mem::take(&mut self.failed);
        Ok(())
    }

    /// Every line of a block of text.
    fn block(&mut self, text: &[u8], lang: Lang) -> std::io::Result<()> {
        text.split(|b| *b == b'\n')
            .try_for_each(|l| self.text(l, lang))
    }

    fn emit(&mut self, env: &Envelope<'_>) -> std::io::Result<()> {
        self.frames += 1;
        if !env.is_valid() || (self.strict && env.crc_valid() == Some(false)) {
            self.failed += 1;
        }
        match (self.format, self.pretty) {
            (Format::Table, _) => crate::table::write(&mut self.w, env)?,
            (Format::Json, true) => {
                let mut line = Vec::new();
                env.write_json(&mut line);
                let v: serde_json::Value = serde_json::from_slice(&line)?;
                serde_json::to_writer_pretty(&mut self.w, &v)?;
            }
            (Format::Json, false) => env.write_json(&mut self.w),
        }
        self.w.write_all(b"\n")
    }

    /// Every frame of one line of hex text.
    fn text(&mut self, line: &[u8], lang: Lang) -> std::io::Result<()> {
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let mut bytes = std::mem::take(&mut self.scratch);
        let r = match ykc::hex::decode_into(line, &mut bytes) {
            Ok(()) => self.bytes(&bytes, lang),
            Err(e) => self.emit(&Envelope::failed(e, lang)),
        };
        self.scratch = bytes;
        r
    }

    fn bytes(&mut self, mut bytes: &[u8], lang: Lang) -> std::io::Result<()> {
        if bytes.is_empty() {
            return self.emit(&Envelope::failed(Error::Empty, lang));
        }
        while !bytes.is_empty() {
            let (env, used) = Envelope::parse(bytes, lang);
            self.emit(&env)?;
            bytes = bytes
                .get(used.max(1)..)
                .expect("a parse consumes at most its input, and the input is not empty");
        }
        Ok(())
    }

    /// Reads lines in blocks; each block is split in two at a line end and rendered on two
    /// threads, and the halves are written in input order.
    fn lines(
        &mut self,
        mut r: impl Read,
        lang: Lang,
        sink: &mut impl Write,
        totals: &mut (usize, usize),
    ) -> std::io::Result<()> {
        // One buffer, zeroed once: reads land after the carried-over partial line, a block is cut at
        // its last newline, and the rest moves to the front for the next round.
        let mut buf: Vec<u8> = vec![0; 2 * BLOCK];
        let mut filled = 0usize;
        let mut eof = false;
        let mut other = self.fork();
        loop {
            while !eof && filled < BLOCK {
                let n = r.read(buf.get_mut(filled..).unwrap_or(&mut []))?;
                filled += n;
                eof = n == 0;
            }
            if filled == 0 {
                return Ok(());
            }
            let cut = if eof {
                filled
            } else {
                buf.get(..filled)
                    .and_then(|b| b.iter().rposition(|c| *c == b'\n'))
                    .map_or(0, |p| p + 1)
            };
            if cut == 0 {
                // One line longer than the buffer: grow it and keep reading until the line ends.
                buf.resize(buf.len() * 2, 0);
                let target = buf.len() / 2;
                while !eof && filled < target {
                    let n = r.read(buf.get_mut(filled..).unwrap_or(&mut []))?;
                    filled += n;
                    eof = n == 0;
                }
                continue;
            }
            let text = buf
                .get(..cut)
                .expect("`cut` is at most `filled`, inside `buf`");
            let half = text.len() / 2;
            let mid = text
                .get(half..)
                .and_then(|t| t.iter().position(|b| *b == b'\n'))
                .map_or(text.len(), |p| half + p + 1);
            let (first, second) = (
                text.get(..mid).expect("`mid` is at most the text's length"),
                text.get(mid..).expect("`mid` is at most the text's length"),
            );
            std::thread::scope(|sc| {
                let h = sc.spawn(|| other.block(second, lang));
                let a = self.block(first, lang);
                let b = h
                    .join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("worker thread panicked")));
                a.and(b)
            })?;
            self.drain_into(sink, totals)?;
            other.drain_into(sink, totals)?;
            buf.copy_within(cut..filled, 0);
            filled -= cut;
        }
    }

    fn capture(&mut self, data: &[u8], lang: Lang) -> std::io::Result<()> {
        let mut codec = FrameCodec::new();
        let mut buf = bytes::BytesMut::from(data);
        let mut frame = bytes::BytesMut::new();
        while let Some(item) = codec.decode_next_eof(&mut buf) {
            match item {
                StreamItem::Frame(f) => {
                    frame.clear();
                    f.write_to(&mut frame);
                    self.bytes(&frame, lang)?;
                }
                StreamItem::Dropped { bytes, reason } => {
                    let reason =
                        serde_json::to_string(&reason).expect("a DropReason always serializes");
                    self.emit(&Envelope::failed(Error::Dropped { bytes, reason }, lang))?;
                }
            }
        }
        Ok(())
    }
}

/// Runs `ykc parse`.
pub fn run(a: &ParseArgs) -> Result<ExitCode, String> {
    let lang = if a.lang == LangArg::En {
        Lang::En
    } else {
        Lang::Zh
    };
    let stdout = std::io::stdout();
    let pretty = a.pretty || (stdout.is_terminal() && a.format == Format::Json);
    let mut sink = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut out = Out {
        w: Vec::with_capacity(1 << 20),
        format: a.format,
        pretty,
        strict: a.strict,
        frames: 0,
        failed: 0,
        scratch: Vec::new(),
    };
    let mut totals = (0usize, 0usize);
    if a.hex.is_empty() && a.file.is_none() && a.binary.is_none() {
        return Err(
            "nothing to parse: give hex, `-` for stdin, --file or --binary (see --help)".into(),
        );
    }
    let io = |e: std::io::Error| e.to_string();
    for h in &a.hex {
        if h == "-" {
            out.lines(std::io::stdin().lock(), lang, &mut sink, &mut totals)
                .map_err(io)?;
        } else {
            out.text(h.as_bytes(), lang).map_err(io)?;
        }
    }
    if let Some(p) = &a.file {
        let f = std::fs::File::open(p).map_err(|e| format!("{}: {e}", p.display()))?;
        out.lines(f, lang, &mut sink, &mut totals).map_err(io)?;
    }
    if let Some(p) = &a.binary {
        let mut data = Vec::new();
        std::fs::File::open(p)
            .and_then(|mut f| f.read_to_end(&mut data))
            .map_err(|e| format!("{}: {e}", p.display()))?;
        out.capture(&data, lang).map_err(io)?;
    }
    out.drain_into(&mut sink, &mut totals).map_err(io)?;
    if totals.0 == 0 {
        out.emit(&Envelope::failed(Error::Empty, lang))
            .map_err(io)?;
        out.drain_into(&mut sink, &mut totals).map_err(io)?;
    }
    sink.flush().map_err(io)?;
    Ok(if totals.1 == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
