//! CP56Time2a timestamps (ERRATA T2, R6).

use super::WireValue;
use crate::error::WarningKind;
use crate::meta::FieldMeta;
use serde::Serializer;
use serde_json::Value;
use std::fmt::{self, Write as _};

/// A CP56Time2a value, kept as its 7 wire bytes.
///
/// Layout: milliseconds (u16 LE, seconds × 1000 + ms), minute (b2 & 0x3F),
/// hour (b3 & 0x1F), day of month (b4 & 0x1F, day of week in the top 3 bits),
/// month (b5 & 0x0F), year − 2000 (b6 & 0x7F). Local time, UTC+8.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Cp56Time(pub [u8; 7]);

/// The calendar reading of a [`Cp56Time`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    /// Full year (2000–2127).
    pub year: u16,
    /// 1–12.
    pub month: u8,
    /// 1–31.
    pub day: u8,
    /// 0–23.
    pub hour: u8,
    /// 0–59.
    pub minute: u8,
    /// 0–59.
    pub second: u8,
    /// 0–999.
    pub millis: u16,
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

/// The civil date (year, month, day) of a day count since 1970-01-01 (H. Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

impl Cp56Time {
    /// The calendar reading, or `None` when the bytes are not a real date.
    pub fn datetime(&self) -> Option<DateTime> {
        let [m0, m1, min, hour, day, month, year] = self.0;
        let ms = u16::from_le_bytes([m0, m1]);
        let dt = DateTime {
            year: 2000 + u16::from(year & 0x7F),
            month: month & 0x0F,
            day: day & 0x1F,
            hour: hour & 0x1F,
            minute: min & 0x3F,
            second: (ms / 1000) as u8,
            millis: ms % 1000,
        };
        let ok = ms < 60_000
            && dt.minute < 60
            && dt.hour < 24
            && dt.day >= 1
            && dt.day <= days_in_month(dt.year, dt.month);
        ok.then_some(dt)
    }

    /// Encodes a calendar time (IV, SU and day-of-week bits zero).
    pub fn from_datetime(dt: &DateTime) -> Result<Self, String> {
        let valid = (2000..=2127).contains(&dt.year)
            && dt.day >= 1
            && dt.day <= days_in_month(dt.year, dt.month)
            && dt.hour < 24
            && dt.minute < 60
            && dt.second < 60
            && dt.millis < 1000;
        if !valid {
            return Err(format!("{dt:?} is not a valid CP56Time2a time"));
        }
        let ms = (u16::from(dt.second) * 1000 + dt.millis).to_le_bytes();
        Ok(Cp56Time([
            ms[0],
            ms[1],
            dt.minute,
            dt.hour,
            dt.day,
            dt.month,
            (dt.year - 2000) as u8,
        ]))
    }

    /// The time `unix_ms` milliseconds after 1970-01-01 UTC, as local time at `offset_secs` east of UTC
    /// (the protocol's piles run on UTC+8: 28 800).
    pub fn from_unix_ms(unix_ms: u64, offset_secs: i64) -> Result<Self, String> {
        let local_ms = i64::try_from(unix_ms).map_err(|e| e.to_string())? + offset_secs * 1000;
        let (days, ms_of_day) = (
            local_ms.div_euclid(86_400_000),
            local_ms.rem_euclid(86_400_000),
        );
        let (year, month, day) = civil_from_days(days);
        let secs = ms_of_day / 1000;
        let dt = DateTime {
            year: u16::try_from(year).map_err(|e| e.to_string())?,
            month: month as u8,
            day: day as u8,
            hour: (secs / 3600) as u8,
            minute: (secs / 60 % 60) as u8,
            second: (secs % 60) as u8,
            millis: (ms_of_day % 1000) as u16,
        };
        Cp56Time::from_datetime(&dt)
    }

    /// Now, in the piles' local time (UTC+8).
    pub fn now() -> Result<Self, String> {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|e| e.to_string())?
            .as_millis();
        Cp56Time::from_unix_ms(u64::try_from(ms).map_err(|e| e.to_string())?, 8 * 3600)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.mmm][+08:00]` (a space also separates date and time).
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a time like 2020-03-16T17:14:47.000+08:00");
        let t = s.trim();
        let t = t.strip_suffix("+08:00").unwrap_or(t);
        let n = |r: std::ops::Range<usize>| {
            t.get(r).and_then(|x| x.parse::<u16>().ok()).ok_or_else(bad)
        };
        let sep_ok =
            t.get(4..5) == Some("-") && t.get(7..8) == Some("-") && t.get(13..14) == Some(":");
        if !sep_ok || !matches!(t.get(10..11), Some("T" | " ")) {
            return Err(bad());
        }
        let millis = match t.get(19..) {
            None | Some("") => 0,
            Some(frac) => frac
                .strip_prefix('.')
                .and_then(|f| f.parse::<u16>().ok())
                .ok_or_else(bad)?,
        };
        let dt = DateTime {
            year: n(0..4)?,
            month: n(5..7)? as u8,
            day: n(8..10)? as u8,
            hour: n(11..13)? as u8,
            minute: n(14..16)? as u8,
            second: n(17..19)? as u8,
            millis,
        };
        Cp56Time::from_datetime(&dt)
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmm+08:00` as ASCII bytes, written without the formatter.
fn iso(d: &DateTime) -> [u8; 29] {
    fn put(buf: &mut [u8], at: usize, v: u16, width: usize) {
        let mut v = v;
        for i in (0..width).rev() {
            if let Some(c) = buf.get_mut(at + i) {
                *c = b'0' + (v % 10) as u8;
            }
            v /= 10;
        }
    }
    let mut buf = *b"0000-00-00T00:00:00.000+08:00";
    put(&mut buf, 0, d.year, 4);
    put(&mut buf, 5, d.month.into(), 2);
    put(&mut buf, 8, d.day.into(), 2);
    put(&mut buf, 11, d.hour.into(), 2);
    put(&mut buf, 14, d.minute.into(), 2);
    put(&mut buf, 17, d.second.into(), 2);
    put(&mut buf, 20, d.millis, 3);
    buf
}

/// [`iso`] for serde, which wants text: each ASCII byte is its own `char`, so no UTF-8 check.
struct Iso([u8; 29]);

impl fmt::Display for Iso {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| f.write_char(char::from(*b)))
    }
}

impl fmt::Display for Cp56Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.datetime() {
            Some(d) => write!(
                f,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+08:00",
                d.year, d.month, d.day, d.hour, d.minute, d.second, d.millis
            ),
            None => fmt::Display::fmt(&crate::hex::Upper(&self.0), f),
        }
    }
}

impl fmt::Debug for Cp56Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cp56Time({self})")
    }
}

impl WireValue for Cp56Time {
    type View<'a> = Cp56Time;
    fn view(bytes: &[u8]) -> Cp56Time {
        Cp56Time(super::to_array(bytes))
    }
    fn decode(bytes: &[u8]) -> (Self, Option<WarningKind>) {
        let t = Cp56Time(super::to_array(bytes));
        let warn = t.datetime().is_none().then_some(WarningKind::InvalidTime);
        (t, warn)
    }
    fn encode(&self, out: &mut [u8]) -> Result<(), String> {
        super::put_exact(out, &self.0)
    }
    /// An ISO-8601 string; an impossible date is written as the raw hex bytes.
    fn write_json<S: Serializer>(&self, _meta: &FieldMeta, s: S) -> Result<S::Ok, S::Error> {
        match self.datetime() {
            Some(d) => s.collect_str(&Iso(iso(&d))),
            None => crate::hex::serialize_upper("", &self.0, s),
        }
    }
    fn write_json_bytes(&self, _meta: &FieldMeta, out: &mut Vec<u8>) {
        match self.datetime() {
            Some(d) => {
                out.push(b'"');
                out.extend_from_slice(&iso(&d));
                out.push(b'"');
            }
            None => super::push_hex_json(out, "", &self.0),
        }
    }
    fn from_json(v: &Value, _meta: &FieldMeta) -> Result<Self, String> {
        let Value::String(s) = v else {
            return Err(format!("expected a time string, got {v}"));
        };
        if s.len() == 14 && !s.contains('-') {
            let b = crate::hex::decode(s).map_err(|e| e.to_string())?;
            return Ok(Cp56Time(super::to_array(&b)));
        }
        Cp56Time::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errata_sample_decodes() {
        let t = Cp56Time([0x98, 0xB7, 0x0E, 0x11, 0x10, 0x03, 0x14]);
        assert_eq!(t.to_string(), "2020-03-16T17:14:47.000+08:00");
        assert_eq!(Cp56Time::parse(&t.to_string()).unwrap(), t);
    }

    #[test]
    fn unix_time_converts_to_local_calendar() {
        // 2020-03-16T09:14:47Z = 17:14:47 at UTC+8 (the ERRATA T2 sample).
        let t = Cp56Time::from_unix_ms(1_584_350_087_000, 8 * 3600).unwrap();
        assert_eq!(t.0, [0x98, 0xB7, 0x0E, 0x11, 0x10, 0x03, 0x14]);
        assert_eq!(
            Cp56Time::from_unix_ms(951_782_400_000, 0)
                .unwrap()
                .to_string(),
            "2000-02-29T00:00:00.000+08:00"
        );
    }

    #[test]
    fn day_of_week_bits_are_masked_and_bad_dates_warn() {
        let t = Cp56Time([0, 0, 0, 0, 0x10 | 0x40, 3, 20]);
        assert_eq!(t.datetime().map(|d| d.day), Some(16));
        let (_, w) = Cp56Time::decode(&[0, 0, 0, 0, 0, 13, 20]);
        assert_eq!(w, Some(WarningKind::InvalidTime));
    }
}
