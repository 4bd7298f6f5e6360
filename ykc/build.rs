//! Generates the frame definitions from `spec/` (see `ykc-gen`).
fn main() {
    ykc_gen::build(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec"));
}
