//! `ykc`: parse and encode YKC V1.6 frames, list the spec's frame types.

mod encode;
mod frames;
mod journal;
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
    /// Run the gateway: piles on the TCP port, REST on the HTTP port (the Go ykc-proxy-server's flags work too).
    Serve(Box<ykc::gateway::args::ServeArgs>),
    /// Simulate piles against a gateway on loopback (also the load generator).
    Sim(Box<ykc::sim::SimArgs>),
    /// Read the gateway's journal: every frame in and out, filtered, or followed live.
    Journal(journal::JournalArgs),
}

fn main() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "serve") {
        // The Go proxy's flags, verbatim (`-tcpPort 27600`, `-autoVerification true` …).
        let rest = args.split_off(2);
        args.extend(ykc::gateway::args::normalize_go_args(rest));
    }
    let cli = Cli::parse_from(args);
    let result = match cli.command {
        Command::Parse(a) => parse::run(&a),
        Command::Encode(a) => encode::run(&a),
        Command::Frames(a) => frames::run(&a),
        Command::Serve(a) => serve(&a),
        Command::Sim(a) => sim(*a),
        Command::Journal(a) => journal::run(&a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ykc: {e}");
            ExitCode::from(2)
        }
    }
}

/// Runs the gateway until Ctrl-C.
fn serve(a: &ykc::gateway::args::ServeArgs) -> Result<ExitCode, String> {
    let config = ykc::gateway::args::load(a).map_err(|e| e.to_string())?;
    let filter = tracing_subscriber::EnvFilter::try_from_env("YKC_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    rt.block_on(ykc::gateway::run(config))
        .map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

/// Runs the simulator until its duration ends or Ctrl-C; prints the summary.
fn sim(a: ykc::sim::SimArgs) -> Result<ExitCode, String> {
    let json = a.json;
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let summary = rt
        .block_on(ykc::sim::run_until(a, async {
            let _ = tokio::signal::ctrl_c().await;
        }))
        .map_err(|e| e.to_string())?;
    println!("{}", summary.render(json));
    Ok(if summary.logins_ok == 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
