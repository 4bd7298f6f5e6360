//! Parsing `#[ykc(...)]` attributes into a validated model (serde_derive style).
//!
//! Each attribute is read into an [`Attr`], which remembers where it was written: a repeated
//! attribute is an error, and a rule an attribute breaks is reported at that attribute. Errors are
//! collected and reported together.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Expr, Fields, Ident, LitInt, LitStr, Path, Type};
pub use ykc_vocab::{Direction, FieldKind as Kind, Role};

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
    /// Where the wire type was written: whole-field errors point here.
    pub kind_span: Span,
    pub len: usize,
    pub alt_len: Option<usize>,
    /// Where `alt_len` was written.
    pub alt_len_span: Span,
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
    /// Part of the pile's identity (spec `identity: true`).
    pub identity: bool,
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
    pub direction: Direction,
    pub reply: Option<u8>,
    pub trailing: bool,
    pub alt_layout: Option<(String, usize)>,
    pub answer: Option<Path>,
    pub role: Option<Role>,
}

/// A struct to derive for.
pub struct Record {
    pub ident: Ident,
    pub vis: syn::Visibility,
    pub fields: Vec<Field>,
    pub frame: Option<FrameAttrs>,
}

/// One attribute's value and where it was written (serde_derive's `Attr<T>`): a second
/// occurrence is an error at that occurrence, and rules the value breaks point at [`Attr::span`].
struct Attr<T> {
    value: Option<(&'static str, Span, T)>,
}

impl<T> Attr<T> {
    fn none() -> Self {
        Attr { value: None }
    }

    /// Records `key = value` written at `span`; `key` names the attribute in errors.
    fn set(&mut self, key: &'static str, span: Span, value: T) -> syn::Result<()> {
        match &self.value {
            Some((prev, _, _)) if *prev == key => Err(syn::Error::new(
                span,
                format!("duplicate ykc attribute `{key}`"),
            )),
            Some((prev, _, _)) => Err(syn::Error::new(
                span,
                format!("`{key}` conflicts with the earlier `{prev}`"),
            )),
            None => {
                self.value = Some((key, span, value));
                Ok(())
            }
        }
    }

    fn get(&self) -> Option<&T> {
        self.value.as_ref().map(|(_, _, v)| v)
    }

    fn span(&self) -> Option<Span> {
        self.value.as_ref().map(|(_, s, _)| *s)
    }

    fn into_value(self) -> Option<T> {
        self.value.map(|(_, _, v)| v)
    }
}

impl Attr<()> {
    fn flag(&mut self, key: &'static str, path: &Path, v: Option<&Expr>) -> syn::Result<()> {
        if v.is_some() {
            return Err(syn::Error::new(
                path.span(),
                format!("`{key}` takes no value"),
            ));
        }
        self.set(key, path.span(), ())
    }

    fn is_set(&self) -> bool {
        self.value.is_some()
    }
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

/// The attribute's key as written (`len`, or `a::b` for a path, which no rule accepts).
fn path_name(p: &Path) -> String {
    quote::quote!(#p).to_string().replace(' ', "")
}

/// The `#[ykc(...)]` attributes of one field, each with where it was written.
struct FieldAttrs {
    kind: Attr<Kind>,
    len: Attr<usize>,
    alt_len: Attr<usize>,
    repeat: Attr<Repeat>,
    max: Attr<usize>,
    short_items: Attr<()>,
    name_zh: Attr<String>,
    note_zh: Attr<String>,
    decimals: Attr<u32>,
    offset: Attr<i64>,
    unit: Attr<String>,
    null_when_zero: Attr<()>,
    reversed: Attr<()>,
    identity: Attr<()>,
    bit_table: Attr<Path>,
    enumeration: Attr<()>,
    go: Attr<String>,
    go_bool: Attr<(String, String)>,
}

impl FieldAttrs {
    fn parse(attrs: &[syn::Attribute]) -> (FieldAttrs, syn::Result<()>) {
        let mut a = FieldAttrs {
            kind: Attr::none(),
            len: Attr::none(),
            alt_len: Attr::none(),
            repeat: Attr::none(),
            max: Attr::none(),
            short_items: Attr::none(),
            name_zh: Attr::none(),
            note_zh: Attr::none(),
            decimals: Attr::none(),
            offset: Attr::none(),
            unit: Attr::none(),
            null_when_zero: Attr::none(),
            reversed: Attr::none(),
            identity: Attr::none(),
            bit_table: Attr::none(),
            enumeration: Attr::none(),
            go: Attr::none(),
            go_bool: Attr::none(),
        };
        let res = each_item(attrs, |p, v| a.item(p, v));
        (a, res)
    }

    /// Reads one `key` or `key = value` item.
    fn item(&mut self, p: &Path, v: Option<&Expr>) -> syn::Result<()> {
        let key = path_name(p);
        let span = p.span();
        if let Ok(k) = key.parse::<Kind>() {
            if v.is_some() {
                return Err(syn::Error::new(span, format!("`{key}` takes no value")));
            }
            if self.kind.get().is_some() {
                return Err(syn::Error::new(span, "a field has exactly one wire type"));
            }
            return self.kind.set("wire type", span, k);
        }
        match key.as_str() {
            "len" => self.len.set("len", span, lit_int(need(p, v)?)?),
            "alt_len" => self.alt_len.set("alt_len", span, lit_int(need(p, v)?)?),
            "repeat" => self
                .repeat
                .set("repeat", span, Repeat::Fixed(lit_int(need(p, v)?)?)),
            "count" => {
                let name = lit_str(need(p, v)?)?;
                let ident = syn::parse_str::<Ident>(&name)
                    .map_err(|_| syn::Error::new(span, "`count` names a field"))?;
                let ident = Ident::new(&ident.to_string(), span);
                self.repeat.set("count", span, Repeat::Count(ident))
            }
            "rest" => {
                if v.is_some() {
                    return Err(syn::Error::new(span, "`rest` takes no value"));
                }
                self.repeat.set("rest", span, Repeat::Rest)
            }
            "short_items" => self.short_items.flag("short_items", p, v),
            "max" => self.max.set("max", span, lit_int(need(p, v)?)?),
            "name_zh" => self.name_zh.set("name_zh", span, lit_str(need(p, v)?)?),
            "note_zh" => self.note_zh.set("note_zh", span, lit_str(need(p, v)?)?),
            "decimals" => self.decimals.set("decimals", span, lit_int(need(p, v)?)?),
            "offset" => self.offset.set("offset", span, lit_int(need(p, v)?)?),
            "unit" => self.unit.set("unit", span, lit_str(need(p, v)?)?),
            "null_when_zero" => self.null_when_zero.flag("null_when_zero", p, v),
            "reversed" => self.reversed.flag("reversed", p, v),
            "identity" => self.identity.flag("identity", p, v),
            "enumeration" => self.enumeration.flag("enumeration", p, v),
            "go" => self.go.set("go", span, lit_str(need(p, v)?)?),
            "go_bool" => {
                let text = lit_str(need(p, v)?)?;
                let (t, f) = text
                    .split_once(',')
                    .ok_or_else(|| syn::Error::new(span, "go_bool = \"if_true,if_false\""))?;
                let pair = (t.trim().to_string(), f.trim().to_string());
                self.go_bool.set("go_bool", span, pair)
            }
            "bit_table" => {
                let path = syn::parse_str(&lit_str(need(p, v)?)?)?;
                self.bit_table.set("bit_table", span, path)
            }
            _ => Err(syn::Error::new(
                span,
                format!("unknown ykc field attribute `{key}`"),
            )),
        }
    }

    /// Per-field rules; each error points at the attribute that breaks it.
    fn validate(&self, ident: &Ident, kind: Kind, kind_span: Span, errs: &mut Errors) {
        let len = self.len.get().copied().unwrap_or(0);
        let len_span = self.len.span().unwrap_or(kind_span);
        if kind.is_fixed() && len == 0 {
            errs.at(
                len_span,
                format!("field `{ident}` needs `len = N` (bytes on the wire)"),
            );
        }
        if kind == Kind::Cp56Time && len != 7 {
            errs.at(len_span, "cp56time fields are 7 bytes");
        }
        if matches!(kind, Kind::Uint | Kind::Bits) && len > 8 {
            errs.at(len_span, "uint and bits fields hold at most 8 bytes");
        }
        if kind != Kind::Uint {
            let scaled = [
                self.decimals
                    .span()
                    .filter(|_| self.decimals.get() != Some(&0)),
                self.offset.span().filter(|_| self.offset.get() != Some(&0)),
                self.null_when_zero.span(),
            ];
            for span in scaled.into_iter().flatten() {
                errs.at(
                    span,
                    "decimals/offset/null_when_zero apply to uint fields only",
                );
            }
        }
        match (kind, self.repeat.get()) {
            (Kind::Group, None | Some(Repeat::Once | Repeat::Fixed(_))) => errs.at(
                self.repeat.span().unwrap_or(kind_span),
                "group fields need `count = \"field\"` or `rest`",
            ),
            (Kind::Group, _) => {}
            (_, Some(Repeat::Count(_) | Repeat::Rest)) => errs.at(
                self.repeat.span().unwrap_or(kind_span),
                "`count`/`rest` apply to group fields only",
            ),
            _ => {}
        }
        match (kind, self.bit_table.span()) {
            (Kind::Bits, None) => errs.at(kind_span, "bits fields take `bit_table = \"PATH\"`"),
            (Kind::Bits, Some(_)) | (_, None) => {}
            (_, Some(span)) => errs.at(span, "only bits fields take `bit_table`"),
        }
    }
}

impl Field {
    fn parse(f: &syn::Field, errs: &mut Errors) -> Option<Field> {
        let ident = f.ident.clone()?;
        let (a, res) = FieldAttrs::parse(&f.attrs);
        if let Err(e) = res {
            errs.push(e);
        }
        let (Some(&kind), Some(kind_span)) = (a.kind.get(), a.kind.span()) else {
            errs.at(
                ident.span(),
                format!(
                    "field `{ident}` needs a wire type: #[ykc({}, ...)]",
                    Kind::NAMES.join("|")
                ),
            );
            return None;
        };
        a.validate(&ident, kind, kind_span, errs);
        Some(Field {
            ident,
            ty: f.ty.clone(),
            kind,
            kind_span,
            len: a.len.get().copied().unwrap_or(0), // validated above: 0 only where no length applies
            alt_len_span: a.alt_len.span().unwrap_or(kind_span),
            alt_len: a.alt_len.into_value(),
            repeat: a.repeat.into_value().unwrap_or(Repeat::Once),
            max: a.max.into_value().unwrap_or(0), // 0 = the table states no maximum
            short_items: a.short_items.is_set(),
            name_zh: a.name_zh.into_value().unwrap_or_default(), // optional text: empty = none
            note_zh: a.note_zh.into_value().unwrap_or_default(),
            decimals: a.decimals.into_value().unwrap_or(0),
            offset: a.offset.into_value().unwrap_or(0),
            unit: a.unit.into_value().unwrap_or_default(),
            null_when_zero: a.null_when_zero.is_set(),
            reversed: a.reversed.is_set(),
            identity: a.identity.is_set(),
            bits: a.bit_table.into_value(),
            enumeration: a.enumeration.is_set(),
            go: a.go.into_value().unwrap_or_default(), // "" = no Go name
            go_bool: a.go_bool.into_value(),
            counts: None,
        })
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
        self.kind.is_fixed()
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
        let mut code = Attr::none();
        let mut name = Attr::none();
        let mut name_zh = Attr::none();
        let mut section = Attr::none();
        let mut direction = Attr::none();
        let mut reply = Attr::none();
        let mut trailing = Attr::<()>::none();
        let mut alt_name = Attr::none();
        let mut alt_len = Attr::none();
        let mut answer = Attr::none();
        let mut role = Attr::none();
        let res = each_item(&input.attrs, |p, v| {
            let span = p.span();
            match path_name(p).as_str() {
                "code" => code.set("code", span, lit_int::<u8>(need(p, v)?)?),
                "name" => name.set("name", span, lit_str(need(p, v)?)?),
                "name_zh" => name_zh.set("name_zh", span, lit_str(need(p, v)?)?),
                "section" => section.set("section", span, lit_str(need(p, v)?)?),
                "direction" => {
                    let d = lit_str(need(p, v)?)?.parse::<Direction>();
                    // A misspelt direction is reported here, once: the placeholder keeps the
                    // "needs direction" check quiet.
                    direction.set("direction", span, *d.as_ref().unwrap_or(&Direction::Up))?;
                    d.map(drop).map_err(|e| syn::Error::new(span, e))
                }
                "reply" => reply.set("reply", span, lit_int(need(p, v)?)?),
                "trailing" => trailing.flag("trailing", p, v),
                "alt_layout" => alt_name.set("alt_layout", span, lit_str(need(p, v)?)?),
                "alt_body_len" => alt_len.set("alt_body_len", span, lit_int::<usize>(need(p, v)?)?),
                "answer" => {
                    let path: Path = syn::parse_str(&lit_str(need(p, v)?)?)?;
                    answer.set("answer", span, path)
                }
                "role" => {
                    let r = lit_str(need(p, v)?)?.parse::<Role>();
                    role.set("role", span, r.map_err(|e| syn::Error::new(span, e))?)
                }
                other => Err(syn::Error::new(
                    span,
                    format!("unknown ykc frame attribute `{other}`"),
                )),
            }
        });
        if let Err(e) = res {
            errs.push(e);
        }
        let needs = "#[derive(Frame)] needs #[ykc(code = 0x.., name = \"..\", section = \"..\", direction = \"up\"|\"down\")]";
        if code.get().is_none() || direction.get().is_none() {
            errs.at(input.ident.span(), needs);
        }
        let alt_layout = match (alt_name.span(), alt_len.span()) {
            (Some(_), None) | (None, Some(_)) => {
                let span = alt_name
                    .span()
                    .or(alt_len.span())
                    .unwrap_or(input.ident.span());
                errs.at(span, "alt_layout and alt_body_len go together");
                None
            }
            _ => alt_name.into_value().zip(alt_len.into_value()),
        };
        FrameAttrs {
            code: code.into_value().unwrap_or(0), // missing: reported above
            name: name.into_value().unwrap_or_else(|| input.ident.to_string()),
            name_zh: name_zh.into_value().unwrap_or_default(), // optional text
            section: section.into_value().unwrap_or_default(),
            direction: direction.into_value().unwrap_or(Direction::Up), // missing: reported above
            reply: reply.into_value(),
            trailing: trailing.is_set(),
            alt_layout,
            answer: answer.into_value(),
            role: role.into_value(),
        }
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
    let has_alt = frame.is_some_and(|a| a.alt_layout.is_some());
    for i in 0..fields.len() {
        let (before, rest) = fields.split_at_mut(i);
        let Some(f) = rest.first() else { continue };
        if seen_group && f.is_fixed() {
            errs.at(
                f.kind_span,
                "fields after a group are not supported: a group ends the body",
            );
        }
        if f.kind == Kind::Group {
            if !is_frame {
                errs.at(
                    f.kind_span,
                    "groups can only appear in frames, not in items",
                );
            }
            seen_group = true;
            if let Repeat::Count(c) = &f.repeat {
                match before.iter_mut().find(|b| &b.ident == c) {
                    Some(b) if b.kind == Kind::Uint => b.counts = Some(f.ident.clone()),
                    Some(b) => errs.at(b.kind_span, "a count field must be a uint"),
                    None => errs.at(
                        c.span(),
                        format!("count field `{c}` must come before the group"),
                    ),
                }
            }
        }
        if matches!(f.kind, Kind::Trailing | Kind::Layout) && !is_frame {
            errs.at(f.kind_span, "trailing/layout fields belong to frames");
        }
        if f.kind == Kind::Trailing && is_frame && !frame.is_some_and(|a| a.trailing) {
            errs.at(
                f.kind_span,
                "a `trailing` field needs #[ykc(trailing)] on the frame",
            );
        }
        if f.kind == Kind::Layout && is_frame && !has_alt {
            errs.at(
                f.kind_span,
                "a `layout` field needs #[ykc(alt_layout = .., alt_body_len = ..)] on the frame",
            );
        }
        if f.alt_len.is_some() && is_frame && !has_alt {
            errs.at(
                f.alt_len_span,
                "`alt_len` needs #[ykc(alt_layout = ..)] on the frame",
            );
        }
    }
}

/// A string literal token for emitted code.
pub fn lit(s: &str) -> LitStr {
    LitStr::new(s, Span::call_site())
}
