//! Every bad input of the codec issue yields a typed error or warning that names what it can
//! (frame, field, byte offset, section), and never a panic.

use ykc::{decode_frame, decode_frame_lenient, Body, Error, Message, WarningKind};

fn frame(code: u8, body: &[u8]) -> Vec<u8> {
    let mut out = bytes::BytesMut::new();
    ykc::encode_frame(
        [0x01, 0x00],
        0,
        code,
        body,
        ykc::CrcOrder::LowFirst,
        &mut out,
    )
    .unwrap();
    out.to_vec()
}

#[test]
fn framing_errors() {
    assert_eq!(decode_frame(&[]).unwrap_err(), Error::Empty);
    assert!(matches!(
        decode_frame(&[0x68, 0x04, 0]).unwrap_err(),
        Error::TooShort { len: 3 }
    ));
    assert!(matches!(
        decode_frame(&[0x69; 8]).unwrap_err(),
        Error::BadStart {
            found: 0x69,
            offset: 0
        }
    ));
    let mut f = frame(0x02, &[0x55, 0x03, 0x14, 0x12, 0x78, 0x23, 0x05, 0x00]);
    let mut short_len = f.clone();
    short_len[1] = 3;
    assert!(matches!(
        decode_frame(&short_len).unwrap_err(),
        Error::BadLength { declared: 3, .. }
    ));
    let mut long_len = f.clone();
    long_len[1] = 0x40;
    assert!(matches!(
        decode_frame(&long_len).unwrap_err(),
        Error::BadLength { declared: 0x40, .. }
    ));
    let n = f.len();
    f[n - 1] ^= 0xFF;
    assert!(matches!(
        decode_frame(&f).unwrap_err(),
        Error::BadCrc { .. }
    ));
    // The parse CLI's lenient mode keeps going: a warning, and the body is still decoded.
    let (d, _) = decode_frame_lenient(&f).unwrap();
    assert!(d.warnings.iter().any(|w| w.kind == WarningKind::BadCrc));
    assert!(matches!(d.body, Body::Plain(Message::LoginResponse(_))));
}

#[test]
fn both_crc_orders_are_accepted_and_reported() {
    let body = [0x55, 0x03, 0x14, 0x12, 0x78, 0x23, 0x05, 0x00];
    for order in [ykc::CrcOrder::LowFirst, ykc::CrcOrder::HighFirst] {
        let mut out = bytes::BytesMut::new();
        ykc::encode_frame([0, 0], 0, 0x02, &body, order, &mut out).unwrap();
        let (d, used) = decode_frame(&out).unwrap();
        assert_eq!(used, out.len());
        assert_eq!(d.raw.crc_order, Some(order));
    }
}

#[test]
fn body_length_errors_name_frame_and_section() {
    let err = decode_frame(&frame(0x02, &[0x55, 0x03])).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(
            err,
            Error::BodyLength {
                code: 0x02,
                got: 2,
                ..
            }
        ),
        "{text}"
    );
    assert!(
        text.contains("login_response") && text.contains("§6.2") && text.contains("table says 8"),
        "{text}"
    );
    let err = decode_frame(&frame(0x02, &[0; 9])).unwrap_err();
    assert!(matches!(err, Error::BodyLength { got: 9, .. }), "{err}");
}

#[test]
fn unknown_and_encrypted_frames_are_kept() {
    let f = frame(0x9B, &[1, 2, 3]);
    let (d, _) = decode_frame(&f).unwrap();
    assert_eq!(
        d.body,
        Body::Plain(Message::Unknown {
            code: 0x9B,
            body: vec![1, 2, 3]
        })
    );
    assert_eq!(
        serde_json::to_value(&Message::Unknown {
            code: 0x9B,
            body: vec![1, 2, 3]
        })
        .unwrap(),
        serde_json::json!({"raw": "010203"})
    );
    let mut out = bytes::BytesMut::new();
    ykc::encode_frame(
        [0, 0],
        1,
        0x03,
        &[9, 9, 9],
        ykc::CrcOrder::LowFirst,
        &mut out,
    )
    .unwrap();
    let (d, _) = decode_frame(&out).unwrap();
    assert_eq!(d.body, Body::Encrypted(vec![9, 9, 9]));
    out.clear();
    ykc::encode_frame([0, 0], 7, 0x03, &[9], ykc::CrcOrder::LowFirst, &mut out).unwrap();
    assert!(matches!(
        decode_frame(&out).unwrap_err(),
        Error::BadEncryptFlag {
            flag: 7,
            code: 0x03
        }
    ));
}

#[test]
fn non_decimal_bcd_and_bad_dates_are_warnings_with_offsets() {
    // 0x05 billing model verify: pile code 7 BCD + model 2 BCD; model F0 02 (ERRATA R5).
    let f = frame(0x05, &[0x32, 0x01, 0x02, 0, 0, 0, 0x01, 0xF0, 0x02]);
    let (d, _) = decode_frame(&f).unwrap();
    let w = &d.warnings[0];
    assert_eq!(
        (w.field, w.offset, &w.kind),
        ("billing_model_no", 13, &WarningKind::NonDecimalBcd)
    );
    let Body::Plain(msg) = &d.body else { panic!() };
    assert_eq!(
        serde_json::to_value(msg).unwrap()["billing_model_no"],
        "F002"
    );
    // 0x56 time sync: pile code 7 + CP56Time2a 7 with month 13.
    let f = frame(
        0x56,
        &[0x32, 0x01, 0x02, 0, 0, 0, 0x01, 0, 0, 0, 0, 1, 13, 20],
    );
    let (d, _) = decode_frame(&f).unwrap();
    assert_eq!(d.warnings[0].kind, WarningKind::InvalidTime);
    assert_eq!(d.warnings[0].offset, 13);
}

#[test]
fn card_counts_that_do_not_fit_are_field_errors() {
    // 0x46 offline card clear: pile 7, count 1, N × card 8; count 3 with 1 card.
    let mut body = vec![0x32, 0x01, 0x02, 0, 0, 0, 0x01, 3];
    body.extend_from_slice(&[0; 8]);
    let err = decode_frame(&frame(0x46, &body)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Field {
                code: 0x46,
                field: "cards",
                offset: 14,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn transaction_records_of_156_158_and_160_bytes_decode() {
    for (len, alt, trailing) in [(156, true, 0), (158, false, 0), (160, false, 2)] {
        let f = frame(0x3B, &vec![0u8; len]);
        let (d, _) = decode_frame(&f).unwrap();
        let Body::Plain(Message::TransactionRecord(r)) = &d.body else {
            panic!("{len}: {:?}", d.body)
        };
        assert_eq!(r.alt_layout, alt, "{len}");
        assert_eq!(r.trailing.len(), trailing, "{len}");
        let mut out = bytes::BytesMut::new();
        Message::TransactionRecord(r.clone())
            .encode(&mut out)
            .unwrap();
        assert_eq!(out.len(), len, "re-encoded length");
    }
}
