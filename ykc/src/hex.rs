//! Hex text, both ways: the one place ykc writes bytes as hex digits and reads hex text back.
//!
//! Writing is always uppercase, as the protocol document prints frames, and goes through
//! `const-hex` (SIMD where the CPU has it). Reading accepts what people paste: any case,
//! whitespace or `,` `:` `-` between digits, an optional `0x` before any byte, and several
//! frames in one string. Plain runs of digits, the common case of a log line, take
//! `const-hex`'s fast path; everything else goes through one table-driven pass that names the
//! first bad character and its column.

use crate::error::Error;
use serde::Serializer;
use std::fmt;

/// Bytes whose [`Display`](fmt::Display) is their uppercase hex digits, with no separators;
/// the alternate form (`{:#}`) puts `0x` first.
///
/// ```
/// use ykc::hex::Upper;
/// assert_eq!(Upper(&[0x68, 0x0c]).to_string(), "680C");
/// assert_eq!(format!("{:#}", Upper(&[0xDA, 0x4C])), "0xDA4C");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Upper<'a>(pub &'a [u8]);

impl fmt::Display for Upper<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::UpperHex::fmt(&const_hex::display(self.0), f)
    }
}

impl fmt::Debug for Upper<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// The uppercase hex digits of `bytes`.
///
/// ```
/// assert_eq!(ykc::hex::encode_upper([0xDA, 0x01]), "DA01");
/// ```
pub fn encode_upper(bytes: impl AsRef<[u8]>) -> String {
    const_hex::encode_upper(bytes)
}

/// Values up to this many bytes are written from [`PAIRS`]: most JSON fields are 1 to 8 bytes,
/// where const-hex's per-call dispatch costs more than the digits (measured with the codec
/// benchmark's JSON groups); longer ones (bodies) go through const-hex.
const SHORT: usize = 16;

/// The two uppercase digits of every byte value.
#[allow(clippy::indexing_slicing)] // evaluated at compile time
const PAIRS: [[u8; 2]; 256] = {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [DIGITS[i >> 4], DIGITS[i & 0x0F]];
        i += 1;
    }
    t
};

/// Appends the uppercase hex digits of `bytes` to `out`.
pub fn push_upper(out: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.len() <= SHORT {
        out.reserve(bytes.len() * 2);
        for b in bytes {
            out.extend_from_slice(
                PAIRS
                    .get(usize::from(*b))
                    .expect("a u8 indexes 256 entries"),
            );
        }
        return;
    }
    // Through a stack buffer, so `out` is not zero-filled before the digits overwrite it.
    let mut digits = [0u8; 128];
    for chunk in bytes.chunks(digits.len() / 2) {
        let d = digits
            .get_mut(..chunk.len() * 2)
            .expect("a chunk is half the buffer at most");
        const_hex::encode_to_slice_upper(chunk, d).expect("sized to two digits per byte");
        out.extend_from_slice(d);
    }
}

/// The uppercase hex digits of `bytes`, a space between bytes: `68 0C DA`.
pub fn encode_upper_spaced(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        push_upper(&mut out, std::slice::from_ref(b));
    }
    String::from_utf8(out).expect("hex digits and spaces are ASCII")
}

/// Hex of the longest value serialized on the stack: a whole 251-byte body plus a `0x` prefix.
const STACK_DIGITS: usize = 2 + 2 * 255;

/// Serializes `prefix` followed by the uppercase digits of `bytes` as one string, built on the
/// stack (one `serialize_str`, no allocation) for up to 255 bytes.
pub fn serialize_upper<S: Serializer>(prefix: &str, bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; STACK_DIGITS];
    let need = prefix.len() + bytes.len() * 2;
    let Some((head, digits)) = buf.get_mut(..need).map(|b| b.split_at_mut(prefix.len())) else {
        return s.collect_str(&format_args!("{prefix}{}", Upper(bytes)));
    };
    head.copy_from_slice(prefix.as_bytes());
    const_hex::encode_to_slice_upper(bytes, digits).expect("the digits were sized to two per byte");
    let text = buf
        .get(..need)
        .expect("`need` was checked against the buffer above");
    s.serialize_str(std::str::from_utf8(text).expect("a str prefix and hex digits are UTF-8"))
}

/// Parses hex text into bytes (see the [module docs](self) for the forms accepted).
///
/// ```
/// assert_eq!(ykc::hex::decode("0x68 0c,DA").unwrap(), [0x68, 0x0C, 0xDA]);
/// assert!(ykc::hex::decode("68 0G").is_err());
/// ```
///
/// # Errors
/// [`Error::Hex`] naming the first character that is not hex and its column, or an odd count of
/// digits.
pub fn decode(text: impl AsRef<[u8]>) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    decode_into(text.as_ref(), &mut out)?;
    Ok(out)
}

/// Like [`decode`], into `out` (cleared first), so a caller reading many lines reuses one buffer.
///
/// # Errors
/// As [`decode`]; `out` then holds the bytes before the error.
pub fn decode_into(text: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
    out.clear();
    let digits = text.trim_ascii();
    // Only text that starts with plain digits tries the fast path: spaced or `0x` text fails it.
    let plain = digits.iter().take(3).all(|c| class(*c) < 16);
    if plain && digits.len().is_multiple_of(2) {
        out.resize(digits.len() / 2, 0);
        if const_hex::decode_to_slice(digits, out).is_ok() {
            return Ok(());
        }
        out.clear();
    }
    decode_lenient(text, out)
}

/// No digit: a separator, the `x` of `0x`, or a character that is not allowed.
const BAD: u8 = 0xFF;
const SEP: u8 = 0xFE;
const X: u8 = 0xFD;

/// Class of every byte: a digit's value, a separator, the `x` of `0x`, or bad.
#[allow(clippy::indexing_slicing)] // evaluated at compile time
const CLASS: [u8; 256] = {
    let mut t = [BAD; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    let seps = b" \t\r\n,:-";
    let mut i = 0;
    while i < seps.len() {
        t[seps[i] as usize] = SEP;
        i += 1;
    }
    t[b'x' as usize] = X;
    t[b'X' as usize] = X;
    t
};

fn class(c: u8) -> u8 {
    *CLASS
        .get(usize::from(c))
        .expect("a u8 indexes a 256-entry table")
}

/// The one pass over text with separators or prefixes.
fn decode_lenient(text: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
    out.reserve(text.len() / 2);
    // `high` holds a pending digit (< 16) or NONE.
    const NONE: u8 = 0xFF;
    let mut high = NONE;
    let mut prev = 0u8;
    for (at, &c) in text.iter().enumerate() {
        let class = class(c);
        if class < 16 {
            if high == NONE {
                high = class;
            } else {
                out.push((high << 4) | class);
                high = NONE;
            }
        } else if class == X && prev == b'0' && high == 0 {
            // `0x` before a byte is a prefix, not a digit.
            high = NONE;
        } else if class != SEP {
            return Err(bad_char(text, at));
        }
        prev = c;
    }
    if high != NONE {
        let digits = out.len() * 2 + 1;
        return Err(Error::Hex {
            reason: format!(
                "十六进制位数为奇数（{digits}位） / odd number of hex digits ({digits})"
            ),
        });
    }
    Ok(())
}

/// Names the bad character at byte `at` and its column (counted in characters, from 1).
fn bad_char(text: &[u8], at: usize) -> Error {
    let (head, tail) = text.split_at(at.min(text.len()));
    let col = String::from_utf8_lossy(head).chars().count() + 1;
    // A cut inside a multi-byte character shows U+FFFD; nothing else can be missing here.
    let ch = String::from_utf8_lossy(tail).chars().next().unwrap_or('?');
    Error::Hex {
        reason: format!(
            "非十六进制字符 '{ch}'（第{col}个字符） / non-hex character '{ch}' at column {col}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_forms_users_paste() {
        let want = vec![0x68, 0x0C, 0xDA];
        for text in [
            "680cda",
            "68 0C DA",
            "0x68 0x0c 0xDA",
            "0x680CDA",
            " 680CDA\r\n",
            "68:0c-da",
        ] {
            assert_eq!(decode(text).unwrap(), want, "{text:?}");
        }
        assert_eq!(decode("").unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn errors_name_the_character_and_column() {
        let e = decode("68 0G").unwrap_err().to_string();
        assert!(e.contains("'G'") && e.contains("column 5"), "{e}");
        let e = decode("68 0").unwrap_err().to_string();
        assert!(e.contains("odd") && e.contains("(3)"), "{e}");
        let e = decode("6é8").unwrap_err().to_string();
        assert!(e.contains("'é'") && e.contains("column 2"), "{e}");
        assert!(decode("10x").is_err());
    }

    #[test]
    fn writes_uppercase_every_way() {
        let bytes = [0x00, 0xAB, 0x7F];
        assert_eq!(encode_upper(bytes), "00AB7F");
        assert_eq!(Upper(&bytes).to_string(), "00AB7F");
        assert_eq!(format!("{:#}", Upper(&bytes)), "0x00AB7F");
        assert_eq!(encode_upper_spaced(&bytes), "00 AB 7F");
        assert_eq!(encode_upper_spaced(&[]), "");
        let mut out = b"x".to_vec();
        push_upper(&mut out, &bytes);
        assert_eq!(out, b"x00AB7F");
        // Both paths, across the chunk size, agree with const-hex.
        for n in [15, 16, 17, 63, 64, 65, 251] {
            let long: Vec<u8> = (0..n).map(|i| (i * 37) as u8).collect();
            let mut out = Vec::new();
            push_upper(&mut out, &long);
            assert_eq!(out, encode_upper(&long).as_bytes(), "{n}");
        }
        let mut json = Vec::new();
        serialize_upper("0x", &bytes, &mut serde_json::Serializer::new(&mut json)).unwrap();
        assert_eq!(json, br#""0x00AB7F""#);
        let long = [0x5Au8; 300];
        let mut json = Vec::new();
        serialize_upper("", &long, &mut serde_json::Serializer::new(&mut json)).unwrap();
        assert_eq!(json.len(), 602);
    }
}
