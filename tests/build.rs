//! Generates the vendor fixture spec (tests/fixtures/vendor-spec) exactly as `ykc` generates `spec/`.
use std::process::ExitCode;

fn main() -> ExitCode {
    let spec = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/vendor-spec");
    match ykc_gen::build(&spec) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
