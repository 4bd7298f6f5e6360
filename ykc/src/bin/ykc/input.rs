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
    let mut high: Option<u8> = None;
    let mut prev = 0u8;
    let mut digits = 0usize;
    let mut at = 0usize;
    while let Some(&c) = text.get(at) {
        let class = CLASS.get(usize::from(c)).copied().unwrap_or(BAD);
        if class < 16 {
            // Fast path: two hex digits in a row make a byte.
            let next = text.get(at + 1).and_then(|n| CLASS.get(usize::from(*n))).copied().unwrap_or(BAD);
            if high.is_none() && next < 16 && !(class == 0 && next == X) {
                out.push((class << 4) | next);
                digits += 2;
                prev = text.get(at + 1).copied().unwrap_or(0);
                at += 2;
                continue;
            }
            digits += 1;
            match high.take() {
                Some(h) => out.push((h << 4) | class),
                None => high = Some(class),
            }
        } else if class == X && prev == b'0' && high == Some(0) {
            // `0x` before a byte is a prefix, not a digit.
            high = None;
            digits -= 1;
        } else if class != SEP {
            let head = String::from_utf8_lossy(text.get(..at).unwrap_or_default()).chars().count();
            let ch = String::from_utf8_lossy(text.get(at..).unwrap_or_default()).chars().next().unwrap_or('?');
            let col = head + 1;
            return Err(format!("非十六进制字符 '{ch}'（第{col}个字符） / non-hex character '{ch}' at column {col}"));
        }
        prev = c;
        at += 1;
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
