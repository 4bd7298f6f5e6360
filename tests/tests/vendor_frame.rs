//! Adding a frame is one YAML file: the fixture's vendor frame decodes, encodes, and is documented.

use ykc::Frame;
use ykc_tests::vendor::{Message, VendorGunTemperatures, VendorGunTemperaturesState};

fn fixture() -> ykc_gen::Spec {
    ykc_gen::load(&ykc_tests::root().join("tests/fixtures/vendor-spec"))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn vendor_frame_decodes_and_encodes() {
    let body = [
        0x32, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x01, 0x4B, 0x00, 0x01,
    ];
    let (msg, warnings) = Message::decode(0xF1, &body).unwrap();
    assert!(warnings.is_empty());
    let Message::VendorGunTemperatures(v) = &msg else {
        panic!("decoded as {msg:?}")
    };
    assert_eq!(v.pile_code.to_string(), "32010200000001");
    assert_eq!(v.state, VendorGunTemperaturesState::OverTemperature);
    let json = serde_json::to_value(&msg).unwrap();
    assert_eq!(json["temp_positive"], serde_json::json!(25));
    assert_eq!(json["temp_negative"], serde_json::Value::Null);
    let mut out = bytes::BytesMut::new();
    msg.encode(&mut out).unwrap();
    assert_eq!(&out[..], &body);
    let view = VendorGunTemperatures::view(&body).unwrap();
    assert_eq!(view.temp_positive(), 0x4B);
    assert_eq!(VendorGunTemperatures::META.section, "vendor");
}

#[test]
fn vendor_frame_appears_in_docs_and_corpus() {
    let spec = fixture();
    let docs = ykc_gen::docs::render(&spec);
    let index = &docs.iter().find(|(p, _)| p == "README.md").unwrap().1;
    assert!(index.contains("[0xF1](f1.md)"), "{index}");
    let page = &docs.iter().find(|(p, _)| p == "f1.md").unwrap().1;
    assert!(
        page.contains("正极温度") && page.contains("`temp_positive`"),
        "{page}"
    );
    let corpus = ykc_gen::corpus::render(&spec);
    let (name, text) = corpus.first().unwrap();
    assert_eq!(name, "f1_vendor_gun_temperatures.json");
    let frames: Vec<serde_json::Value> = serde_json::from_str(text).unwrap();
    let bytes = ykc::value::parse_hex(frames[0]["hex"].as_str().unwrap()).unwrap();
    let (msg, _) = Message::decode(0xF1, ykc_tests::body(&bytes)).unwrap();
    assert!(matches!(msg, Message::VendorGunTemperatures(_)));
}

#[test]
fn a_bad_spec_names_file_and_field() {
    let dir = std::env::temp_dir().join(format!("ykc-bad-spec-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("frames")).unwrap();
    let yaml = "code: 0xF2\nname: bad\nname_zh: x\nsection: v\ndirection: up\nreply: 0x99\nfields:\n  - {name: a, name_zh: a, type: uint, len: 1, enum: {0x100: {name: big, zh: 大}}}\n  - {name: a, name_zh: b, type: bcd, len: 0}\n";
    std::fs::write(dir.join("frames/f2_bad.yaml"), yaml).unwrap();
    let err = ykc_gen::load(&dir).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        err.contains("f2_bad.yaml: field `reply`: reply frame 0x99 is not in the spec"),
        "{err}"
    );
    assert!(
        err.contains("field `a`: enum value 0x100 does not fit in 1 byte(s)"),
        "{err}"
    );
    assert!(err.contains("field `a`: field name used twice"), "{err}");
    assert!(err.contains("`len` must be at least 1"), "{err}");
}

/// Writes `frames` (file name, YAML) into a fresh spec directory and loads it.
fn load_bad(tag: &str, frames: &[(&str, &str)]) -> String {
    let dir = std::env::temp_dir().join(format!("ykc-bad-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("frames")).unwrap();
    for (name, yaml) in frames {
        std::fs::write(dir.join("frames").join(name), yaml).unwrap();
    }
    let err = ykc_gen::load(&dir).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).ok();
    err
}

#[test]
fn a_misspelt_vocabulary_word_names_file_key_and_choices() {
    let yaml = "code: 0xF2\nname: bad\nname_zh: x\nsection: v\ndirection: sideways\nfields: []\n";
    let err = load_bad("vocab", &[("f2_bad.yaml", yaml)]);
    assert!(err.contains("f2_bad.yaml"), "{err}");
    assert!(
        err.contains("direction: unknown variant `sideways`, expected `up` or `down`"),
        "{err}"
    );
}

#[test]
fn answer_values_are_plain_values_of_the_field() {
    let req = "code: 0xF3\nname: req\nname_zh: x\nsection: v\ndirection: up\nreply: 0xF4\nfields:\n  - {name: a, name_zh: a, type: uint, len: 1}\n";
    let rep = "code: 0xF4\nname: rep\nname_zh: y\nsection: v\ndirection: down\nfields:\n  - {name: a, name_zh: a, type: uint, len: 1}\n  - {name: r, name_zh: r, type: uint, len: 1, enum: {0: {name: ok, zh: 成功}}}\nanswer:\n  request: 0xF3\n  copy: {a: a}\n  set: {r: '\"ok\"', a: [1]}\n";
    let err = load_bad("answer", &[("f3_req.yaml", req), ("f4_rep.yaml", rep)]);
    assert!(
        err.contains(
            "f4_rep.yaml: field `answer`: set r: `\"ok\"` is not a value of the field's enum"
        ),
        "{err}"
    );
    assert!(err.contains("set a: `[1]` is not a plain value"), "{err}");
}
