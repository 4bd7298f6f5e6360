//! Hex text in: spaces optional, any case, an optional `0x` per byte, several frames per string.

/// Parses hex text into bytes, naming the first bad character and where it is.
pub fn parse_hex_text(text: &str) -> Result<Vec<u8>, String> {
    let mut nibbles = Vec::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        let next = bytes.get(i + 1).copied();
        if c == b'0' && matches!(next, Some(b'x' | b'X')) && nibbles.len() % 2 == 0 {
            i += 2;
            continue;
        }
        match c {
            b'0'..=b'9' => nibbles.push(c - b'0'),
            b'a'..=b'f' => nibbles.push(c - b'a' + 10),
            b'A'..=b'F' => nibbles.push(c - b'A' + 10),
            b' ' | b'\t' | b'\r' | b'\n' | b',' | b':' | b'-' => {}
            _ => {
                let ch = text.get(i..).and_then(|t| t.chars().next()).unwrap_or('?');
                let col = text.get(..i).map_or(i, |t| t.chars().count()) + 1;
                return Err(format!("非十六进制字符 '{ch}'（第{col}个字符） / non-hex character '{ch}' at column {col}"));
            }
        }
        i += 1;
    }
    if nibbles.len() % 2 != 0 {
        return Err(format!("十六进制位数为奇数（{}位） / odd number of hex digits ({})", nibbles.len(), nibbles.len()));
    }
    Ok(nibbles.chunks_exact(2).map(|p| match p {
        [hi, lo] => (hi << 4) | lo,
        _ => 0,
    }).collect())
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
