//! Generates the frame definitions from `spec/` (see `ykc-gen`); a bad spec fails the build.
use std::process::ExitCode;

fn main() -> ExitCode {
    let spec = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
    match ykc_gen::build(&spec) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
