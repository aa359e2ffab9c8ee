//! Guard bindings used where their guard does not reach: a route's handler that names a guard's
//! binding from a block that does not cover the route is an error naming the guard and its line,
//! instead of rustc's "cannot find value" with no hint that a guard elsewhere binds that name.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::ToTokens;

use crate::ast::{Guard, Input, Item};
use crate::valid::{RouteDef, Table};

/// Every guard of the table, in declaration order.
fn guards<'a>(items: &'a [Item], out: &mut Vec<&'a Guard>) {
    for item in items {
        match item {
            Item::Guard(g) => out.push(g),
            Item::Scope(s) => guards(&s.items, out),
            _ => {}
        }
    }
}

/// The errors for every route whose handler names a guard's binding out of that guard's reach.
pub(crate) fn errors(input: &Input, table: &Table<'_>) -> Vec<syn::Error> {
    let mut all = Vec::new();
    guards(&input.items, &mut all);
    let mut found = Vec::new();
    for route in &table.routes {
        // The handler's tokens, flattened once per route, and only if some guard is out of reach.
        let mut flat: Option<Vec<TokenTree>> = None;
        for g in &all {
            let name = g.name.to_string();
            if in_reach(route, &name) || bound_by_route(route, table, &name) {
                continue;
            }
            let tokens = flat.get_or_insert_with(|| flatten(&route.handler.to_token_stream()));
            if binds(tokens, &name) {
                continue;
            }
            if let Some(used) = free_use(tokens, &name) {
                found.push(syn::Error::new(
                    used.span(),
                    format!(
                        "`{name}` is the binding of guard `{name}`{}, which does not cover this route; move the route into the guard's block, or the guard to a block around the route",
                        line(g).map_or_else(String::new, |l| format!(" declared at line {l}")),
                    ),
                ));
            }
        }
    }
    found
}

fn in_reach(route: &RouteDef<'_>, name: &str) -> bool {
    route.layers.iter().flat_map(|l| &l.guards).any(|g| g.name == name)
}

/// A name the route binds itself: a parameter, `body`, `req` or the state.
fn bound_by_route(route: &RouteDef<'_>, table: &Table<'_>, name: &str) -> bool {
    route.params.iter().any(|p| p.name == name)
        || route.query.iter().any(|q| q.name == name)
        || (route.body.is_some() && name == "body")
        || name == "req"
        || table.state.is_some_and(|s| s == name)
}

/// The guard's line, inside a macro expansion (not in the macro crate's unit tests).
fn line(g: &Guard) -> Option<usize> {
    proc_macro::is_available().then(|| g.name.span().unwrap().start().line())
}

/// Whether the expression binds `name` itself (`let name`, `let mut name`, a closure parameter
/// `|name|`, a `for name in`): then a use is the expression's own.
fn binds(flat: &[TokenTree], name: &str) -> bool {
    flat.windows(2).any(|w| {
        let before = match &w[0] {
            TokenTree::Ident(i) => matches!(i.to_string().as_str(), "let" | "mut" | "for" | "ref"),
            TokenTree::Punct(p) => p.as_char() == '|',
            _ => false,
        };
        before && matches!(&w[1], TokenTree::Ident(i) if i == name)
    })
}

/// The first use of `name` as a value: not a field (`.name`), not a path segment (`a::name`,
/// `name::x`), not a macro (`name!`), not a struct field's key (`name: v`).
fn free_use(flat: &[TokenTree], name: &str) -> Option<proc_macro2::Ident> {
    for (i, t) in flat.iter().enumerate() {
        let TokenTree::Ident(ident) = t else { continue };
        if ident != name {
            continue;
        }
        let punct = |t: Option<&TokenTree>| match t {
            Some(TokenTree::Punct(p)) => Some(p.as_char()),
            _ => None,
        };
        let before = i.checked_sub(1).and_then(|j| punct(flat.get(j)));
        let after = punct(flat.get(i + 1));
        if matches!(before, Some('.' | ':')) || matches!(after, Some(':' | '!')) {
            continue;
        }
        return Some(ident.clone());
    }
    None
}

/// The tokens in order, groups opened (their delimiters dropped: none of the checks needs them).
fn flatten(tokens: &TokenStream) -> Vec<TokenTree> {
    let mut out = Vec::new();
    for t in tokens.clone() {
        match t {
            TokenTree::Group(g) if g.delimiter() != Delimiter::None || !g.stream().is_empty() => {
                out.extend(flatten(&g.stream()));
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expand::tests::input;
    use crate::valid;

    fn reported(src: &str) -> Vec<String> {
        let input = input(src);
        let (table, _) = valid::check(&input);
        errors(&input, &table).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_guard_binding_out_of_reach_is_named() {
        let src = r#"pub Api;
            scope { guard user: u8 = u(); GET "/in" => f(user), }
            GET "/out" => f(user),"#;
        let got = reported(src);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].starts_with("`user` is the binding of guard `user`"), "{got:?}");
    }

    #[test]
    fn names_that_are_not_the_binding_pass() {
        let cases = [
            // The route's own parameter of that name.
            r#"pub Api; scope { guard user: u8 = u(); GET "/a" => f(), } GET "/b/{user}" => f(user),"#,
            // A field, a path, a macro, a struct key, a local binding, a closure parameter.
            r#"pub Api; scope { guard user: u8 = u(); GET "/a" => f(), } GET "/b" => f(x.user),"#,
            r#"pub Api; scope { guard user: u8 = u(); GET "/a" => f(), } GET "/b" => user::f(),"#,
            r#"pub Api; scope { guard user: u8 = u(); GET "/a" => f(), } GET "/b" => f(user!()),"#,
            r#"pub Api; scope { guard user: u8 = u(); GET "/a" => f(), } GET "/b" => f(S { user: 1 }),"#,
            r#"pub Api; scope { guard user: u8 = u(); GET "/a" => f(), } GET "/b" => async { let user = 1; user },"#,
            r#"pub Api; scope { guard user: u8 = u(); GET "/a" => f(), } GET "/b" => f(|user| user),"#,
            // In reach: the guard's own block, and a nested one.
            r#"pub Api; scope { guard user: u8 = u(); GET "/a" => f(user), scope "/n" { GET "/b" => f(user), } }"#,
        ];
        for src in cases {
            assert_eq!(reported(src), Vec::<String>::new(), "{src}");
        }
    }
}
