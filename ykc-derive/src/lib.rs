//! Derive macros for `ykc`: `#[derive(Frame)]`, `#[derive(Record)]` and `#[derive(CodeEnum)]`.
//!
//! The generator (`ykc-gen`) emits structs annotated with `#[ykc(...)]`; these
//! derives turn the annotations into a zero-copy view, an owned decoder, an
//! encoder into `bytes::BytesMut`, JSON (serde) and field metadata.
//!
//! Misused attributes are compile errors at the attribute concerned (each attribute's span is
//! kept while parsing, serde_derive's `Attr<T>`); a repeated attribute is an error; all errors
//! of a struct are reported at once. The words (wire types, direction, role) are `ykc-vocab`'s.

mod code_enum;
mod emit;
mod model;

#[cfg(test)]
mod golden;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// Derives `ykc::Record` and `ykc::Frame` for a frame body struct.
#[proc_macro_derive(Frame, attributes(ykc))]
pub fn derive_frame(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    model::Record::parse(&input, true)
        .map(|m| emit::record(&m))
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Derives `ykc::Record` for a repeated item struct.
#[proc_macro_derive(Record, attributes(ykc))]
pub fn derive_record(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    model::Record::parse(&input, false)
        .map(|m| emit::record(&m))
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Derives `ykc::CodeEnum` for an enum of codes with an `Unknown(u64)` fallback.
#[proc_macro_derive(CodeEnum, attributes(ykc))]
pub fn derive_code_enum(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    code_enum::derive(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
