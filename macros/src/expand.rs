//! Emits the dispatcher: a `match` over the method and the path segments, the route bodies with
//! their bindings, and the statically composed middleware. On any error, emits the errors and a
//! stub of the public items instead, so the user sees the real errors and no follow-on ones.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Ident, Lit};

use crate::ast::Input;
use crate::conflict::{self, Shape};
use crate::pattern::Segment;
use crate::valid::{self, METHODS, ParamTy, PathParam, QueryKind, RouteDef, Table};

pub(crate) fn expand(input: &Input) -> TokenStream {
    let (table, mut errors) = valid::check(input);
    errors.extend(conflicts(&table));
    let header = header(input);
    if errors.is_empty() {
        let body = dispatcher(&table);
        quote! { #header #body }
    } else {
        let errors = errors.iter().map(syn::Error::to_compile_error);
        let stub = stub(input);
        quote! { #header #stub #(#errors)* }
    }
}

fn conflicts(table: &Table<'_>) -> Vec<syn::Error> {
    let shapes: Vec<_> = table.routes.iter().map(|r| Shape { method: r.method, segments: &r.segments }).collect();
    let mut errors = Vec::new();
    for c in conflict::find(&shapes) {
        let (first, later) = (&table.routes[c.earlier], &table.routes[c.later]);
        let (a, b) = (format!("{} {}", first.method, first.full), format!("{} {}", later.method, later.full));
        let (msg, note) = if first.full == later.full {
            (format!("route `{b}` is declared twice; remove one of them"), format!("`{a}` is first declared here"))
        } else {
            let both = match &c.witness {
                Some(path) => format!("both match `{path}`"),
                None => format!("both have the shape `{}`", conflict::shape_text(&later.segments)),
            };
            (
                format!(
                    "route `{b}` conflicts with `{a}`: {both}; parameters at the same place do not order routes, so remove one or make a literal segment differ"
                ),
                format!("`{a}` is declared here first; `{b}` conflicts with it"),
            )
        };
        errors.push(syn::Error::new(later.lit.span(), msg));
        errors.push(syn::Error::new(first.lit.span(), note));
    }
    errors
}

/// The generated type, its constructor and its state accessor: the same with or without errors.
fn header(input: &Input) -> TokenStream {
    let Input { attrs, vis, name, state, .. } = input;
    let name_str = name.to_string();
    let (field, new) = match state {
        Some((_, ty)) => (
            quote! { state: #ty },
            quote! {
                /// Creates the application around its shared state.
                #vis fn new(state: #ty) -> Self { Self { state } }
                /// The shared state.
                #vis fn state(&self) -> &#ty { &self.state }
            },
        ),
        None => (
            quote! { _private: () },
            quote! {
                /// Creates the application.
                #vis fn new() -> Self { Self { _private: () } }
            },
        ),
    };
    quote! {
        #(#attrs)*
        #vis struct #name { #field }
        impl #name { #new }
        impl ::core::fmt::Debug for #name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(#name_str).finish_non_exhaustive()
            }
        }
    }
}

/// What a table with errors expands to: the same public items, answering `500`.
fn stub(input: &Input) -> TokenStream {
    let Input { vis, name, .. } = input;
    quote! {
        impl #name {
            /// The route table (empty: the table has errors).
            #vis const ROUTES: &'static [::waymark::__private::RouteInfo] = &[];
            /// Answers one request in-process.
            #vis async fn call(&self, _req: ::waymark::__private::Request) -> ::waymark::__private::Response {
                ::waymark::__private::Response::status_only(::waymark::__private::StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
        impl ::waymark::__private::App for #name {
            fn handle<'a>(&'a self, _req: &'a ::waymark::__private::Request)
                -> impl ::core::future::Future<Output = ::waymark::__private::Response> + ::core::marker::Send + 'a {
                async { ::waymark::__private::Response::status_only(::waymark::__private::StatusCode::INTERNAL_SERVER_ERROR) }
            }
        }
    }
}

fn req_ident() -> Ident {
    Ident::new("req", Span::call_site())
}

fn dispatcher(table: &Table<'_>) -> TokenStream {
    let (vis, name, req) = (table.vis, table.name, req_ident());
    let state_binding = table.state.map(|bind| quote! { let #bind = &self.state; });
    let routes_info = table.routes.iter().map(|r| {
        let (method, pattern, handler) = (r.method, &r.full, expr_text(r.handler));
        quote! { ::waymark::__private::RouteInfo { method: #method, pattern: #pattern, handler: #handler } }
    });
    let Router { items, body } = router(table);
    let wrapped = wrap_all(quote! { async move { #body } }, &table.wraps);
    quote! {
        #items

        impl #name {
            /// The route table in declaration order: method, full pattern, handler expression.
            #vis const ROUTES: &'static [::waymark::__private::RouteInfo] = &[#(#routes_info),*];

            /// Answers one request in-process, without a socket, as the server would: a `HEAD`
            /// request gets the headers without the body.
            #vis async fn call(&self, req: ::waymark::__private::Request) -> ::waymark::__private::Response {
                let res = <Self as ::waymark::__private::App>::handle(self, &req).await;
                if ::waymark::__private::is_head(&req) { ::waymark::__private::strip_body_for_head(res) } else { res }
            }
        }

        impl ::waymark::__private::App for #name {
            #[allow(
                unused_variables,
                clippy::all,
                clippy::pedantic,
                reason = "generated: every route binds `req` and the state, whether its handler uses them or not"
            )]
            fn handle<'a>(&'a self, #req: &'a ::waymark::__private::Request)
                -> impl ::core::future::Future<Output = ::waymark::__private::Response> + ::core::marker::Send + 'a {
                #state_binding
                #wrapped
            }
        }
    }
}

/// Wraps the future `inner` in middleware, the first of `wraps` outermost.
fn wrap_all(inner: TokenStream, wraps: &[&Expr]) -> TokenStream {
    let req = req_ident();
    let next = Ident::new("next", Span::call_site());
    wraps.iter().rev().fold(inner, |inner, wrap| {
        let call = match wrap {
            Expr::Path(path) => quote_spanned! {path.span()=> #path(#req, #next) },
            other => quote! { #other },
        };
        let run = handler_call(&call, wrap.span());
        quote! {
            async move {
                let __inner = #inner;
                let mut __inner = ::core::pin::pin!(__inner);
                let #next = ::waymark::__private::Next::new(__inner.as_mut());
                #run
            }
        }
    })
}

/// Awaits a handler expression and converts its output, with trait errors at the expression.
fn handler_call(expr: &TokenStream, span: Span) -> TokenStream {
    let awaited = quote_spanned! {span=> ::waymark::__private::handler(#expr).await };
    quote_spanned! {span=> ::waymark::__private::into_response(#awaited) }
}

fn variant(i: usize) -> Ident {
    format_ident!("R{}", i)
}

/// Routes are run in chunks of this many: rustc's time to check one async body grows with the
/// square of the futures it awaits (10 s for 1,000 handler futures in one body, under 2 s in
/// chunks of 32). A table of at most this many routes runs in one body, with no extra future.
const CHUNK: usize = 32;

/// The enum holding route `i`'s matched parameters (one per chunk), and the variant of the route
/// enum that holds it. Module-level items, hidden, named after the generated type.
fn chunk_ident(table: &Table<'_>, i: usize) -> (Ident, Ident) {
    (format_ident!("__Waymark{}C{}", table.name, i / CHUNK), format_ident!("C{}", i / CHUNK))
}

/// The enum of matched routes with their parameters: what the matcher returns.
fn route_enum(table: &Table<'_>) -> Ident {
    format_ident!("__Waymark{}Route", table.name)
}

fn var(index: usize) -> Ident {
    format_ident!("__p{}", index)
}

fn method_fn(prefix: &str, method: &str) -> Ident {
    format_ident!("__{}_{}", prefix, method.to_ascii_lowercase())
}

/// The matcher as module-level items (the route enums and hidden associated functions of the
/// generated type, so that they can be benchmarked on their own), and the body of the routing
/// future that uses them: match, then run the route or answer the miss.
struct Router {
    items: TokenStream,
    body: TokenStream,
}

fn router(table: &Table<'_>) -> Router {
    let (vis, name, route) = (table.vis, table.name, route_enum(table));
    let req = req_ident();
    let depth = table.routes.iter().map(|r| r.segments.len()).max().unwrap_or(0) + 1;
    let methods: Vec<&str> = METHODS.iter().copied().filter(|m| table.routes.iter().any(|r| r.method == *m)).collect();

    let Chunks { enums: chunk_enums, variants: chunk_variants, arms: chunk_arms } = chunks(table);
    let match_fns = methods.iter().map(|m| method_matcher(table, m, depth));
    let find = by_method(&methods, "match", &quote! { __path });
    let find_bad = by_method(&methods, "bad", &quote! { &__s });
    let every = methods.iter().flat_map(|m| allowed_by(m));
    let allow = methods.iter().map(|m| {
        let (f, names) = (method_fn("match", m), allowed_by(m));
        quote! { if Self::#f(__path).is_some() { #(__allow.push(#names);)* } }
    });
    let fallback = match table.fallback {
        Some(f) => {
            let handler = &f.handler;
            handler_call(&quote! { #handler }, handler.span())
        }
        None => quote! { ::waymark::__private::not_found() },
    };
    let items = quote! {
        #(#chunk_enums)*
        #[doc(hidden)]
        #[allow(
            non_camel_case_types,
            private_interfaces,
            reason = "generated, hidden; holds the user's parameter types whatever their visibility"
        )]
        #vis enum #route<'p> {
            #(#chunk_variants,)*
            #[allow(dead_code, reason = "never built: it only uses the lifetime of an empty table")]
            __Lifetime(::core::marker::PhantomData<&'p ()>),
        }
        #[allow(
            private_interfaces,
            clippy::all,
            clippy::pedantic,
            reason = "generated matcher code, hidden from the user's API"
        )]
        impl #name {
            #(#match_fns)*

            /// The route a request would take, with its parameters parsed: the whole matching
            /// step, without running anything. For benchmarks; not a stable API.
            #[doc(hidden)]
            #[inline]
            #vis fn __lookup<'p>(__method: &::waymark::__private::Method, __path: &'p str)
                -> ::core::option::Option<#route<'p>> {
                #find
            }

            #[cold]
            fn __bad_lookup(__method: &::waymark::__private::Method, __s: &::waymark::__private::Segments<'_, #depth>)
                -> ::core::option::Option<(&'static str, &'static str)> {
                #find_bad
            }
        }
    };
    let body = quote! {
        let __path = #req.path();
        let __method = #req.method();
        match Self::__lookup(__method, __path) {
            #(#chunk_arms)*
            _ => {
                let __s = ::waymark::__private::Segments::<#depth>::split(__path);
                if let ::core::option::Option::Some((__name, __ty)) = Self::__bad_lookup(__method, &__s) {
                    return ::waymark::__private::bad_param(__name, __ty);
                }
                let mut __allow = ::waymark::__private::Allow::default();
                // `OPTIONS *` asks about the server as a whole (RFC 9110 §9.3.7): every method.
                if __path == "*" && *__method == ::waymark::__private::Method::OPTIONS {
                    #(__allow.push(#every);)*
                }
                #(#allow)*
                if !__allow.is_empty() {
                    __allow.push("OPTIONS");
                    if *__method == ::waymark::__private::Method::OPTIONS {
                        return __allow.options();
                    }
                    return __allow.method_not_allowed();
                }
                #fallback
            }
        }
    };
    Router { items, body }
}

/// The methods an `Allow` header lists for a route of method `m`: `GET` serves `HEAD` too.
fn allowed_by(m: &str) -> Vec<&str> {
    if m == "GET" { vec!["GET", "HEAD"] } else { vec![m] }
}

/// Calls the matcher (or the `400` check) of the request's method: `prefix` names the function
/// family, `args` its arguments.
fn by_method(methods: &[&str], prefix: &str, args: &TokenStream) -> TokenStream {
    let head_falls_back = methods.contains(&"GET");
    let arms = methods.iter().filter(|m| !(head_falls_back && **m == "HEAD")).map(|m| {
        let f = method_fn(prefix, m);
        let konst = Ident::new(m, Span::call_site());
        quote! { if *__method == ::waymark::__private::Method::#konst { Self::#f(#args) } else }
    });
    // HEAD falls back to GET (RFC 9110 §9.3.2) when no explicit HEAD route matches.
    let head = head_falls_back.then(|| {
        let get = method_fn(prefix, "GET");
        let first = if methods.contains(&"HEAD") {
            let head = method_fn(prefix, "HEAD");
            quote! { Self::#head(#args).or_else(|| Self::#get(#args)) }
        } else {
            quote! { Self::#get(#args) }
        };
        quote! { if *__method == ::waymark::__private::Method::HEAD { #first } else }
    });
    quote! { #head #(#arms)* { ::core::option::Option::None } }
}

/// The trie matcher of one method (`__match_get`) and its cold `400` check (`__bad_get`).
fn method_matcher(table: &Table<'_>, m: &str, depth: usize) -> TokenStream {
    let route = route_enum(table);
    let routes: Vec<usize> = (0..table.routes.len()).filter(|&i| table.routes[i].method == m).collect();
    let (matcher, bad) = (method_fn("match", m), method_fn("bad", m));
    let trie = emit_node(&build_trie(table, &routes), 0, table);
    let checks = routes.iter().map(|&i| bad_param_check(&table.routes[i]));
    quote! {
        #[inline]
        fn #matcher(__path: &str) -> ::core::option::Option<#route<'_>> {
            let ::core::result::Result::Ok(__r0) = ::waymark::__private::path_rest(__path) else {
                return ::core::option::Option::None;
            };
            #trie
            ::core::option::Option::None
        }
        #[cold]
        fn #bad(__s: &::waymark::__private::Segments<'_, #depth>)
            -> ::core::option::Option<(&'static str, &'static str)> {
            if __s.n > #depth { return ::core::option::Option::None; }
            #(#checks)*
            ::core::option::Option::None
        }
    }
}

/// The per-chunk enums of matched parameters, the variants of the route enum holding them, and
/// the router's `match` arms that run them (see [`CHUNK`]).
struct Chunks {
    enums: Vec<TokenStream>,
    variants: Vec<TokenStream>,
    arms: Vec<TokenStream>,
}

fn chunks(table: &Table<'_>) -> Chunks {
    let (vis, name, route, req) = (table.vis, table.name, route_enum(table), req_ident());
    let single = table.routes.len() <= CHUNK;
    let mut out = Chunks { enums: Vec::new(), variants: Vec::new(), arms: Vec::new() };
    let indices: Vec<usize> = (0..table.routes.len()).collect();
    for (c, routes) in indices.chunks(CHUNK).enumerate() {
        let (chunk, in_route) = chunk_ident(table, c * CHUNK);
        let variants = routes.iter().map(|&i| {
            let v = variant(i);
            let tys = table.routes[i].params.iter().map(|p| match &p.ty {
                ParamTy::Str => quote! { ::std::borrow::Cow<'p, str> },
                ParamTy::Parsed { ty, .. } => quote! { #ty },
            });
            quote! { #v(#(#tys),*) }
        });
        out.enums.push(quote! {
            #[doc(hidden)]
            #[allow(
                non_camel_case_types,
                private_interfaces,
                reason = "generated, hidden; holds the user's parameter types whatever their visibility"
            )]
            #vis enum #chunk<'p> {
                #(#variants,)*
                #[allow(dead_code, reason = "uninhabited: it only uses the lifetime")]
                __Lifetime(::core::marker::PhantomData<&'p ()>, ::core::convert::Infallible),
            }
        });
        out.variants.push(quote! { #in_route(#chunk<'p>) });
        let arms = routes.iter().map(|&i| route_arm(i, table));
        let dispatch = quote! {
            match __route {
                #(#arms)*
                #chunk::__Lifetime(_, never) => match never {},
            }
        };
        out.arms.push(if single {
            quote! { ::core::option::Option::Some(#route::#in_route(__route)) => #dispatch, }
        } else {
            let run = format_ident!("__run{}", c);
            let state_binding = table.state.map(|bind| quote! { let #bind = &__this.state; });
            quote! {
                ::core::option::Option::Some(#route::#in_route(__route)) => {
                    #[allow(
                        unused_variables,
                        clippy::all,
                        clippy::pedantic,
                        reason = "generated: every route binds `req` and the state, whether its handler uses them or not"
                    )]
                    fn #run<'a>(__this: &'a #name, #req: &'a ::waymark::__private::Request, __route: #chunk<'a>)
                        -> impl ::core::future::Future<Output = ::waymark::__private::Response> + ::core::marker::Send + 'a {
                        #state_binding
                        async move { #dispatch }
                    }
                    #run(self, #req, __route).await
                }
            }
        });
    }
    out
}

/// A per-method trie over segment kinds: literal children, then the parameter child, then a
/// catch-all, which is the order the matching rules try them in. Parameters of any name and type
/// share one child: they are parsed at the route's leaf, and a failure there backtracks, so that
/// the first route in the rules' order whose parameters all parse wins.
#[derive(Default)]
struct Node {
    terminal: Option<usize>,
    literals: Vec<(String, Node)>,
    param: Option<Box<Node>>,
    catch_all: Option<usize>,
}

fn build_trie(table: &Table<'_>, routes: &[usize]) -> Node {
    let mut root = Node::default();
    for &i in routes {
        let mut node = &mut root;
        for seg in &table.routes[i].segments {
            node = match seg {
                Segment::Literal(l) => match node.literals.iter().position(|(k, _)| k == l) {
                    Some(at) => &mut node.literals[at].1,
                    None => {
                        node.literals.push((l.clone(), Node::default()));
                        &mut node.literals.last_mut().expect("just pushed").1
                    }
                },
                Segment::Param(_) => node.param.get_or_insert_with(Box::default),
                Segment::CatchAll(_) => {
                    // Two catch-alls at one node have the same shape: a conflict, reported before expansion.
                    node.catch_all.get_or_insert(i);
                    break;
                }
            };
        }
        if !matches!(table.routes[i].segments.last(), Some(Segment::CatchAll(_))) {
            node.terminal.get_or_insert(i);
        }
    }
    root
}

/// Parses one segment (or the rest of the path) into a parameter value, `None` if it does not parse.
fn parse_expr(ty: &ParamTy, raw: &TokenStream) -> TokenStream {
    match ty {
        ParamTy::Str => quote! { ::waymark::__private::decode(#raw) },
        ParamTy::Parsed { ty, .. } => {
            quote_spanned! {ty.span()=> ::waymark::__private::parse_param::<#ty>(#raw) }
        }
    }
}

/// The raw text of a path parameter in the `400` check: its segment, or the rest of the path.
fn raw_param(p: &PathParam) -> TokenStream {
    let d = p.index;
    if p.catch_all {
        quote! { __s.rest(#d) }
    } else {
        quote! { __s.segs[#d] }
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

/// Returns route `i` if every one of its parameters parses; falls through otherwise. Segment
/// values are the `__seg{d}` (and, for a catch-all, `__rest{d}`) bound by the enclosing nodes.
fn leaf(i: usize, table: &Table<'_>) -> TokenStream {
    let v = variant(i);
    let params = &table.routes[i].params;
    let vars: Vec<Ident> = params.iter().map(|p| var(p.index)).collect();
    let ((chunk, in_route), route) = (chunk_ident(table, i), route_enum(table));
    let ret = quote! { return ::core::option::Option::Some(#route::#in_route(#chunk::#v(#(#vars),*))); };
    params.iter().zip(&vars).rev().fold(ret, |inner, (p, var)| {
        let raw = if p.catch_all { found_rest_var(p.index) } else { seg_var(p.index) };
        let parse = parse_expr(&p.ty, &quote! { #raw });
        quote! { if let ::core::option::Option::Some(#var) = #parse { #inner } }
    })
}

/// The matcher for the routes below `node`, whose segment `d` (if the path has one) starts the
/// string `__r{d}`. Segments are taken one at a time, only as deep as the trie goes.
fn emit_node(node: &Node, d: usize, table: &Table<'_>) -> TokenStream {
    let (here, rest, seg, next) = (rest_var(d), found_rest_var(d), seg_var(d), rest_var(d + 1));
    let terminal = node.terminal.map(|i| leaf(i, table));
    // Literals are compared with the front of the rest of the path, without looking for the end of
    // the segment first; a `match` on the first byte picks the few candidates. (A `match` over
    // string literals would cost rustc an exhaustiveness check quadratic in their number: 13 s
    // for 1,000; this is a `match` on a `u8`.)
    let literals = (!node.literals.is_empty()).then(|| {
        let mut by_first: Vec<(Option<u8>, Vec<TokenStream>)> = Vec::new();
        for (lit, child) in &node.literals {
            let child = emit_node(child, d + 1, table);
            let test = quote! {
                if let ::core::option::Option::Some(#next) = ::waymark::__private::strip_literal(#rest, #lit) {
                    #child
                }
            };
            let first = lit.bytes().next();
            match by_first.iter_mut().find(|(b, _)| *b == first) {
                Some((_, tests)) => tests.push(test),
                None => by_first.push((first, vec![test])),
            }
        }
        let arms = by_first.iter().map(|(first, tests)| {
            let pattern = match first {
                Some(b) => {
                    let b = proc_macro2::Literal::u8_unsuffixed(*b);
                    quote! { ::core::option::Option::Some(#b) }
                }
                None => quote! { ::core::option::Option::None },
            };
            quote! { #pattern => { #(#tests)* } }
        });
        quote! { match #rest.as_bytes().first() { #(#arms)* _ => {} } }
    });
    let param = node.param.as_ref().map(|child| {
        let child = emit_node(child, d + 1, table);
        quote! {
            let (#seg, #next) = ::waymark::__private::next_segment(#rest);
            if !#seg.is_empty() { #child }
        }
    });
    let catch_all = node.catch_all.map(|i| {
        let leaf = leaf(i, table);
        quote! { if !#rest.is_empty() { #leaf } }
    });
    let deeper = (literals.is_some() || param.is_some() || catch_all.is_some()).then(|| {
        quote! {
            if let ::core::option::Option::Some(#rest) = #here {
                #literals
                { #param }
                #catch_all
            }
        }
    });
    let terminal = terminal.map(|leaf| quote! { if #here.is_none() { #leaf } });
    quote! { #terminal #deeper }
}

/// For the `400` answer: if the path has this route's shape, the first parameter that fails.
fn bad_param_check(r: &RouteDef<'_>) -> TokenStream {
    let mut shape = Vec::new();
    for (d, seg) in r.segments.iter().enumerate() {
        match seg {
            Segment::Literal(l) => shape.push(quote! { __s.segs[#d] == #l }),
            Segment::Param(_) => shape.push(quote! { !__s.segs[#d].is_empty() }),
            Segment::CatchAll(_) => shape.push(quote! { !__s.rest(#d).is_empty() }),
        }
    }
    let len = r.segments.len();
    let count = match r.segments.last() {
        Some(Segment::CatchAll(_)) => {
            let at = len - 1;
            quote! { __s.n > #at }
        }
        _ => quote! { __s.n == #len },
    };
    let checks = r.params.iter().map(|p| {
        let parse = parse_expr(&p.ty, &raw_param(p));
        let (name, ty) = (p.name.to_string(), p.ty.text());
        quote! { if (#parse).is_none() { return ::core::option::Option::Some((#name, #ty)); } }
    });
    quote! { if #count #(&& #shape)* { #(#checks)* } }
}

/// The `match` arm that runs route `i`: bindings, query, body, handler, scope middleware.
fn route_arm(i: usize, table: &Table<'_>) -> TokenStream {
    let r = &table.routes[i];
    let req = req_ident();
    let (v, (chunk, _)) = (variant(i), chunk_ident(table, i));
    let vars: Vec<Ident> = r.params.iter().map(|p| var(p.index)).collect();
    let bindings = r.params.iter().zip(&vars).map(|(p, var)| {
        let name = &p.name;
        match &p.ty {
            ParamTy::Str => quote! { let #name: &str = &#var; },
            ParamTy::Parsed { ty, .. } => quote! { let #name: #ty = #var; },
        }
    });
    let query = r.query.iter().map(|q| {
        let (name, ty, text) = (&q.name, &q.ty, &q.text);
        let name_str = name.to_string();
        match &q.kind {
            QueryKind::Required => quote! {
                let #name: #ty = match ::waymark::__private::query_required::<#ty>(#req, #name_str, #text) {
                    ::core::result::Result::Ok(v) => v,
                    ::core::result::Result::Err(res) => return res,
                };
            },
            QueryKind::Optional => quote! {
                let #name: ::core::option::Option<#ty> = match ::waymark::__private::query_optional::<#ty>(#req, #name_str, #text) {
                    ::core::result::Result::Ok(v) => v,
                    ::core::result::Result::Err(res) => return res,
                };
            },
            QueryKind::Default(lit) => {
                let default = match lit {
                    Lit::Str(_) => quote! { ::core::convert::From::from(#lit) },
                    _ => quote! { #lit },
                };
                quote! {
                    let #name: #ty = match ::waymark::__private::query_optional::<#ty>(#req, #name_str, #text) {
                        ::core::result::Result::Ok(::core::option::Option::Some(v)) => v,
                        ::core::result::Result::Ok(::core::option::Option::None) => #default,
                        ::core::result::Result::Err(res) => return res,
                    };
                }
            }
        }
    });
    let body = r.body.map(|ty| {
        let body = Ident::new("body", Span::call_site());
        let read = quote_spanned! {ty.span()=> <#ty as ::waymark::__private::FromBody>::from_body(#req) };
        quote! {
            let #body: #ty = match #read {
                ::core::result::Result::Ok(v) => v,
                ::core::result::Result::Err(res) => return res,
            };
        }
    });
    let handler = r.handler;
    let run = handler_call(&quote! { #handler }, handler.span());
    // Without scope middleware the route runs inline in the router's future: one future less to
    // poll, and the response is moved one time less.
    let run = if r.wraps.is_empty() {
        quote! { #(#query)* #body #run }
    } else {
        let wrapped = wrap_all(quote! { async move { #(#query)* #body #run } }, &r.wraps);
        quote! { #wrapped.await }
    };
    quote! {
        #chunk::#v(#(#vars),*) => {
            #(#bindings)*
            #run
        }
    }
}

/// The handler expression as text for the route table, without the spaces token printing adds.
fn expr_text(expr: &Expr) -> String {
    let mut s = quote!(#expr).to_string();
    for (from, to) in [(" (", "("), ("( ", "("), (" )", ")"), (" ,", ","), (" .", "."), (". ", "."), (" !", "!")] {
        s = s.replace(from, to);
    }
    s
}
