//! Issue 12, item 5, through the real `ykc serve` binary: after a corrupted or cut-short frame,
//! the valid frames behind it are answered at once. The gateway used to wait until the bad
//! length's 259 bytes had arrived, swallowing a live pile's heartbeats for half a minute and
//! dropping it for missed heartbeats.

use serde_json::json;
use std::time::{Duration, Instant};
use ykc::CrcOrder;
use ykc_tests::fault::{scratch, Gateway};
use ykc_tests::parts::{login, TestPile};

const PILE: &str = "32010200000009";
/// A heartbeat answer takes milliseconds; this only bounds a failure.
const WAIT: Duration = Duration::from_secs(3);

fn heartbeat(seq: u8) -> Vec<u8> {
    let fields = json!({"pile_code": PILE, "gun_no": "01", "gun_status": "normal"});
    TestPile::frame(0x03, [seq, 0], fields, CrcOrder::LowFirst)
}

/// Sends `bad` then three heartbeats (one write each); returns the slowest answer, or `None`
/// when one was not answered within [`WAIT`].
async fn heartbeats_after(p: &mut TestPile, bad: &[u8], seq: u8) -> Option<Duration> {
    p.raw(bad).await;
    let mut worst = Duration::ZERO;
    for i in 0..3 {
        let sent = Instant::now();
        p.raw(&heartbeat(seq + i)).await;
        let f = p.recv(WAIT).await?;
        assert_eq!(f.header.code, 0x04);
        assert_eq!(
            f.header.seq,
            [seq + i, 0],
            "each heartbeat has its own answer"
        );
        worst = worst.max(sent.elapsed());
    }
    Some(worst)
}

#[tokio::test]
async fn valid_frames_after_a_bad_length_or_a_cut_frame_are_answered_at_once() {
    let work = scratch("resync");
    let gw = Gateway::start(work.path(), &[]).await;
    let mut p = TestPile::connect(gw.tcp_addr(), CrcOrder::LowFirst).await;
    p.send(0x01, [1, 0], login(PILE)).await;
    assert_eq!(p.recv(WAIT).await.map(|f| f.header.code), Some(0x02));

    // A length byte hit by noise: `68 FF` promises 259 bytes.
    let worst = heartbeats_after(&mut p, &[0x68, 0xFF], 10).await;
    let worst = worst.expect("heartbeats after `68 FF` are answered");
    eprintln!("after 68 FF: slowest heartbeat answer {worst:?}");

    // A frame cut short (the first 9 bytes of a heartbeat), then whole ones.
    let cut = heartbeat(20);
    let worst = heartbeats_after(&mut p, &cut[..9], 30).await;
    let worst = worst.expect("heartbeats after a cut frame are answered");
    eprintln!("after a cut frame: slowest heartbeat answer {worst:?}");

    let dropped = gw.metric("ykc_dropped_bytes_total").await.unwrap_or(0.0);
    assert_eq!(dropped, 11.0, "only the bad bytes were dropped");
}
