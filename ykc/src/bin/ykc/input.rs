//! Hex text in: spaces optional, any case, an optional `0x` per byte, several frames per string.

/// Parses hex text into bytes, naming the first bad character and where it is.
#[cfg(test)]
pub fn parse_hex_text(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() / 2);
    parse_hex_into(text.as_bytes(), &mut out)?;
    Ok(out)
}

const BAD: u8 = 0xFF;
const SEP: u8 = 0xFE;
const X: u8 = 0xFD;

/// Class of every byte: a nibble value, a separator, the `x` of `0x`, or bad.
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

/// Appends the bytes of hex text to `out` (cleared first).
pub fn parse_hex_into(text: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    out.clear();
    out.reserve(text.len() / 2);
    // `high` holds a pending nibble (< 16) or NONE.
    const NONE: u8 = 0xFF;
    let mut high = NONE;
    let mut prev = 0u8;
    for (at, &c) in text.iter().enumerate() {
        // A u8 indexes a 256-entry table: always in bounds.
        let class = CLASS[usize::from(c)];
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
        return Err(format!(
            "十六进制位数为奇数（{digits}位） / odd number of hex digits ({digits})"
        ));
    }
    Ok(())
}

/// Names the bad character at byte `at` and its column.
fn bad_char(text: &[u8], at: usize) -> String {
    let head = String::from_utf8_lossy(text.get(..at).unwrap_or_default())
        .chars()
        .count();
    let ch = String::from_utf8_lossy(text.get(at..).unwrap_or_default())
        .chars()
        .next()
        .unwrap_or('?');
    let col = head + 1;
    format!("非十六进制字符 '{ch}'（第{col}个字符） / non-hex character '{ch}' at column {col}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_forms_users_paste() {
        let want = vec![0x68, 0x0C, 0xDA];
        assert_eq!(parse_hex_text("680cda").unwrap(), want);
        assert_eq!(parse_hex_text("68 0C DA").unwrap(), want);
        assert_eq!(parse_hex_text("0x68 0x0c 0xDA").unwrap(), want);
        assert_eq!(parse_hex_text("0x680CDA").unwrap(), want);
        assert!(parse_hex_text("68 0G").unwrap_err().contains("'G'"));
        assert!(parse_hex_text("68 0").unwrap_err().contains("odd"));
    }
}
