//! The checked-in docs and corpus are exactly what the spec generates.

#[test]
fn docs_and_corpus_are_up_to_date() {
    let root = ykc_tests::root();
    let spec = ykc_gen::load(&root.join("spec")).unwrap_or_else(|e| panic!("{e}"));
    let files = ykc_gen::outputs(&spec, &root.join("docs/frames"), &root.join("tests/corpus"));
    let stale = ykc_gen::stale(&files);
    assert!(stale.is_empty(), "stale generated files (run `cargo run -p ykc-gen`): {stale:#?}");
    assert_eq!(spec.frames.len(), 51);
}
