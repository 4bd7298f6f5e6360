//! # ykc — the YunKuaiChong (云快充) charging-pile protocol V1.6
//!
//! Every frame type of V1.6, both ways, generated from the YAML spec in
//! `spec/`: typed structs ([`frames`]), zero-copy views, owned decoding,
//! encoding into `bytes::BytesMut`, and JSON.
//!
//! ```
//! use ykc::frames::LoginResponse;
//! use ykc::Frame;
//! let body = [0x55, 0x03, 0x14, 0x12, 0x78, 0x23, 0x05, 0x00];
//! let (resp, warnings) = LoginResponse::decode(&body).unwrap();
//! assert_eq!(resp.pile_code.to_string(), "55031412782305");
//! assert!(warnings.is_empty());
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate self as ykc;

pub mod error;
pub mod frames;
pub mod meta;
pub mod record;
pub mod value;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use error::{Error, Warning, WarningKind};
pub use frames::Message;
pub use meta::{Direction, FieldMeta, FrameMeta};
pub use record::{Frame, Record};
pub use value::{Ascii, Bcd, CodeEnum, Cp56Time, Hex, WireValue};
pub use ykc_derive::{CodeEnum, Frame, Record};
