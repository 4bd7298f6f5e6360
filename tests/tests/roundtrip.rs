//! Property tests over every frame type, driven by the spec's metadata:
//! `encode(decode(bytes)) == bytes` and `decode(encode(v)) == v` for any body of a valid length.

use proptest::prelude::*;
use ykc::meta::{FieldKind, FrameMeta, Repeat};
use ykc::Message;
use ykc::WarningKind;

/// Offset of the field named `name` in the fixed part.
fn offset_of(meta: &FrameMeta, name: &str) -> Option<usize> {
    let mut at = 0;
    for f in meta.fields {
        if f.name == name {
            return Some(at);
        }
        if f.kind != FieldKind::Group {
            at += f.len
                * if let Repeat::Fixed(n) = f.repeat {
                    n
                } else {
                    1
                };
        }
    }
    None
}

/// A strategy for bodies of valid length for `meta`: the fixed part, items (count field set),
/// the alternative layout, or trailing bytes where the frame allows them.
fn body_for(meta: &'static FrameMeta) -> BoxedStrategy<Vec<u8>> {
    let bl = meta.body_len;
    let group = meta.fields.iter().find(|f| f.kind == FieldKind::Group);
    if let Some(g) = group {
        let max = if bl.max_items > 0 {
            bl.max_items
        } else {
            (251 - bl.fixed) / g.len.max(1)
        };
        let count_at = match g.repeat {
            Repeat::CountField(c) => offset_of(meta, c),
            _ => None,
        };
        return (0..=max)
            .prop_flat_map(move |n| {
                proptest::collection::vec(any::<u8>(), bl.fixed + n * g.len).prop_map(
                    move |mut b| {
                        if let Some(at) = count_at {
                            if let Some(c) = b.get_mut(at) {
                                *c = n as u8;
                            }
                        }
                        b
                    },
                )
            })
            .boxed();
    }
    let mut lens = vec![bl.fixed];
    if bl.alt > 0 {
        lens.push(bl.alt);
    }
    if bl.trailing {
        lens.push(bl.fixed + 2);
    }
    proptest::sample::select(lens)
        .prop_flat_map(|n| proptest::collection::vec(any::<u8>(), n))
        .boxed()
}

fn check(meta: &'static FrameMeta, body: &[u8]) -> Result<(), TestCaseError> {
    let (msg, _warnings) = Message::decode(meta.code, body)
        .map_err(|e| TestCaseError::fail(format!("{}: {e}", meta.name)))?;
    prop_assert!(
        !matches!(msg, Message::Unknown { code: _, body: _ }),
        "decoded as raw"
    );
    let mut out = bytes::BytesMut::new();
    msg.encode(&mut out)
        .map_err(|e| TestCaseError::fail(format!("{}: {e}", meta.name)))?;
    prop_assert_eq!(
        &out[..],
        body,
        "{}: encode(decode(bytes)) != bytes",
        meta.name
    );
    let (again, _) =
        Message::decode(meta.code, &out).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&again, &msg, "{}: decode(encode(v)) != v", meta.name);
    // The zero-copy view agrees on length rules, and JSON never fails.
    serde_json::to_vec(&msg).map_err(|e| TestCaseError::fail(e.to_string()))?;
    Ok(())
}

/// Any code with any bytes, or a frame type's valid body cut short or run on by a few bytes
/// (where tolerant readings and length errors live).
fn any_body() -> impl Strategy<Value = (u8, Vec<u8>)> {
    let near_valid = proptest::sample::select(ykc::frames::FRAMES.to_vec())
        .prop_flat_map(|m| {
            (
                Just(m.code),
                body_for(m),
                0usize..4,
                proptest::collection::vec(any::<u8>(), 0..3),
            )
        })
        .prop_map(|(code, mut body, cut, extra)| {
            body.truncate(body.len().saturating_sub(cut));
            body.extend(extra);
            (code, body)
        });
    prop_oneof![
        (any::<u8>(), proptest::collection::vec(any::<u8>(), 0..260)),
        near_valid,
    ]
}

/// What decoding any body must give: a message that encodes back to the same bytes (unless a
/// warning says it was read tolerantly), or a typed error naming the frame.
fn check_any(code: u8, body: &[u8]) -> Result<(), TestCaseError> {
    let (msg, warnings) = match Message::decode(code, body) {
        Ok(decoded) => decoded,
        Err(e) => return check_error(code, &e),
    };
    prop_assert_eq!(msg.code(), code);
    let mut out = bytes::BytesMut::new();
    msg.encode(&mut out).map_err(|e| {
        TestCaseError::fail(format!("0x{code:02X} decoded but does not encode: {e}"))
    })?;
    if out[..] != *body {
        // Only a tolerant reading may change the bytes, and it says so.
        let tolerant = warnings.iter().any(|w| {
            matches!(
                w.kind,
                WarningKind::ShortItems | WarningKind::AltLayout { .. }
            )
        });
        prop_assert!(
            tolerant,
            "0x{:02X}: encode(decode(bytes)) != bytes and no warning says why: {:?}",
            code,
            warnings
        );
    }
    serde_json::to_vec(&msg).map_err(|e| TestCaseError::fail(e.to_string()))?;
    Ok(())
}

/// A decode error names the frame type (its code in the text) and is a length or field error.
fn check_error(code: u8, e: &ykc::Error) -> Result<(), TestCaseError> {
    let named = match e {
        ykc::Error::BodyLength { code: c, .. } => *c == code,
        ykc::Error::Field {
            code: c, offset, ..
        } => *c == code && *offset >= ykc::error::BODY_OFFSET,
        _ => false,
    };
    prop_assert!(named, "0x{:02X}: unexpected error {:?}", code, e);
    let text = e.to_string();
    prop_assert!(text.contains(&format!("0x{code:02X}")), "{}", text);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn every_frame_type_round_trips((meta, body) in proptest::sample::select(ykc::frames::FRAMES.to_vec())
        .prop_flat_map(|m| (Just(m), body_for(m)))) {
        check(meta, &body)?;
    }

    #[test]
    fn decode_never_panics_on_any_body((code, body) in any_body()) {
        check_any(code, &body)?;
    }
}

#[test]
fn every_frame_type_round_trips_at_least_once() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for meta in ykc::frames::FRAMES {
        for _ in 0..16 {
            let body = body_for(meta)
                .new_tree(&mut runner)
                .map(|t| t.current())
                .expect("the body strategy always yields a value");
            if let Err(e) = check(meta, &body) {
                panic!("0x{:02X} {}: {e}", meta.code, meta.name);
            }
        }
    }
}

#[test]
fn wrong_lengths_and_counts_are_typed_errors() {
    for meta in ykc::frames::FRAMES {
        let bl = meta.body_len;
        let short = vec![0u8; bl.fixed.saturating_sub(1)];
        if bl.fixed > 0 {
            let err = Message::decode(meta.code, &short).expect_err(meta.name);
            assert!(
                matches!(err, ykc::Error::BodyLength { .. }),
                "{}: {err}",
                meta.name
            );
        }
        if !bl.trailing && bl.item == 0 {
            let long = vec![0u8; bl.fixed + 1];
            assert!(
                Message::decode(meta.code, &long).is_err(),
                "{}: longer body accepted",
                meta.name
            );
        }
    }
    // 0x44 says 2 cards but carries 1.
    let mut body = vec![0u8; 8 + 16];
    body[7] = 2;
    let err = Message::decode(0x44, &body).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(
            err,
            ykc::Error::Field {
                field: "cards",
                offset: 14,
                ..
            }
        ),
        "{text}"
    );
    assert!(text.contains("§8.11"), "{text}");
}
