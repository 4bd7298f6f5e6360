//! What an integer field can hold, from its metadata alone (width, scale, offset), and exact
//! decimal reading of scaled values: `"12"`, `12` and `12.00` are all 12.00 元 of a ×10⁻² field.

use crate::meta::FieldMeta;
use rust_decimal::Decimal;

/// The largest raw value of an integer field `len` bytes wide.
pub fn max_raw(len: usize) -> u64 {
    match len {
        0 => 0,
        1..=7 => (1u64 << (8 * len)) - 1,
        _ => u64::MAX,
    }
}

/// True when the field's JSON value is not its raw integer (a scale or an offset applies).
pub fn is_scaled(meta: &FieldMeta) -> bool {
    meta.decimals > 0 || meta.offset != 0
}

/// The value a raw integer stands for, exactly (`raw / 10^decimals + offset`).
pub fn scaled_value(raw: u64, meta: &FieldMeta) -> Decimal {
    // `decimals` is at most a handful (ykc-gen checks the spec's scales); 28 is rust_decimal's cap.
    let scale = meta.decimals.min(28);
    Decimal::from_i128_with_scale(i128::from(raw), scale) + Decimal::from(meta.offset)
}

/// The field's allowed values as text: `0..=255`, `0..=42949672.95`, `-50..=205`.
pub fn range_text(meta: &FieldMeta) -> String {
    let max = max_raw(meta.len);
    if is_scaled(meta) {
        format!(
            "{}..={}",
            scaled_value(0, meta).normalize(),
            scaled_value(max, meta)
        )
    } else {
        format!("0..={max}")
    }
}

/// `"<shown> is out of range <range>"`.
pub fn out_of_range(shown: &str, meta: &FieldMeta) -> String {
    format!("{shown} is out of range {}", range_text(meta))
}

/// Checks a raw value against the field's width.
pub fn check_raw(raw: u64, shown: &str, meta: &FieldMeta) -> Result<u64, String> {
    if raw > max_raw(meta.len) {
        return Err(out_of_range(shown, meta));
    }
    Ok(raw)
}

/// Reads a scaled value written as decimal text (`12`, `12.5`, `-3`; JSON numbers also as
/// `1e-5`) into the raw integer: exact, never through a float. More fraction digits than the
/// field's scale keeps are refused, not rounded (money is not rounded silently).
pub fn scaled_raw(text: &str, number: bool, meta: &FieldMeta) -> Result<u64, String> {
    let t = text.trim();
    let plain = !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+'));
    let parsed = if plain {
        Decimal::from_str_exact(t).ok()
    } else if number {
        Decimal::from_scientific(t).ok()
    } else {
        None
    };
    let unit = if meta.unit.is_empty() { "" } else { " " };
    let value = parsed.ok_or_else(|| {
        format!(
            "`{t}` is not a decimal number (e.g. 12 or 12.5{unit}{})",
            meta.unit
        )
    })?;
    let value = value.normalize();
    if value.scale() > meta.decimals {
        return Err(format!(
            "{t} has {} decimal places, the field keeps {} (a step of {})",
            value.scale(),
            meta.decimals,
            Decimal::new(1, meta.decimals.min(28))
        ));
    }
    let factor = Decimal::from_i128_with_scale(10i128.pow(meta.decimals.min(28)), 0);
    let raw = value
        .checked_sub(Decimal::from(meta.offset))
        .and_then(|v| v.checked_mul(factor))
        .map(|v| v.normalize())
        .ok_or_else(|| out_of_range(t, meta))?;
    let raw = u64::try_from(raw.mantissa()).map_err(|_| out_of_range(t, meta))?;
    check_raw(raw, t, meta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::FieldKind;

    fn money() -> FieldMeta {
        FieldMeta {
            decimals: 2,
            unit: "元",
            ..FieldMeta::new("account_balance", FieldKind::Uint, 4)
        }
    }

    #[test]
    fn ranges_follow_width_scale_and_offset() {
        assert_eq!(
            range_text(&FieldMeta::new("m", FieldKind::Uint, 1)),
            "0..=255"
        );
        assert_eq!(range_text(&money()), "0..=42949672.95");
        let t = FieldMeta {
            offset: -50,
            ..FieldMeta::new("t", FieldKind::Uint, 1)
        };
        assert_eq!(range_text(&t), "-50..=205");
        assert_eq!(max_raw(8), u64::MAX);
    }

    #[test]
    fn decimal_text_is_exact() {
        let m = money();
        for t in ["12", "12.0", "12.00", " 12 ", "+12"] {
            assert_eq!(scaled_raw(t, false, &m), Ok(1200), "{t}");
        }
        assert_eq!(scaled_raw("0.01", false, &m), Ok(1));
        assert_eq!(scaled_raw("1e-2", true, &m), Ok(1));
        assert_eq!(
            scaled_raw("42949672.95", false, &m),
            Ok(u64::from(u32::MAX))
        );
    }

    #[test]
    fn bad_decimal_text_says_why() {
        let m = money();
        let e = scaled_raw("12.345", false, &m).unwrap_err();
        assert!(e.contains("3 decimal places, the field keeps 2"), "{e}");
        let e = scaled_raw("-12", false, &m).unwrap_err();
        assert_eq!(e, "-12 is out of range 0..=42949672.95");
        assert!(scaled_raw("42949672.96", false, &m).is_err());
        for t in ["", "abc", "1e3", "0x10", "1_000", "12元", "1.2.3"] {
            assert!(scaled_raw(t, false, &m).is_err(), "{t}");
        }
    }
}
