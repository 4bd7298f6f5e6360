//! The session's rules, without sockets: frames in, actions out, the clock passed in.

use super::*;
use crate::{encode_frame, CrcOrder, RawFrame};
use serde_json::json;

const PILE: &str = "32010200000001";
const OTHER: &str = "32010200000099";

fn key(pile: &str) -> [u8; 7] {
    Bcd::<7>::from_digits(pile).expect("digits").0
}

fn frame_in(code: u8, seq: [u8; 2], fields: Value, order: CrcOrder) -> OwnedFrame {
    let msg = Message::from_json(code, &fields).expect("fields");
    let mut body = bytes::BytesMut::new();
    msg.encode(&mut body).expect("encode");
    let mut raw = bytes::BytesMut::new();
    encode_frame(seq, 0, code, &body, order, &mut raw).expect("frame");
    let (parsed, _) = RawFrame::parse(&raw).expect("parses");
    parsed.to_owned().expect("verified")
}

fn frame(code: u8, seq: [u8; 2], fields: Value) -> OwnedFrame {
    frame_in(code, seq, fields, CrcOrder::LowFirst)
}

fn login(pile: &str) -> OwnedFrame {
    frame(
        0x01,
        [7, 0],
        json!({"pile_code": pile, "pile_type": "dc", "gun_count": 2, "protocol_version": 1.6,
            "program_version": "V1.0", "network_type": "lan", "sim_card": "0", "carrier": "other"}),
    )
}

fn heartbeat(pile: &str, seq: [u8; 2]) -> OwnedFrame {
    frame(
        0x03,
        seq,
        json!({"pile_code": pile, "gun_no": "01", "gun_status": 0}),
    )
}

fn record(seq: [u8; 2]) -> OwnedFrame {
    let mut b = vec![0u8; 158];
    b[..16].copy_from_slice(&[
        0x32, 0x01, 0x02, 0, 0, 0, 0x01, 0x01, 0x20, 0x20, 0x03, 0x16, 0x17, 0x14, 0x00, 0x01,
    ]);
    b[16..23].copy_from_slice(&[0x32, 0x01, 0x02, 0, 0, 0, 0x01]);
    let mut raw = bytes::BytesMut::new();
    encode_frame(seq, 0, 0x3B, &b, CrcOrder::LowFirst, &mut raw).expect("frame");
    RawFrame::parse(&raw).unwrap().0.to_owned().unwrap()
}

fn policy() -> Policy {
    Policy {
        auto_verification: true,
        auto_heartbeat_response: true,
        auto_billing_model_verify: true,
        auto_transaction_record_confirm: true,
        login_timeout: Duration::from_secs(10),
        heartbeat_timeout: Duration::from_secs(30),
        ..Policy::default()
    }
}

/// 2024-05-01T08:30:00Z, i.e. 16:30 at the piles.
fn clock(at: Instant) -> Clock {
    Clock {
        at,
        unix_ms: 1_714_552_200_000,
    }
}

/// The actions for login `f` once the registry and the identity store said `verdict`: the
/// session first asks ([`Action::Admit`], nothing else), then acts on the answer.
fn decided(
    s: &mut Session,
    p: &Policy,
    f: &OwnedFrame,
    at: Instant,
    verdict: Admission,
) -> Vec<Action> {
    let mut acts = s.on_frame(p, f, clock(at));
    let Some(Action::Admit { pile, login }) = acts.pop() else {
        return acts;
    };
    assert!(
        acts.is_empty(),
        "a login asks before it does anything: {acts:?}"
    );
    assert_eq!(pile_code_of(f.header.code, &f.body), Some(pile));
    s.on_admission(p, f, login, verdict, clock(at))
}

/// [`decided`], accepted.
fn admitted(s: &mut Session, p: &Policy, f: &OwnedFrame, at: Instant) -> Vec<Action> {
    decided(s, p, f, at, Admission::Accepted)
}

fn allowlist(codes: &[&str]) -> Option<Arc<Allowlist>> {
    let codes = codes.iter().map(|c| c.to_string()).collect();
    Some(Arc::new(Allowlist::new("allow.txt".into(), codes)))
}

/// A session whose pile logged in at `t0`.
fn logged_in(p: &Policy, t0: Instant) -> Session {
    let mut s = Session::new(t0);
    let acts = admitted(&mut s, p, &login(PILE), t0);
    assert!(matches!(acts.first(), Some(Action::Register { .. })));
    s
}

/// (code, seq) of every frame the actions write.
fn sent(acts: &[Action]) -> Vec<(u8, [u8; 2])> {
    acts.iter()
        .filter_map(|a| match a {
            Action::Send(r) => Some((r.frame.code, r.frame.seq)),
            _ => None,
        })
        .collect()
}

fn forwarded(acts: &[Action]) -> Vec<u8> {
    acts.iter()
        .filter_map(|a| match a {
            Action::Forward(m) | Action::ForwardDurable { message: m, .. } => Some(m.code()),
            _ => None,
        })
        .collect()
}

fn field(r: &Reply, name: &str) -> Value {
    body_json(&r.message)[name].clone()
}

#[test]
fn login_is_registered_forwarded_and_answered_with_its_sequence_and_crc_order() {
    let t0 = Instant::now();
    let mut s = Session::new(t0);
    let f = frame_in(
        0x01,
        [0x34, 0x12],
        body_json(&Message::decode(0x01, &login(PILE).body).unwrap().0).into(),
        CrcOrder::HighFirst,
    );
    let acts = admitted(&mut s, &policy(), &f, t0);
    assert!(matches!(acts[0], Action::Register { pile } if pile == key(PILE)));
    assert_eq!(forwarded(&acts), [0x01]);
    let Some(Action::Send(r)) = acts.last() else {
        panic!("an answer: {acts:?}")
    };
    assert_eq!((r.frame.code, r.frame.seq), (0x02, [0x34, 0x12]));
    assert_eq!(r.frame.crc_order, Some(CrcOrder::HighFirst));
    assert_eq!(field(r, "login_result")["name"], "success");
    assert_eq!(s.pile(), Some(key(PILE)));
    assert_eq!(s.pile_text(), PILE);
}

#[test]
fn login_without_auto_verification_is_registered_but_not_answered() {
    let p = Policy {
        auto_verification: false,
        ..policy()
    };
    let t0 = Instant::now();
    let acts = admitted(&mut Session::new(t0), &p, &login(PILE), t0);
    assert!(matches!(acts[0], Action::Register { .. }));
    assert!(sent(&acts).is_empty());
}

#[test]
fn a_pile_off_the_allowlist_is_refused_and_closed() {
    let p = Policy {
        allowlist: allowlist(&[OTHER]),
        ..policy()
    };
    let t0 = Instant::now();
    let mut s = Session::new(t0);
    let acts = s.on_frame(&p, &login(PILE), clock(t0));
    let [Action::Send(r), Action::Close(CloseReason::LoginRefused(Refusal::Allowlist))] = &acts[..]
    else {
        panic!("refusal then close: {acts:?}")
    };
    assert_eq!(field(r, "login_result")["name"], "failure");
    assert_eq!(s.pile(), None, "a refused pile is not registered");
    assert!(forwarded(&acts).is_empty());
}

#[test]
fn a_pile_on_the_allowlist_logs_in() {
    let p = Policy {
        allowlist: allowlist(&[PILE]),
        ..policy()
    };
    let t0 = Instant::now();
    let acts = admitted(&mut Session::new(t0), &p, &login(PILE), t0);
    assert!(matches!(acts[0], Action::Register { .. }));
}

#[test]
fn an_allowlist_answers_its_piles_without_auto_verification() {
    let p = Policy {
        auto_verification: false,
        allowlist: allowlist(&[PILE]),
        ..policy()
    };
    let t0 = Instant::now();
    let acts = admitted(&mut Session::new(t0), &p, &login(PILE), t0);
    assert_eq!(sent(&acts), [(0x02, [7, 0])]);
}

#[test]
fn a_login_is_answered_only_once_admitted() {
    let (p, t0) = (policy(), Instant::now());
    let mut s = Session::new(t0);
    let acts = s.on_frame(&p, &login(PILE), clock(t0));
    assert!(
        matches!(&acts[..], [Action::Admit { pile, .. }] if *pile == key(PILE)),
        "nothing sent, forwarded or registered before the verdict: {acts:?}"
    );
    assert_eq!(s.pile(), None);
}

#[test]
fn a_refused_login_gets_the_refusal_is_not_forwarded_and_closes() {
    for why in [Refusal::Duplicate, Refusal::Identity] {
        let (p, t0) = (policy(), Instant::now());
        let mut s = Session::new(t0);
        let acts = decided(&mut s, &p, &login(PILE), t0, Admission::Refused(why));
        let [Action::Send(r), Action::Close(CloseReason::LoginRefused(w))] = &acts[..] else {
            panic!("refusal then close: {acts:?}")
        };
        assert_eq!(*w, why);
        assert_eq!((r.frame.code, r.frame.seq), (0x02, [7, 0]));
        assert_eq!(field(r, "login_result")["name"], "failure");
        assert_eq!(s.pile(), None, "a refused pile is not this session's");
    }
}

#[test]
fn a_refusal_is_sent_even_without_auto_verification() {
    let p = Policy {
        auto_verification: false,
        ..policy()
    };
    let t0 = Instant::now();
    let refused = Admission::Refused(Refusal::Duplicate);
    let acts = decided(&mut Session::new(t0), &p, &login(PILE), t0, refused);
    assert_eq!(sent(&acts), [(0x02, [7, 0])]);
}

#[test]
fn a_second_login_of_the_same_pile_is_answered_but_not_registered_again() {
    let (p, t0) = (policy(), Instant::now());
    let mut s = logged_in(&p, t0);
    let acts = admitted(&mut s, &p, &login(PILE), t0);
    assert!(!acts.iter().any(|a| matches!(a, Action::Register { .. })));
    assert_eq!(sent(&acts), [(0x02, [7, 0])]);
}

#[test]
fn a_login_for_another_pile_on_the_same_connection_is_dropped() {
    let (p, t0) = (policy(), Instant::now());
    let mut s = logged_in(&p, t0);
    let acts = s.on_frame(&p, &login(OTHER), clock(t0));
    assert!(matches!(
        &acts[..],
        [Action::Drop(Dropped::PileMismatch { claimed: Some(c) })] if *c == key(OTHER)
    ));
    assert_eq!(s.pile(), Some(key(PILE)));
}

#[test]
fn time_sync_follows_the_login_with_the_next_sequence_and_the_piles_clock() {
    let p = Policy {
        time_sync_after_login: true,
        ..policy()
    };
    let t0 = Instant::now();
    let acts = admitted(&mut Session::new(t0), &p, &login(PILE), t0);
    assert_eq!(sent(&acts), [(0x02, [7, 0]), (0x56, [0, 0])]);
    let Some(Action::Send(sync)) = acts.last() else {
        unreachable!()
    };
    assert_eq!(field(sync, "pile_code"), PILE);
    assert_eq!(field(sync, "current_time"), "2024-05-01T16:30:00.000+08:00");
    assert_eq!(
        sync.frame.crc_order, None,
        "the codec picks the pile's order"
    );
}

#[test]
fn heartbeats_are_answered_with_their_own_sequence_bytes() {
    let (p, t0) = (policy(), Instant::now());
    let mut s = logged_in(&p, t0);
    let acts = s.on_frame(&p, &heartbeat(PILE, [0xFF, 0x01]), clock(t0));
    assert_eq!(forwarded(&acts), [0x03]);
    assert_eq!(sent(&acts), [(0x04, [0xFF, 0x01])]);
    let off = Policy {
        auto_heartbeat_response: false,
        ..policy()
    };
    let acts = s.on_frame(&off, &heartbeat(PILE, [0, 2]), clock(t0));
    assert!(sent(&acts).is_empty(), "no answer when switched off");
    assert_eq!(forwarded(&acts), [0x03], "still forwarded");
}

#[test]
fn frames_before_login_are_dropped_or_forwarded_by_policy() {
    let t0 = Instant::now();
    let drop = Policy {
        drop_before_login: true,
        ..policy()
    };
    let acts = Session::new(t0).on_frame(&drop, &heartbeat(PILE, [1, 0]), clock(t0));
    assert!(matches!(&acts[..], [Action::Drop(Dropped::BeforeLogin)]));
    assert_eq!(Dropped::BeforeLogin.label(), "before_login");
    let acts = Session::new(t0).on_frame(&policy(), &heartbeat(PILE, [1, 0]), clock(t0));
    assert_eq!(forwarded(&acts), [0x03]);
    assert!(sent(&acts).is_empty(), "never answered before a login");
}

#[test]
fn a_frame_for_another_pile_is_dropped() {
    let (p, t0) = (policy(), Instant::now());
    let mut s = logged_in(&p, t0);
    let acts = s.on_frame(&p, &heartbeat(OTHER, [1, 0]), clock(t0));
    let [Action::Drop(d)] = &acts[..] else {
        panic!("{acts:?}")
    };
    assert_eq!(d.label(), "pile_code_mismatch");
}

#[test]
fn an_undecodable_body_is_dropped() {
    let (p, t0) = (policy(), Instant::now());
    let mut s = logged_in(&p, t0);
    let mut f = heartbeat(PILE, [1, 0]);
    f.body = f.body.slice(..3);
    let acts = s.on_frame(&p, &f, clock(t0));
    let [Action::Drop(d)] = &acts[..] else {
        panic!("{acts:?}")
    };
    assert_eq!(d.label(), "decode_error");
}

#[test]
fn a_transaction_record_is_confirmed_only_after_the_durable_forward_succeeded() {
    let (p, t0) = (policy(), Instant::now());
    let mut s = logged_in(&p, t0);
    let acts = s.on_frame(&p, &record([5, 0]), clock(t0));
    let [Action::ForwardDurable { message, ticket }] = &acts[..] else {
        panic!("{acts:?}")
    };
    assert_eq!(message.code(), 0x3B);
    let first = *ticket;
    assert!(
        s.on_delivered(first, false).is_none(),
        "not delivered: no 0x40"
    );
    assert!(
        s.on_delivered(first, true).is_none(),
        "the refused confirmation is gone"
    );
    let tickets: Vec<u64> = [[6, 0], [7, 0]]
        .iter()
        .map(|seq| {
            let acts = s.on_frame(&p, &record(*seq), clock(t0));
            let ticket = acts.iter().find_map(|a| match a {
                Action::ForwardDurable { ticket, .. } => Some(*ticket),
                _ => None,
            });
            ticket.expect("the record is forwarded durably")
        })
        .collect();
    // Confirmations come back in any order; each releases its own record's 0x40.
    let ack7 = s
        .on_delivered(tickets[1], true)
        .expect("0x40 once delivered");
    assert_eq!((ack7.frame.code, ack7.frame.seq), (0x40, [7, 0]));
    let ack = s
        .on_delivered(tickets[0], true)
        .expect("0x40 once delivered");
    assert_eq!((ack.frame.code, ack.frame.seq), (0x40, [6, 0]));
    assert_eq!(
        field(&ack, "transaction_serial"),
        "32010200000001012020031617140001"
    );
}

#[test]
fn a_transaction_record_is_only_forwarded_without_auto_confirm() {
    let p = Policy {
        auto_transaction_record_confirm: false,
        ..policy()
    };
    let t0 = Instant::now();
    let mut s = logged_in(&p, t0);
    let acts = s.on_frame(&p, &record([5, 0]), clock(t0));
    assert!(matches!(&acts[..], [Action::Forward(m)] if m.code() == 0x3B));
    assert!(s.on_delivered(0, true).is_none());
}

fn billing_policy(model_no: &str) -> Policy {
    let mut model = Map::new();
    model.insert("billing_model_no".into(), json!(model_no));
    Policy {
        billing_model: Some(model),
        auto_billing_model_response: true,
        ..policy()
    }
}

fn verify_result(acts: &[Action]) -> Value {
    match acts.last() {
        Some(Action::Send(r)) => field(r, "verify_result")["name"].clone(),
        other => panic!("no answer: {other:?}"),
    }
}

#[test]
fn billing_model_verification_checks_the_configured_model() {
    let p = billing_policy("0100");
    let t0 = Instant::now();
    let mut s = logged_in(&p, t0);
    let ask = |no: &str, seq| {
        frame(
            0x05,
            seq,
            json!({"pile_code": PILE, "billing_model_no": no}),
        )
    };
    let acts = s.on_frame(&p, &ask("0001", [2, 0]), clock(t0));
    assert_eq!(verify_result(&acts), "inconsistent");
    assert_eq!(forwarded(&acts), [0x05], "forwarded either way");
    let acts = s.on_frame(&p, &ask("0100", [3, 0]), clock(t0));
    assert_eq!(verify_result(&acts), "consistent");
    // Without a configured model every model is accepted.
    let acts = s.on_frame(&policy(), &ask("0001", [4, 0]), clock(t0));
    assert_eq!(verify_result(&acts), "consistent");
}

#[test]
fn a_billing_model_request_is_answered_with_the_configured_model_only() {
    let p = billing_policy("0100");
    let t0 = Instant::now();
    let mut s = logged_in(&p, t0);
    let ask = frame(0x09, [4, 0], json!({"pile_code": PILE}));
    let acts = s.on_frame(&p, &ask, clock(t0));
    let Some(Action::Send(r)) = acts.last() else {
        panic!("{acts:?}")
    };
    assert_eq!((r.frame.code, r.frame.seq), (0x0A, [4, 0]));
    assert_eq!(field(r, "billing_model_no"), "0100");
    assert_eq!(field(r, "pile_code"), PILE);
    let none = Policy {
        auto_billing_model_response: true,
        ..policy()
    };
    assert!(sent(&s.on_frame(&none, &ask, clock(t0))).is_empty());
}

fn stop_command(pile: &str, gun: &str) -> Message {
    Message::from_json(0x36, &json!({"pile_code": pile, "gun_no": gun})).expect("0x36")
}

fn stop_reply(pile: &str, gun: &str) -> OwnedFrame {
    let reply = crate::answer::answer(&stop_command(pile, gun), &Map::new()).expect("0x35");
    frame(reply.code(), [9, 0], body_json(&reply).into())
}

#[test]
fn commands_get_the_next_sequence_unless_they_carry_one() {
    let mut s = Session::new(Instant::now());
    let mut a = OutFrame::new([0xAA, 0xBB], 0x36, bytes::Bytes::new());
    s.stamp(&mut a, false);
    let mut b = a.clone();
    s.stamp(&mut b, false);
    let mut kept = a.clone();
    kept.seq = [0x34, 0x12];
    s.stamp(&mut kept, true);
    assert_eq!((a.seq, b.seq, kept.seq), ([0, 0], [1, 0], [0x34, 0x12]));
}

#[test]
fn a_reply_completes_the_command_it_correlates_with() {
    let (p, t0) = (policy(), Instant::now());
    let mut s = logged_in(&p, t0);
    let (gun1, mut rx1) = oneshot::channel();
    let (gun2, mut rx2) = oneshot::channel();
    s.expect_reply(stop_command(PILE, "01"), gun1);
    s.expect_reply(stop_command(PILE, "02"), gun2);
    let acts = s.on_frame(&p, &stop_reply(PILE, "02"), clock(t0));
    let Some(Action::Complete { waiter, reply }) = acts.into_iter().next() else {
        panic!("gun 2's reply completes gun 2's command")
    };
    assert_eq!(body_json(&reply)["gun_no"], "02");
    waiter.send(reply).expect("waiting");
    assert!(rx2.try_recv().is_ok());
    assert!(rx1.try_recv().is_err(), "gun 1 still waits");
    // A reply nobody waits for any more is only forwarded.
    drop(rx1);
    let acts = s.on_frame(&p, &stop_reply(PILE, "01"), clock(t0));
    assert!(!acts.iter().any(|a| matches!(a, Action::Complete { .. })));
    assert_eq!(forwarded(&acts).len(), 1);
}

#[test]
fn the_sequence_style_is_learned_and_reported_when_it_changes() {
    let (p, t0) = (policy(), Instant::now());
    let styles = |seqs: &[[u8; 2]]| {
        let mut s = logged_in(&p, t0);
        seqs.iter()
            .flat_map(|q| s.on_frame(&p, &heartbeat(PILE, *q), clock(t0)))
            .filter_map(|a| match a {
                Action::SequenceStyle(x) => Some(x),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    use SequenceStyle::*;
    assert_eq!(styles(&[[8, 0], [9, 0], [10, 0]]), [Le]);
    assert_eq!(styles(&[[0, 8], [0, 9], [0, 10]]), [Be]);
    assert_eq!(styles(&[[3, 3], [3, 3]]), [Constant]);
    assert_eq!(styles(&[[0xFF, 0], [0, 1]]), [Le], "wraps");
    assert_eq!(styles(&[[1, 0], [7, 7], [2, 0], [3, 0]]), [Le]);
    assert_eq!(styles(&[[1, 0], [2, 0], [2, 0]]), [Le, Constant]);
    assert!(styles(&[[1, 0]]).is_empty(), "one frame tells nothing");
    assert_eq!(
        serde_json::to_value([Le, Be, Constant, Unknown]).unwrap(),
        json!(["le", "be", "constant", "unknown"])
    );
}

#[test]
fn login_and_heartbeat_timeouts() {
    let (p, t0) = (policy(), Instant::now());
    let s = Session::new(t0);
    assert_eq!(s.deadline(&p), t0 + p.login_timeout);
    assert_eq!(s.expired(&p, t0 + Duration::from_secs(9)), None);
    assert_eq!(
        s.expired(&p, t0 + p.login_timeout),
        Some(CloseReason::NoLogin)
    );
    let mut s = logged_in(&p, t0);
    let t1 = t0 + Duration::from_secs(20);
    s.on_frame(&p, &heartbeat(PILE, [1, 0]), clock(t1));
    assert_eq!(
        s.deadline(&p),
        t1 + p.heartbeat_timeout,
        "every frame counts"
    );
    assert_eq!(s.expired(&p, t0 + p.heartbeat_timeout), None);
    assert_eq!(
        s.expired(&p, t1 + p.heartbeat_timeout),
        Some(CloseReason::MissedHeartbeats)
    );
}

#[test]
fn a_replaced_session_forgets_its_pile() {
    let (p, t0) = (policy(), Instant::now());
    let mut s = logged_in(&p, t0);
    s.replaced();
    assert_eq!(s.pile(), None);
}

#[test]
fn a_burst_of_records_keeps_every_confirmation_up_to_the_limit_and_gives_up_the_oldest() {
    use super::MAX_HELD;
    let (p, t0) = (policy(), Instant::now());
    let mut s = logged_in(&p, t0);
    let tickets: Vec<u64> = (0..=MAX_HELD)
        .map(|n| {
            let seq = u16::try_from(n + 10).expect("small").to_le_bytes();
            let acts = s.on_frame(&p, &record(seq), clock(t0));
            acts.iter()
                .find_map(|a| match a {
                    Action::ForwardDurable { ticket, .. } => Some(*ticket),
                    _ => None,
                })
                .expect("forwarded durably")
        })
        .collect();
    // Confirmed out of order: the second-oldest first.
    assert!(s.on_delivered(tickets[1], true).is_some());
    assert!(
        s.on_delivered(tickets[0], true).is_none(),
        "the oldest was given up"
    );
    let confirmed = tickets[2..]
        .iter()
        .filter(|t| s.on_delivered(**t, true).is_some())
        .count();
    assert_eq!(confirmed, MAX_HELD - 1, "every other one is still held");
}
