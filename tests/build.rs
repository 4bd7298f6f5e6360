//! Generates the vendor fixture spec (tests/fixtures/vendor-spec) exactly as `ykc` generates `spec/`.
fn main() {
    ykc_gen::build(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/vendor-spec"));
}
