//! Emits each method's trie matcher (`__match_get`, ...): a walk over the path, one segment at a
//! time and only as deep as the trie goes, that returns the first route whose parameters all
//! parse. The same walk notes the first parameter that failed to parse, for the `400` answer, so a
//! large table's expansion holds each trie once. Literal segments are told apart by their first
//! byte, never by a `match` over strings, whose exhaustiveness check costs rustc time quadratic in
//! their number.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;
use waymark_shape::Seg;

use crate::expand::{aliases, chunk_ident, method_fn, var, variant};
use crate::trie::Node;
use crate::valid::{self, ParamTy, Table};

/// The trie matcher of one method (`__match_get`). It also notes, for the `400` answer, the
/// first parameter that failed to parse in a route of the path's shape: one walk serves both, so
/// a large table's expansion holds the trie once, not a second time in a separate `400` check.
pub(super) fn method_matcher(table: &Table<'_>, route: &Ident, m: &str, trie: &Node<'_>) -> TokenStream {
    let matcher = method_fn("match", m);
    let found = emit_node(trie, 0, table, route);
    let aliases = aliases();
    quote! {
        #[inline]
        fn #matcher<'p>(
            __path: &'p str,
            __bad: &mut ::core::option::Option<::waymark::__private::BadParam<'p>>,
        ) -> ::core::option::Option<#route<'p>> {
            #aliases
            let ::core::result::Result::Ok(__r0) = __w::path_rest(__path) else { return __None };
            #found
            __None
        }
    }
}

/// The walk of the routes below `node`, whose segment `d` (if the path has one) starts the string
/// `__r{d}`, with [`match_leaf`] for each route found there. Segments are taken one at a time,
/// only as deep as the trie goes.
fn emit_node(node: &Node<'_>, d: usize, table: &Table<'_>, route: &Ident) -> TokenStream {
    let (here, rest, seg, next) = (rest_var(d), found_rest_var(d), seg_var(d), rest_var(d + 1));
    let leaf = |i| match_leaf(i, table, route);
    let terminal = node.terminal.map(leaf);
    // Literals are compared with the front of the rest of the path, without looking for the end of
    // the segment first; a `match` on the first byte picks the few candidates. (A `match` over
    // string literals would cost rustc an exhaustiveness check quadratic in their number: 13 s
    // for 1,000; this is a `match` on a `u8`.)
    let mut by_first: Vec<(Option<u8>, Vec<TokenStream>)> = Vec::new();
    for (key, child) in node.of_rank(0) {
        let Seg::Literal(lit) = key else { continue };
        let child = emit_node(child, d + 1, table, route);
        let test = quote! {
            if let __Some(#next) = __w::strip_literal(#rest, #lit) {
                #child
            }
        };
        let first = lit.bytes().next();
        match by_first.iter_mut().find(|(b, _)| *b == first) {
            Some((_, tests)) => tests.push(test),
            None => by_first.push((first, vec![test])),
        }
    }
    let literals = (!by_first.is_empty()).then(|| {
        let arms = by_first.iter().map(|(first, tests)| {
            let pattern = match first {
                Some(b) => {
                    let b = proc_macro2::Literal::u8_unsuffixed(*b);
                    quote! { __Some(#b) }
                }
                None => quote! { __None },
            };
            quote! { #pattern => { #(#tests)* } }
        });
        quote! { match #rest.as_bytes().first() { #(#arms)* _ => {} } }
    });
    let param = node.of_rank(1).next().map(|(_, child)| {
        let child = emit_node(child, d + 1, table, route);
        quote! {{
            let (#seg, #next) = __w::next_segment(#rest);
            if !#seg.is_empty() { #child }
        }}
    });
    let catch_all = node.of_rank(2).next().and_then(|(_, child)| child.terminal).map(leaf);
    let catch_all = catch_all.map(|leaf| quote! { if !#rest.is_empty() { #leaf } });
    let deeper = (literals.is_some() || param.is_some() || catch_all.is_some()).then(|| {
        quote! {
            if let __Some(#rest) = #here {
                #literals
                #param
                #catch_all
            }
        }
    });
    let terminal = terminal.map(|leaf| quote! { if #here.is_none() { #leaf } });
    quote! { #terminal #deeper }
}

/// Returns route `i` if every one of its parameters parses; otherwise notes the first that did
/// not (unless an earlier route of the walk did) and falls through.
fn match_leaf(i: usize, table: &Table<'_>, route: &Ident) -> TokenStream {
    let v = variant(i);
    let params = &table.routes[i].params;
    let vars: Vec<Ident> = params.iter().map(|p| var(p.index)).collect();
    let (chunk, in_route) = chunk_ident(table, i);
    let ret = quote! { return __Some(#route::#in_route(#chunk::#v(#(#vars),*))); };
    params.iter().zip(&vars).rev().fold(ret, |inner, (p, var)| {
        let raw = raw_var(p);
        let parse = parse_expr(&p.ty, &quote! { #raw });
        let (name, ty) = (p.name.to_string(), p.ty.text());
        quote! { if let __Some(#var) = #parse { #inner } else { __w::note_bad(__bad, #name, #ty, #raw) } }
    })
}

/// Parses one segment (or the rest of the path) into a parameter value, `None` if it does not parse.
fn parse_expr(ty: &ParamTy, raw: &TokenStream) -> TokenStream {
    match ty {
        ParamTy::Str => quote! { __w::decode(#raw) },
        ParamTy::Parsed { ty, .. } => {
            quote_spanned! {ty.span()=> __w::parse_param::<#ty>(#raw) }
        }
    }
}

fn seg_var(d: usize) -> Ident {
    format_ident!("__seg{}", d)
}

/// The rest of the path from segment `d` on: `None` when the path has no segment `d`.
fn rest_var(d: usize) -> Ident {
    format_ident!("__r{}", d)
}

/// The same rest once known to be there (what a catch-all at `d` takes).
fn found_rest_var(d: usize) -> Ident {
    format_ident!("__rest{}", d)
}

/// The raw text of a parameter, bound by the enclosing trie nodes: its segment, or for a
/// catch-all the rest of the path.
fn raw_var(p: &valid::PathParam) -> Ident {
    if p.catch_all { found_rest_var(p.index) } else { seg_var(p.index) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expand::tests::{assert_in_order, checked, input};
    use crate::trie;

    /// The `GET` matcher of a table of `GET` routes.
    fn get_matcher(routes: &[&str]) -> String {
        let routes: Vec<String> = routes.iter().map(|r| format!(r#"GET "{r}" => h(),"#)).collect();
        let src = input(&format!("pub Api; {}", routes.join(" ")));
        let table = checked(&src);
        let shapes: Vec<(&str, Vec<Seg<'_>>)> =
            table.routes.iter().map(|r| (r.method, trie::shape(&r.segments))).collect();
        let tries = trie::build(&shapes);
        let (method, get) = &tries.by_method[0];
        assert_eq!(method, "GET");
        method_matcher(&table, &format_ident!("__WaymarkApiRoute"), method, get).to_string()
    }

    #[test]
    fn literals_are_told_apart_by_their_first_byte() {
        let out = get_matcher(&["/apple", "/avocado", "/banana", "/{x}"]);
        let by_byte = out.find("match __rest0 . as_bytes () . first () {").expect(&out);
        let (a, b) = (out.find("__Some (97) =>").expect(&out), out.find("__Some (98) =>").expect(&out));
        let (apple, avocado, banana) = (
            out.find("strip_literal (__rest0 , \"apple\")").expect(&out),
            out.find("strip_literal (__rest0 , \"avocado\")").expect(&out),
            out.find("strip_literal (__rest0 , \"banana\")").expect(&out),
        );
        assert!(by_byte < a && a < apple && apple < avocado && avocado < b && b < banana, "{out}");
        assert_eq!(out.matches("__Some (97)").count(), 1, "one arm per first byte: {out}");
        let param = out.find("next_segment (__rest0)").expect(&out);
        assert!(banana < param, "literals are tried before the parameter: {out}");
    }

    #[test]
    fn a_route_matches_only_when_every_parameter_parses() {
        let out = get_matcher(&["/{a: u32}/{b: u64}/{*rest: String}"]);
        let order = [
            "__Some (__p0) = __w :: parse_param :: < u32 > (__seg0)",
            "__Some (__p1) = __w :: parse_param :: < u64 > (__seg1)",
            "__Some (__p2) = __w :: parse_param :: < String > (__rest2)",
            "return __Some (__WaymarkApiRoute :: C0 (__WaymarkApiC0 :: R0 (__p0 , __p1 , __p2)))",
            "__w :: note_bad (__bad , \"rest\" , \"String\" , __rest2)",
            "__w :: note_bad (__bad , \"b\" , \"u64\" , __seg1)",
            "__w :: note_bad (__bad , \"a\" , \"u32\" , __seg0)",
        ];
        assert_in_order(&out, &order);
        assert!(out.contains("if ! __rest2 . is_empty ()"), "a catch-all takes one segment or more: {out}");
    }

    #[test]
    fn a_route_ends_where_the_path_does() {
        let out = get_matcher(&["/", "/a"]);
        let root = out.find("if __r0 . is_none () { return __Some").expect(&out);
        let deeper = out.find("if let __Some (__rest0) = __r0").expect(&out);
        let a = out.find("if __r1 . is_none () { return __Some").expect(&out);
        assert!(root < deeper && deeper < a, "{out}");
    }
}
