//! Emits `NAME_url(..)` and `try_NAME_url(..)` for every named route. They are emitted whether the
//! table has errors or not, so that a mistake in one route does not break every link to the others.
//! Literal text goes into the URL as written, adjacent literal segments in one piece: the pattern
//! parser admits only characters that are valid in a path. Parameter and query values go through
//! the runtime's `UrlBuilder`, which encodes them and refuses the few it cannot send (see
//! `waymark::url`).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::pattern::Segment;
use crate::valid::{ParamTy, QueryKind, Table};

/// `NAME_url(..)` and `try_NAME_url(..)` for every named route, in one `impl` block; nothing when
/// no route has a name.
pub(super) fn url_builders(table: &Table<'_>) -> TokenStream {
    let (vis, name) = (table.vis, table.name);
    let fns = table.routes.iter().filter_map(|r| {
        let route = r.name?;
        let (url, try_url) = (format_ident!("{}_url", route), format_ident!("try_{}_url", route));
        let mut args = Vec::new();
        let mut names = Vec::new();
        for p in &r.params {
            let n = &p.name;
            names.push(n);
            args.push(match &p.ty {
                ParamTy::Str => quote! { #n: &str },
                ParamTy::Parsed { ty, .. } => quote! { #n: #ty },
            });
        }
        for q in &r.query {
            let (n, ty) = (&q.name, &q.ty);
            names.push(n);
            args.push(match q.kind {
                QueryKind::Required => quote! { #n: #ty },
                QueryKind::Optional | QueryKind::Default(_) => quote! { #n: ::core::option::Option<#ty> },
                QueryKind::Repeated => quote! { #n: &[#ty] },
            });
        }
        let mut steps = Vec::new();
        let mut literal = String::new();
        for (d, seg) in r.segments.iter().enumerate() {
            let Segment::Literal(l) = seg else {
                if !literal.is_empty() {
                    steps.push(quote! { __u.literal(#literal); });
                    literal.clear();
                }
                let Some(p) = r.params.iter().find(|p| p.index == d) else { continue };
                let (n, text) = (&p.name, p.name.to_string());
                let f = if p.catch_all {
                    quote! { catch_all }
                } else {
                    quote! { segment }
                };
                steps.push(quote! { __u.#f(#text, &#n)?; });
                continue;
            };
            literal.push('/');
            literal.push_str(l);
        }
        if !literal.is_empty() {
            steps.push(quote! { __u.literal(#literal); });
        }
        for q in &r.query {
            let (n, text) = (&q.name, q.name.to_string());
            steps.push(match q.kind {
                QueryKind::Required => quote! { __u.query(#text, &#n); },
                QueryKind::Repeated => quote! { for __v in #n { __u.query(#text, __v); } },
                QueryKind::Optional | QueryKind::Default(_) => {
                    quote! { if let ::core::option::Option::Some(__v) = &#n { __u.query(#text, __v); } }
                }
            });
        }
        let full = &r.full;
        let doc = format!(
            " The URL of `{} {}`; see [`waymark::url`](::waymark::url) for the values it refuses.",
            r.method, r.full
        );
        let try_doc = format!(" The URL of `{} {}`, or why a value cannot be sent in it.", r.method, r.full);
        Some(quote! {
            #[doc = #doc]
            ///
            /// # Panics
            /// When a value cannot be sent in the URL (an empty segment, `.` or `..`).
            #[track_caller]
            #vis fn #url(#(#args),*) -> ::std::string::String {
                ::waymark::__private::expect_url(Self::#try_url(#(#names),*))
            }
            #[doc = #try_doc]
            ///
            /// # Errors
            /// When a value cannot be sent in the URL (an empty segment, `.` or `..`).
            #vis fn #try_url(#(#args),*) -> ::core::result::Result<::std::string::String, ::waymark::UrlError> {
                let mut __u = ::waymark::__private::UrlBuilder::new(#full);
                #(#steps)*
                ::core::result::Result::Ok(__u.finish())
            }
        })
    });
    let fns: Vec<_> = fns.collect();
    if fns.is_empty() {
        return TokenStream::new();
    }
    quote! {
        #[allow(clippy::all, clippy::pedantic, reason = "generated URL builders")]
        impl #name { #(#fns)* }
    }
}
