//! `ykc frames`: the spec's frame types, or one frame's fields.

use clap::Args;
use std::process::ExitCode;
use ykc::meta::{FieldKind, FieldMeta, FrameMeta, Repeat};

/// Arguments of `ykc frames`.
#[derive(Args)]
pub struct FramesArgs {
    /// A frame type (code or name) to describe field by field.
    pub frame: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn dir(m: &FrameMeta) -> &'static str {
    match m.direction {
        ykc::Direction::Up => "pile→platform",
        ykc::Direction::Down => "platform→pile",
    }
}

/// Runs `ykc frames`.
pub fn run(a: &FramesArgs) -> Result<ExitCode, String> {
    let Some(f) = &a.frame else {
        if a.json {
            println!(
                "{}",
                serde_json::to_string_pretty(ykc::frames::FRAMES).map_err(|e| e.to_string())?
            );
            return Ok(ExitCode::SUCCESS);
        }
        println!(
            "{:<6} {:<34} {:<22} {:<14} {:<14} reply",
            "code", "name", "名称", "direction", "body"
        );
        for m in ykc::frames::FRAMES {
            // No reply frame: the column stays empty.
            let reply = m.reply.map(|r| format!("0x{r:02X}")).unwrap_or_default();
            println!(
                "0x{:02X}   {:<34} {:<22} {:<14} {:<14} {reply}",
                m.code,
                m.name,
                m.name_zh,
                dir(m),
                m.body_len.to_string()
            );
        }
        return Ok(ExitCode::SUCCESS);
    };
    let code = crate::encode::frame_code(f)?;
    let m =
        ykc::Message::meta_of(code).ok_or_else(|| format!("0x{code:02X} is not in the spec"))?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(m).map_err(|e| e.to_string())?
        );
        return Ok(ExitCode::SUCCESS);
    }
    // No reply frame: nothing is said about one.
    let reply = m
        .reply
        .map(|r| format!(", answered by 0x{r:02X}"))
        .unwrap_or_default();
    println!(
        "0x{:02X} {} `{}` §{} {}{reply}; body {} bytes",
        m.code,
        m.name_zh,
        m.name,
        m.section,
        dir(m),
        m.body_len
    );
    println!(
        "{:<4} {:<32} {:<22} {:<9} {:>6} {:>4}  value",
        "#", "field", "名称", "type", "offset", "len"
    );
    print_fields(m.fields, 0, "");
    Ok(ExitCode::SUCCESS)
}

fn print_fields(fields: &[FieldMeta], start: usize, indent: &str) {
    let mut at = start;
    for (i, f) in fields
        .iter()
        .enumerate()
        .filter(|(_, f)| !matches!(f.kind, FieldKind::Layout | FieldKind::Trailing))
    {
        let n = if let Repeat::Fixed(n) = f.repeat {
            n
        } else {
            1
        };
        let mut value = Vec::new();
        if f.decimals > 0 {
            value.push(format!("×10^-{}", f.decimals));
        }
        if f.offset != 0 {
            value.push(format!("{:+}", f.offset));
        }
        if !f.unit.is_empty() {
            value.push(f.unit.to_string());
        }
        if n > 1 {
            value.push(format!("×{n}"));
        }
        if !f.values.is_empty() {
            value.push(
                f.values
                    .iter()
                    .map(|v| format!("{:#04X}={}", v.code, v.zh))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        if !f.bits.is_empty() {
            value.push(
                f.bits
                    .iter()
                    .map(|b| format!("bit{}:{}", b.bit, b.name_zh))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        let kind = format!("{:?}", f.kind).to_lowercase();
        let len = if f.kind == FieldKind::Group {
            format!("{}×N", f.len)
        } else {
            (f.len * n).to_string()
        };
        println!(
            "{indent}{:<4} {:<32} {:<22} {:<9} {:>6} {:>4}  {}",
            i + 1,
            f.name,
            f.name_zh,
            kind,
            at,
            len,
            value.join("; ")
        );
        if f.kind == FieldKind::Group {
            print_fields(f.items, 0, &format!("{indent}    "));
        } else {
            at += f.len * n;
        }
    }
}
