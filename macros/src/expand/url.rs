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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expand::tests::{checked, input};

    /// The statements of `try_NAME_url` between `UrlBuilder::new` and `Ok(..)`, as token text.
    fn steps(out: &TokenStream, name: &str) -> Vec<String> {
        let block: syn::ItemImpl = syn::parse2(out.clone()).expect("one impl block");
        let f = block
            .items
            .iter()
            .find_map(|i| match i {
                syn::ImplItem::Fn(f) if f.sig.ident == format!("try_{name}_url") => Some(f),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no try_{name}_url: {out}"));
        let stmts = &f.block.stmts;
        stmts[1..stmts.len() - 1].iter().map(|s| quote!(#s).to_string()).collect()
    }

    #[test]
    fn a_pair_of_builders_for_each_named_route() {
        let src = r#"pub Api; GET "/a/{id: u64}" as item => a(id), POST "/a" => b(), DELETE "/c" as gone => c(),"#;
        let named = input(src);
        let out = url_builders(&checked(&named)).to_string();
        for f in ["fn item_url (id : u64)", "fn try_item_url (id : u64)", "fn gone_url ()", "fn try_gone_url ()"] {
            assert!(out.contains(f), "{f}: {out}");
        }
        assert_eq!(out.matches("fn try_").count(), 2, "{out}");
        assert!(out.contains("expect_url (Self :: try_item_url (id))"), "NAME_url calls try_NAME_url: {out}");
        assert!(out.contains("UrlBuilder :: new (\"/a/{id: u64}\")"), "errors name the full pattern: {out}");

        let unnamed = input(r#"pub Api; GET "/a" => a(),"#);
        assert!(url_builders(&checked(&unnamed)).is_empty(), "no named route, no impl block");
    }

    #[test]
    fn path_steps_in_order_adjacent_literals_joined() {
        let input = input(
            r#"pub Api at "/v1"; scope "/s/{n: i64}" { GET "/x/y/{name}/z/{*rest: String}" as deep => h(), GET "/{ch: char}/" as trailing => h(), } GET "" as root => h(),"#,
        );
        let out = url_builders(&checked(&input));
        assert_eq!(
            steps(&out, "deep"),
            [
                "__u . literal (\"/v1/s\") ;",
                "__u . segment (\"n\" , & n) ? ;",
                "__u . literal (\"/x/y\") ;",
                "__u . segment (\"name\" , & name) ? ;",
                "__u . literal (\"/z\") ;",
                "__u . catch_all (\"rest\" , & rest) ? ;",
            ],
            "{out}"
        );
        assert!(out.to_string().contains("fn deep_url (n : i64 , name : & str , rest : String)"), "{out}");
        assert_eq!(
            steps(&out, "trailing"),
            [
                "__u . literal (\"/v1/s\") ;",
                "__u . segment (\"n\" , & n) ? ;",
                "__u . segment (\"ch\" , & ch) ? ;",
                "__u . literal (\"/\") ;"
            ],
            "{out}"
        );
        assert_eq!(steps(&out, "root"), ["__u . literal (\"/v1\") ;"], "{out}");
    }

    #[test]
    fn literal_text_goes_in_as_written() {
        // Every character a pattern literal may hold: RFC 3986 `pchar`, `%` escapes included. The
        // builder appends literals without encoding them, so they must arrive exactly as written.
        let literal = "/caf%C3%A9/a:b@c!$&'()*+,;=/x-y.z_~09";
        let input = input(&format!(r#"pub Api; GET "{literal}" as odd => h(),"#));
        let out = url_builders(&checked(&input));
        let lit = proc_macro2::Literal::string(literal).to_string();
        assert_eq!(steps(&out, "odd"), [format!("__u . literal ({lit}) ;")], "{out}");
        let pchar = |c: char| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@%/".contains(c);
        assert!(literal.chars().all(pchar));
    }

    #[test]
    fn query_parameters_by_kind() {
        let input = input(r#"pub Api; GET "/q?{a: u32}&{o: Option<String>}&{d: i64 = -1}&{t: Vec<u8>}" as q => h(),"#);
        let out = url_builders(&checked(&input));
        assert!(
            out.to_string().contains(
                "fn try_q_url (a : u32 , o : :: core :: option :: Option < String > , \
                 d : :: core :: option :: Option < i64 > , t : & [u8])"
            ),
            "{out}"
        );
        assert_eq!(
            steps(&out, "q"),
            [
                "__u . literal (\"/q\") ;",
                "__u . query (\"a\" , & a) ;",
                "if let :: core :: option :: Option :: Some (__v) = & o { __u . query (\"o\" , __v) ; }",
                "if let :: core :: option :: Option :: Some (__v) = & d { __u . query (\"d\" , __v) ; }",
                "for __v in t { __u . query (\"t\" , __v) ; }",
            ],
            "{out}"
        );
    }
}
