//! `ykc`: parse and encode YKC V1.6 frames, list the spec's frame types.

mod encode;
mod frames;
mod input;
mod parse;
mod table;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// YunKuaiChong (云快充) protocol V1.6 toolkit.
#[derive(Parser)]
#[command(name = "ykc", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode hex dumps or raw captures into the ykc-parser JSON envelope.
    Parse(parse::ParseArgs),
    /// Build a frame from JSON field values (the names `parse` prints).
    Encode(encode::EncodeArgs),
    /// List the frame types of the spec, or describe one.
    Frames(frames::FramesArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Parse(a) => parse::run(&a),
        Command::Encode(a) => encode::run(&a),
        Command::Frames(a) => frames::run(&a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ykc: {e}");
            ExitCode::from(2)
        }
    }
}
