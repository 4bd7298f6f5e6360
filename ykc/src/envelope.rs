//! The JSON envelope of one parsed frame, with the key names of the Python `ykc-parser`
//! (`code`, `msg`, `frame_type`, `crc16_valid`, `body_data`, `errors`, `warnings`, `partial_data` …)
//! plus plainly named additions. Serialized without intermediate allocation.

use crate::crc::CrcOrder;
use crate::decode::{decode_raw, Body};
use crate::error::{Error, Warning, WarningKind};
use crate::frames::Message;
use crate::header::RawFrame;
use crate::hex::Upper;
use crate::value::{push_hex_json, push_u64};
use serde::ser::Serializer;
use serde::Serialize;

/// Language of `msg`, `errors` and `warnings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Chinese (the parser's users expect it).
    #[default]
    Zh,
    /// English.
    En,
}

/// One frame's parse result.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    /// The bytes of this frame attempt (whole frame, or what was there).
    pub input: &'a [u8],
    /// The framed message, when the header and length were sound.
    pub raw: Option<RawFrame<'a>>,
    /// The decoded body.
    pub body: Option<Body>,
    /// Why the frame failed, if it did.
    pub error: Option<Error>,
    /// What was noticed without failing.
    pub warnings: Vec<Warning>,
    /// Language of the texts.
    pub lang: Lang,
}

/// Offset of the next 0x68 after the first byte, or the whole input.
fn next_start(input: &[u8]) -> usize {
    input
        .iter()
        .skip(1)
        .position(|b| *b == crate::header::START)
        .map_or(input.len(), |p| p + 1)
}

impl<'a> Envelope<'a> {
    /// Parses the frame at the start of `input`; returns the envelope and the bytes it took
    /// (after a failure: up to the next 0x68, so several frames in one input resynchronise).
    pub fn parse(input: &'a [u8], lang: Lang) -> (Envelope<'a>, usize) {
        let (raw, used) = match RawFrame::parse_lenient(input) {
            Ok(ok) => ok,
            Err(e) => {
                let used = next_start(input);
                let input = input.get(..used).unwrap_or(input);
                return (
                    Envelope {
                        input,
                        raw: None,
                        body: None,
                        error: Some(e),
                        warnings: Vec::new(),
                        lang,
                    },
                    used,
                );
            }
        };
        let input = input.get(..used).unwrap_or(input);
        let mut env = Envelope {
            input,
            raw: Some(raw),
            body: None,
            error: None,
            warnings: Vec::new(),
            lang,
        };
        if raw.crc_order.is_none() {
            env.warnings.push(Warning {
                field: "",
                offset: used.saturating_sub(2),
                kind: WarningKind::BadCrc,
            });
        }
        match decode_raw(raw) {
            Ok(d) => {
                env.warnings.extend(d.warnings);
                env.body = Some(d.body);
            }
            Err(e) => env.error = Some(e),
        }
        (env, used)
    }

    /// An envelope for input that never became bytes (bad hex and the like).
    pub fn failed(error: Error, lang: Lang) -> Envelope<'static> {
        Envelope {
            input: &[],
            raw: None,
            body: None,
            error: Some(error),
            warnings: Vec::new(),
            lang,
        }
    }

    /// True when the frame is structurally valid (`code` 200).
    pub fn is_valid(&self) -> bool {
        self.error.is_none()
    }

    /// Whether the CRC matched either byte order (None when the frame was not framed).
    pub fn crc_valid(&self) -> Option<bool> {
        self.raw.as_ref().map(|r| r.crc_order.is_some())
    }

    /// The decoded message, if any.
    pub fn message(&self) -> Option<&Message> {
        match &self.body {
            Some(Body::Plain(m)) => Some(m),
            _ => None,
        }
    }

    fn header_byte(&self, i: usize) -> Option<u8> {
        self.input.get(i).copied()
    }

    fn code(&self) -> Option<u8> {
        self.raw
            .as_ref()
            .map(|r| r.header.code)
            .or_else(|| self.header_byte(5))
    }

    fn msg(&self) -> std::borrow::Cow<'static, str> {
        match (&self.error, self.lang) {
            (None, Lang::Zh) => "解析成功".into(),
            (None, Lang::En) => "parsed".into(),
            (Some(e), Lang::Zh) => format!("解析失败: {}", describe(e, Lang::Zh)).into(),
            (Some(e), Lang::En) => format!("parse failed: {}", describe(e, Lang::En)).into(),
        }
    }

    fn warning_texts(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .warnings
            .iter()
            .map(|w| describe_warning(w, self.raw.as_ref(), self.lang))
            .collect();
        if matches!(self.body, Some(Body::Encrypted(_))) {
            out.push(match self.lang {
                Lang::Zh => "消息体已加密（3DES），未解析".to_string(),
                Lang::En => "body is encrypted (3DES) and kept opaque".to_string(),
            });
        }
        if let (Some(Body::Plain(Message::Unknown { code, .. })), true) = (&self.body, true) {
            out.push(match self.lang {
                Lang::Zh => format!("未知帧类型 0x{code:02X}，返回原始数据"),
                Lang::En => format!("unknown frame type 0x{code:02X}, raw body shown"),
            });
        }
        out
    }
}

/// Appends `s` as a JSON string; spec strings and hex need no escaping, so the check is one pass.
fn push_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        let _ = serde_json::to_writer(&mut *out, s);
    } else {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

fn push_key(out: &mut Vec<u8>, key: &str) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

/// Appends a spec string: `ykc-gen` rejects names with characters JSON must escape, so none is checked here.
fn push_spec_str(out: &mut Vec<u8>, s: Option<&'static str>) {
    match s {
        Some(s) => {
            out.push(b'"');
            out.extend_from_slice(s.as_bytes());
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
}

fn push_strings(out: &mut Vec<u8>, items: &[String]) {
    out.push(b'[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_str(out, s);
    }
    out.push(b']');
}

impl Envelope<'_> {
    /// Appends the envelope as one line of compact JSON (no newline). This is the one
    /// implementation of the envelope's layout; `Serialize` delegates to it.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(if self.is_valid() {
            b"{\"code\":200"
        } else {
            b"{\"code\":500"
        });
        push_key(out, "msg");
        match self.msg() {
            std::borrow::Cow::Borrowed(m) => push_spec_str(out, Some(m)),
            std::borrow::Cow::Owned(m) => push_str(out, &m),
        }
        if let Some(b) = self.header_byte(0) {
            push_key(out, "start_flag");
            push_hex_json(out, "0x", &[b]);
        }
        if let Some(b) = self.header_byte(1) {
            push_key(out, "data_length");
            push_u64(out, b.into());
        }
        if let (Some(a), Some(b)) = (self.header_byte(2), self.header_byte(3)) {
            push_key(out, "sequence_number");
            push_u64(out, u16::from_le_bytes([a, b]).into());
            push_key(out, "sequence_hex");
            push_hex_json(out, "", &[a, b]);
        }
        if let Some(b) = self.header_byte(4) {
            push_key(out, "encrypt_flag");
            push_hex_json(out, "0x", &[b]);
            push_key(out, "is_encrypted");
            out.extend_from_slice(if b == 0x01 { b"true" } else { b"false" });
        }
        if let Some(code) = self.code() {
            let meta = Message::meta_of(code);
            push_key(out, "frame_type");
            push_hex_json(out, "0x", &[code]);
            push_key(out, "frame_type_name");
            push_spec_str(out, meta.map(|x| x.name_zh));
            push_key(out, "frame_type_name_en");
            push_spec_str(out, meta.map(|x| x.name));
            push_key(out, "direction");
            push_spec_str(
                out,
                meta.map(|x| {
                    if x.direction == crate::Direction::Up {
                        "up"
                    } else {
                        "down"
                    }
                }),
            );
            push_key(out, "spec_section");
            push_spec_str(out, meta.map(|x| x.section));
        }
        if let Some(raw) = &self.raw {
            push_key(out, "body_length");
            push_u64(out, raw.body.len() as u64);
            push_key(out, "body_hex");
            push_hex_json(out, "", raw.body);
            let order = raw.crc_order.unwrap_or(CrcOrder::LowFirst);
            push_key(out, "crc16_received");
            push_hex_json(out, "0x", &raw.crc);
            push_key(out, "crc16_calculated");
            push_hex_json(out, "0x", &order.bytes(raw.computed));
            push_key(out, "crc16_valid");
            out.extend_from_slice(if raw.crc_order.is_some() {
                b"true"
            } else {
                b"false"
            });
            push_key(out, "crc16_byte_order");
            push_spec_str(out, raw.crc_order.map(CrcOrder::as_str));
        }
        push_key(out, "body_data");
        match &self.body {
            Some(Body::Plain(msg)) => msg.write_json(out),
            Some(Body::Encrypted(b)) => {
                out.extend_from_slice(b"{\"encrypted\":");
                push_hex_json(out, "", b);
                out.push(b'}');
            }
            None => out.extend_from_slice(b"null"),
        }
        let errors: Vec<String> = self.error.iter().map(|e| describe(e, self.lang)).collect();
        push_key(out, "errors");
        push_strings(out, &errors);
        push_key(out, "warnings");
        push_strings(out, &self.warning_texts());
        if self.error.is_some() {
            push_key(out, "partial_data");
            let _ = serde_json::to_writer(&mut *out, &self.partial());
        }
        out.push(b'}');
    }
}

impl Serialize for Envelope<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = Vec::with_capacity(1024);
        self.write_json(&mut buf);
        let text = String::from_utf8(buf).map_err(serde::ser::Error::custom)?;
        serde_json::value::RawValue::from_string(text)
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }
}

impl Envelope<'_> {
    /// Everything decodable before the failure: the fields of the body that fit.
    fn partial(&self) -> serde_json::Value {
        let (Some(raw), Some(meta)) = (&self.raw, self.code().and_then(Message::meta_of)) else {
            return serde_json::Value::Null;
        };
        serde_json::Value::Object(crate::value::partial(meta.fields, raw.body))
    }
}

/// The text of an error in `lang`.
pub fn describe(e: &Error, lang: Lang) -> String {
    if lang == Lang::En {
        return e.to_string();
    }
    match e {
        Error::Empty => "报文为空".into(),
        Error::TooShort { len } => format!("报文长度过短: {len}字节，最少需要8字节"),
        Error::BadStart { found, offset } => {
            format!("起始标志错误: 第{offset}字节为0x{found:02X}，应为0x68")
        }
        Error::BadLength {
            declared,
            needed,
            available,
        } => {
            format!("数据长度不符: 长度字节为{declared}，整帧需要{needed}字节，实际{available}字节")
        }
        Error::BadCrc { received, computed } => {
            format!(
                "CRC校验失败: 收到{:#}，计算值0x{computed:04X}",
                Upper(received)
            )
        }
        Error::BadEncryptFlag { flag, code } => {
            format!("加密标志错误: 0x{flag:02X}（帧类型0x{code:02X}），应为0x00或0x01")
        }
        Error::UnknownType { code } => format!("未知帧类型0x{code:02X}"),
        Error::BodyLength {
            code,
            frame,
            section,
            expected,
            got,
        } => {
            format!("消息体长度不符: 帧0x{code:02X} {frame}（§{section}）消息体{got}字节，协议表为{expected}字节")
        }
        Error::Field {
            code,
            frame,
            section,
            field,
            offset,
            reason,
        } => {
            format!("帧0x{code:02X} {frame}（§{section}）字段{field}（第{offset}字节）: {reason}")
        }
        Error::Json { field, reason } => format!("字段{field}: {reason}"),
        Error::Hex { reason } => format!("输入不是十六进制: {reason}"),
        Error::Dropped { bytes, reason } => format!("丢弃{bytes}字节（{reason}）"),
        Error::TooLong { code, len } => format!("帧0x{code:02X}消息体{len}字节，超过251字节"),
    }
}

/// The text of a warning in `lang`.
pub fn describe_warning(w: &Warning, raw: Option<&RawFrame<'_>>, lang: Lang) -> String {
    if w.kind == WarningKind::BadCrc {
        if let Some(r) = raw {
            let (lo, hi) = (
                CrcOrder::LowFirst.bytes(r.computed),
                CrcOrder::HighFirst.bytes(r.computed),
            );
            return match lang {
                Lang::Zh => format!("CRC校验失败: 收到{:#}，计算值{:#}（低字节在前）或{:#}（高字节在前）", Upper(&r.crc), Upper(&lo), Upper(&hi)),
                Lang::En => format!("CRC mismatch: received {:#}, expected {:#} (low byte first) or {:#} (high byte first)", Upper(&r.crc), Upper(&lo), Upper(&hi)),
            };
        }
    }
    if lang == Lang::En {
        return w.to_string();
    }
    let what = match &w.kind {
        WarningKind::NonDecimalBcd => "BCD码含非十进制数字（按十六进制保留）".to_string(),
        WarningKind::InvalidTime => "CP56Time2a时间无效（保留原始字节）".to_string(),
        WarningKind::TrailingBytes { count } => format!("消息体超出协议表{count}字节（原样保留）"),
        WarningKind::AltLayout { layout } => format!("按备用布局{layout}解析"),
        WarningKind::ShortItems => "条目缺少协议表所列字节（容错解析）".to_string(),
        WarningKind::BadCrc => "CRC校验失败".to_string(),
    };
    if w.field.is_empty() {
        format!("第{}字节: {what}", w.offset)
    } else {
        format!("字段{}（第{}字节）: {what}", w.field, w.offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_sample_envelope_has_the_parser_keys() {
        let (env, used) = Envelope::parse(&crate::golden::LOGIN_RESPONSE, Lang::Zh);
        assert_eq!(used, 16);
        let v = serde_json::to_value(&env).unwrap_or_default();
        assert_eq!(v["code"], 200);
        assert_eq!(v["msg"], "解析成功");
        assert_eq!(v["start_flag"], "0x68");
        assert_eq!(v["frame_type"], "0x02");
        assert_eq!(v["frame_type_name"], "登录认证应答");
        assert_eq!(v["crc16_received"], "0xDA4C");
        assert_eq!(v["crc16_calculated"], "0xDA4C");
        assert_eq!(v["crc16_valid"], true);
        assert_eq!(v["body_data"]["pile_code"], "55031412782305");
        assert!(v.get("partial_data").is_none());
    }

    #[test]
    fn short_input_message_matches_the_parser() {
        let (env, _) = Envelope::parse(&[0x68, 0x22, 0x00], Lang::Zh);
        let v = serde_json::to_value(&env).unwrap_or_default();
        assert_eq!(v["code"], 500);
        assert_eq!(v["msg"], "解析失败: 报文长度过短: 3字节，最少需要8字节");
    }
}
