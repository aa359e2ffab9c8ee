//! Tokens to typed nodes. Every node keeps the tokens its spans come from.

use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Ident, LitStr, Token, Type, Visibility, braced, parenthesized};

/// The whole `routes!` input.
pub(crate) struct Input {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) name: Ident,
    /// `(state: Db)`: the binding name and the type.
    pub(crate) state: Option<(Ident, Type)>,
    /// `at "/tools"`: the table's base path.
    pub(crate) base: Option<LitStr>,
    pub(crate) items: Vec<Item>,
}

#[allow(clippy::large_enum_variant, reason = "built once per macro call; boxing buys nothing")]
pub(crate) enum Item {
    Wrap(Wrap),
    Route(Route),
    Scope(Scope),
    Fallback(Fallback),
    Guard(Guard),
    Mount(Mount),
    Rejection(Rejection),
    Timeout(Timeout),
}

/// `rejection => json_error(rejection, req),`
pub(crate) struct Rejection {
    pub(crate) kw: Ident,
    pub(crate) handler: Expr,
}

/// `limit 16 MiB` after a body type: the number and the unit, as written.
pub(crate) struct Limit {
    pub(crate) kw: Ident,
    pub(crate) amount: syn::LitInt,
    pub(crate) unit: Ident,
}

/// `timeout 5 s` on a route, or `timeout 5 s;` in a block: the number and the unit, as written.
/// A number written with its unit attached (`5s`, a suffixed literal) has no `unit`: the check
/// says how to write it.
pub(crate) struct Timeout {
    pub(crate) kw: Ident,
    pub(crate) amount: syn::LitInt,
    pub(crate) unit: Option<Ident>,
}

/// `guard admin: Admin = require_admin(state, req);`
pub(crate) struct Guard {
    pub(crate) kw: Ident,
    pub(crate) name: Ident,
    pub(crate) ty: Type,
    pub(crate) expr: Expr,
}

/// `mount tools::Tools = tools::Tools::new(state.tools.clone());`
pub(crate) struct Mount {
    pub(crate) kw: Ident,
    pub(crate) ty: Type,
    pub(crate) expr: Expr,
}

/// `wrap log;`, `wrap check(state, req, next);`, or `wrap tower(LAYER);`
pub(crate) struct Wrap {
    pub(crate) kw: Ident,
    /// The middleware call; for `tower(LAYER)`, the call that runs the table's layered service
    /// (set by [`number_layers`]).
    pub(crate) expr: Expr,
    /// `tower(LAYER)`: the layer, built once in `new`.
    pub(crate) layer: Option<Expr>,
}

/// `GET "/users/{id: u64}" body: Json<T> => handler(id, body),`
pub(crate) struct Route {
    /// Doc comments (and other attributes) written before the route.
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) method: Ident,
    pub(crate) pattern: LitStr,
    /// `as home`: the route's name, which gives `Api::home_url(..)`.
    pub(crate) name: Option<Ident>,
    pub(crate) body: Option<(Ident, Type)>,
    pub(crate) limit: Option<Limit>,
    pub(crate) timeout: Option<Timeout>,
    pub(crate) handler: Expr,
}

/// `scope "/admin" { ... }`, or `scope { ... }`: a group for guards and `wrap` only.
pub(crate) struct Scope {
    pub(crate) prefix: Option<LitStr>,
    pub(crate) items: Vec<Item>,
}

/// `fallback => not_found(req),`
pub(crate) struct Fallback {
    pub(crate) kw: Ident,
    pub(crate) handler: Expr,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let name: Ident = input.parse().map_err(|e| {
            syn::Error::new(e.span(), "expected the name of the generated type first, e.g. `pub Api(state: Db);`")
        })?;
        let state = if input.peek(syn::token::Paren) {
            let content;
            parenthesized!(content in input);
            let binding: Ident = content.parse()?;
            content.parse::<Token![:]>()?;
            let ty: Type = content.parse()?;
            Some((binding, ty))
        } else {
            None
        };
        let base = if input.peek(Ident) && input.fork().parse::<Ident>().is_ok_and(|i| i == "at") {
            input.parse::<Ident>()?;
            Some(input.parse::<LitStr>().map_err(|e| {
                syn::Error::new(e.span(), "expected the table's base path after `at`, e.g. `at \"/tools\"`")
            })?)
        } else {
            None
        };
        input.parse::<Token![;]>()?;
        let mut items = parse_items(input)?;
        number_layers(&mut items);
        Ok(Self { attrs, vis, name, state, base, items })
    }
}

/// The layer of `wrap tower(LAYER);`: a call of the bare name `tower` with one argument (a
/// middleware function of that name is still reachable as `self::tower`, or with two arguments).
fn tower_layer(expr: &Expr) -> Option<Expr> {
    let Expr::Call(call) = expr else { return None };
    let Expr::Path(path) = &*call.func else { return None };
    (path.qself.is_none() && path.path.is_ident("tower") && call.args.len() == 1).then(|| call.args[0].clone())
}

/// The field of the table that keeps the layered service of the `i`th `wrap tower(..)`.
pub(crate) fn layer_field(i: usize) -> Ident {
    quote::format_ident!("__layer{i}")
}

/// Numbers the `wrap tower(LAYER);` items in declaration order and makes each one's middleware
/// call run the layered service the table keeps (`self` at the top level, which wraps the whole
/// dispatch, `__this` in the route arms, which scopes' middleware wraps).
fn number_layers(items: &mut [Item]) {
    fn walk(items: &mut [Item], root: bool, n: &mut usize) {
        for item in items {
            match item {
                Item::Wrap(w) if w.layer.is_some() => {
                    let field = layer_field(*n);
                    let this = if root { quote::quote!(self) } else { quote::quote!(__this) };
                    let req = Ident::new("req", proc_macro2::Span::call_site());
                    let next = Ident::new("next", proc_macro2::Span::call_site());
                    w.expr = syn::parse_quote_spanned! {w.expr.span()=>
                        ::waymark::__private::tower_wrap(&#this.#field, #req, #next)
                    };
                    *n += 1;
                }
                Item::Scope(scope) => walk(&mut scope.items, false, n),
                _ => {}
            }
        }
    }
    walk(items, true, &mut 0);
}

fn parse_items(input: ParseStream<'_>) -> syn::Result<Vec<Item>> {
    let mut items = Vec::new();
    while !input.is_empty() {
        items.push(input.parse()?);
    }
    Ok(items)
}

impl Parse for Item {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let kw: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        if !attrs.is_empty()
            && ["wrap", "scope", "guard", "mount", "fallback", "rejection", "timeout"].iter().any(|k| kw == k)
        {
            return Err(syn::Error::new(kw.span(), format!("doc comments and attributes go on routes, not on `{kw}`")));
        }
        if kw == "rejection" {
            input.parse::<Token![=>]>()?;
            let handler: Expr = input.parse()?;
            eat_comma(input)?;
            return Ok(Item::Rejection(Rejection { kw, handler }));
        }
        if kw == "timeout" {
            let timeout = parse_timeout(input, kw)?;
            input.parse::<Token![;]>()?;
            return Ok(Item::Timeout(timeout));
        }
        if kw == "wrap" {
            let expr: Expr = input.parse()?;
            input.parse::<Token![;]>()?;
            let layer = tower_layer(&expr);
            return Ok(Item::Wrap(Wrap { kw, expr, layer }));
        }
        if kw == "scope" {
            let prefix: Option<LitStr> = if input.peek(LitStr) { Some(input.parse()?) } else { None };
            let content;
            braced!(content in input);
            let items = parse_items(&content)?;
            input.parse::<Option<Token![,]>>()?;
            return Ok(Item::Scope(Scope { prefix, items }));
        }
        if kw == "guard" {
            let name: Ident = input.parse()?;
            input.parse::<Token![:]>().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    format!("expected `: Type` after the guard's name, e.g. `guard {name}: Admin = check(req);`"),
                )
            })?;
            let ty: Type = input.parse()?;
            input.parse::<Token![=]>()?;
            let expr: Expr = input.parse()?;
            input.parse::<Token![;]>()?;
            return Ok(Item::Guard(Guard { kw, name, ty, expr }));
        }
        if kw == "mount" {
            let ty: Type = input.parse()?;
            input.parse::<Token![=]>().map_err(|e| {
                syn::Error::new(e.span(), "expected `= EXPR` after the mounted type, e.g. `mount tools::Tools = tools::Tools::new(state.tools.clone());`")
            })?;
            let expr: Expr = input.parse()?;
            input.parse::<Token![;]>()?;
            return Ok(Item::Mount(Mount { kw, ty, expr }));
        }
        if kw == "fallback" {
            if input.peek(Token![as]) {
                let kw_as: Token![as] = input.parse()?;
                return Err(syn::Error::new(
                    kw_as.span,
                    "a `fallback` cannot be named: it has no path to build a URL for; remove `as ...`",
                ));
            }
            input.parse::<Token![=>]>()?;
            let handler: Expr = input.parse()?;
            eat_comma(input)?;
            return Ok(Item::Fallback(Fallback { kw, handler }));
        }
        parse_route(input, attrs, kw)
    }
}

/// A route, after its attributes and method.
fn parse_route(input: ParseStream<'_>, attrs: Vec<Attribute>, method: Ident) -> syn::Result<Item> {
    let pattern: LitStr = input.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            format!("expected a path pattern string after `{method}`, e.g. `\"/users/{{id: u64}}\"`"),
        )
    })?;
    let (mut name, mut body, mut limit, mut timeout) = (None, None, None, None);
    while !input.peek(Token![=>]) {
        if input.peek(Token![as]) && name.is_none() {
            input.parse::<Token![as]>()?;
            name = Some(
                input
                    .parse::<Ident>()
                    .map_err(|e| syn::Error::new(e.span(), "expected the route's name after `as`, e.g. `as home`"))?,
            );
            continue;
        }
        let word: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        if word == "limit" && limit.is_none() {
            let amount: syn::LitInt = input
                .parse()
                .map_err(|e| syn::Error::new(e.span(), "expected a size after `limit`, e.g. `limit 16 MiB`"))?;
            let unit: Ident = input
                .parse()
                .map_err(|e| syn::Error::new(e.span(), "expected a unit after the size: `B`, `KiB`, `MiB` or `GiB`"))?;
            limit = Some(Limit { kw: word, amount, unit });
            continue;
        }
        if word == "timeout" && timeout.is_none() {
            timeout = Some(parse_timeout(input, word)?);
            continue;
        }
        if word != "body" || body.is_some() {
            return Err(syn::Error::new(
                word.span(),
                format!("expected `=>`, `as NAME`, `body: Type`, `limit SIZE` or `timeout TIME`, found `{word}`"),
            ));
        }
        input.parse::<Token![:]>()?;
        body = Some((word, input.parse()?));
    }
    input.parse::<Token![=>]>()?;
    let handler: Expr = input.parse()?;
    eat_comma(input)?;
    Ok(Item::Route(Route { attrs, method, pattern, name, body, limit, timeout, handler }))
}

/// `5 s` after `timeout`; the unit is left out when the number carries it as a suffix (`5s`).
fn parse_timeout(input: ParseStream<'_>, kw: Ident) -> syn::Result<Timeout> {
    let amount: syn::LitInt = input.parse().map_err(|e| {
        syn::Error::new(e.span(), "expected a whole number after `timeout`, e.g. `timeout 5 s` or `timeout 1500 ms`")
    })?;
    let unit = if amount.suffix().is_empty() {
        Some(input.parse::<Ident>().map_err(|e| {
            syn::Error::new(e.span(), "expected a unit after the number: `ms`, `s` or `min`, e.g. `timeout 5 s`")
        })?)
    } else {
        None
    };
    Ok(Timeout { kw, amount, unit })
}

/// Items are separated by commas; the last one (and one after a `}`) may go without.
fn eat_comma(input: ParseStream<'_>) -> syn::Result<()> {
    if input.is_empty() || input.parse::<Option<Token![,]>>()?.is_some() {
        return Ok(());
    }
    Err(input.error("expected `,` between routes"))
}
