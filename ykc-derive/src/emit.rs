//! Code generation for `#[derive(Frame)]` and `#[derive(Record)]`.
//!
//! Everything generated calls into `ykc::__private`; this file only decides
//! offsets and which helper each field needs.

use crate::model::{lit, Field, Kind, Record, Repeat};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

/// Emits the `Record` impl (and `Frame` when the struct is a frame), the view and JSON impls.
pub fn record(m: &Record) -> TokenStream {
    let ident = &m.ident;
    let metas = m.fields.iter().map(field_meta);
    let (offsets, alt_offsets) = (offsets(m, false), offsets(m, true));
    let alt_fixed_len = fixed_len(m, true);
    let fixed_len = fixed_len(m, false);
    let decode = decode_body(m);
    let encode = encode_body(m);
    let from_json = from_json(m);
    let serialize = serialize(m);
    let (view_ty, view) = view(m);
    let frame = frame_impl(m);
    quote! {
        #[doc(hidden)]
        impl #ident {
            const __OFF: &'static [usize] = &[#(#offsets),*];
            const __ALT_OFF: &'static [usize] = &[#(#alt_offsets),*];
        }
        impl ::ykc::Record for #ident {
            type View<'a> = #view_ty<'a>;
            const FIELDS: &'static [::ykc::FieldMeta] = &[#(#metas),*];
            const FIXED_LEN: usize = #fixed_len;
            const ALT_LEN: usize = #alt_fixed_len;
            fn decode_at(bytes: &[u8], base: usize, cx: &mut ::ykc::record::DecodeCx) -> ::core::result::Result<Self, ::ykc::Error> {
                #decode
            }
            fn encode_to(&self, out: &mut ::ykc::__private::bytes::BytesMut, cx: &::ykc::record::EncodeCx) -> ::core::result::Result<(), ::ykc::Error> {
                #encode
            }
            fn from_json(v: &::ykc::__private::serde_json::Value, path: &str) -> ::core::result::Result<Self, ::ykc::Error> {
                #from_json
            }
            fn view_of(bytes: &[u8]) -> #view_ty<'_> {
                #view_ty { bytes, alt: Self::__is_alt(bytes) }
            }
            fn write_json(&self, out: &mut ::std::vec::Vec<u8>) {
                self.__write_json(out)
            }
        }
        #serialize
        #view
        #frame
    }
}

/// Bytes of one fixed field in the chosen layout.
fn size(f: &Field, alt: bool) -> TokenStream {
    let len = if alt {
        f.alt_len.unwrap_or(f.len)
    } else {
        f.len
    };
    let n = f.count();
    quote!((#len * #n))
}

fn fixed_len(m: &Record, alt: bool) -> TokenStream {
    let sizes = m
        .fields
        .iter()
        .filter(|f| f.is_fixed())
        .map(|f| size(f, alt));
    quote!(0usize #(+ #sizes)*)
}

/// Offset of each field (groups and specials get the end of the fixed part).
fn offsets(m: &Record, alt: bool) -> Vec<TokenStream> {
    let mut acc = quote!(0usize);
    m.fields
        .iter()
        .map(|f| {
            let here = acc.clone();
            if f.is_fixed() {
                let s = size(f, alt);
                acc = quote!(#acc + #s);
            }
            here
        })
        .collect()
}

/// Frames with an alternative layout, and items whose fields have `alt_len` (short items).
fn has_alt(m: &Record) -> bool {
    m.frame.as_ref().is_some_and(|a| a.alt_layout.is_some())
        || m.fields.iter().any(|f| f.alt_len.is_some())
}

fn field_meta(f: &Field) -> TokenStream {
    let name = lit(&f.ident.to_string());
    let name_zh = lit(&f.name_zh);
    let note_zh = lit(&f.note_zh);
    let unit = lit(&f.unit);
    let kind = Ident::new(f.kind.variant(), Span::call_site());
    let elem = f.elem_ty();
    let len = if f.kind == Kind::Group {
        quote!(<#elem as ::ykc::Record>::FIXED_LEN)
    } else {
        let l = f.len;
        quote!(#l)
    };
    let alt_len = f.alt_len.map_or_else(|| len.clone(), |l| quote!(#l));
    let repeat = match &f.repeat {
        Repeat::Once => quote!(::ykc::meta::Repeat::Once),
        Repeat::Fixed(n) => quote!(::ykc::meta::Repeat::Fixed(#n)),
        Repeat::Count(c) => {
            let c = lit(&c.to_string());
            quote!(::ykc::meta::Repeat::CountField(#c))
        }
        Repeat::Rest => quote!(::ykc::meta::Repeat::Rest),
    };
    let (decimals, offset, nz, rev) = (f.decimals, f.offset, f.null_when_zero, f.reversed);
    let identity = f.identity;
    let bits = f.bits.as_ref().map_or_else(|| quote!(&[]), |p| quote!(#p));
    let values = if f.enumeration {
        quote!(<#elem as ::ykc::CodeEnum>::VALUES)
    } else {
        quote!(&[])
    };
    let items = if f.kind == Kind::Group {
        quote!(<#elem as ::ykc::Record>::FIELDS)
    } else {
        quote!(&[])
    };
    let go = lit(&f.go);
    let go_bool = f.go_bool.as_ref().map_or_else(
        || quote!(::core::option::Option::None),
        |(t, fl)| {
            let (t, fl) = (lit(t), lit(fl));
            quote!(::core::option::Option::Some((#t, #fl)))
        },
    );
    quote! {
        ::ykc::FieldMeta {
            name: #name, name_zh: #name_zh, kind: ::ykc::meta::FieldKind::#kind, len: #len, alt_len: #alt_len,
            repeat: #repeat, decimals: #decimals, offset: #offset, unit: #unit, null_when_zero: #nz,
            reversed: #rev, identity: #identity, bits: #bits, values: #values, items: #items, go: #go, go_bool: #go_bool, note_zh: #note_zh,
        }
    }
}

/// `(offset, len)` of field `i` in the layout the bytes use; `alt` says whether it is the
/// alternative one (`alt` in decode, `self.alt` in a view).
fn place(m: &Record, i: usize, f: &Field, alt: &TokenStream) -> (TokenStream, TokenStream) {
    let len = f.len;
    let id = &m.ident;
    if !has_alt(m) {
        return (quote!(#id::__OFF[#i]), quote!(#len));
    }
    let alt_len = f.alt_len.unwrap_or(len);
    (
        quote!(if #alt { #id::__ALT_OFF[#i] } else { #id::__OFF[#i] }),
        quote!(if #alt { #alt_len } else { #len }),
    )
}

/// The alternative layout's name (a `layout` field exists only with one; `check_layout`).
fn layout_name(m: &Record) -> syn::LitStr {
    let (name, _) = m
        .frame
        .as_ref()
        .and_then(|a| a.alt_layout.as_ref())
        .expect("check_layout: a `layout` field needs #[ykc(alt_layout)] on the frame");
    lit(name)
}

fn decode_body(m: &Record) -> TokenStream {
    let check = match &m.frame {
        Some(_) => quote! { ::ykc::__private::check_len(cx.frame, bytes, Self::FIXED_LEN)?; },
        None => quote!(),
    };
    let alt_note = m.frame.as_ref().and_then(|a| a.alt_layout.as_ref()).map(|(name, _)| {
        let name = lit(name);
        quote! {
            if alt {
                cx.warnings.push(::ykc::Warning { field: "", offset: base, kind: ::ykc::WarningKind::AltLayout { layout: #name } });
            }
        }
    });
    let end = if has_alt(m) {
        let (a, b) = (fixed_len(m, true), fixed_len(m, false));
        quote!(if alt { #a } else { #b })
    } else {
        fixed_len(m, false)
    };
    let reads = m.fields.iter().enumerate().map(|(i, f)| {
        let id = &f.ident;
        let ty = f.elem_ty();
        let (at, len) = place(m, i, f, &quote!(alt));
        let meta = quote!(&<Self as ::ykc::Record>::FIELDS[#i]);
        match (&f.kind, &f.repeat) {
            (Kind::Trailing, _) => quote! { let #id = ::ykc::__private::trailing(cx.frame, bytes, #end, cx)?; },
            (Kind::Layout, _) => quote! { let #id = alt; },
            (Kind::Group, r) => {
                let declared = match r {
                    Repeat::Count(c) => quote!(::core::option::Option::Some(::core::convert::Into::<u64>::into(#c))),
                    _ => quote!(::core::option::Option::None),
                };
                let short = if f.short_items { quote!(<#ty as ::ykc::Record>::ALT_LEN) } else { quote!(0usize) };
                quote! {
                    let (__n, __len) = ::ykc::__private::item_count(cx, #meta, bytes, #at, #declared, #short)?;
                    let #id = ::ykc::__private::read_items::<#ty>(bytes, #at, __n, __len, base, cx)?;
                }
            }
            (_, Repeat::Fixed(n)) => quote! { let #id = ::ykc::__private::read_seq::<#ty>(bytes, #at, #n, #meta, base, cx); },
            _ => quote! { let #id: #ty = ::ykc::__private::read_len::<#ty>(bytes, #at, #len, #meta, base, cx); },
        }
    });
    let ids = m.fields.iter().map(|f| &f.ident);
    let no_rest = !m
        .fields
        .iter()
        .any(|f| matches!(f.kind, Kind::Group | Kind::Trailing));
    let strict_end = (m.frame.is_some() && no_rest)
        .then(|| quote! { ::ykc::__private::trailing(cx.frame, bytes, #end, cx)?; });
    let alt = has_alt(m).then(|| quote! { let alt = Self::__is_alt(bytes); });
    quote! {
        #check
        #alt
        #alt_note
        #(#reads)*
        #strict_end
        ::core::result::Result::Ok(Self { #(#ids),* })
    }
}

fn encode_body(m: &Record) -> TokenStream {
    // Only frames with a `layout` field encode in the alternative layout; items with `alt_len`
    // (short items) are always written whole.
    let layout = m
        .fields
        .iter()
        .find(|f| f.kind == Kind::Layout)
        .map(|f| &f.ident);
    let writes = m.fields.iter().enumerate().map(|(i, f)| {
        let id = &f.ident;
        let ty = f.elem_ty();
        let meta = quote!(&<Self as ::ykc::Record>::FIELDS[#i]);
        let len = f.len;
        let len = match (layout, f.alt_len) {
            (Some(layout), Some(a)) => quote!(if self.#layout { #a } else { #len }),
            _ => quote!(#len),
        };
        if let Some(group) = &f.counts {
            return quote! {
                let __count = ::ykc::__private::count_of::<#ty>(self.#group.len(), #meta, out.len(), cx)?;
                ::ykc::__private::write::<#ty>(&__count, #len, #meta, out, cx)?;
            };
        }
        match (&f.kind, &f.repeat) {
            (Kind::Trailing, _) => quote! { out.extend_from_slice(&self.#id); },
            (Kind::Layout, _) => quote!(),
            (Kind::Group, _) => {
                let max = f.max;
                quote! { ::ykc::__private::write_items::<#ty>(&self.#id, #max, #meta, out, cx)?; }
            }
            (_, Repeat::Fixed(n)) => quote! { ::ykc::__private::write_seq::<#ty>(&self.#id, #n, #meta, out, cx)?; },
            _ => quote! { ::ykc::__private::write::<#ty>(&self.#id, #len, #meta, out, cx)?; },
        }
    });
    quote! {
        #(#writes)*
        ::core::result::Result::Ok(())
    }
}

fn from_json(m: &Record) -> TokenStream {
    // Groups first: count fields are derived from them.
    let groups = m.fields.iter().enumerate().filter(|(_, f)| f.kind == Kind::Group).map(|(i, f)| {
        let id = &f.ident;
        let ty = f.elem_ty();
        quote! { let #id = ::ykc::__private::json_items::<#ty>(obj, &<Self as ::ykc::Record>::FIELDS[#i], path)?; }
    });
    let others = m.fields.iter().enumerate().filter(|(_, f)| f.kind != Kind::Group).map(|(i, f)| {
        let id = &f.ident;
        let ty = f.elem_ty();
        let meta = quote!(&<Self as ::ykc::Record>::FIELDS[#i]);
        if let Some(group) = &f.counts {
            return quote! { let #id = ::ykc::__private::count_of::<#ty>(#group.len(), #meta, 0, &::ykc::record::EncodeCx { frame: ::ykc::__private::NO_FRAME })?; };
        }
        match (&f.kind, &f.repeat) {
            (Kind::Trailing, _) => quote! { let #id = ::ykc::__private::json_trailing(obj, path)?; },
            (Kind::Layout, _) => {
                let name = layout_name(m);
                quote! { let #id = ::ykc::__private::json_layout(obj, #name); }
            }
            (_, Repeat::Fixed(_)) => quote! { let #id = ::ykc::__private::json_seq::<#ty>(obj, #meta, path)?; },
            _ => quote! { let #id = ::ykc::__private::json_field::<#ty>(obj, #meta, path)?; },
        }
    });
    let ids = m.fields.iter().map(|f| &f.ident);
    quote! {
        let obj = ::ykc::__private::json_object(v, path)?;
        #(#groups)*
        #(#others)*
        ::core::result::Result::Ok(Self { #(#ids),* })
    }
}

/// `write_json` (direct bytes) and a `Serialize` impl that delegates to it.
fn serialize(m: &Record) -> TokenStream {
    let ident = &m.ident;
    let fixed = m
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| !matches!(f.kind, Kind::Trailing | Kind::Layout));
    let entries = fixed.enumerate().map(|(n, (i, f))| {
        let id = &f.ident;
        let key = syn::LitByteStr::new(
            format!("{}\"{}\":", if n == 0 { "" } else { "," }, id).as_bytes(),
            Span::call_site(),
        );
        let meta = quote!(&<Self as ::ykc::Record>::FIELDS[#i]);
        let value = match (&f.kind, &f.repeat) {
            (Kind::Group, _) => quote! { ::ykc::__private::write_json_items(&self.#id, out); },
            (_, Repeat::Fixed(_)) => {
                quote! { ::ykc::__private::write_json_seq(&self.#id, #meta, out); }
            }
            _ => quote! { ::ykc::WireValue::write_json_bytes(&self.#id, #meta, out); },
        };
        quote! { out.extend_from_slice(#key); #value }
    });
    let specials = m.fields.iter().filter(|f| matches!(f.kind, Kind::Trailing | Kind::Layout)).map(|f| {
        let id = &f.ident;
        if f.kind == Kind::Trailing {
            let key = syn::LitByteStr::new(format!(",\"{id}\":").as_bytes(), Span::call_site());
            quote! { if !self.#id.is_empty() { out.extend_from_slice(#key); ::ykc::value::push_hex_json(out, "", &self.#id); } }
        } else {
            let name = layout_name(m).value();
            let text = syn::LitByteStr::new(format!(",\"layout\":\"{name}\"").as_bytes(), Span::call_site());
            quote! { if self.#id { out.extend_from_slice(#text); } }
        }
    });
    quote! {
        impl #ident {
            #[doc(hidden)]
            fn __write_json(&self, out: &mut ::std::vec::Vec<u8>) {
                out.push(b'{');
                #(#entries)*
                #(#specials)*
                out.push(b'}');
            }
        }
        impl ::ykc::__private::serde::Serialize for #ident {
            fn serialize<S: ::ykc::__private::serde::Serializer>(&self, s: S) -> ::core::result::Result<S::Ok, S::Error> {
                ::ykc::__private::serialize_rendered(|out| self.__write_json(out), s)
            }
        }
    }
}

fn view(m: &Record) -> (Ident, TokenStream) {
    let ident = &m.ident;
    let vis = &m.vis;
    let view_ty = format_ident!("{}View", ident);
    let doc = format!(
        "A zero-copy view over the bytes of a [`{ident}`]: one accessor per field, no allocation."
    );
    let accessors = m.fields.iter().enumerate().map(|(i, f)| {
        let id = &f.ident;
        let ty = f.elem_ty();
        let doc = format!("`{}` {}", id, f.name_zh);
        let (at, len) = place(m, i, f, &quote!(self.alt));
        // Views read whatever bytes they were given (`Record::view_of` does not check the
        // length), so a body too short for the trailing part or the group reads as empty:
        // the `unwrap_or_default()`s below are that meaning, not a hidden invariant.
        match (&f.kind, &f.repeat) {
            (Kind::Trailing, _) => {
                let end = if has_alt(m) {
                    let (a, b) = (fixed_len(m, true), fixed_len(m, false));
                    quote!(if self.alt { #a } else { #b })
                } else {
                    fixed_len(m, false)
                };
                quote! {
                    #[doc = #doc]
                    pub fn #id(&self) -> &'a [u8] { self.bytes.get(#end..).unwrap_or_default() }
                }
            }
            (Kind::Layout, _) => quote! {
                #[doc = #doc]
                pub fn #id(&self) -> bool { self.alt }
            },
            (Kind::Group, _) => quote! {
                #[doc = #doc]
                pub fn #id(&self) -> impl ::core::iter::Iterator<Item = <#ty as ::ykc::Record>::View<'a>> + 'a {
                    let rest = self.bytes.get(#at..).unwrap_or_default();
                    rest.chunks_exact(<#ty as ::ykc::Record>::FIXED_LEN.max(1)).map(<#ty as ::ykc::Record>::view_of)
                }
            },
            (_, Repeat::Fixed(n)) => quote! {
                #[doc = #doc]
                pub fn #id(&self) -> impl ::core::iter::Iterator<Item = <#ty as ::ykc::WireValue>::View<'a>> + 'a {
                    let (at, len, b) = (#at, #len, self.bytes);
                    (0..#n).map(move |i| <#ty as ::ykc::WireValue>::view(::ykc::__private::slice(b, at + i * len, len)))
                }
            },
            _ => quote! {
                #[doc = #doc]
                pub fn #id(&self) -> <#ty as ::ykc::WireValue>::View<'a> {
                    <#ty as ::ykc::WireValue>::view(::ykc::__private::slice(self.bytes, #at, #len))
                }
            },
        }
    });
    let is_alt = match m.frame.as_ref().and_then(|a| a.alt_layout.as_ref()) {
        Some((_, body_len)) => {
            quote!(fn __is_alt(bytes: &[u8]) -> bool { bytes.len() == #body_len })
        }
        None if has_alt(m) => quote!(
            fn __is_alt(bytes: &[u8]) -> bool {
                bytes.len() == <Self as ::ykc::Record>::ALT_LEN
            }
        ),
        None => quote!(
            fn __is_alt(_: &[u8]) -> bool {
                false
            }
        ),
    };
    let tokens = quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, Copy)]
        #vis struct #view_ty<'a> {
            bytes: &'a [u8],
            alt: bool,
        }
        impl<'a> #view_ty<'a> {
            /// The bytes the view reads.
            pub fn bytes(&self) -> &'a [u8] { self.bytes }
            #(#accessors)*
        }
        #[doc(hidden)]
        impl #ident {
            #is_alt
        }
    };
    (view_ty, tokens)
}

fn frame_impl(m: &Record) -> TokenStream {
    let Some(a) = &m.frame else { return quote!() };
    let ident = &m.ident;
    let code = a.code;
    let (name, name_zh, section) = (lit(&a.name), lit(&a.name_zh), lit(&a.section));
    let dir = Ident::new(a.direction.variant(), Span::call_site());
    let reply = a.reply.map_or_else(
        || quote!(::core::option::Option::None),
        |r| quote!(::core::option::Option::Some(#r)),
    );
    let group = m.fields.iter().find(|f| f.kind == Kind::Group);
    let item = group.map_or_else(
        || quote!(0usize),
        |g| {
            let t = g.elem_ty();
            quote!(<#t as ::ykc::Record>::FIXED_LEN)
        },
    );
    let max = group.map_or(0, |g| g.max);
    let alt = a.alt_layout.as_ref().map_or(0, |(_, l)| *l);
    let trailing = a.trailing;
    let role = a.role.map_or_else(
        || quote!(::core::option::Option::None),
        |r| {
            let id = Ident::new(r.variant(), Span::call_site());
            quote!(::core::option::Option::Some(::ykc::meta::Role::#id))
        },
    );
    let answer = a.answer.as_ref().map_or_else(
        || quote!(::core::option::Option::None),
        |p| quote!(::core::option::Option::Some(&#p)),
    );
    quote! {
        impl ::ykc::Frame for #ident {
            const CODE: u8 = #code;
            const META: &'static ::ykc::FrameMeta = &::ykc::FrameMeta {
                code: #code, name: #name, name_zh: #name_zh, section: #section,
                direction: ::ykc::Direction::#dir, reply: #reply,
                body_len: ::ykc::meta::BodyLen {
                    fixed: <Self as ::ykc::Record>::FIXED_LEN, item: #item, max_items: #max, alt: #alt, trailing: #trailing,
                },
                fields: <Self as ::ykc::Record>::FIELDS,
                answer: #answer,
                role: #role,
            };
        }
    }
}
