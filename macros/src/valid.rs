//! Checks each declaration on its own and flattens scopes into a table of routes.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::{Expr, Ident, Lit, LitStr, Type, Visibility};

use crate::ast::{Fallback, Input, Item};
use crate::pattern::{self, Segment};

/// The methods `routes!` accepts, in the order `Allow` lists them.
pub(crate) const METHODS: [&str; 8] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"];

/// The checked table: every route with its scope prefix applied and its types parsed.
pub(crate) struct Table<'a> {
    /// The generated type's name (the generated helper items are named after it), visibility,
    /// and state binding.
    pub(crate) name: &'a Ident,
    pub(crate) vis: &'a Visibility,
    pub(crate) state: Option<&'a Ident>,
    pub(crate) routes: Vec<RouteDef<'a>>,
    pub(crate) wraps: Vec<&'a Expr>,
    pub(crate) fallback: Option<&'a Fallback>,
}

pub(crate) struct RouteDef<'a> {
    pub(crate) method: &'static str,
    pub(crate) lit: &'a LitStr,
    /// The full pattern with the scope prefixes, as written.
    pub(crate) full: String,
    pub(crate) segments: Vec<Segment>,
    /// The path parameters in segment order, with their segment index.
    pub(crate) params: Vec<PathParam>,
    pub(crate) query: Vec<QueryDef>,
    pub(crate) body: Option<&'a Type>,
    pub(crate) handler: &'a Expr,
    /// Scope middleware, outermost first.
    pub(crate) wraps: Vec<&'a Expr>,
}

pub(crate) struct PathParam {
    pub(crate) index: usize,
    pub(crate) catch_all: bool,
    pub(crate) name: Ident,
    pub(crate) ty: ParamTy,
}

/// How a parameter is bound: a borrowed `&str` (untyped, or written `&str`), or parsed.
#[allow(clippy::large_enum_variant, reason = "built once per macro call; boxing buys nothing")]
pub(crate) enum ParamTy {
    Str,
    Parsed { ty: Type, text: String },
}

impl ParamTy {
    pub(crate) fn text(&self) -> &str {
        match self {
            ParamTy::Str => "&str",
            ParamTy::Parsed { text, .. } => text,
        }
    }
}

pub(crate) struct QueryDef {
    pub(crate) name: Ident,
    /// The type the value is parsed as (the inner type for `Option<T>`).
    pub(crate) ty: Type,
    pub(crate) text: String,
    pub(crate) kind: QueryKind,
}

pub(crate) enum QueryKind {
    Required,
    Optional,
    Default(Lit),
}

/// Checks every declaration; returns the table and every error found.
pub(crate) fn check(input: &Input) -> (Table<'_>, Vec<syn::Error>) {
    let mut cx = Cx {
        table: Table {
            name: &input.name,
            vis: &input.vis,
            state: input.state.as_ref().map(|(binding, _)| binding),
            routes: Vec::new(),
            wraps: Vec::new(),
            fallback: None,
        },
        errors: Vec::new(),
    };
    let root = Prefix { text: String::new(), wraps: Vec::new(), valid: true };
    cx.items(&input.items, &root, true);
    (cx.table, cx.errors)
}

struct Cx<'a> {
    table: Table<'a>,
    errors: Vec<syn::Error>,
}

/// What enclosing scopes contribute to a route.
struct Prefix<'a> {
    text: String,
    wraps: Vec<&'a Expr>,
    /// False when a scope prefix had an error: its routes are not checked again.
    valid: bool,
}

impl<'a> Cx<'a> {
    fn error(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.errors.push(syn::Error::new(span, msg));
    }

    fn items(&mut self, items: &'a [Item], outer: &Prefix<'a>, root: bool) {
        let mut wraps = outer.wraps.clone();
        let mut seen_route = false;
        for item in items {
            match item {
                Item::Wrap(w) if seen_route => self.error(
                    w.kw.span(),
                    "`wrap` must come before the routes of its block; it applies to every route of the block",
                ),
                Item::Wrap(w) if root => self.table.wraps.push(&w.expr),
                Item::Wrap(w) => wraps.push(&w.expr),
                Item::Route(_) | Item::Scope(_) | Item::Fallback(_) => seen_route = true,
            }
        }
        let here = Prefix { text: outer.text.clone(), wraps, valid: outer.valid };
        for item in items {
            match item {
                Item::Wrap(_) => {}
                Item::Route(route) => self.route(route, &here, !root),
                Item::Scope(scope) => {
                    let inner = self.scope_prefix(&scope.prefix, &here);
                    self.items(&scope.items, &inner, false);
                }
                Item::Fallback(f) if !root => {
                    self.error(f.kw.span(), "`fallback` is only allowed at the top level of `routes!`, not in a scope");
                }
                Item::Fallback(f) => match self.table.fallback {
                    Some(first) => {
                        self.error(f.kw.span(), "duplicate `fallback`; there can be only one");
                        self.error(first.kw.span(), "the first `fallback` is declared here");
                    }
                    None => self.table.fallback = Some(f),
                },
            }
        }
    }

    fn scope_prefix(&mut self, lit: &LitStr, outer: &Prefix<'a>) -> Prefix<'a> {
        let value = lit.value();
        let mut inner =
            Prefix { text: format!("{}{value}", outer.text), wraps: outer.wraps.clone(), valid: outer.valid };
        let problem = if value.contains('?') {
            Some(format!("scope prefix `{value}` cannot have query parameters; declare them on the routes"))
        } else if value == "/" || value.ends_with('/') {
            Some(format!(
                "scope prefix `{value}` must not end with `/`; routes append their own, e.g. `scope \"/admin\" {{ GET \"/stats\" ... }}`"
            ))
        } else {
            match pattern::parse_path(&value, false) {
                Err(e) => Some(e),
                Ok(segs) if segs.iter().any(|s| matches!(s, Segment::CatchAll(_))) => Some(format!(
                    "scope prefix `{value}` cannot contain a catch-all; it must be followed by the routes' segments"
                )),
                Ok(_) => None,
            }
        };
        if let Some(msg) = problem {
            self.error(lit.span(), msg);
            inner.valid = false;
        }
        inner
    }

    fn route(&mut self, route: &'a crate::ast::Route, prefix: &Prefix<'a>, in_scope: bool) {
        let method_text = route.method.to_string();
        let method = METHODS.iter().copied().find(|m| *m == method_text);
        if method.is_none() {
            let upper = method_text.to_ascii_uppercase();
            if METHODS.contains(&upper.as_str()) {
                self.error(route.method.span(), format!("method `{method_text}` must be uppercase: `{upper}`"));
            } else {
                self.error(
                    route.method.span(),
                    format!("unknown method `{method_text}`; use one of {}", METHODS.join(", ")),
                );
            }
        }
        if let (Some((kw, _)), Some(m @ ("GET" | "HEAD"))) = (&route.body, method) {
            self.error(
                kw.span(),
                format!("a `{m}` route cannot take a body (RFC 9110 gives it no meaning); remove `body: ...` or use `POST`, `PUT` or `PATCH`"),
            );
        }
        let lit = &route.pattern;
        let own = lit.value();
        if let Err(e) = pattern::parse(&own, in_scope) {
            self.error(lit.span(), e);
            return;
        }
        if !prefix.valid {
            return;
        }
        let full = format!("{}{own}", prefix.text);
        let parsed = match pattern::parse(&full, false) {
            Ok(p) => p,
            Err(e) => return self.error(lit.span(), e),
        };
        let Some(method) = method else { return };
        let names = parsed.segments.iter().filter_map(Segment::param).map(|p| &p.name);
        if let Some(name) =
            names.chain(parsed.query.iter().map(|q| &q.name)).find(|n| self.table.state.is_some_and(|state| state == n))
        {
            return self.error(
                lit.span(),
                format!("parameter `{name}` in `{full}` would hide the state binding `{name}`; rename the parameter"),
            );
        }
        let mut params = Vec::new();
        for (index, seg) in parsed.segments.iter().enumerate() {
            let (Segment::Param(p) | Segment::CatchAll(p)) = seg else { continue };
            let Some(ty) = self.param_ty(p.ty.as_deref(), &p.name, &full, lit) else { continue };
            let name = Ident::new(&p.name, lit.span());
            params.push(PathParam { index, catch_all: matches!(seg, Segment::CatchAll(_)), name, ty });
        }
        let mut query = Vec::new();
        for q in &parsed.query {
            let mut text = q.ty.clone().unwrap_or_else(|| "String".to_owned());
            let Some(ty) = self.parse_type(&text, &q.name, &full, lit) else { continue };
            let (ty, kind) = match (option_inner(&ty), &q.default) {
                (Some(_), Some(_)) => {
                    self.error(
                        lit.span(),
                        format!("query parameter `{}` is an `Option` and has a default; drop one of them", q.name),
                    );
                    continue;
                }
                (Some(inner), None) => {
                    text = text.trim().strip_prefix("Option").map_or(text.clone(), |t| {
                        t.trim().trim_start_matches('<').trim_end_matches('>').trim().to_owned()
                    });
                    (inner.clone(), QueryKind::Optional)
                }
                (None, None) => (ty, QueryKind::Required),
                (None, Some(d)) => match syn::parse_str::<Lit>(d) {
                    Ok(mut lit_value) => {
                        lit_value.set_span(lit.span());
                        (ty, QueryKind::Default(lit_value))
                    }
                    Err(_) => {
                        self.error(
                            lit.span(),
                            format!(
                                "default `{d}` of query parameter `{}` is not a literal; write a literal such as `20`, `true` or `\"name\"`",
                                q.name
                            ),
                        );
                        continue;
                    }
                },
            };
            query.push(QueryDef { name: Ident::new(&q.name, lit.span()), ty, text, kind });
        }
        self.table.routes.push(RouteDef {
            method,
            lit,
            full,
            segments: parsed.segments,
            params,
            query,
            body: route.body.as_ref().map(|(_, ty)| ty),
            handler: &route.handler,
            wraps: prefix.wraps.clone(),
        });
    }

    fn param_ty(&mut self, text: Option<&str>, name: &str, full: &str, lit: &LitStr) -> Option<ParamTy> {
        let Some(text) = text else { return Some(ParamTy::Str) };
        let ty = self.parse_type(text, name, full, lit)?;
        let is_str = matches!(&ty, Type::Reference(r) if r.mutability.is_none() && matches!(&*r.elem, Type::Path(p) if p.path.is_ident("str")));
        Some(if is_str { ParamTy::Str } else { ParamTy::Parsed { ty, text: text.to_owned() } })
    }

    /// Parses a type written inside a pattern string; its tokens take the literal's span so that
    /// rustc's errors about the type point at the pattern.
    fn parse_type(&mut self, text: &str, name: &str, full: &str, lit: &LitStr) -> Option<Type> {
        let parsed = text.parse::<TokenStream>().ok().and_then(|ts| syn::parse2::<Type>(respan(ts, lit.span())).ok());
        if parsed.is_none() {
            self.error(
                lit.span(),
                format!(
                    "`{text}` (the type of parameter `{name}` in `{full}`) is not a type; write e.g. `u64` or `String`"
                ),
            );
        }
        parsed
    }
}

/// `Option<T>` gives `T`.
fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else { return None };
    match (last.ident == "Option", args.args.len(), args.args.first()) {
        (true, 1, Some(syn::GenericArgument::Type(inner))) => Some(inner),
        _ => None,
    }
}

fn respan(ts: TokenStream, span: Span) -> TokenStream {
    ts.into_iter()
        .map(|mut tt| {
            if let TokenTree::Group(g) = &tt {
                let mut group = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                tt = TokenTree::Group(group);
            } else {
                tt.set_span(span);
            }
            tt
        })
        .collect()
}
