//! Any bytes: frame decode (strict and lenient), views, JSON and re-encode never panic,
//! and a decoded plain body re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ykc::{decode_frame_lenient, Body, MessageView};

fuzz_target!(|data: &[u8]| {
    let _ = ykc::decode_frame(data);
    if let Ok((d, _)) = decode_frame_lenient(data) {
        let _ = MessageView::new(d.raw.header.code, d.raw.body);
        if let Body::Plain(msg) = &d.body {
            let _ = serde_json::to_vec(msg);
            let mut out = bytes::BytesMut::new();
            if msg.encode(&mut out).is_ok()
                && !d
                    .warnings
                    .iter()
                    .any(|w| w.kind == ykc::WarningKind::ShortItems)
            {
                assert_eq!(&out[..], d.raw.body);
            }
        }
    }
    // Bodies alone, for every code.
    if let Some((code, body)) = data.split_first() {
        let _ = ykc::Message::decode(*code, body);
    }
});
