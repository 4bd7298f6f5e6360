//! Golden tests of the derive expansion (prost's `_expected_*.rs`): the generator's structs for
//! a frame, expanded and pretty-printed with `prettyplease`, compared with the checked-in file
//! `tests/expand/_expected_<name>.rs`. `YKC_BLESS=1 cargo test -p ykc-derive golden` rewrites them.

use crate::{code_enum, emit, model};
use proc_macro2::TokenStream;
use std::path::{Path, PathBuf};

/// Expands every `ykc` derive of `item`.
fn expand(item: &syn::DeriveInput) -> TokenStream {
    let mut out = TokenStream::new();
    for attr in item.attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let derives = attr
            .parse_args_with(
                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
            )
            .expect("the generator writes #[derive(a, b, ...)]");
        for d in derives {
            let name = d.segments.last().map(|s| s.ident.to_string());
            let tokens = match name.as_deref() {
                Some("Frame") => model::Record::parse(item, true).map(|m| emit::record(&m)),
                Some("Record") => model::Record::parse(item, false).map(|m| emit::record(&m)),
                Some("CodeEnum") => code_enum::derive(item),
                _ => continue,
            };
            out.extend(tokens.unwrap_or_else(syn::Error::into_compile_error));
        }
    }
    out
}

/// The generated items (from `spec/`) whose name starts with `prefix`, each followed by its expansion.
fn expanded(prefix: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let spec = ykc_gen::load(&root.join("spec")).unwrap_or_else(|e| panic!("{e}"));
    let file: syn::File = syn::parse_str(&ykc_gen::rust::render(&spec))
        .unwrap_or_else(|e| panic!("the generated code parses: {e}"));
    let mut items = Vec::new();
    for item in file.items {
        let input = match &item {
            syn::Item::Struct(s) => syn::DeriveInput::from(s.clone()),
            syn::Item::Enum(e) => syn::DeriveInput::from(e.clone()),
            _ => continue,
        };
        if !input.ident.to_string().starts_with(prefix) {
            continue;
        }
        let expansion: syn::File = syn::parse2(expand(&input))
            .unwrap_or_else(|e| panic!("the expansion of {} parses: {e}", input.ident));
        items.push(item);
        items.extend(expansion.items);
    }
    assert!(!items.is_empty(), "no generated item starts with {prefix}");
    let pretty = prettyplease::unparse(&syn::File {
        shebang: None,
        attrs: Vec::new(),
        items,
    });
    format!("// @generated: `{prefix}*` from spec/, expanded by ykc-derive. Update: YKC_BLESS=1 cargo test -p ykc-derive golden\n\n{pretty}")
}

fn check(prefix: &str, file: &str) {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/expand")
        .join(file);
    let got = expanded(prefix);
    if std::env::var_os("YKC_BLESS").is_some() {
        std::fs::write(&path, &got).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default(); // missing = stale from line 1
    if got != want {
        let line = got
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .map_or(got.lines().count().min(want.lines().count()), |i| i);
        panic!(
            "{} is stale from line {}: review the change, then YKC_BLESS=1 cargo test -p ykc-derive golden\n  now:    {:?}\n  golden: {:?}",
            path.display(),
            line + 1,
            got.lines().nth(line).unwrap_or(""),
            want.lines().nth(line).unwrap_or("")
        );
    }
}

/// 0x3B: the legacy 156-byte layout (`alt_len`, `layout`) and bytes beyond the table (`trailing`).
#[test]
fn golden_transaction_record_0x3b() {
    check("TransactionRecord", "_expected_3b_transaction_record.rs");
}

/// 0x44: a group counted by an earlier field.
#[test]
fn golden_offline_card_sync_request_0x44() {
    check(
        "OfflineCardSyncRequest",
        "_expected_44_offline_card_sync_request.rs",
    );
}
