//! The table as data for its OpenAPI document: each route's parameters with the schema their
//! declared types give, its body type, doc comment and name (the runtime's `openapi` module
//! builds the document from it).

use std::fmt::Write as _;

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Lit, Type};

use crate::range::{self, Range};
use crate::valid::{ParamTy, QueryKind, RouteDef, type_text};

/// The table's `&[waymark::__private::openapi::Operation]`, in the short names of
/// [`crate::expand::aliases`]. Each distinct parameter list is emitted once, as a `const` the
/// routes share (most tables repeat `{id: u64}` many times), and a route with no name, doc
/// comment or body is one call: the table's description costs few tokens per route.
pub(crate) fn operations(table: &Ident, routes: &[RouteDef<'_>], state: Option<&Ident>) -> TokenStream {
    let mut lists: Vec<(String, TokenStream)> = Vec::new();
    let ops = routes.iter().map(|r| {
        let (method, pattern, template) = (r.method, &r.full, &r.template);
        let params = if r.params.is_empty() && r.query.is_empty() {
            quote! { &[] }
        } else {
            let key = params_key(r);
            let at = match lists.iter().position(|(k, _)| *k == key) {
                Some(at) => at,
                None => {
                    lists.push((key, params(r)));
                    lists.len() - 1
                }
            };
            let id = format_ident!("__P{}", at);
            quote! { #id }
        };
        let body = body(r);
        let answers = answers(table, r, state);
        let timeout = r.timer().map(|(_, ms)| quote! { .timeout(#ms) });
        if r.name.is_none() && r.docs.is_empty() && body.is_none() {
            return quote! { __o::Operation::plain(#method, #pattern, #template, #params).answers(#answers) #timeout };
        }
        let name = match r.name {
            Some(n) => {
                let n = n.to_string();
                quote! { __Some(#n) }
            }
            None => quote! { __None },
        };
        let doc = r.docs.join("\n");
        let body = body.unwrap_or_else(|| quote! { __None });
        quote! {
            __o::Operation::new(#method, #pattern, #template, #name, #doc, #params, #body).answers(#answers) #timeout
        }
    });
    let ops: Vec<TokenStream> = ops.collect();
    let consts = lists.iter().enumerate().map(|(i, (_, list))| {
        let id = format_ident!("__P{}", i);
        quote! { const #id: &[__o::Param] = &[#list]; }
    });
    quote! {{ #(#consts)* &[#(#ops),*] }}
}

/// What decides a route's `Param` list: equal keys, equal lists.
fn params_key(r: &RouteDef<'_>) -> String {
    let mut key = String::new();
    for p in &r.params {
        let _ = write!(key, "{}/{}/{}/{:?}/", p.name, p.catch_all, p.ty.text(), p.range.as_ref().map(|r| &r.text));
    }
    for q in &r.query {
        let default = match &q.kind {
            QueryKind::Default(lit) => json(lit),
            _ => None,
        };
        let range = q.range.as_ref().map(|r| &r.text);
        let _ = write!(key, "?{}/{}/{:?}/{:?}/{range:?}/", q.name, q.text, std::mem::discriminant(&q.kind), default);
    }
    key
}

/// A route's parameters, path first, as `Param`s.
fn params(r: &RouteDef<'_>) -> TokenStream {
    let path = r.params.iter().map(|p| {
        let at = if p.catch_all {
            quote! { Rest }
        } else {
            quote! { Path }
        };
        let (scalar, text) = match &p.ty {
            ParamTy::Str => (quote! { String }, "&str".to_owned()),
            ParamTy::Parsed { ty, text } => (scalar(ty), text.clone()),
        };
        let param = param(&p.name.to_string(), &at, &scalar, &quote! { Required }, &text);
        with_bounds(param, p.range.as_ref(), &text)
    });
    let query = r.query.iter().map(|q| {
        let arity = match &q.kind {
            QueryKind::Required => quote! { Required },
            QueryKind::Optional => quote! { Optional },
            QueryKind::Repeated => quote! { Repeated },
            QueryKind::Default(lit) => match json(lit) {
                Some(json) => quote! { Default(#json) },
                None => quote! { Optional },
            },
        };
        let param = param(&q.name.to_string(), &quote! { Query }, &scalar(&q.ty), &arity, &q.text);
        with_bounds(param, q.range.as_ref(), &q.text)
    });
    quote! { #(#path,)* #(#query,)* }
}

/// The handler's answers, from its output type: a closure that is never called gives the
/// compiler the handler's future, with every binding the route's handler sees (the state, `req`,
/// the parameters, the guards' outputs, the body) at its declared type, and the probe picks
/// `Responses` for that output when it has it, `default` when not.
fn answers(table: &Ident, r: &RouteDef<'_>, state: Option<&Ident>) -> TokenStream {
    let never = quote! { ::waymark::__private::openapi::never() };
    let state = state.map(|bind| quote! { let __table: #table = #never; let #bind = &__table.state; });
    let req = crate::expand::req_ident();
    let path = r.params.iter().map(|p| {
        let (name, bound) = (&p.name, p.ty.bound());
        quote! { let #name: #bound = #never; }
    });
    let path = quote! { #(#path)* };
    let query = r.query.iter().map(|q| {
        let (name, bound) = (&q.name, q.bound());
        quote! { let #name: #bound = #never; }
    });
    // Each guard sees the state, `req`, the path parameters and the guards before it.
    let mut earlier = Vec::new();
    let mut guards = Vec::new();
    for (i, g) in r.layers.iter().flat_map(|l| &l.guards).enumerate() {
        let (name, ty, expr) = (&g.name, &g.ty, &g.expr);
        let make = format_ident!("__g{}", i);
        let call = quote_spanned! {expr.span()=> ::waymark::__private::handler(#expr).await };
        guards.push(quote! {
            #[allow(unused_variables, clippy::no_effect_underscore_binding)]
            let #make = || async move {
                #state
                let #req: &::waymark::__private::Request = #never;
                #path
                #(#earlier)*
                #call
            };
            (&&&::waymark::__private::openapi::GuardProbe::<_, #ty>::output(&#make)).guard_answers(__a, __s);
            (&&::waymark::__private::openapi::Probe::<#ty>::new()).security(__a, __s);
        });
        earlier.push(quote! { let #name: #ty = #never; });
    }
    let body = r.body.map(|ty| quote! { let body: #ty = #never; });
    let handler = r.handler;
    let call = quote_spanned! {handler.span()=> ::waymark::__private::handler(#handler).await };
    quote! {
        |__a, __s| {
            #[allow(unused_imports)]
            use ::waymark::__private::openapi::{
                GuardErrorDefault as _, GuardErrorResponses as _, GuardNoError as _, NoResponses as _, NoSecurity as _,
                ViaResponses as _, ViaSecurity as _,
            };
            #[allow(unused_variables, clippy::no_effect_underscore_binding)]
            let __make = || async move {
                #state
                let #req: &::waymark::__private::Request = #never;
                #path
                #(#query)*
                #(#earlier)*
                #body
                #call
            };
            (&&::waymark::__private::openapi::Probe::output(&__make)).answers(__a, __s);
            #(#guards)*
        }
    }
}

/// The body's media type and schema probe, if the route reads one.
fn body(r: &RouteDef<'_>) -> Option<TokenStream> {
    let ty = r.body?;
    let probe = quote_spanned! {ty.span()=>
        |__s| {
            #[allow(unused_imports)]
            use ::waymark::__private::openapi::{NoSchema as _, ViaSchemars as _};
            (&&::waymark::__private::openapi::Probe::<#ty>::new()).schema(__s)
        }
    };
    Some(quote! {
        __Some((<#ty as ::waymark::__private::FromBody>::MEDIA_TYPE, #probe))
    })
}

fn param(name: &str, at: &TokenStream, scalar: &TokenStream, arity: &TokenStream, ty: &str) -> TokenStream {
    quote! {
        __o::Param::new(#name, __o::In::#at, __o::Scalar::#scalar, __o::Arity::#arity, #ty)
    }
}

/// A parameter with its declared range, if it has one (a checked range's type is numeric).
fn with_bounds(param: TokenStream, range: Option<&Range>, ty: &str) -> TokenStream {
    let Some(range) = range else { return param };
    let float = matches!(range::kind(ty), Some(range::Kind::Float { .. }));
    let (min, max, exclusive) = range.schema(float);
    let some = |v: Option<String>| match v {
        Some(v) => quote! { __Some(#v) },
        None => quote! { __None },
    };
    let (min, max) = (some(min), some(max));
    quote! { #param.bounds(#min, #max, #exclusive) }
}

/// The schema a parameter's declared type gives: integers with their format and range, floats,
/// `bool`, and text for anything else (a `FromStr` type is parsed from text).
fn scalar(ty: &Type) -> TokenStream {
    let Type::Path(p) = ty else { return quote! { String } };
    let Some(last) = p.path.segments.last() else { return quote! { String } };
    let mut name = last.ident.to_string();
    let mut non_zero = false;
    if name == "NonZero"
        && let syn::PathArguments::AngleBracketed(args) = &last.arguments
        && let Some(syn::GenericArgument::Type(inner)) = args.args.first()
    {
        name = type_text(inner);
        non_zero = true;
    } else if let Some(inner) = name.strip_prefix("NonZero") {
        name = inner.to_ascii_lowercase();
        non_zero = true;
    }
    let (format, min, max): (Option<&str>, Option<i64>, Option<u64>) = match name.as_str() {
        "u8" => (Some("int32"), Some(0), Some(u8::MAX.into())),
        "u16" => (Some("int32"), Some(0), Some(u16::MAX.into())),
        "u32" => (Some("int64"), Some(0), Some(u32::MAX.into())),
        "u64" | "usize" => (None, Some(0), Some(u64::MAX)),
        "i8" => (Some("int32"), Some(i8::MIN.into()), Some(i8::MAX.unsigned_abs().into())),
        "i16" => (Some("int32"), Some(i16::MIN.into()), Some(i16::MAX.unsigned_abs().into())),
        "i32" => (Some("int32"), Some(i32::MIN.into()), Some(i32::MAX.unsigned_abs().into())),
        "i64" | "isize" => (Some("int64"), Some(i64::MIN), Some(i64::MAX.unsigned_abs())),
        "u128" | "i128" => (None, None, None),
        "f32" => return quote! { Number("float") },
        "f64" => return quote! { Number("double") },
        "bool" => return quote! { Boolean },
        _ => return quote! { String },
    };
    let min = if non_zero && min == Some(0) { Some(1) } else { min };
    let some = |v: Option<TokenStream>| match v {
        Some(v) => quote! { __Some(#v) },
        None => quote! { __None },
    };
    let format = some(format.map(|f| quote! { #f }));
    let min = some(min.map(|m| quote! { #m }));
    let max = some(max.map(|m| quote! { #m }));
    quote! { Integer { format: #format, min: #min, max: #max } }
}

/// A default literal as JSON text.
fn json(lit: &Lit) -> Option<String> {
    Some(match lit {
        Lit::Int(i) => i.base10_digits().to_owned(),
        Lit::Float(f) => f.base10_digits().to_owned(),
        Lit::Bool(b) => b.value.to_string(),
        Lit::Str(s) => json_string(&s.value()),
        Lit::Char(c) => json_string(&c.value().to_string()),
        _ => return None,
    })
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_from_types() {
        let cases = [
            ("u8", "Integer { format : __Some (\"int32\") , min : __Some (0i64) , max : __Some (255u64) }"),
            ("bool", "Boolean"),
            ("MyId", "String"),
            ("f32", "Number (\"float\")"),
        ];
        for (ty, want) in cases {
            assert_eq!(scalar(&syn::parse_str(ty).unwrap()).to_string(), want, "{ty}");
        }
        let non_zero = scalar(&syn::parse_str("std::num::NonZero<u32>").unwrap()).to_string();
        assert!(non_zero.contains("Some (1i64)"), "{non_zero}");
    }

    #[test]
    fn defaults_as_json() {
        let cases = [("20", "20"), ("true", "true"), ("\"a\\\"b\\n\"", "\"a\\\"b\\u000a\""), ("'x'", "\"x\"")];
        for (lit, want) in cases {
            assert_eq!(json(&syn::parse_str(lit).unwrap()).as_deref(), Some(want), "{lit}");
        }
    }
}
