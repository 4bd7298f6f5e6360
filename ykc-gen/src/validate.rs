//! Checks a loaded spec; every problem names its file and field.

use crate::spec::{Count, EnumValueSpec, FieldKind, FieldSpec, FrameSpec, Spec};
use crate::GenError;
use std::collections::{BTreeMap, HashSet};

/// Returns every problem found (empty = valid).
pub fn validate(spec: &Spec) -> Vec<GenError> {
    let mut errs = Vec::new();
    let mut codes = HashSet::new();
    let mut names = HashSet::new();
    for f in &spec.frames {
        let mut err = |field: &str, msg: String| errs.push(GenError::new(&f.file, field, msg));
        if !codes.insert(f.code) {
            err("code", format!("code 0x{:02X} is defined twice", f.code));
        }
        if !names.insert(f.name.clone()) {
            err("name", format!("frame name `{}` is used twice", f.name));
        }
        if !is_snake(&f.name) {
            err("name", format!("`{}` is not snake_case", f.name));
        }
        for (key, text) in [("name_zh", &f.name_zh), ("section", &f.section)] {
            if needs_json_escape(text) {
                err(
                    key,
                    format!("`{text}` has a quote, backslash or control character"),
                );
            }
        }
        if let Some(r) = f.reply {
            if !spec.frames.iter().any(|o| o.code == r) {
                err("reply", format!("reply frame 0x{r:02X} is not in the spec"));
            }
        }
        if let Some(r) = f.role {
            if spec
                .frames
                .iter()
                .any(|o| o.code != f.code && o.role == Some(r))
            {
                err("role", format!("role `{r}` is given to two frames"));
            }
        }
        check_fields(spec, f, &f.fields, true, &mut errs);
        check_answer(spec, f, &mut errs);
        check_alt(f, &mut errs);
        check_samples(f, &mut errs);
    }
    for e in spec.enums.values() {
        check_enum(&e.values, 1, &mut |m| {
            errs.push(GenError::new(
                format!("spec/enums/{}.yaml", e.name),
                "values",
                m,
            ))
        });
    }
    errs
}

/// True when JSON would have to escape a character of `s` (the runtime writes spec names raw).
fn needs_json_escape(s: &str) -> bool {
    s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\')
}

fn is_snake(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
}

fn check_enum(values: &BTreeMap<u64, EnumValueSpec>, len: usize, err: &mut dyn FnMut(String)) {
    let bits = 8 * len as u32;
    let mut seen = HashSet::new();
    for (code, v) in values {
        if bits < 64 && code >> bits != 0 {
            err(format!(
                "enum value {code:#X} does not fit in {len} byte(s)"
            ));
        }
        if !is_snake(&v.name) {
            err(format!("enum name `{}` is not snake_case", v.name));
        }
        if !seen.insert(&v.name) {
            err(format!("enum name `{}` is used twice", v.name));
        }
    }
}

fn check_fields(
    spec: &Spec,
    frame: &FrameSpec,
    fields: &[FieldSpec],
    top: bool,
    errs: &mut Vec<GenError>,
) {
    let mut seen = HashSet::new();
    let mut group_seen = false;
    for (i, fd) in fields.iter().enumerate() {
        let mut err = |msg: String| errs.push(GenError::new(&frame.file, &fd.name, msg));
        if !seen.insert(fd.name.as_str()) {
            err("field name used twice".to_string());
        }
        if !is_snake(&fd.name)
            || matches!(
                fd.name.as_str(),
                "trailing" | "alt_layout" | "type" | "self"
            )
        {
            err(format!(
                "`{}` is not a usable snake_case field name",
                fd.name
            ));
        }
        if fd.identity && (!top || frame.role != Some(crate::spec::Role::Login)) {
            err("`identity` marks top-level fields of the `role: login` frame only".into());
        }
        if !fd.ty.is_table_type() {
            let table: Vec<&str> = FieldKind::TABLE.iter().map(|k| k.as_str()).collect();
            err(format!(
                "type `{}` is not a table type (one of {})",
                fd.ty,
                table.join(", ")
            ));
            continue;
        }
        if group_seen {
            err("fields after a group are not supported".to_string());
        }
        match fd.ty {
            FieldKind::Group => {
                group_seen = true;
                if !top {
                    err("groups cannot nest".to_string());
                }
                if fd.item.is_empty() {
                    err("a group needs `item` fields".to_string());
                }
                match &fd.count {
                    Some(Count::Field { field }) => {
                        let ok = fields
                            .iter()
                            .take(i)
                            .any(|p| &p.name == field && p.ty == FieldKind::Uint);
                        if !ok {
                            err(format!(
                                "count field `{field}` must be a uint before the group"
                            ));
                        }
                    }
                    Some(Count::Rest(r)) if r == "rest" => {}
                    _ => err("a group needs `count: {field: NAME}` or `count: rest`".to_string()),
                }
                check_fields(spec, frame, &fd.item, false, errs);
            }
            ty => {
                if fd.len == 0 {
                    err("`len` must be at least 1".to_string());
                }
                if ty == FieldKind::Cp56Time && fd.len != 7 {
                    err("cp56time is 7 bytes".to_string());
                }
                if matches!(ty, FieldKind::Uint | FieldKind::Bits) && fd.len > 8 {
                    err("uint/bits hold at most 8 bytes".to_string());
                }
                if ty != FieldKind::Uint
                    && (fd.scale.is_some()
                        || fd.offset.is_some()
                        || fd.r#enum.is_some()
                        || fd.enum_ref.is_some())
                {
                    err("scale/offset/enum apply to uint fields only".to_string());
                }
                if let Some(s) = fd.scale {
                    let d = fd.decimals();
                    if (10f64.powi(-(d as i32)) - s).abs() > s * 1e-9 {
                        err(format!("scale {s} is not a power of ten"));
                    }
                }
                if let Some(values) = &fd.r#enum {
                    check_enum(values, fd.len, &mut |m| err(m));
                }
                if let Some(r) = &fd.enum_ref {
                    if !spec.enums.contains_key(r) {
                        err(format!("enum_ref `{r}` has no file spec/enums/{r}.yaml"));
                    }
                }
                if ty == FieldKind::Bits && fd.bits.is_empty() {
                    err("a bits field needs `bits`".to_string());
                }
                for b in &fd.bits {
                    if u32::from(b.bit) + u32::from(b.width) > 8 * fd.len as u32 || b.width == 0 {
                        err(format!(
                            "bit run `{}` ({}+{}) does not fit in {} byte(s)",
                            b.name, b.bit, b.width, fd.len
                        ));
                    }
                    if let Some(v) = &b.r#enum {
                        if v.keys().any(|k| b.width < 64 && k >> b.width != 0) {
                            err(format!(
                                "bit run `{}` has values wider than {} bits",
                                b.name, b.width
                            ));
                        }
                    }
                }
                if fd.reversed && ty != FieldKind::Ascii {
                    err("`reversed` applies to ascii fields".to_string());
                }
            }
        }
    }
}

fn check_answer(spec: &Spec, f: &FrameSpec, errs: &mut Vec<GenError>) {
    let Some(a) = &f.answer else { return };
    let mut err = |m: String| errs.push(GenError::new(&f.file, "answer", m));
    let Some(req) = spec.frames.iter().find(|r| r.code == a.request) else {
        err(format!("request 0x{:02X} is not in the spec", a.request));
        return;
    };
    if req.reply != Some(f.code) {
        err(format!(
            "request 0x{:02X} does not name 0x{:02X} as its reply",
            a.request, f.code
        ));
    }
    let has = |fr: &FrameSpec, n: &str| fr.fields.iter().any(|x| x.name == n);
    for (rf, qf) in &a.copy {
        if !has(f, rf) || !has(req, qf) {
            err(format!(
                "copy {rf}: {qf} names a field missing from the reply or the request"
            ));
        }
    }
    for (key, values) in [("set", &a.set), ("refuse", &a.refuse)] {
        for (k, v) in values {
            match f.fields.iter().find(|x| &x.name == k) {
                None => err(format!("{key} {k}: not a field of the reply")),
                Some(fd) => {
                    check_value(spec, fd, v).unwrap_or_else(|m| err(format!("{key} {k}: {m}")))
                }
            }
        }
    }
    let items: Vec<&FieldSpec> = f
        .fields
        .iter()
        .filter(|x| x.ty == FieldKind::Group)
        .flat_map(|g| &g.item)
        .collect();
    for (k, v) in &a.item_set {
        match items.iter().find(|x| &x.name == k) {
            None => err(format!("item_set {k}: not an item field of a group")),
            Some(fd) => {
                check_value(spec, fd, v).unwrap_or_else(|m| err(format!("item_set {k}: {m}")))
            }
        }
    }
}

/// Checks that an `answer:` value suits its field: a scalar, and for an enum one of its names
/// or a code (what the runtime's JSON reader accepts).
fn check_value(spec: &Spec, fd: &FieldSpec, v: &serde_json::Value) -> Result<(), String> {
    use serde_json::Value;
    let values = fd.r#enum.as_ref().or_else(|| {
        let r = fd.enum_ref.as_ref()?;
        spec.enums.get(r).map(|e| &e.values)
    });
    match (v, values) {
        (Value::Array(_) | Value::Object(_) | Value::Null, _) => {
            Err(format!("`{v}` is not a plain value (text, number or bool)"))
        }
        (Value::String(name), Some(values)) => {
            let known =
                name.starts_with("0x") || values.values().any(|e| &e.name == name || &e.zh == name);
            if known {
                Ok(())
            } else {
                Err(format!("`{name}` is not a value of the field's enum"))
            }
        }
        _ => Ok(()),
    }
}

fn check_alt(f: &FrameSpec, errs: &mut Vec<GenError>) {
    let alt_fields = f.fields.iter().any(|x| x.alt_len.is_some());
    match &f.alt_layout {
        Some(a) => {
            let alt: usize = f
                .fields
                .iter()
                .map(|x| x.alt_len.unwrap_or(x.len) * x.repeat.unwrap_or(1))
                .sum();
            if alt != a.body_len {
                errs.push(GenError::new(
                    &f.file,
                    "alt_layout",
                    format!("alt field lengths add up to {alt}, not {}", a.body_len),
                ));
            }
        }
        None if alt_fields => errs.push(GenError::new(
            &f.file,
            "alt_layout",
            "fields have alt_len but the frame has no alt_layout".into(),
        )),
        None => {}
    }
}

/// Parses spaced or unspaced hex.
pub fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits ({})", digits.len()));
    }
    digits
        .chunks(2)
        .map(|p| {
            let t: String = p.iter().collect();
            u8::from_str_radix(&t, 16).map_err(|_| format!("`{t}` is not hex"))
        })
        .collect()
}

fn check_samples(f: &FrameSpec, errs: &mut Vec<GenError>) {
    for (i, s) in f.samples.iter().enumerate() {
        let field = format!("samples[{i}]");
        let mut err = |m: String| errs.push(GenError::new(&f.file, &field, m));
        let printed_ok = s
            .printed
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c.is_whitespace());
        if !printed_ok {
            err("printed: only hex digits and spaces, annotations removed".to_string());
        }
        if s.hex.is_none() {
            if let Err(e) = parse_hex(&s.printed) {
                err(format!("printed: {e} (repair it with `hex:`)"));
            }
        }
        let bytes = match parse_hex(s.hex.as_deref().unwrap_or(&s.printed)) {
            Ok(b) => b,
            Err(e) => {
                err(e);
                continue;
            }
        };
        if let Err(m) = check_frame_bytes(f, &bytes) {
            err(m);
        }
    }
}

/// Checks a sample frame's header and body length against the table.
fn check_frame_bytes(f: &FrameSpec, b: &[u8]) -> Result<(), String> {
    let [start, len, _, _, _, code, ..] = b else {
        return Err("shorter than a header".into());
    };
    if *start != 0x68 {
        return Err(format!("starts with {start:02X}, not 68"));
    }
    if usize::from(*len) + 4 != b.len() {
        return Err(format!(
            "length byte {len:#04X} but {} bytes follow it (repair with `hex:`)",
            b.len() - 2
        ));
    }
    if *code != f.code {
        return Err(format!(
            "type byte {code:02X} is not the frame's code (repair with `hex:`)"
        ));
    }
    let body = b.len() - 8;
    let fixed = f.fixed_len();
    let ok = match f.group() {
        Some(g) => {
            let item = g.item_len();
            let whole = |n: usize| n > 0 && (body - fixed).is_multiple_of(n);
            let short: usize = g.item.iter().map(|x| x.alt_len.unwrap_or(x.len)).sum();
            body >= fixed && (whole(item) || (g.short_items && whole(short)))
        }
        None => {
            body == fixed
                || f.alt_layout.as_ref().is_some_and(|a| a.body_len == body)
                || (f.allows_trailing() && body > fixed)
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "body is {body} bytes; the fields add up to {fixed}"
        ))
    }
}
