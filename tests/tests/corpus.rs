//! Every corpus frame decodes, re-encodes byte for byte, and its JSON matches the snapshot.

use ykc::Message;
use ykc_tests::{body, corpus};

#[test]
fn corpus_covers_every_frame_type_of_the_spec() {
    let frames = corpus();
    for meta in ykc::frames::FRAMES {
        assert!(
            frames.iter().any(|f| f.code == meta.code),
            "no corpus frame for 0x{:02X} {}",
            meta.code,
            meta.name
        );
    }
    assert_eq!(ykc::frames::FRAMES.len(), 51);
    let golden = frames
        .iter()
        .filter(|f| f.printed_crc_ok)
        .map(|f| f.code)
        .collect::<Vec<_>>();
    assert_eq!(
        golden,
        vec![0x02, 0x06, 0x32, 0x94],
        "the 4 PDF samples whose CRC is right stay byte for byte"
    );
}

#[test]
fn corpus_frames_decode_and_reencode_exactly() {
    for f in corpus() {
        let b = body(&f.bytes);
        let (msg, warnings) =
            Message::decode(f.code, b).unwrap_or_else(|e| panic!("{} ({}): {e}", f.file, f.name));
        assert!(
            !matches!(msg, Message::Unknown { .. }),
            "{}: decoded as raw",
            f.file
        );
        let mut out = bytes::BytesMut::new();
        msg.encode(&mut out)
            .unwrap_or_else(|e| panic!("{}: encode: {e}", f.file));
        if !warnings
            .iter()
            .any(|w| w.kind == ykc::WarningKind::ShortItems)
        {
            assert_eq!(&out[..], b, "{}: re-encoded body differs", f.file);
        }
        let json = serde_json::to_value(&msg).unwrap();
        let back = Message::from_json(f.code, &json)
            .unwrap_or_else(|e| panic!("{}: from_json: {e}\n{json:#}", f.file));
        let mut again = bytes::BytesMut::new();
        back.encode(&mut again).unwrap();
        assert_eq!(
            again, out,
            "{}: JSON round trip changed the bytes\n{json:#}",
            f.file
        );
    }
}

#[test]
fn corpus_json_snapshots() {
    for f in corpus() {
        let (msg, warnings) = Message::decode(f.code, body(&f.bytes)).unwrap();
        let snap = serde_json::json!({
            "frame_type": format!("0x{:02X}", f.code),
            "name": f.name,
            "body_data": msg,
            "warnings": warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
        });
        insta::assert_json_snapshot!(f.file.trim_end_matches(".json"), snap);
    }
}

#[test]
fn metadata_driven_json_matches_typed_json() {
    // Two paths to the same JSON: typed structs (derive) and bytes + FieldMeta (partial results).
    for f in corpus() {
        let meta = Message::meta_of(f.code).unwrap();
        let b = body(&f.bytes);
        let (msg, _) = Message::decode(f.code, b).unwrap();
        let typed = serde_json::to_value(&msg).unwrap();
        if body_warnings_short(f.code, b) {
            continue; // partial results read canonical items only
        }
        let dynamic = ykc::value::partial(meta.fields, b);
        for (k, v) in &dynamic {
            assert_eq!(Some(v), typed.get(k), "{}: field {k}", f.file);
        }
        use ykc::meta::FieldKind;
        let plain = meta
            .fields
            .iter()
            .take_while(|m| !matches!(m.kind, FieldKind::Trailing | FieldKind::Layout))
            .count();
        assert_eq!(dynamic.len(), plain, "{}", f.file);
    }
}

fn body_warnings_short(code: u8, b: &[u8]) -> bool {
    Message::decode(code, b)
        .map(|(_, w)| w.iter().any(|w| w.kind == ykc::WarningKind::ShortItems))
        .unwrap_or(false)
}
