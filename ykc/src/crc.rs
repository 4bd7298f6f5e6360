//! CRC-16/MODBUS of a frame and the two byte orders piles send it in.
//!
//! ERRATA F1: the checksum is CRC-16/MODBUS (poly 0x8005 reflected = 0xA001,
//! init 0xFFFF, no xorout) over seq..body, i.e. everything after the length
//! byte and before the two CRC bytes.
//!
//! ERRATA F2 / R1: the document says "low byte first", and the samples that
//! verify put the standard value low byte first, but piles in the field send
//! both orders. Decoding accepts either and records which one matched
//! ([`CrcOrder::detect`]); encoding answers a pile in the order it uses, with
//! [`CrcOrder::LowFirst`] as the default.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// The CRC-16/MODBUS engine (slice-by-16 table, built at compile time).
pub const CRC16: crc::Crc<u16, crc::Table<16>> =
    crc::Crc::<u16, crc::Table<16>>::new(&crc::CRC_16_MODBUS);

/// One copy of [`CRC16`] in static memory, so the 8 KiB table is never
/// copied onto the stack by a use of the `const`.
static CRC16_ENGINE: crc::Crc<u16, crc::Table<16>> = CRC16;

/// CRC-16/MODBUS of `data` (the standard value, as a number).
///
/// For a frame, `data` is seq..body: the bytes after the length byte, up to
/// and excluding the CRC.
#[inline]
pub fn crc16(data: &[u8]) -> u16 {
    CRC16_ENGINE.checksum(data)
}

/// A running CRC-16/MODBUS over pieces (for the encoder, which never has
/// seq..body in one slice).
#[inline]
pub(crate) fn digest() -> crc::Digest<'static, u16, crc::Table<16>> {
    CRC16_ENGINE.digest()
}

/// Byte order of the two CRC bytes on the wire. Serde also takes the short
/// names that `FromStr` takes (`le`, `be`), as in `ykc.example.yaml`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum CrcOrder {
    /// `[crc & 0xFF, crc >> 8]`: what the document says and the default.
    #[default]
    #[serde(alias = "le", alias = "low")]
    LowFirst,
    /// `[crc >> 8, crc & 0xFF]`: seen from many piles in the field.
    #[serde(alias = "be", alias = "high")]
    HighFirst,
}

impl CrcOrder {
    /// The two wire bytes of `crc` in this order.
    #[inline]
    pub fn bytes(self, crc: u16) -> [u8; 2] {
        match self {
            CrcOrder::LowFirst => crc.to_le_bytes(),
            CrcOrder::HighFirst => crc.to_be_bytes(),
        }
    }

    /// Which order makes the `received` bytes equal to the `computed` CRC,
    /// or `None` if neither does.
    ///
    /// When both match (a CRC whose two bytes are equal, e.g. `0x4545`),
    /// [`CrcOrder::LowFirst`] wins.
    #[inline]
    pub fn detect(received: [u8; 2], computed: u16) -> Option<CrcOrder> {
        if received == computed.to_le_bytes() {
            Some(CrcOrder::LowFirst)
        } else if received == computed.to_be_bytes() {
            Some(CrcOrder::HighFirst)
        } else {
            None
        }
    }

    /// The snake_case name, as in JSON: `low_first` or `high_first`.
    pub fn as_str(self) -> &'static str {
        match self {
            CrcOrder::LowFirst => "low_first",
            CrcOrder::HighFirst => "high_first",
        }
    }
}

impl fmt::Display for CrcOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CrcOrder {
    type Err = Error;

    /// Accepts `le`, `low`, `low_first` and `be`, `high`, `high_first`
    /// (ASCII case-insensitive). Anything else is [`Error::Json`] with
    /// field `crc_order`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        match lower.as_str() {
            "le" | "low" | "low_first" => Ok(CrcOrder::LowFirst),
            "be" | "high" | "high_first" => Ok(CrcOrder::HighFirst),
            _ => Err(Error::Json {
                field: "crc_order".to_string(),
                reason: format!(
                    "`{s}` is not a CRC byte order (le, low, low_first, be, high, high_first)"
                ),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::golden::{LOGIN_RESPONSE, VERIFY_RESPONSE};

    fn check_low_first(frame: &[u8]) {
        let n = frame.len();
        let computed = crc16(&frame[2..n - 2]);
        let received = [frame[n - 2], frame[n - 1]];
        assert_eq!(CrcOrder::LowFirst.bytes(computed), received);
        assert_eq!(
            CrcOrder::detect(received, computed),
            Some(CrcOrder::LowFirst)
        );
    }

    #[test]
    fn golden_vectors_verify_low_first() {
        check_low_first(&LOGIN_RESPONSE);
        check_low_first(&VERIFY_RESPONSE);
        assert_eq!(crc16(&LOGIN_RESPONSE[2..14]), 0x4CDA);
        assert_eq!(crc16(&VERIFY_RESPONSE[2..16]), 0x2F8E);
    }

    #[test]
    fn modbus_check_value() {
        // The catalogue check value of CRC-16/MODBUS.
        assert_eq!(crc16(b"123456789"), 0x4B37);
        assert_eq!(crc16(&[]), 0xFFFF);
    }

    #[test]
    fn bytes_in_both_orders() {
        assert_eq!(CrcOrder::LowFirst.bytes(0x4CDA), [0xDA, 0x4C]);
        assert_eq!(CrcOrder::HighFirst.bytes(0x4CDA), [0x4C, 0xDA]);
    }

    #[test]
    fn detect_both_orders_and_neither() {
        assert_eq!(
            CrcOrder::detect([0xDA, 0x4C], 0x4CDA),
            Some(CrcOrder::LowFirst)
        );
        assert_eq!(
            CrcOrder::detect([0x4C, 0xDA], 0x4CDA),
            Some(CrcOrder::HighFirst)
        );
        assert_eq!(CrcOrder::detect([0x4C, 0x4C], 0x4CDA), None);
        // Palindromic CRC: both orders match, low first wins.
        assert_eq!(
            CrcOrder::detect([0x45, 0x45], 0x4545),
            Some(CrcOrder::LowFirst)
        );
    }

    #[test]
    fn default_is_low_first() {
        assert_eq!(CrcOrder::default(), CrcOrder::LowFirst);
    }

    #[test]
    fn from_str_accepts_aliases() {
        for s in ["le", "low", "low_first", "LE", " Low_First "] {
            assert_eq!(s.parse::<CrcOrder>(), Ok(CrcOrder::LowFirst), "{s}");
        }
        for s in ["be", "high", "high_first", "BE", "HIGH"] {
            assert_eq!(s.parse::<CrcOrder>(), Ok(CrcOrder::HighFirst), "{s}");
        }
        for s in ["", "little", "lo", "big_endian"] {
            assert!(
                matches!(s.parse::<CrcOrder>(), Err(Error::Json { .. })),
                "{s}"
            );
        }
    }

    #[test]
    fn display_round_trips() {
        for o in [CrcOrder::LowFirst, CrcOrder::HighFirst] {
            assert_eq!(o.to_string().parse::<CrcOrder>(), Ok(o));
        }
        assert_eq!(CrcOrder::HighFirst.to_string(), "high_first");
    }
}
