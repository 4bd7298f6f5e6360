//! Every frame type of V1.6, generated from `spec/` by `ykc-gen` at build time.
//!
//! Each frame is a struct whose fields follow the section's table; the
//! [`Message`] enum holds any of them (or an unknown code's raw body).
#![allow(clippy::large_enum_variant)]

include!(concat!(env!("OUT_DIR"), "/frames.rs"));
