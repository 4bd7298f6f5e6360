//! Every request/reply pair answers from the spec's `answer:` template, and replies correlate
//! with the command they answer — the basis of auto-answers, the simulator and REST commands.

use ykc::answer::{answer, body_json, correlates};
use ykc::Message;
use ykc_tests::{body, corpus};

#[test]
fn every_request_in_the_corpus_gets_its_default_answer() {
    let mut answered = Vec::new();
    for f in corpus() {
        let meta = Message::meta_of(f.code).unwrap();
        let Some(reply_code) = meta.reply else {
            continue;
        };
        let (req, _) = Message::decode(f.code, body(&f.bytes)).unwrap();
        let reply =
            answer(&req, &serde_json::Map::new()).unwrap_or_else(|e| panic!("{}: {e}", f.file));
        assert_eq!(reply.code(), reply_code);
        let mut out = bytes::BytesMut::new();
        reply
            .encode(&mut out)
            .unwrap_or_else(|e| panic!("{}: {e}", f.file));
        let (again, _) = Message::decode(reply_code, &out).unwrap();
        assert_eq!(again, reply, "{}", f.file);
        assert!(
            correlates(&req, &reply),
            "{}: the answer must correlate with its request",
            f.file
        );
        let (q, r) = (body_json(&req), body_json(&reply));
        if let (Some(a), Some(b)) = (q.get("pile_code"), r.get("pile_code")) {
            assert_eq!(a, b, "{}", f.file);
        }
        answered.push(f.code);
    }
    answered.sort();
    answered.dedup();
    assert_eq!(answered.len(), 21, "{answered:02X?}");
}

#[test]
fn overrides_and_mismatches() {
    let req = Message::from_json(
        0x36,
        &serde_json::json!({"pile_code": "32010200000001", "gun_no": "01"}),
    )
    .unwrap();
    let ok = answer(&req, &serde_json::Map::new()).unwrap();
    assert_eq!(body_json(&ok)["stop_result"]["name"], "success");
    let mut set = serde_json::Map::new();
    set.insert("stop_result".into(), serde_json::json!("failure"));
    set.insert("fail_reason".into(), serde_json::json!("gun_not_charging"));
    let failed = answer(&req, &set).unwrap();
    assert_eq!(
        body_json(&failed)["fail_reason"]["name"],
        "gun_not_charging"
    );
    assert!(
        correlates(&req, &failed),
        "a refusal still answers the command"
    );
    let other_gun = Message::from_json(
        0x36,
        &serde_json::json!({"pile_code": "32010200000001", "gun_no": "02"}),
    )
    .unwrap();
    assert!(
        !correlates(&other_gun, &ok),
        "gun 2's command is not answered by gun 1's reply"
    );
    let login = Message::from_json(0x01, &serde_json::json!({"pile_code": "32010200000001", "pile_type": 0, "gun_count": 2,
        "protocol_version": 1.6, "program_version": "V1", "network_type": 1, "sim_card": "0", "carrier": 4})).unwrap();
    assert!(!correlates(&login, &ok));
    // Card lists: each requested card is answered.
    let clear = Message::from_json(
        0x46,
        &serde_json::json!({"pile_code": "32010200000001", "cards": [
        {"physical_card_no": "00000000D14B0A54"}, {"physical_card_no": "00000000E14C0A54"}]}),
    )
    .unwrap();
    let resp = body_json(&answer(&clear, &serde_json::Map::new()).unwrap());
    assert_eq!(resp["cards"][1]["physical_card_no"], "00000000E14C0A54");
    assert_eq!(resp["cards"][1]["clear_flag"]["name"], "cleared");
}

#[test]
fn roles_and_pile_codes_come_from_the_spec() {
    use ykc::meta::Role;
    assert_eq!(
        ykc::answer::frame_for(Role::Login).map(|m| m.code),
        Some(0x01)
    );
    assert_eq!(
        ykc::answer::frame_for(Role::TransactionRecord).map(|m| m.code),
        Some(0x3B)
    );
    for f in corpus() {
        let b = body(&f.bytes);
        let json = body_json(&Message::decode(f.code, b).unwrap().0);
        let raw = ykc::answer::pile_code_of(f.code, b);
        match json.get("pile_code") {
            Some(v) => assert_eq!(
                Some(v.as_str().unwrap().to_string()),
                raw.map(|r| ykc::Bcd(r).to_string()),
                "{}",
                f.file
            ),
            None => assert_eq!(raw, None, "{}", f.file),
        }
    }
}
