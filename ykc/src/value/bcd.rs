//! BCD digit strings (桩编号, 交易流水号, 逻辑卡号, 计费模型编号 …).

use super::{to_array, WireValue};
use crate::error::WarningKind;
use crate::meta::FieldMeta;
use serde::Serializer;
use serde_json::Value;
use std::fmt;

/// A BCD field of `N` bytes (2N digits, most significant digit in the high nibble of the first byte).
///
/// Non-decimal nibbles are kept (ERRATA R5) and shown as hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bcd<const N: usize>(pub [u8; N]);

impl<const N: usize> Default for Bcd<N> {
    fn default() -> Self {
        Bcd([0; N])
    }
}

/// A borrowed BCD field: what a zero-copy view returns.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BcdRef<'a>(pub &'a [u8]);

impl<'a> BcdRef<'a> {
    /// The raw bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }
    /// True when every nibble is 0–9.
    pub fn is_decimal(&self) -> bool {
        is_decimal(self.0)
    }
}

fn is_decimal(bytes: &[u8]) -> bool {
    bytes.iter().all(|b| b >> 4 < 10 && b & 0x0F < 10)
}

/// The uppercase hex digit of a nibble.
fn nibble(n: u8) -> char {
    char::from_digit(u32::from(n & 0x0F), 16).map_or('0', |c| c.to_ascii_uppercase())
}

fn write_digits(bytes: &[u8], f: &mut impl fmt::Write) -> fmt::Result {
    for b in bytes {
        f.write_char(nibble(b >> 4))?;
        f.write_char(nibble(b & 0x0F))?;
    }
    Ok(())
}

impl fmt::Display for BcdRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_digits(self.0, f)
    }
}

impl<const N: usize> Bcd<N> {
    /// Parses a digit string, left-padded with zeros to 2N digits (hex digits accepted).
    pub fn from_digits(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.len() > 2 * N {
            return Err(format!(
                "`{s}` has {} digits, at most {} fit",
                s.len(),
                2 * N
            ));
        }
        let mut nibbles = vec![0u8; 2 * N - s.len()];
        for c in s.chars() {
            let d = c
                .to_digit(16)
                .ok_or_else(|| format!("`{c}` is not a digit in `{s}`"))?;
            nibbles.push(d as u8);
        }
        let mut out = [0u8; N];
        for (o, pair) in out.iter_mut().zip(nibbles.chunks(2)) {
            *o = pair.iter().fold(0, |acc, n| (acc << 4) | n);
        }
        Ok(Bcd(out))
    }
    /// The borrowed form.
    pub fn as_ref(&self) -> BcdRef<'_> {
        BcdRef(&self.0)
    }
}

impl<const N: usize> fmt::Display for Bcd<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_digits(&self.0, f)
    }
}

impl<const N: usize> fmt::Debug for Bcd<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bcd(\"{self}\")")
    }
}

impl<const N: usize> WireValue for Bcd<N> {
    type View<'a> = BcdRef<'a>;
    fn view(bytes: &[u8]) -> BcdRef<'_> {
        BcdRef(bytes)
    }
    fn decode(bytes: &[u8]) -> (Self, Option<WarningKind>) {
        let warn = (!is_decimal(bytes)).then_some(WarningKind::NonDecimalBcd);
        (Bcd(to_array(bytes)), warn)
    }
    fn encode(&self, out: &mut [u8]) -> Result<(), String> {
        super::put_exact(out, &self.0)
    }
    fn write_json<S: Serializer>(&self, _meta: &FieldMeta, s: S) -> Result<S::Ok, S::Error> {
        crate::hex::serialize_upper("", &self.0, s)
    }
    fn write_json_bytes(&self, _meta: &FieldMeta, out: &mut Vec<u8>) {
        super::push_hex_json(out, "", &self.0);
    }
    fn from_json(v: &Value, _meta: &FieldMeta) -> Result<Self, String> {
        match v {
            Value::String(s) => Bcd::from_digits(s),
            Value::Number(n) if n.is_u64() => Bcd::from_digits(&n.to_string()),
            other => Err(format!("expected a digit string, got {other}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_round_trip_and_pad() {
        let b = Bcd::<7>::from_digits("55031412782305").unwrap();
        assert_eq!(b.0, [0x55, 0x03, 0x14, 0x12, 0x78, 0x23, 0x05]);
        assert_eq!(b.to_string(), "55031412782305");
        assert_eq!(Bcd::<2>::from_digits("1").unwrap().0, [0x00, 0x01]);
        assert!(Bcd::<1>::from_digits("123").is_err());
    }

    #[test]
    fn non_decimal_is_kept_with_warning() {
        let (b, w) = Bcd::<2>::decode(&[0xF0, 0x02]);
        assert_eq!(b.to_string(), "F002");
        assert_eq!(w, Some(WarningKind::NonDecimalBcd));
    }
}
