//! Command-line options of `ykc sim`, their parsers and the bounds they are held to.

use std::ffi::OsString;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use clap::{Args, Parser};
use ykc::CrcOrder;

use super::SimError;

/// Longest run `--duration` accepts.
pub const MAX_DURATION: Duration = Duration::from_secs(3600);
/// Most piles one run simulates.
pub const MAX_PILES: u32 = 20_000;
/// Most guns per pile (the gun number is one BCD byte).
pub const MAX_GUNS: u8 = 99;
/// Shortest heartbeat / real-time / resend interval accepted.
pub const MIN_INTERVAL: Duration = Duration::from_millis(10);
/// Most reconnects per pile accepted for `--max-reconnects`.
pub const MAX_RECONNECTS: u32 = 1000;
/// Most source addresses (127.0.0.1 ..= 127.0.0.254) for `--source-addrs`.
pub const MAX_SOURCES: u8 = 254;
/// Most resends of one transaction record accepted for `--record-max-resends`.
pub const MAX_RECORD_RESENDS: u32 = 100;

/// Options of `ykc sim`: simulated piles against a platform on this machine.
///
/// Every option has a default except `--duration`, which bounds the run.
#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    /// Platform addresses, comma-separated or repeated; loopback only (127.0.0.0/8, ::1 or
    /// localhost). Piles are spread over them round robin, and a pile whose connection is lost
    /// or refused tries the next one (as behind a load balancer).
    #[arg(long = "target", default_value = "127.0.0.1:27600", value_delimiter = ',', value_parser = parse_target)]
    pub targets: Vec<SocketAddr>,
    /// Source addresses 127.0.0.1 … 127.0.0.N the piles connect from, round robin (IPv4
    /// targets): each gives another ~28,000 ephemeral ports, so one machine can open more
    /// connections to one target than one address allows.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=i64::from(MAX_SOURCES)))]
    pub source_addrs: u8,
    /// Number of simulated piles (one connection each).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_PILES)))]
    pub piles: u32,
    /// Guns per pile (each sends its own heartbeats and real-time data).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=i64::from(MAX_GUNS)))]
    pub guns: u8,
    /// How long to run, e.g. 30s, 5m, 1h (at most 1h); then every pile closes.
    #[arg(long, value_parser = parse_duration_bounded)]
    pub duration: Duration,
    /// Heartbeat (0x03) interval per gun, e.g. 10s, or 1s for load.
    #[arg(long, default_value = "10s", value_parser = parse_interval)]
    pub heartbeat_interval: Duration,
    /// Real-time data (0x13) interval per gun.
    #[arg(long, default_value = "15s", value_parser = parse_interval)]
    pub realtime_interval: Duration,
    /// Spread the piles' first connects evenly over this period (0s = all at once).
    #[arg(long, default_value = "0s", value_parser = parse_duration_bounded)]
    pub ramp: Duration,
    /// Pile code of the first pile (14 digits); pile i gets base + i.
    #[arg(long, default_value = "32010200000001", value_parser = parse_pile_code)]
    pub pile_code_base: u64,
    /// CRC byte order the piles send: le (low byte first, the usual) or be.
    #[arg(long, default_value = "le")]
    pub crc_order: CrcOrder,
    /// Progress line on stderr every this often (0s = none).
    #[arg(long, default_value = "1s", value_parser = parse_duration_bounded)]
    pub progress_interval: Duration,
    /// Print the final summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// List the serial of every transaction record the platform confirmed (0x40 success) in the
    /// summary's `confirmed_serials`: what a durability test checks the backend received.
    #[arg(long)]
    pub list_confirmed: bool,
    /// A request unanswered after this long counts as a reply timeout.
    #[arg(long, default_value = "10s", value_parser = parse_interval)]
    pub reply_timeout: Duration,
    /// Resend an unconfirmed transaction record (0x3B) this often (spec §8.7: 30 s).
    #[arg(long, default_value = "30s", value_parser = parse_interval)]
    pub record_resend_interval: Duration,
    /// Resends of an unconfirmed transaction record before giving up on it (spec §8.7: 3).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=i64::from(MAX_RECORD_RESENDS)))]
    pub record_max_resends: u32,
    /// Reconnects per pile after a failed connect or a lost connection.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=i64::from(MAX_RECONNECTS)))]
    pub max_reconnects: u32,
    /// Wait this long between a lost connection and the next connect.
    #[arg(long, default_value = "1s", value_parser = parse_duration_bounded)]
    pub reconnect_delay: Duration,
    /// Give up on a connect after this long.
    #[arg(long, default_value = "5s", value_parser = parse_interval)]
    pub connect_timeout: Duration,
    /// Billing model number (4 digits) the piles hold before the platform sends one (spec: 0 at first).
    #[arg(long, default_value = "0000", value_parser = parse_model_no)]
    pub billing_model: [u8; 2],
    /// Charging power of a simulated gun in kW (energy and amount rise with it).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub power_kw: u32,
}

#[derive(Parser)]
#[command(name = "sim")]
struct Wrapper {
    #[command(flatten)]
    args: SimArgs,
}

impl SimArgs {
    /// Parses options as on a command line (the first item is the program name), with every
    /// default and bound of the CLI; handy for building options in code and tests.
    pub fn try_parse_from<I, T>(args: I) -> Result<SimArgs, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        Wrapper::try_parse_from(args).map(|w| w.args)
    }

    /// Checks the bounds again (for options built in code rather than parsed).
    pub fn validate(&self) -> Result<(), SimError> {
        self.targets.iter().try_for_each(|t| check_loopback(*t))?;
        let bad = |what: &str| Err(SimError::InvalidArgs(what.to_string()));
        if self.targets.is_empty() {
            return bad("--target: give at least one address");
        }
        if self.source_addrs == 0 || self.source_addrs > MAX_SOURCES {
            return bad(&format!("--source-addrs must be 1..={MAX_SOURCES}"));
        }
        if self.piles == 0 || self.piles > MAX_PILES {
            return bad(&format!("--piles must be 1..={MAX_PILES}"));
        }
        if self.guns == 0 || self.guns > MAX_GUNS {
            return bad(&format!("--guns must be 1..={MAX_GUNS}"));
        }
        if self.duration.is_zero() || self.duration > MAX_DURATION {
            return bad("--duration must be above 0 and at most 1h");
        }
        if self.ramp > MAX_DURATION
            || self.progress_interval > MAX_DURATION
            || self.reconnect_delay > MAX_DURATION
        {
            return bad("--ramp, --progress-interval and --reconnect-delay must be at most 1h");
        }
        let intervals = [
            self.heartbeat_interval,
            self.realtime_interval,
            self.reply_timeout,
            self.record_resend_interval,
            self.connect_timeout,
        ];
        if intervals
            .iter()
            .any(|d| *d < MIN_INTERVAL || *d > MAX_DURATION)
        {
            return bad("intervals and timeouts must be 10ms..=1h");
        }
        if self.record_max_resends > MAX_RECORD_RESENDS || self.max_reconnects > MAX_RECONNECTS {
            return bad("--record-max-resends or --max-reconnects too large");
        }
        let last = self.pile_code_base.checked_add(u64::from(self.piles) - 1);
        if last.is_none_or(|l| l > MAX_PILE_CODE) {
            return bad("--pile-code-base + --piles runs past 14 digits");
        }
        if self.power_kw == 0 || self.power_kw > 1000 {
            return bad("--power-kw must be 1..=1000");
        }
        Ok(())
    }
}

/// The largest 14-digit pile code.
pub(crate) const MAX_PILE_CODE: u64 = 99_999_999_999_999;

/// Refuses anything but a loopback address.
pub(crate) fn check_loopback(addr: SocketAddr) -> Result<(), SimError> {
    if addr.ip().is_loopback() {
        Ok(())
    } else {
        Err(SimError::NotLoopback(addr.to_string()))
    }
}

/// `127.0.0.1:27600`, `[::1]:27600` or `localhost:27600`; nothing off this machine.
pub fn parse_target(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    let addr = match s.strip_prefix("localhost:") {
        Some(port) => {
            let port: u16 = port.parse().map_err(|_| format!("`{port}` is not a port"))?;
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)
        }
        None => s
            .parse::<SocketAddr>()
            .map_err(|_| format!("`{s}` is not an address like 127.0.0.1:27600 (host names other than localhost are not resolved)"))?,
    };
    check_loopback(addr).map_err(|e| e.to_string())?;
    Ok(addr)
}

/// A duration like `500ms`, `10s`, `1.5s`, `2m`, `1h` (a bare number is seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 500ms, 10s, 5m, 1h"))?;
    let scale = match unit.trim() {
        "ms" => 0.001,
        "" | "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{s}` (use ms, s, m or h)"
            ))
        }
    };
    let secs = value * scale;
    if !secs.is_finite() || !(0.0..=1e9).contains(&secs) {
        return Err(format!("`{s}` is out of range"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// [`parse_duration`], at most [`MAX_DURATION`].
pub fn parse_duration_bounded(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d > MAX_DURATION {
        return Err(format!("`{s}` is longer than the limit of 1h"));
    }
    Ok(d)
}

/// A non-zero interval: [`MIN_INTERVAL`]..=[`MAX_DURATION`].
fn parse_interval(s: &str) -> Result<Duration, String> {
    let d = parse_duration_bounded(s)?;
    if d < MIN_INTERVAL {
        return Err(format!("`{s}` is shorter than 10ms"));
    }
    Ok(d)
}

/// 14 decimal digits (or fewer, left-padded with zeros).
pub fn parse_pile_code(s: &str) -> Result<u64, String> {
    let t = s.trim();
    if t.is_empty() || t.len() > 14 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "`{s}` is not a pile code of up to 14 decimal digits"
        ));
    }
    t.parse().map_err(|_| format!("`{s}` is not a pile code"))
}

/// A billing model number: 4 decimal digits, as 2 BCD bytes.
fn parse_model_no(s: &str) -> Result<[u8; 2], String> {
    let t = s.trim();
    if t.len() != 4 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "`{s}` is not a billing model number of 4 digits (e.g. 0100)"
        ));
    }
    let d: Vec<u8> = t.bytes().map(|b| b - b'0').collect();
    match d.as_slice() {
        [a, b, c, e] => Ok([(a << 4) | b, (c << 4) | e]),
        _ => Err(format!("`{s}` is not 4 digits")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration_bounded("2h").is_err());
        assert!(parse_interval("0s").is_err());
    }

    #[test]
    fn targets() {
        assert_eq!(
            parse_target("127.0.0.1:27600"),
            Ok("127.0.0.1:27600".parse().unwrap())
        );
        assert_eq!(
            parse_target("localhost:9"),
            Ok("127.0.0.1:9".parse().unwrap())
        );
        assert!(parse_target("[::1]:27600").is_ok());
        assert!(parse_target("127.8.9.10:1").is_ok());
        let e = parse_target("10.0.0.1:27600").unwrap_err();
        assert!(e.contains("loopback"), "{e}");
        assert!(parse_target("0.0.0.0:27600").is_err());
        assert!(parse_target("example.com:27600").is_err());
    }

    #[test]
    fn cli_defaults_and_bounds() {
        let a = SimArgs::try_parse_from(["sim", "--duration", "10s"]).unwrap();
        assert_eq!(a.targets, vec!["127.0.0.1:27600".parse().unwrap()]);
        assert_eq!(a.source_addrs, 1);
        assert_eq!((a.piles, a.guns), (1, 1));
        assert_eq!(a.heartbeat_interval, Duration::from_secs(10));
        assert_eq!(a.realtime_interval, Duration::from_secs(15));
        assert_eq!(a.pile_code_base, 32010200000001);
        assert_eq!(a.crc_order, CrcOrder::LowFirst);
        assert_eq!(a.billing_model, [0, 0]);
        a.validate().unwrap();
        assert!(
            SimArgs::try_parse_from(["sim"]).is_err(),
            "--duration is required"
        );
        assert!(SimArgs::try_parse_from(["sim", "--duration", "2h"]).is_err());
        assert!(SimArgs::try_parse_from([
            "sim",
            "--duration",
            "1s",
            "--target",
            "192.168.1.2:27600"
        ])
        .is_err());
        assert!(SimArgs::try_parse_from(["sim", "--duration", "1s", "--piles", "0"]).is_err());
        assert!(SimArgs::try_parse_from([
            "sim",
            "--duration",
            "1s",
            "--pile-code-base",
            "123456789012345"
        ])
        .is_err());
        let b = SimArgs::try_parse_from([
            "sim",
            "--duration",
            "1s",
            "--billing-model",
            "0100",
            "--crc-order",
            "be",
        ])
        .unwrap();
        assert_eq!(b.billing_model, [0x01, 0x00]);
        assert_eq!(b.crc_order, CrcOrder::HighFirst);
        let mut c = b.clone();
        c.pile_code_base = MAX_PILE_CODE;
        c.piles = 2;
        assert!(c.validate().is_err());
        c.piles = 1;
        c.validate().unwrap();
        c.targets.push("10.1.2.3:27600".parse().unwrap());
        assert!(matches!(c.validate(), Err(SimError::NotLoopback(_))));
        let d = SimArgs::try_parse_from([
            "sim",
            "--duration",
            "1s",
            "--target",
            "127.0.0.1:1,127.0.0.1:2",
            "--target",
            "localhost:3",
            "--source-addrs",
            "4",
        ])
        .unwrap();
        assert_eq!(d.targets.len(), 3);
        assert_eq!(d.targets[2], "127.0.0.1:3".parse().unwrap());
        assert_eq!(d.source_addrs, 4);
        d.validate().unwrap();
        assert!(
            SimArgs::try_parse_from(["sim", "--duration", "1s", "--source-addrs", "255"]).is_err()
        );
    }

    #[test]
    fn model_numbers() {
        assert_eq!(parse_model_no("0100"), Ok([0x01, 0x00]));
        assert_eq!(parse_model_no("1234"), Ok([0x12, 0x34]));
        assert!(parse_model_no("12a4").is_err());
        assert!(parse_model_no("123").is_err());
    }
}
