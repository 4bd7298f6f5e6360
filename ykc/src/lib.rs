//! # ykc — the YunKuaiChong (云快充) charging-pile protocol V1.6
//!
//! Every frame type of V1.6, both ways, generated from the YAML spec in
//! `spec/`: typed structs ([`frames`]), zero-copy views, owned decoding,
//! encoding into `bytes::BytesMut`, and JSON.
//!
//! ```
//! use ykc::frames::LoginResponse;
//! use ykc::Frame;
//! # fn main() -> Result<(), ykc::Error> {
//! let body = [0x55, 0x03, 0x14, 0x12, 0x78, 0x23, 0x05, 0x00];
//! let (resp, warnings) = LoginResponse::decode(&body)?;
//! assert_eq!(resp.pile_code.to_string(), "55031412782305");
//! assert!(warnings.is_empty());
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]
// `expect("why it holds")` is allowed on purpose: where an invariant truly holds it says so, where a
// silent fallback (`unwrap_or_default()`) would turn a broken invariant into wrong data.
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)
)]

extern crate self as ykc;

pub mod answer;
pub mod codec;
pub mod crc;
pub mod decode;
pub mod envelope;
pub mod error;
pub mod frames;
#[cfg(feature = "gateway")]
pub mod gateway;
#[cfg(test)]
mod golden;
pub mod header;
pub mod hex;
#[cfg(feature = "gateway")]
pub mod journal;
pub mod meta;
pub mod record;
#[cfg(feature = "gateway")]
pub mod sim;
pub mod value;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use crate::codec::DEFAULT_MAX_BUFFER;
pub use crate::codec::{DropReason, FrameCodec, OutFrame, StreamItem};
pub use crate::crc::{crc16, CrcOrder};
pub use crate::decode::{decode_frame, decode_frame_lenient, Body, Decoded};
pub use crate::header::{
    encode_frame, Header, OwnedFrame, RawFrame, MAX_BODY, MAX_FRAME, MIN_FRAME, MIN_LEN, START,
};
pub use error::{Error, Warning, WarningKind};
pub use frames::{Message, MessageView};
pub use meta::{Direction, FieldMeta, FrameMeta};
pub use record::{Frame, Record};
pub use value::{Ascii, Bcd, CodeEnum, Cp56Time, Hex, WireValue};
pub use ykc_derive::{CodeEnum, Frame, Record};
