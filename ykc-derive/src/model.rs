//! Parsing `#[ykc(...)]` attributes into a validated model.
//!
//! Errors are collected (one per bad attribute) and reported together.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Expr, Fields, Ident, LitInt, LitStr, Path, Type};

/// Wire layout of a field.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Bcd,
    Uint,
    Ascii,
    Bytes,
    Cp56Time,
    Bits,
    Group,
    /// Bytes beyond the table (frames with `trailing`).
    Trailing,
    /// True when the alternative layout was read.
    Layout,
}

impl Kind {
    fn from_ident(id: &Ident) -> Option<Kind> {
        Some(match id.to_string().as_str() {
            "bcd" => Kind::Bcd,
            "uint" => Kind::Uint,
            "ascii" => Kind::Ascii,
            "bytes" => Kind::Bytes,
            "cp56time" => Kind::Cp56Time,
            "bits" => Kind::Bits,
            "group" => Kind::Group,
            "trailing" => Kind::Trailing,
            "layout" => Kind::Layout,
            _ => return None,
        })
    }

    /// The `ykc::meta::FieldKind` variant name.
    pub fn meta_name(self) -> &'static str {
        match self {
            Kind::Bcd => "Bcd",
            Kind::Uint => "Uint",
            Kind::Ascii => "Ascii",
            Kind::Bytes => "Bytes",
            Kind::Trailing => "Trailing",
            Kind::Layout => "Layout",
            Kind::Cp56Time => "Cp56Time",
            Kind::Bits => "Bits",
            Kind::Group => "Group",
        }
    }
}

/// How many times a field occurs.
#[derive(Clone, Debug)]
pub enum Repeat {
    Once,
    Fixed(usize),
    Count(Ident),
    Rest,
}

/// One annotated field.
pub struct Field {
    pub ident: Ident,
    pub ty: Type,
    pub kind: Kind,
    pub len: usize,
    pub alt_len: Option<usize>,
    pub repeat: Repeat,
    pub max: usize,
    pub short_items: bool,
    pub name_zh: String,
    pub note_zh: String,
    pub decimals: u32,
    pub offset: i64,
    pub unit: String,
    pub null_when_zero: bool,
    pub reversed: bool,
    pub bits: Option<Path>,
    pub enumeration: bool,
    pub go: String,
    pub go_bool: Option<(String, String)>,
    /// Set when a later group takes its count from this field.
    pub counts: Option<Ident>,
}

/// Frame-level attributes (only for `#[derive(Frame)]`).
pub struct FrameAttrs {
    pub code: u8,
    pub name: String,
    pub name_zh: String,
    pub section: String,
    pub up: bool,
    pub reply: Option<u8>,
    pub trailing: bool,
    pub alt_layout: Option<(String, usize)>,
    pub answer: Option<Path>,
    pub role: Option<String>,
}

/// A struct to derive for.
pub struct Record {
    pub ident: Ident,
    pub vis: syn::Visibility,
    pub fields: Vec<Field>,
    pub frame: Option<FrameAttrs>,
}

/// Collects errors so all of them are reported at once (serde_derive style).
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }
    fn at(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.push(syn::Error::new(span, msg));
    }
    fn finish<T>(self, v: T) -> syn::Result<T> {
        match self.0 {
            Some(e) => Err(e),
            None => Ok(v),
        }
    }
}

fn lit_int<T: std::str::FromStr>(e: &Expr) -> syn::Result<T>
where
    T::Err: std::fmt::Display,
{
    match e {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse(),
        Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) => {
            let inner: LitInt = syn::parse2(quote::quote!(#expr))?;
            format!("-{}", inner.base10_digits())
                .parse()
                .map_err(|e: T::Err| syn::Error::new(inner.span(), e))
        }
        other => Err(syn::Error::new(other.span(), "expected an integer literal")),
    }
}

fn lit_str(e: &Expr) -> syn::Result<String> {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Ok(s.value()),
        other => Err(syn::Error::new(other.span(), "expected a string literal")),
    }
}

/// Visits every `key` or `key = value` item of the `#[ykc(...)]` attributes.
fn each_item(
    attrs: &[syn::Attribute],
    mut f: impl FnMut(&Path, Option<&Expr>) -> syn::Result<()>,
) -> syn::Result<()> {
    let mut errs = Errors::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("ykc")) {
        let res = attr.parse_nested_meta(|meta| {
            let value = if meta.input.peek(syn::Token![=]) {
                Some(meta.value()?.parse::<Expr>()?)
            } else {
                None
            };
            if let Err(e) = f(&meta.path, value.as_ref()) {
                errs.push(e);
            }
            Ok(())
        });
        if let Err(e) = res {
            errs.push(e);
        }
    }
    errs.finish(())
}

fn need<'a>(path: &Path, v: Option<&'a Expr>) -> syn::Result<&'a Expr> {
    v.ok_or_else(|| syn::Error::new(path.span(), format!("`{}` needs a value", path_name(path))))
}

fn path_name(p: &Path) -> String {
    p.get_ident().map(|i| i.to_string()).unwrap_or_default()
}

impl Field {
    fn parse(f: &syn::Field, errs: &mut Errors) -> Option<Field> {
        let ident = f.ident.clone()?;
        let mut field = Field {
            ident: ident.clone(),
            ty: f.ty.clone(),
            kind: Kind::Bytes,
            len: 0,
            alt_len: None,
            repeat: Repeat::Once,
            max: 0,
            short_items: false,
            name_zh: String::new(),
            note_zh: String::new(),
            decimals: 0,
            offset: 0,
            unit: String::new(),
            null_when_zero: false,
            reversed: false,
            bits: None,
            enumeration: false,
            go: String::new(),
            go_bool: None,
            counts: None,
        };
        let mut kind = None;
        let mut len = None;
        let res = each_item(&f.attrs, |p, v| {
            let key = path_name(p);
            if let Some(k) = p.get_ident().and_then(Kind::from_ident) {
                if v.is_some() {
                    return Err(syn::Error::new(p.span(), format!("`{key}` takes no value")));
                }
                if kind.replace(k).is_some() {
                    return Err(syn::Error::new(
                        p.span(),
                        "a field has exactly one wire type",
                    ));
                }
                return Ok(());
            }
            match key.as_str() {
                "len" => len = Some(lit_int::<usize>(need(p, v)?)?),
                "alt_len" => field.alt_len = Some(lit_int(need(p, v)?)?),
                "repeat" => field.repeat = Repeat::Fixed(lit_int(need(p, v)?)?),
                "count" => {
                    let name = lit_str(need(p, v)?)?;
                    field.repeat = Repeat::Count(Ident::new(&name, p.span()));
                }
                "rest" => field.repeat = Repeat::Rest,
                "short_items" => field.short_items = true,
                "max" => field.max = lit_int(need(p, v)?)?,
                "name_zh" => field.name_zh = lit_str(need(p, v)?)?,
                "note_zh" => field.note_zh = lit_str(need(p, v)?)?,
                "decimals" => field.decimals = lit_int(need(p, v)?)?,
                "offset" => field.offset = lit_int(need(p, v)?)?,
                "unit" => field.unit = lit_str(need(p, v)?)?,
                "null_when_zero" => field.null_when_zero = true,
                "reversed" => field.reversed = true,
                "enumeration" => field.enumeration = true,
                "go" => field.go = lit_str(need(p, v)?)?,
                "go_bool" => {
                    let text = lit_str(need(p, v)?)?;
                    let (t, f) = text.split_once(',').ok_or_else(|| {
                        syn::Error::new(p.span(), "go_bool = \"if_true,if_false\"")
                    })?;
                    field.go_bool = Some((t.trim().to_string(), f.trim().to_string()));
                }
                "bit_table" => field.bits = Some(syn::parse_str(&lit_str(need(p, v)?)?)?),
                _ => {
                    return Err(syn::Error::new(
                        p.span(),
                        format!("unknown ykc field attribute `{key}`"),
                    ))
                }
            }
            Ok(())
        });
        if let Err(e) = res {
            errs.push(e);
        }
        let Some(kind) = kind else {
            errs.at(ident.span(), format!("field `{ident}` needs a wire type: #[ykc(bcd|uint|ascii|bytes|cp56time|bits|group|trailing|layout, ...)]"));
            return None;
        };
        field.kind = kind;
        field.len = len.unwrap_or(0);
        field.validate(errs);
        Some(field)
    }

    fn validate(&self, errs: &mut Errors) {
        let span = self.ident.span();
        let sized = !matches!(self.kind, Kind::Group | Kind::Trailing | Kind::Layout);
        if sized && self.len == 0 {
            errs.at(
                span,
                format!("field `{}` needs `len = N` (bytes on the wire)", self.ident),
            );
        }
        if self.kind == Kind::Cp56Time && self.len != 7 {
            errs.at(span, "cp56time fields are 7 bytes");
        }
        if matches!(self.kind, Kind::Uint | Kind::Bits) && self.len > 8 {
            errs.at(span, "uint and bits fields hold at most 8 bytes");
        }
        if (self.decimals > 0 || self.offset != 0 || self.null_when_zero) && self.kind != Kind::Uint
        {
            errs.at(
                span,
                "decimals/offset/null_when_zero apply to uint fields only",
            );
        }
        if self.kind == Kind::Group && matches!(self.repeat, Repeat::Once | Repeat::Fixed(_)) {
            errs.at(span, "group fields need `count = \"field\"` or `rest`");
        }
        if self.kind != Kind::Group && matches!(self.repeat, Repeat::Count(_) | Repeat::Rest) {
            errs.at(span, "`count`/`rest` apply to group fields only");
        }
        if self.bits.is_some() != (self.kind == Kind::Bits) {
            errs.at(
                span,
                "bits fields take `bit_table = \"PATH\"` and only they do",
            );
        }
    }

    /// The element type: `T` of `Vec<T>` for repeated fields, else the field type.
    pub fn elem_ty(&self) -> Type {
        if let Type::Path(tp) = &self.ty {
            if let Some(seg) = tp.path.segments.last() {
                if seg.ident == "Vec" {
                    if let syn::PathArguments::AngleBracketed(a) = &seg.arguments {
                        if let Some(syn::GenericArgument::Type(t)) = a.args.first() {
                            return t.clone();
                        }
                    }
                }
            }
        }
        self.ty.clone()
    }

    /// True for fields that occupy a fixed place in the table.
    pub fn is_fixed(&self) -> bool {
        !matches!(self.kind, Kind::Group | Kind::Trailing | Kind::Layout)
    }

    /// How many values a fixed field holds.
    pub fn count(&self) -> usize {
        match self.repeat {
            Repeat::Fixed(n) => n,
            _ => 1,
        }
    }
}

impl FrameAttrs {
    fn parse(input: &DeriveInput, errs: &mut Errors) -> FrameAttrs {
        let mut a = FrameAttrs {
            code: 0,
            name: String::new(),
            name_zh: String::new(),
            section: String::new(),
            up: true,
            reply: None,
            trailing: false,
            alt_layout: None,
            answer: None,
            role: None,
        };
        let (mut code, mut alt_name, mut alt_len) = (None, None, None);
        let res = each_item(&input.attrs, |p, v| {
            match path_name(p).as_str() {
                "code" => code = Some(lit_int::<u8>(need(p, v)?)?),
                "name" => a.name = lit_str(need(p, v)?)?,
                "name_zh" => a.name_zh = lit_str(need(p, v)?)?,
                "section" => a.section = lit_str(need(p, v)?)?,
                "direction" => {
                    let d = lit_str(need(p, v)?)?;
                    a.up = match d.as_str() {
                        "up" => true,
                        "down" => false,
                        _ => {
                            return Err(syn::Error::new(
                                p.span(),
                                "direction is \"up\" or \"down\"",
                            ))
                        }
                    }
                }
                "reply" => a.reply = Some(lit_int(need(p, v)?)?),
                "trailing" => a.trailing = true,
                "alt_layout" => alt_name = Some(lit_str(need(p, v)?)?),
                "alt_body_len" => alt_len = Some(lit_int::<usize>(need(p, v)?)?),
                "answer" => a.answer = Some(syn::parse_str(&lit_str(need(p, v)?)?)?),
                "role" => {
                    let r = lit_str(need(p, v)?)?;
                    const ROLES: [&str; 6] = [
                        "login",
                        "heartbeat",
                        "billing_model_verify",
                        "billing_model_request",
                        "transaction_record",
                        "time_sync",
                    ];
                    if !ROLES.contains(&r.as_str()) {
                        return Err(syn::Error::new(
                            p.span(),
                            format!("role is one of {ROLES:?}"),
                        ));
                    }
                    a.role = Some(r);
                }
                other => {
                    return Err(syn::Error::new(
                        p.span(),
                        format!("unknown ykc frame attribute `{other}`"),
                    ))
                }
            }
            Ok(())
        });
        if let Err(e) = res {
            errs.push(e);
        }
        match code {
            Some(c) => a.code = c,
            None => errs.at(input.ident.span(), "#[derive(Frame)] needs #[ykc(code = 0x.., name = \"..\", section = \"..\", direction = \"up\"|\"down\")]"),
        }
        if a.name.is_empty() {
            a.name = input.ident.to_string();
        }
        match (alt_name, alt_len) {
            (Some(n), Some(l)) => a.alt_layout = Some((n, l)),
            (None, None) => {}
            _ => errs.at(
                input.ident.span(),
                "alt_layout and alt_body_len go together",
            ),
        }
        a
    }
}

impl Record {
    /// Parses and validates the struct.
    pub fn parse(input: &DeriveInput, is_frame: bool) -> syn::Result<Record> {
        let mut errs = Errors::default();
        let Data::Struct(data) = &input.data else {
            return Err(syn::Error::new(
                input.ident.span(),
                "ykc derives apply to structs with named fields",
            ));
        };
        let Fields::Named(named) = &data.fields else {
            return Err(syn::Error::new(
                input.ident.span(),
                "ykc derives apply to structs with named fields",
            ));
        };
        if !input.generics.params.is_empty() {
            errs.at(
                input.generics.span(),
                "ykc derives do not support generic structs",
            );
        }
        let frame = is_frame.then(|| FrameAttrs::parse(input, &mut errs));
        let mut fields: Vec<Field> = named
            .named
            .iter()
            .filter_map(|f| Field::parse(f, &mut errs))
            .collect();
        check_layout(&mut fields, frame.as_ref(), is_frame, &mut errs);
        errs.finish(Record {
            ident: input.ident.clone(),
            vis: input.vis.clone(),
            fields,
            frame,
        })
    }
}

/// Whole-struct rules: a group comes last, its count field precedes it, specials belong to frames.
fn check_layout(
    fields: &mut [Field],
    frame: Option<&FrameAttrs>,
    is_frame: bool,
    errs: &mut Errors,
) {
    let mut seen_group = false;
    for i in 0..fields.len() {
        let (before, rest) = fields.split_at_mut(i);
        let Some(f) = rest.first() else { continue };
        if seen_group && f.is_fixed() {
            errs.at(
                f.ident.span(),
                "fields after a group are not supported: a group ends the body",
            );
        }
        if f.kind == Kind::Group {
            if !is_frame {
                errs.at(
                    f.ident.span(),
                    "groups can only appear in frames, not in items",
                );
            }
            seen_group = true;
            if let Repeat::Count(c) = &f.repeat {
                match before.iter_mut().find(|b| &b.ident == c) {
                    Some(b) if b.kind == Kind::Uint => b.counts = Some(f.ident.clone()),
                    Some(b) => errs.at(b.ident.span(), "a count field must be a uint"),
                    None => errs.at(
                        c.span(),
                        format!("count field `{c}` must come before the group"),
                    ),
                }
            }
        }
        if matches!(f.kind, Kind::Trailing | Kind::Layout) && !is_frame {
            errs.at(f.ident.span(), "trailing/layout fields belong to frames");
        }
        if f.kind == Kind::Trailing && !frame.is_some_and(|a| a.trailing) {
            errs.at(
                f.ident.span(),
                "a `trailing` field needs #[ykc(trailing)] on the frame",
            );
        }
        if f.kind == Kind::Layout && frame.and_then(|a| a.alt_layout.as_ref()).is_none() {
            errs.at(
                f.ident.span(),
                "a `layout` field needs #[ykc(alt_layout = .., alt_body_len = ..)] on the frame",
            );
        }
        if f.alt_len.is_some() && is_frame && frame.and_then(|a| a.alt_layout.as_ref()).is_none() {
            errs.at(
                f.ident.span(),
                "`alt_len` needs #[ykc(alt_layout = ..)] on the frame",
            );
        }
    }
}

/// A string literal token for emitted code.
pub fn lit(s: &str) -> LitStr {
    LitStr::new(s, Span::call_site())
}
