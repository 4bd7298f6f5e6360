//! `#[derive(CodeEnum)]`: an enum of wire codes with an `Unknown(u64)` fallback.
//!
//! `Unknown` holds any code a field of up to 8 bytes can carry, so every unlisted code
//! round-trips (and a JSON code too wide for its field is an encode error, not a silent clamp).

use crate::model::lit;
use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields};

struct Variant {
    ident: syn::Ident,
    code: u64,
    name: String,
    zh: String,
}

/// Emits `impl ykc::CodeEnum`.
pub fn derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new(
            input.ident.span(),
            "#[derive(CodeEnum)] applies to enums",
        ));
    };
    let mut errs: Option<syn::Error> = None;
    let mut push = |e: syn::Error| match &mut errs {
        Some(all) => all.combine(e),
        None => errs = Some(e),
    };
    let mut variants = Vec::new();
    let mut unknown = None;
    for v in &data.variants {
        match &v.fields {
            Fields::Unnamed(f) if f.unnamed.len() == 1 && v.ident == "Unknown" => {
                let ty = &f.unnamed[0].ty;
                if quote!(#ty).to_string() != "u64" {
                    push(syn::Error::new(
                        ty.span(),
                        "`Unknown` holds the code as `u64`",
                    ));
                }
                unknown = Some(v.ident.clone())
            }
            Fields::Unit => match parse_variant(v) {
                Ok(var) => variants.push(var),
                Err(e) => push(e),
            },
            _ => push(syn::Error::new(
                v.span(),
                "variants are unit variants with #[ykc(code = N)], plus one `Unknown(u64)`",
            )),
        }
    }
    if unknown.is_none() {
        push(syn::Error::new(
            input.ident.span(),
            "a CodeEnum needs an `Unknown(u64)` variant for codes the table does not list",
        ));
    }
    for (i, a) in variants.iter().enumerate() {
        if variants.iter().skip(i + 1).any(|b| b.code == a.code) {
            push(syn::Error::new(
                a.ident.span(),
                format!("code {:#04X} is used twice", a.code),
            ));
        }
    }
    if let Some(e) = errs {
        return Err(e);
    }
    let ident = &input.ident;
    let values = variants.iter().map(|v| {
        let (code, name, zh) = (v.code, lit(&v.name), lit(&v.zh));
        quote!(::ykc::meta::EnumValue { code: #code, name: #name, zh: #zh })
    });
    let from = variants.iter().map(|v| {
        let (id, code) = (&v.ident, v.code);
        quote!(#code => #ident::#id,)
    });
    let index = variants.iter().enumerate().map(|(i, v)| {
        let id = &v.ident;
        quote!(#ident::#id => #i,)
    });
    let to = variants.iter().map(|v| {
        let (id, code) = (&v.ident, v.code);
        quote!(#ident::#id => #code,)
    });
    Ok(quote! {
        impl ::ykc::CodeEnum for #ident {
            const VALUES: &'static [::ykc::meta::EnumValue] = &[#(#values),*];
            fn from_code(code: u64) -> Self {
                match code {
                    #(#from)*
                    other => #ident::Unknown(other),
                }
            }
            fn json_fragment(&self) -> ::core::option::Option<&'static ::ykc::__private::serde_json::value::RawValue> {
                static FRAGMENTS: ::ykc::__private::Fragments = ::std::sync::OnceLock::new();
                let i = match self {
                    #(#index)*
                    #ident::Unknown(_) => return ::core::option::Option::None,
                };
                let all = FRAGMENTS.get_or_init(|| ::ykc::value::render_fragments(<Self as ::ykc::CodeEnum>::VALUES));
                all.get(i).and_then(|f| f.as_deref())
            }
            fn code(&self) -> u64 {
                match self {
                    #(#to)*
                    #ident::Unknown(c) => *c,
                }
            }
        }
    })
}

fn parse_variant(v: &syn::Variant) -> syn::Result<Variant> {
    let mut seen: Vec<String> = Vec::new();
    let (mut code, mut name, mut zh) = (None, String::new(), String::new());
    for attr in v.attrs.iter().filter(|a| a.path().is_ident("ykc")) {
        attr.parse_nested_meta(|meta| {
            let key = meta.path.get_ident().map(|i| i.to_string());
            let key = key.ok_or_else(|| meta.error("expected `code`, `name` or `zh`"))?;
            if seen.contains(&key) {
                return Err(meta.error(format!("duplicate ykc attribute `{key}`")));
            }
            match key.as_str() {
                "code" => code = Some(meta.value()?.parse::<syn::LitInt>()?.base10_parse()?),
                "name" => name = meta.value()?.parse::<syn::LitStr>()?.value(),
                "zh" => zh = meta.value()?.parse::<syn::LitStr>()?.value(),
                _ => return Err(meta.error(format!("unknown ykc variant attribute `{key}`"))),
            }
            seen.push(key);
            Ok(())
        })?;
    }
    let code = code.ok_or_else(|| {
        syn::Error::new(
            v.ident.span(),
            format!("variant `{}` needs #[ykc(code = N)]", v.ident),
        )
    })?;
    Ok(Variant {
        ident: v.ident.clone(),
        code,
        name,
        zh,
    })
}
