//! `--format table`: each field with its Chinese and English name, raw bytes and value.

use std::io::Write;
use ykc::envelope::Envelope;
use ykc::hex::{encode_upper_spaced, Upper};
use ykc::meta::{FieldKind, FieldMeta, Repeat};
use ykc::value::FieldJson;

/// Writes one envelope as a table.
pub fn write(w: &mut impl Write, env: &Envelope<'_>) -> std::io::Result<()> {
    let v = serde_json::to_value(env).map_err(std::io::Error::other)?;
    // A key the envelope leaves out (no frame, no CRC) prints as nothing.
    let s = |k: &str| {
        v.get(k)
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
            .unwrap_or_default()
    };
    writeln!(
        w,
        "{} {} {} ({}) §{}  {}",
        s("frame_type"),
        s("frame_type_name"),
        s("frame_type_name_en"),
        s("direction"),
        s("spec_section"),
        s("msg")
    )?;
    writeln!(
        w,
        "  seq {}  encrypt {}  length {}  CRC {} / {} valid={} order={}",
        s("sequence_hex"),
        s("encrypt_flag"),
        s("data_length"),
        s("crc16_received"),
        s("crc16_calculated"),
        s("crc16_valid"),
        s("crc16_byte_order")
    )?;
    for e in v
        .get("errors")
        .and_then(|x| x.as_array())
        .into_iter()
        .flatten()
        .chain(
            v.get("warnings")
                .and_then(|x| x.as_array())
                .into_iter()
                .flatten(),
        )
    {
        writeln!(
            w,
            "  ! {}",
            e.as_str().map_or_else(|| e.to_string(), str::to_string)
        )?;
    }
    let (Some(raw), Some(meta)) = (
        &env.raw,
        env.raw
            .as_ref()
            .and_then(|r| ykc::Message::meta_of(r.header.code)),
    ) else {
        if let Some(raw) = &env.raw {
            writeln!(w, "  body {}", Upper(raw.body))?;
        }
        return Ok(());
    };
    writeln!(
        w,
        "  {:<4} {:<32} {:<20} {:>6}  {:<26} value",
        "#", "field", "名称", "offset", "raw"
    )?;
    rows(w, meta.fields, raw.body, ykc::error::BODY_OFFSET, "")
}

fn rows(
    w: &mut impl Write,
    fields: &[FieldMeta],
    body: &[u8],
    base: usize,
    indent: &str,
) -> std::io::Result<()> {
    let mut at = 0usize;
    for (i, f) in fields.iter().enumerate() {
        let n = match f.repeat {
            Repeat::Once => 1,
            Repeat::Fixed(n) => n,
            _ => 0,
        };
        if f.kind == FieldKind::Layout {
            continue;
        }
        if f.kind == FieldKind::Group || f.kind == FieldKind::Trailing {
            let rest = body.get(at..).unwrap_or_default();
            if f.kind == FieldKind::Trailing {
                if !rest.is_empty() {
                    writeln!(
                        w,
                        "  {indent}{:<4} {:<32} {:<20} {:>6}  {}",
                        "+",
                        f.name,
                        "(超出协议表)",
                        base + at,
                        encode_upper_spaced(rest)
                    )?;
                }
                continue;
            }
            for (k, item) in rest.chunks(f.len.max(1)).enumerate() {
                writeln!(w, "  {indent}{:<4} {}[{k}] {}", i + 1, f.name, f.name_zh)?;
                rows(
                    w,
                    f.items,
                    item,
                    base + at + k * f.len,
                    &format!("{indent}    "),
                )?;
            }
            return Ok(());
        }
        let len = f.len * n;
        let Some(bytes) = body.get(at..at + len) else {
            writeln!(
                w,
                "  {indent}{:<4} {:<32} {:<20} {:>6}  (missing)",
                i + 1,
                f.name,
                f.name_zh,
                base + at
            )?;
            return Ok(());
        };
        let value = if n == 1 {
            serde_json::to_string(&FieldJson(bytes, f))
        } else {
            serde_json::to_string(
                &bytes
                    .chunks(f.len.max(1))
                    .map(|c| FieldJson(c, f))
                    .collect::<Vec<_>>(),
            )
        }
        .map_err(std::io::Error::other)?;
        let raw = encode_upper_spaced(bytes);
        let raw = if raw.len() > 26 {
            let head = raw
                .get(..25)
                .expect("hex digits and spaces: 26 ASCII bytes or more");
            format!("{head}…")
        } else {
            raw
        };
        let unit = if f.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", f.unit)
        };
        writeln!(
            w,
            "  {indent}{:<4} {:<32} {:<20} {:>6}  {:<26} {value}{unit}",
            i + 1,
            f.name,
            f.name_zh,
            base + at,
            raw
        )?;
        at += len;
    }
    Ok(())
}
