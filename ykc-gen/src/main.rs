//! `ykc-gen [--check] [SPEC_DIR [DOCS_DIR [CORPUS_DIR]]]`: writes (or checks) the generated docs and corpus.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let check = args.iter().any(|a| a == "--check");
    args.retain(|a| a != "--check");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let arg = |i: usize, default: &str| {
        args.get(i)
            .map_or_else(|| root.join(default), PathBuf::from)
    };
    let (spec_dir, docs_dir, corpus_dir) = (
        arg(0, "spec"),
        arg(1, "docs/frames"),
        arg(2, "tests/corpus"),
    );
    let spec = match ykc_gen::load(&spec_dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let files = ykc_gen::outputs(&spec, &docs_dir, &corpus_dir);
    if check {
        let stale = ykc_gen::stale(&files);
        for p in &stale {
            eprintln!("stale: {}", p.display());
        }
        return if stale.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    match ykc_gen::write(&files) {
        Ok(()) => {
            println!(
                "wrote {} files for {} frame types",
                files.len(),
                spec.frames.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot write: {e}");
            ExitCode::FAILURE
        }
    }
}
