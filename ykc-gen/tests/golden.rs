//! The generator's Rust output for the vendor fixture, snapshotted (prost-style golden file):
//! a change to `rust.rs` shows up as a reviewable diff (`cargo insta review`).

use std::path::Path;

#[test]
fn vendor_fixture_rust_output() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/vendor-spec");
    let spec = ykc_gen::load(&dir).unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!("vendor_frames_rs", ykc_gen::rust::render(&spec));
}
