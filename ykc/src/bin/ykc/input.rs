//! Hex text in: spaces optional, any case, an optional `0x` per byte, several frames per string.

/// Parses hex text into bytes, naming the first bad character and where it is.
#[cfg(test)]
pub fn parse_hex_text(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() / 2);
    parse_hex_into(text, &mut out)?;
    Ok(out)
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Appends the bytes of hex text to `out` (cleared first).
pub fn parse_hex_into(text: &str, out: &mut Vec<u8>) -> Result<(), String> {
    out.clear();
    let bytes = text.as_bytes();
    let mut high: Option<u8> = None;
    let mut digits = 0usize;
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        i += 1;
        if let Some(n) = nibble(c) {
            // `0x` before a byte is a prefix, not a digit.
            if c == b'0' && high.is_none() && matches!(bytes.get(i), Some(b'x' | b'X')) {
                i += 1;
                continue;
            }
            digits += 1;
            match high.take() {
                Some(h) => out.push((h << 4) | n),
                None => high = Some(n),
            }
        } else if !matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b',' | b':' | b'-') {
            let at = i - 1;
            let ch = text.get(at..).and_then(|t| t.chars().next()).unwrap_or('?');
            let col = text.get(..at).map_or(at, |t| t.chars().count()) + 1;
            return Err(format!("非十六进制字符 '{ch}'（第{col}个字符） / non-hex character '{ch}' at column {col}"));
        }
    }
    if high.is_some() {
        return Err(format!("十六进制位数为奇数（{digits}位） / odd number of hex digits ({digits})"));
    }
    Ok(())
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
