//! Tokens to typed nodes. Every node keeps the tokens its spans come from.

use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Expr, Ident, LitStr, Token, Type, Visibility, braced, parenthesized};

/// The whole `routes!` input.
pub(crate) struct Input {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) name: Ident,
    /// `(state: Db)`: the binding name and the type.
    pub(crate) state: Option<(Ident, Type)>,
    pub(crate) items: Vec<Item>,
}

#[allow(clippy::large_enum_variant, reason = "built once per macro call; boxing buys nothing")]
pub(crate) enum Item {
    Wrap(Wrap),
    Route(Route),
    Scope(Scope),
    Fallback(Fallback),
}

/// `wrap log;` or `wrap check(state, req, next);`
pub(crate) struct Wrap {
    pub(crate) kw: Ident,
    pub(crate) expr: Expr,
}

/// `GET "/users/{id: u64}" body: Json<T> => handler(id, body),`
pub(crate) struct Route {
    pub(crate) method: Ident,
    pub(crate) pattern: LitStr,
    pub(crate) body: Option<(Ident, Type)>,
    pub(crate) handler: Expr,
}

/// `scope "/admin" { ... }`
pub(crate) struct Scope {
    pub(crate) prefix: LitStr,
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
        input.parse::<Token![;]>()?;
        let items = parse_items(input)?;
        Ok(Self { attrs, vis, name, state, items })
    }
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
        let kw: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        if kw == "wrap" {
            let expr: Expr = input.parse()?;
            input.parse::<Token![;]>()?;
            return Ok(Item::Wrap(Wrap { kw, expr }));
        }
        if kw == "scope" {
            let prefix: LitStr = input.parse()?;
            let content;
            braced!(content in input);
            let items = parse_items(&content)?;
            input.parse::<Option<Token![,]>>()?;
            return Ok(Item::Scope(Scope { prefix, items }));
        }
        if kw == "fallback" {
            input.parse::<Token![=>]>()?;
            let handler: Expr = input.parse()?;
            eat_comma(input)?;
            return Ok(Item::Fallback(Fallback { kw, handler }));
        }
        let method = kw;
        let pattern: LitStr = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                format!("expected a path pattern string after `{method}`, e.g. `\"/users/{{id: u64}}\"`"),
            )
        })?;
        let body = if input.peek(Token![=>]) {
            None
        } else {
            let name: Ident = input.parse()?;
            if name != "body" {
                return Err(syn::Error::new(name.span(), format!("expected `=>` or `body: Type`, found `{name}`")));
            }
            input.parse::<Token![:]>()?;
            Some((name, input.parse()?))
        };
        input.parse::<Token![=>]>()?;
        let handler: Expr = input.parse()?;
        eat_comma(input)?;
        Ok(Item::Route(Route { method, pattern, body, handler }))
    }
}

/// Items are separated by commas; the last one (and one after a `}`) may go without.
fn eat_comma(input: ParseStream<'_>) -> syn::Result<()> {
    if input.is_empty() || input.parse::<Option<Token![,]>>()?.is_some() {
        return Ok(());
    }
    Err(input.error("expected `,` between routes"))
}
