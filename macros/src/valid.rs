//! Checks each declaration on its own and flattens scopes into a table of routes.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::{Expr, Ident, Lit, LitStr, Type, Visibility};

use crate::ast::{Fallback, Guard, Input, Item, Limit, Mount, Timeout};
use crate::pattern::{self, Segment};
use crate::range::{self, Range};

/// The methods `routes!` accepts, in the order `Allow` lists them.
pub(crate) const METHODS: [&str; 8] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"];

/// Names a guard cannot take: they are bindings of their own.
const RESERVED: [&str; 4] = ["req", "body", "next", "self"];

/// The checked table: every route with its base path and scope prefixes applied and its types
/// parsed.
pub(crate) struct Table<'a> {
    /// The generated type's name (the generated helper items are named after it), visibility,
    /// and state binding.
    pub(crate) name: &'a Ident,
    pub(crate) vis: &'a Visibility,
    pub(crate) state: Option<&'a Ident>,
    pub(crate) routes: Vec<RouteDef<'a>>,
    /// Top-level middleware: around everything the table answers, misses included.
    pub(crate) wraps: Vec<&'a Expr>,
    pub(crate) mounts: Vec<&'a Mount>,
    pub(crate) fallback: Option<&'a Fallback>,
    /// `rejection => EXPR`: the table's own answer to rejections.
    pub(crate) rejection: Option<&'a Expr>,
}

/// What one block (the top level, or a scope) puts around its routes: its `wrap` middleware, then
/// its guards. The top level's middleware is in [`Table::wraps`] instead, since it also wraps the
/// answers to requests no route matched.
#[derive(Clone, Default)]
pub(crate) struct Layer<'a> {
    pub(crate) wraps: Vec<&'a Expr>,
    pub(crate) guards: Vec<&'a Guard>,
    /// `timeout 5 s;` in the block, in milliseconds (see [`crate::timeout`]).
    pub(crate) timeout: Option<u64>,
}

pub(crate) struct RouteDef<'a> {
    pub(crate) method: &'static str,
    pub(crate) lit: &'a LitStr,
    pub(crate) name: Option<&'a Ident>,
    /// The full pattern with the base path and the scope prefixes, as written.
    pub(crate) full: String,
    /// The path template (`/users/{id}`): the full path with names only, no types, no query.
    pub(crate) template: String,
    pub(crate) segments: Vec<Segment>,
    /// The path parameters in segment order, with their segment index.
    pub(crate) params: Vec<PathParam>,
    pub(crate) query: Vec<QueryDef>,
    pub(crate) body: Option<&'a Type>,
    /// The route's body limit in bytes, if it declares one.
    pub(crate) limit: Option<u64>,
    /// The route's own `timeout`, in milliseconds.
    pub(crate) timeout: Option<u64>,
    /// The doc comment's lines.
    pub(crate) docs: Vec<String>,
    pub(crate) handler: &'a Expr,
    /// Outermost block first.
    pub(crate) layers: Vec<Layer<'a>>,
}

impl RouteDef<'_> {
    /// The route's timer: where it sits and how many milliseconds it gives (see
    /// [`crate::timeout::placement`]).
    pub(crate) fn timer(&self) -> Option<(usize, u64)> {
        crate::timeout::placement(self.layers.iter().map(|l| l.timeout), self.timeout)
    }
}

pub(crate) struct PathParam {
    pub(crate) index: usize,
    pub(crate) catch_all: bool,
    pub(crate) name: Ident,
    pub(crate) ty: ParamTy,
    /// `in 1..=100`, checked against the type: a value outside is refused when it is bound.
    pub(crate) range: Option<Range>,
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

    /// The type the handler sees the parameter as.
    pub(crate) fn bound(&self) -> TokenStream {
        match self {
            ParamTy::Str => quote::quote! { &str },
            ParamTy::Parsed { ty, .. } => ty.to_token_stream(),
        }
    }
}

impl QueryDef {
    /// The type the handler sees the parameter as.
    pub(crate) fn bound(&self) -> TokenStream {
        let ty = &self.ty;
        match &self.kind {
            QueryKind::Required | QueryKind::Default(_) => quote::quote! { #ty },
            QueryKind::Optional => quote::quote! { ::core::option::Option<#ty> },
            QueryKind::Repeated => quote::quote! { ::std::vec::Vec<#ty> },
        }
    }
}

pub(crate) struct QueryDef {
    pub(crate) name: Ident,
    /// The type the value is parsed as (the inner type for `Option<T>`).
    pub(crate) ty: Type,
    pub(crate) text: String,
    pub(crate) kind: QueryKind,
    /// `in 1..=100`, checked against `ty` (and the default): each value given must be in it.
    pub(crate) range: Option<Range>,
}

pub(crate) enum QueryKind {
    Required,
    Optional,
    Default(Lit),
    /// `Vec<T>`: every value given, in order.
    Repeated,
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
            mounts: Vec::new(),
            fallback: None,
            rejection: None,
        },
        errors: Vec::new(),
        names: Vec::new(),
        clashes: Vec::new(),
    };
    let base = input.base.as_ref().map_or_else(String::new, |lit| cx.base(lit));
    let root = Prefix { text: base, layers: Vec::new(), valid: true, top: input.base.is_none() };
    cx.items(&input.items, &root, true);
    (cx.table, cx.errors)
}

struct Cx<'a> {
    table: Table<'a>,
    errors: Vec<syn::Error>,
    /// Route names seen so far.
    names: Vec<&'a Ident>,
    /// Guards already reported for a clash, so that each is reported once.
    clashes: Vec<*const Guard>,
}

/// What enclosing blocks contribute to a route.
struct Prefix<'a> {
    text: String,
    layers: Vec<Layer<'a>>,
    /// False when a scope prefix had an error: its routes are not checked again.
    valid: bool,
    /// The top level of a table without a base path, where `""` is not a pattern.
    top: bool,
}

impl<'a> Cx<'a> {
    fn error(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.errors.push(syn::Error::new(span, msg));
    }

    /// Checks `at "/tools"`: literal segments only, no trailing `/`.
    fn base(&mut self, lit: &LitStr) -> String {
        let value = lit.value();
        let problem = match pattern::parse_path(&value, false) {
            Err(e) => Some(e),
            Ok(_) if value.contains('?') => Some(format!("base path `{value}` cannot have a query")),
            Ok(_) if value.ends_with('/') => Some(format!(
                "base path `{value}` must not end with `/`; routes append their own, e.g. `at \"/tools\"`, then `GET \"/ping\"`"
            )),
            Ok(segs) if segs.iter().any(|s| !matches!(s, Segment::Literal(_))) => Some(format!(
                "base path `{value}` must be literal segments only; declare parameters in a `scope` or on the routes"
            )),
            Ok(_) => None,
        };
        if let Some(msg) = problem {
            self.error(lit.span(), msg);
            return String::new();
        }
        value
    }

    fn items(&mut self, items: &'a [Item], outer: &Prefix<'a>, root: bool) {
        let mut layer = Layer::default();
        let (mut seen_route, mut declared_timeout) = (false, false);
        for item in items {
            match item {
                Item::Wrap(w) if seen_route => self.error(
                    w.kw.span(),
                    "`wrap` must come before the routes of its block; it applies to every route of the block",
                ),
                Item::Guard(g) if seen_route => self.error(
                    g.kw.span(),
                    format!(
                        "guard `{}` must come before the routes of its block; it runs for every route of the block",
                        g.name
                    ),
                ),
                Item::Wrap(w) if root => self.table.wraps.push(&w.expr),
                Item::Wrap(w) => layer.wraps.push(&w.expr),
                Item::Guard(g) => {
                    self.guard(g, outer, &layer, items);
                    layer.guards.push(g);
                }
                Item::Mount(m) if !root => {
                    self.error(m.kw.span(), "`mount` is only allowed at the top level of `routes!`, not in a scope");
                }
                Item::Rejection(r) if !root => {
                    self.error(
                        r.kw.span(),
                        "`rejection` is only allowed at the top level of `routes!`, not in a scope",
                    );
                }
                Item::Rejection(r) => match self.table.rejection {
                    Some(_) => self.error(r.kw.span(), "duplicate `rejection`; there can be only one"),
                    None => self.table.rejection = Some(&r.handler),
                },
                Item::Mount(m) => self.table.mounts.push(m),
                Item::Timeout(t) if seen_route => self.error(
                    t.kw.span(),
                    "`timeout` must come before the routes of its block; it applies to every route of the block",
                ),
                Item::Timeout(t) if declared_timeout => {
                    self.error(t.kw.span(), "a second `timeout` in one block; keep one");
                }
                Item::Timeout(t) => {
                    declared_timeout = true;
                    layer.timeout = self.timeout(t);
                }
                Item::Route(_) | Item::Scope(_) | Item::Fallback(_) => seen_route = true,
            }
        }
        let mut layers = outer.layers.clone();
        layers.push(layer);
        let here = Prefix { text: outer.text.clone(), layers, valid: outer.valid, top: outer.top && root };
        for item in items {
            match item {
                Item::Wrap(_) | Item::Guard(_) | Item::Mount(_) | Item::Rejection(_) | Item::Timeout(_) => {}
                Item::Route(route) => self.route(route, &here),
                Item::Scope(scope) => {
                    let inner = match &scope.prefix {
                        Some(prefix) => self.scope_prefix(prefix, &here),
                        None => Prefix {
                            text: here.text.clone(),
                            layers: here.layers.clone(),
                            valid: here.valid,
                            top: here.top,
                        },
                    };
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

    /// A guard's name against the bindings it could hide, and the routes it covers.
    fn guard(&mut self, g: &'a Guard, outer: &Prefix<'a>, layer: &Layer<'a>, block: &'a [Item]) {
        let name = g.name.to_string();
        let earlier = outer.layers.iter().chain([layer]).flat_map(|l| &l.guards).find(|e| e.name == g.name);
        if let Some(first) = earlier {
            self.error(
                g.name.span(),
                format!("guard `{name}` is declared twice on the same routes; rename one of them"),
            );
            self.error(first.name.span(), format!("the first guard `{name}` is declared here"));
        } else if RESERVED.contains(&name.as_str()) || self.table.state.is_some_and(|s| *s == name) {
            self.error(
                g.name.span(),
                format!("guard name `{name}` is already a binding of every route (the state, `req`, `body`); rename the guard"),
            );
        }
        if !has_routes(block) {
            self.error(
                g.kw.span(),
                format!("guard `{name}` covers no route: its block declares none; move it to a block with routes or remove it"),
            );
        }
    }

    fn scope_prefix(&mut self, lit: &LitStr, outer: &Prefix<'a>) -> Prefix<'a> {
        let value = lit.value();
        let mut inner = Prefix {
            text: format!("{}{value}", outer.text),
            layers: outer.layers.clone(),
            valid: outer.valid,
            top: false,
        };
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

    fn route(&mut self, route: &'a crate::ast::Route, prefix: &Prefix<'a>) {
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
        // A name used twice gives no second builder: the error says why, and nothing follows from it.
        let name = route.name.as_ref().filter(|name| match self.names.iter().copied().find(|n| n == name) {
            Some(first) => {
                self.error(
                    name.span(),
                    format!(
                        "route name `{name}` is used twice; each name gives one `{name}_url` builder, so rename one"
                    ),
                );
                self.error(first.span(), format!("`{name}` is first used here"));
                false
            }
            None => {
                self.names.push(name);
                true
            }
        });
        let limit = route.limit.as_ref().and_then(|l| self.limit(l, route.body.is_some()));
        let timeout = route.timeout.as_ref().and_then(|t| self.timeout(t));
        let lit = &route.pattern;
        let own = lit.value();
        if let Err(e) = pattern::parse(&own, !prefix.top) {
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
        let names: Vec<&String> = names.chain(parsed.query.iter().map(|q| &q.name)).collect();
        if let Some(name) = names.iter().find(|n| self.table.state.is_some_and(|state| state == *n)) {
            return self.error(
                lit.span(),
                format!("parameter `{name}` in `{full}` would hide the state binding `{name}`; rename the parameter"),
            );
        }
        self.guard_clashes(prefix, &names, method, &full);
        let mut params = Vec::new();
        for (index, seg) in parsed.segments.iter().enumerate() {
            let (Segment::Param(p) | Segment::CatchAll(p)) = seg else { continue };
            let Some(ty) = self.param_ty(p.ty.as_deref(), &p.name, &full, lit) else { continue };
            let typed = p.ty.as_ref().map(|_| ty.text());
            let range = self.range(p.range.as_ref(), &p.name, typed, None, lit);
            let name = Ident::new(&p.name, lit.span());
            params.push(PathParam { index, catch_all: matches!(seg, Segment::CatchAll(_)), name, ty, range });
        }
        let query = self.query(&parsed.query, &full, lit);
        self.table.routes.push(RouteDef {
            method,
            lit,
            name,
            full,
            template: pattern::template(&parsed.segments),
            segments: parsed.segments,
            params,
            query,
            body: route.body.as_ref().map(|(_, ty)| ty),
            limit,
            timeout,
            docs: docs(&route.attrs),
            handler: &route.handler,
            layers: prefix.layers.clone(),
        });
    }

    fn query(&mut self, declared: &[pattern::QueryParam], full: &str, lit: &LitStr) -> Vec<QueryDef> {
        let mut query = Vec::new();
        for q in declared {
            let Some(ty) = self.parse_type(q.ty.as_deref().unwrap_or("String"), &q.name, full, lit) else { continue };
            let (ty, kind) = match (option_inner(&ty).or_else(|| vec_inner(&ty)), &q.default) {
                (Some(_), Some(_)) => {
                    self.error(
                        lit.span(),
                        format!(
                            "query parameter `{}` is {} and has a default; drop one of them",
                            q.name,
                            if vec_inner(&ty).is_some() { "a `Vec` (empty when absent)" } else { "an `Option`" }
                        ),
                    );
                    continue;
                }
                (Some(inner), None) if vec_inner(&ty).is_some() => (inner.clone(), QueryKind::Repeated),
                (Some(inner), None) => (inner.clone(), QueryKind::Optional),
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
            let text = type_text(&ty);
            let default = if let QueryKind::Default(d) = &kind { Some(d) } else { None };
            let typed = q.ty.as_ref().map(|_| text.as_str());
            let range = self.range(q.range.as_ref(), &q.name, typed, default, lit);
            query.push(QueryDef { name: Ident::new(&q.name, lit.span()), text, ty, kind, range });
        }
        query
    }

    /// A parameter's range against its type (`None`: untyped) and default; `None` after an error.
    fn range(
        &mut self,
        r: Option<&Range>,
        name: &str,
        ty: Option<&str>,
        default: Option<&Lit>,
        lit: &LitStr,
    ) -> Option<Range> {
        let r = r?;
        match range::check(r, name, ty, default) {
            Ok(()) => Some(r.clone()),
            Err(e) => {
                self.error(lit.span(), e);
                None
            }
        }
    }

    /// `limit 16 MiB`: a whole number of a known unit, on a route with a body.
    fn limit(&mut self, limit: &Limit, has_body: bool) -> Option<u64> {
        if !has_body {
            self.error(limit.kw.span(), "`limit` bounds a body: declare `body: T` on this route, or remove the limit");
            return None;
        }
        let factor: u64 = match limit.unit.to_string().as_str() {
            "B" => 1,
            "KiB" => 1 << 10,
            "MiB" => 1 << 20,
            "GiB" => 1 << 30,
            other => {
                self.error(limit.unit.span(), format!("unknown size unit `{other}`; use `B`, `KiB`, `MiB` or `GiB`"));
                return None;
            }
        };
        let bytes = limit.amount.base10_parse::<u64>().ok().and_then(|n| n.checked_mul(factor));
        match bytes {
            Some(0) => self.error(limit.amount.span(), "a body limit of 0 refuses every body; remove `body:` instead"),
            Some(bytes) if limit.amount.suffix().is_empty() => return Some(bytes),
            Some(_) => self.error(limit.amount.span(), "write the size without a suffix, e.g. `limit 16 MiB`"),
            None => self.error(limit.amount.span(), "body limit does not fit in 64 bits"),
        }
        None
    }

    /// `timeout 5 s`, in milliseconds, or `None` after an error.
    fn timeout(&mut self, t: &Timeout) -> Option<u64> {
        crate::timeout::check(t).map_err(|(span, msg)| self.error(span, msg)).ok()
    }

    /// A guard named like a parameter of a route it covers (reported once per guard).
    fn guard_clashes(&mut self, prefix: &Prefix<'a>, names: &[&String], method: &str, full: &str) {
        for guard in prefix.layers.iter().flat_map(|l| &l.guards) {
            let ptr: *const Guard = *guard;
            if let Some(name) = names.iter().find(|n| guard.name == n)
                && !self.clashes.contains(&ptr)
            {
                self.clashes.push(ptr);
                self.error(
                    guard.name.span(),
                    format!("guard `{name}` has the name of a parameter of `{method} {full}`; rename one of them"),
                );
            }
        }
    }

    fn param_ty(&mut self, text: Option<&str>, name: &str, full: &str, lit: &LitStr) -> Option<ParamTy> {
        let Some(text) = text else { return Some(ParamTy::Str) };
        let ty = self.parse_type(text, name, full, lit)?;
        let is_str = matches!(&ty, Type::Reference(r) if r.mutability.is_none() && matches!(&*r.elem, Type::Path(p) if p.path.is_ident("str")));
        Some(if is_str { ParamTy::Str } else { ParamTy::Parsed { text: type_text(&ty), ty } })
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

fn has_routes(items: &[Item]) -> bool {
    items.iter().any(|i| match i {
        Item::Route(_) => true,
        Item::Scope(s) => has_routes(&s.items),
        _ => false,
    })
}

/// `Option<T>` (or `std::option::Option<T>`, ...) gives `T`.
pub(crate) fn option_inner(ty: &Type) -> Option<&Type> {
    generic_inner(ty, "Option")
}

/// `Vec<T>` gives `T`.
pub(crate) fn vec_inner(ty: &Type) -> Option<&Type> {
    generic_inner(ty, "Vec")
}

fn generic_inner<'t>(ty: &'t Type, name: &str) -> Option<&'t Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else { return None };
    match (last.ident == name, args.args.len(), args.args.first()) {
        (true, 1, Some(syn::GenericArgument::Type(inner))) => Some(inner),
        _ => None,
    }
}

/// The lines of the doc comments among `attrs`.
fn docs(attrs: &[syn::Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|line| line.strip_prefix(' ').unwrap_or(&line).trim_end().to_owned())
        .collect()
}

/// A type as a user writes it, for messages: `Option<NonZero<u32>>`, not `Option < NonZero < u32 > >`.
pub(crate) fn type_text(ty: &Type) -> String {
    let spaced = ty.to_token_stream().to_string();
    let tight = |c: char| "<>:&()[],;".contains(c);
    let mut out = String::with_capacity(spaced.len());
    let chars: Vec<char> = spaced.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let before = out.chars().last().is_some_and(|p| tight(p) && p != ',');
            let after = chars.get(i + 1).is_some_and(|&n| tight(n));
            if before || after || out.ends_with(' ') {
                continue;
            }
        }
        out.push(c);
        if c == ',' {
            out.push(' ');
        }
    }
    out
}

pub(crate) fn respan(ts: TokenStream, span: Span) -> TokenStream {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_read_as_written() {
        let cases = [
            ("Option<NonZero<u32>>", "Option<NonZero<u32>>"),
            ("std::option::Option<u32>", "std::option::Option<u32>"),
            ("&'static str", "&'static str"),
            ("(u8, u16)", "(u8, u16)"),
            ("HashMap<String, Vec<u8>>", "HashMap<String, Vec<u8>>"),
        ];
        for (src, want) in cases {
            let ty: Type = syn::parse_str(src).unwrap();
            assert_eq!(type_text(&ty), want, "{src}");
        }
        for (src, inner) in
            [("Option<u8>", Some("u8")), ("std::option::Option<NonZero<u32>>", Some("NonZero<u32>")), ("Vec<u8>", None)]
        {
            let ty: Type = syn::parse_str(src).unwrap();
            assert_eq!(option_inner(&ty).map(type_text).as_deref(), inner, "{src}");
        }
    }
}
