//! Emits the dispatcher: a `match` over the method and the path segments, the route bodies with
//! their bindings, guards and statically composed middleware, the mounted tables, and the URL
//! builders. On any error, emits the errors and a stub of the public items instead, so the user
//! sees the real errors and no follow-on ones.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Ident, Lit};
use waymark_shape::Seg;

use crate::ast::{Input, Item, Mount};
use crate::pattern::Segment;
use crate::trie::{self, Node};
use crate::valid::{self, METHODS, ParamTy, QueryKind, Table};
use crate::{conflict, describe};

pub(crate) fn expand(input: &Input) -> TokenStream {
    let (table, mut errors) = valid::check(input);
    let shapes: Vec<Vec<Seg<'_>>> = table.routes.iter().map(|r| trie::shape(&r.segments)).collect();
    let keyed: Vec<(&str, Vec<Seg<'_>>)> =
        table.routes.iter().zip(&shapes).map(|(r, s)| (r.method, s.clone())).collect();
    let tries = trie::build(&keyed);
    errors.extend(conflict::errors(&table, &shapes, &tries.conflicts));
    let header = header(input);
    let urls = url_builders(&table);
    if errors.is_empty() {
        let body = dispatcher(&table, &shapes, &tries.by_method);
        quote! { #header #urls #body }
    } else {
        let errors = errors.iter().map(syn::Error::to_compile_error);
        let stub = stub(input);
        quote! { #header #urls #stub #(#errors)* }
    }
}

fn mounts(input: &Input) -> impl Iterator<Item = &Mount> {
    input.items.iter().filter_map(|i| match i {
        Item::Mount(m) => Some(m),
        _ => None,
    })
}

fn mount_field(i: usize) -> Ident {
    format_ident!("__mount{}", i)
}

/// The generated type, its constructor (which builds the mounted tables once) and its state
/// accessor: the same with or without errors.
fn header(input: &Input) -> TokenStream {
    let Input { attrs, vis, name, state, .. } = input;
    let name_str = name.to_string();
    let fields: Vec<Ident> = (0..mounts(input).count()).map(mount_field).collect();
    let tys = mounts(input).map(|m| &m.ty);
    let binding = state.as_ref().map(|(bind, _)| {
        quote! {
            #[allow(unused_variables, reason = "generated: the mount's expression may not use the state")]
            let #bind = &state;
        }
    });
    let builds = mounts(input).zip(&fields).map(|(m, f)| {
        let expr = &m.expr;
        quote! { let #f = { #binding #expr }; }
    });
    let (field, new) = match state {
        Some((_, ty)) => (
            quote! { state: #ty, },
            quote! {
                /// Creates the application around its shared state.
                #vis fn new(state: #ty) -> Self {
                    #(#builds)*
                    Self { state, #(#fields),* }
                }
                /// The shared state.
                #vis fn state(&self) -> &#ty { &self.state }
            },
        ),
        None => (
            quote! { _private: (), },
            quote! {
                /// Creates the application.
                #vis fn new() -> Self {
                    #(#builds)*
                    Self { _private: (), #(#fields),* }
                }
            },
        ),
    };
    quote! {
        #(#attrs)*
        #vis struct #name { #field #(#fields: #tys,)* }
        impl #name { #new }
        impl ::core::fmt::Debug for #name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(#name_str).finish_non_exhaustive()
            }
        }
    }
}

/// What a table with errors expands to: the same public items, answering `500`, and a table with
/// no routes for the tables that mount it.
fn stub(input: &Input) -> TokenStream {
    let Input { vis, name, .. } = input;
    let name_str = name.to_string();
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
        impl ::waymark::__private::Table for #name {
            type Found<'p> = ::core::convert::Infallible;
            const NAME: &'static str = #name_str;
            const ROUTES: &'static [::waymark::__private::RouteInfo] = &[];
            const SHAPES: &'static [::waymark::__private::shape::Shape<'static>] = &[];
            const OPERATIONS: &'static [::waymark::__private::openapi::Operation] = &[];
            fn find<'p>(_: &::waymark::__private::Method, _: &'p str)
                -> ::core::option::Option<(Self::Found<'p>, &'static [::waymark::__private::shape::Seg<'static>])> {
                ::core::option::Option::None
            }
            fn bad<'p>(_: &::waymark::__private::Method, _: &'p str) -> ::core::option::Option<::waymark::__private::BadParam<'p>> {
                ::core::option::Option::None
            }
            fn allow(_: &str, _: &mut ::waymark::__private::Allow) {}
            fn every(_: &mut ::waymark::__private::Allow) {}
            fn run<'a>(&'a self, _: &'a ::waymark::__private::Request, found: Self::Found<'a>)
                -> impl ::core::future::Future<Output = ::waymark::__private::Response> + ::core::marker::Send + 'a {
                async move { match found {} }
            }
        }
    }
}

fn req_ident() -> Ident {
    Ident::new("req", Span::call_site())
}

/// `NAME_url(..)` and `try_NAME_url(..)` for every named route (emitted with or without errors,
/// so that a mistake in one route does not break every link to the others).
fn url_builders(table: &Table<'_>) -> TokenStream {
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

/// `<TYPE as Table>`, spanned at the mounted type: a type that is not a table is reported there.
fn as_table(ty: &syn::Type) -> TokenStream {
    quote_spanned! {ty.span()=> <#ty as ::waymark::__private::Table> }
}

/// `<TYPE as Table>::ITEM` for every mounted type, all of it spanned at the type.
fn in_mounted(table: &Table<'_>, item: &str) -> Vec<TokenStream> {
    table
        .mounts
        .iter()
        .map(|m| {
            let path = as_table(&m.ty);
            let tail: TokenStream = item.parse().unwrap_or_default();
            valid::respan(quote! { #path::#tail }, m.ty.span())
        })
        .collect()
}

/// A `const` slice of this table's own items followed by each mounted table's `item` (`ROUTES`
/// or `SHAPES`), joined in `const` evaluation.
fn joined(own: &TokenStream, mounted: &[TokenStream], ty: &TokenStream, fill: &TokenStream) -> TokenStream {
    if mounted.is_empty() {
        return own.clone();
    }
    quote! {{
        const __PARTS: &[&[#ty]] = &[#own, #(#mounted),*];
        const __N: usize = ::waymark::__private::total_len(__PARTS);
        const __ALL: [#ty; __N] = ::waymark::__private::concat(__PARTS, #fill);
        &__ALL
    }}
}

/// `const` checks, at each `mount`, that no route of a mounted table conflicts with a route of
/// this table or of a table mounted before it. A conflict panics in `const` evaluation: a compile
/// error at the `mount` line, naming both routes.
fn mount_checks(table: &Table<'_>) -> TokenStream {
    let name = table.name;
    let checks = table.mounts.iter().enumerate().map(|(i, m)| {
        let ty = as_table(&m.ty);
        let earlier = table.mounts[..i].iter().map(|e| {
            let e = as_table(&e.ty);
            quote_spanned! {m.ty.span()=>
                ::waymark::__private::shape::assert_no_conflict(
                    #e::NAME, #e::SHAPES,
                    #ty::NAME, #ty::SHAPES,
                );
            }
        });
        quote_spanned! {m.ty.span()=>
            const _: () = {
                ::waymark::__private::shape::assert_no_conflict(
                    <#name as ::waymark::__private::Table>::NAME, #name::__OWN_SHAPES,
                    #ty::NAME, #ty::SHAPES,
                );
                #(#earlier)*
            };
        }
    });
    quote! { #(#checks)* }
}

fn dispatcher(table: &Table<'_>, shapes: &[Vec<Seg<'_>>], tries: &[(String, Node<'_>)]) -> TokenStream {
    let (vis, name, req) = (table.vis, table.name, req_ident());
    let name_str = name.to_string();
    let state_binding = table.state.map(|bind| quote! { let #bind = &self.state; });
    let routes_info = table.routes.iter().map(|r| {
        let (method, pattern, handler) = (r.method, &r.full, expr_text(r.handler));
        quote! { __w::RouteInfo { method: #method, pattern: #pattern, handler: #handler } }
    });
    let own_shapes = table.routes.iter().zip(shapes).map(|(r, segs)| {
        let (method, pattern, n, encoded) = (r.method, &r.full, segs.len(), trie::encode(segs));
        quote! { __s::Shape { method: #method, pattern: #pattern, segments: &__s::segments::<#n>(#encoded) } }
    });
    let aliases = aliases();
    let checks = mount_checks(table);
    let Router { items, route, methods, arms } = router(table, tries);
    let found = found(table, &route, &arms);
    let Found { items: found_items, arms: own_arms, .. } = &found;
    let lookup_in_handle = if table.mounts.is_empty() {
        quote! { Self::__lookup(__method, __path) }
    } else {
        quote! { <Self as ::waymark::__private::Table>::find(__method, __path).map(|(__f, _)| __f) }
    };
    let miss = miss(table);
    let handle_wrapped = wrap_all(
        &quote! {
            self.__dispatch(#req, ::core::option::Option::None)
        },
        &table.wraps,
    );
    let table_impl = table_impl(table, &found, &methods);
    let allow_generated = allow_generated();
    let reject_fn = reject_fn(table);
    quote! {
        #items
        #found_items
        #checks

        impl #name {
            /// The route table in declaration order, mounted tables' routes after this table's own:
            /// method, full pattern, handler expression.
            #vis const ROUTES: &'static [::waymark::__private::RouteInfo] = <Self as ::waymark::__private::Table>::ROUTES;

            #[doc(hidden)]
            #vis const __OWN_ROUTES: &'static [::waymark::__private::RouteInfo] = { #aliases &[#(#routes_info),*] };

            #[doc(hidden)]
            #vis const __OWN_SHAPES: &'static [::waymark::__private::shape::Shape<'static>] = { #aliases &[#(#own_shapes),*] };

            /// The OpenAPI 3.1 document of the table, mounted tables included, built from the
            /// table itself: see [`waymark::openapi`](::waymark::openapi).
            #vis fn openapi() -> ::waymark::__private::serde_json::Value {
                ::waymark::__private::openapi::document(
                    #name_str,
                    ::core::env!("CARGO_PKG_VERSION"),
                    <Self as ::waymark::__private::Table>::OPERATIONS,
                )
            }

            /// Answers one request in-process, without a socket, as the server would: a `HEAD`
            /// request gets the headers without the body.
            #vis async fn call(&self, req: ::waymark::__private::Request) -> ::waymark::__private::Response {
                let res = <Self as ::waymark::__private::App>::handle(self, &req).await;
                if ::waymark::__private::is_head(&req) { ::waymark::__private::strip_body_for_head(res) } else { res }
            }

            /// Runs a matched route: guards, scope middleware, query, body, handler.
            #allow_generated
            #[inline]
            fn __dispatch<'a>(&'a self, #req: &'a ::waymark::__private::Request, __found: ::core::option::Option<<Self as ::waymark::__private::Table>::Found<'a>>)
                -> impl ::core::future::Future<Output = ::waymark::__private::Response> + ::core::marker::Send + 'a {
                #state_binding
                let __this = self;
                async move {
                    let __found = match __found {
                        ::core::option::Option::Some(__found) => __found,
                        ::core::option::Option::None => {
                            let __path = #req.path();
                            let __method = #req.method();
                            match #lookup_in_handle {
                                ::core::option::Option::Some(__found) => __found,
                                ::core::option::Option::None => return { #miss },
                            }
                        }
                    };
                    match __found { #own_arms }
                }
            }

            #reject_fn
        }

        #table_impl

        impl ::waymark::__private::App for #name {
            #allow_generated
            fn handle<'a>(&'a self, #req: &'a ::waymark::__private::Request)
                -> impl ::core::future::Future<Output = ::waymark::__private::Response> + ::core::marker::Send + 'a {
                #state_binding
                #handle_wrapped
            }
        }
    }
}

/// Generated functions bind `req` and the state for every route, used or not.
fn allow_generated() -> TokenStream {
    quote! {
        #[allow(
            unused_variables,
            clippy::all,
            clippy::pedantic,
            reason = "generated: every route binds `req` and the state, whether its handler uses them or not"
        )]
    }
}

/// What a match is: this table's route or, with mounted tables, a mounted table's match. The type,
/// its items, how `Table::find` computes it, and the arms that run it.
struct Found {
    items: TokenStream,
    ty: TokenStream,
    find: TokenStream,
    arms: TokenStream,
}

fn found(table: &Table<'_>, route: &Ident, arms: &[TokenStream]) -> Found {
    let (vis, name, req) = (table.vis, table.name, req_ident());
    let own = quote! {
        Self::__lookup(__method, __path).map(|__r| {
            let __shape = Self::__OWN_SHAPES[__r.__index()].segments;
            (__r, __shape)
        })
    };
    if table.mounts.is_empty() {
        return Found { items: TokenStream::new(), ty: quote! { #route<'p> }, find: own, arms: quote! { #(#arms)* } };
    }
    let found = format_ident!("__Waymark{}Found", name);
    let fields: Vec<Ident> = (0..table.mounts.len()).map(mount_field).collect();
    let variants: Vec<Ident> = (0..table.mounts.len()).map(|i| format_ident!("M{}", i)).collect();
    let (found_tys, finds, runs) =
        (in_mounted(table, "Found<'p>"), in_mounted(table, "find"), in_mounted(table, "run"));
    let items = quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types, private_interfaces, reason = "generated, hidden")]
        #vis enum #found<'p> {
            Own(#route<'p>),
            #(#variants(#found_tys),)*
        }
    };
    // What names a mounted table's types is spanned at its type, so that a type that is not a
    // table gives the same error everywhere, which rustc reports once.
    let spans: Vec<Span> = table.mounts.iter().map(|m| m.ty.span()).collect();
    let mounted_finds = finds.iter().zip(&variants).zip(&spans).map(|((find, variant), span)| {
        quote_spanned! {*span=>
            let __best = ::waymark::__private::better(
                __best,
                #find(__method, __path).map(|(__f, __s)| (#found::#variant(__f), __s)),
            );
        }
    });
    let find = quote! {
        let __best = #own.map(|(__r, __s)| (#found::Own(__r), __s));
        #(#mounted_finds)*
        __best
    };
    let mounted_arms = runs.iter().zip(&variants).zip(&fields).zip(&spans).map(|(((run, variant), field), span)| {
        quote_spanned! {*span=> #found::#variant(__f) => #run(&self.#field, #req, __f).await, }
    });
    let arms = quote! {
        #found::Own(__route) => match __route { #(#arms)* },
        #(#mounted_arms)*
    };
    Found { items, ty: quote! { #found<'p> }, find, arms }
}

/// The answer when no route matched: `400` for a parameter that does not parse, `405` or the
/// automatic `OPTIONS` answer for a path other methods take, else the fallback.
fn miss(table: &Table<'_>) -> TokenStream {
    let reject = reject(table);
    let fallback = match table.fallback {
        Some(f) => {
            let handler = &f.handler;
            handler_call(&quote! { #handler }, handler.span())
        }
        None => quote! {{
            let __r = ::waymark::__private::Rejection::NotFound;
            #reject
        }},
    };
    quote! {
        if let ::core::option::Option::Some((__name, __ty, __raw)) = <Self as ::waymark::__private::Table>::bad(__method, __path) {
            let __r = ::waymark::__private::bad_param(__name, __ty, __raw);
            return #reject;
        }
        let mut __allow = ::waymark::__private::Allow::default();
        // `OPTIONS *` asks about the server as a whole (RFC 9110 §9.3.7): every method.
        if __path == "*" && *__method == ::waymark::__private::Method::OPTIONS {
            <Self as ::waymark::__private::Table>::every(&mut __allow);
        }
        <Self as ::waymark::__private::Table>::allow(__path, &mut __allow);
        if !__allow.is_empty() {
            __allow.push("OPTIONS");
            if *__method == ::waymark::__private::Method::OPTIONS {
                return __allow.options();
            }
            let __r = __allow.method_not_allowed();
            return #reject;
        }
        #fallback
    }
}

/// The answer to the rejection `__r`: the table's `rejection` hook, or the default.
fn reject(table: &Table<'_>) -> TokenStream {
    let req = req_ident();
    if table.rejection.is_some() {
        quote! { __this.__reject(#req, __r).await }
    } else {
        quote! { ::waymark::__private::IntoResponse::into_response(__r) }
    }
}

/// `__reject`, which runs the table's `rejection` hook with `rejection` bound.
fn reject_fn(table: &Table<'_>) -> TokenStream {
    let Some(hook) = table.rejection else { return TokenStream::new() };
    let req = req_ident();
    let state_binding = table.state.map(|bind| quote! { let #bind = &self.state; });
    let run = handler_call(&quote! { #hook }, hook.span());
    let allow_generated = allow_generated();
    quote! {
        #[doc(hidden)]
        #allow_generated
        async fn __reject(&self, #req: &::waymark::__private::Request, rejection: ::waymark::__private::Rejection)
            -> ::waymark::__private::Response {
            #state_binding
            #run
        }
    }
}

/// The table as its mounting table sees it (`waymark::__private::Table`).
fn table_impl(table: &Table<'_>, found: &Found, methods: &[&str]) -> TokenStream {
    let (name, req) = (table.name, req_ident());
    let name_str = name.to_string();
    let Found { ty: found_ty, find: find_body, .. } = found;
    let state_binding = table.state.map(|bind| quote! { let #bind = &self.state; });
    let all_routes = joined(
        &quote! { #name::__OWN_ROUTES },
        &in_mounted(table, "ROUTES"),
        &quote! { ::waymark::__private::RouteInfo },
        &quote! { ::waymark::__private::RouteInfo { method: "", pattern: "", handler: "" } },
    );
    let all_shapes = joined(
        &quote! { #name::__OWN_SHAPES },
        &in_mounted(table, "SHAPES"),
        &quote! { ::waymark::__private::shape::Shape<'static> },
        &quote! { ::waymark::__private::shape::Shape { method: "", pattern: "", segments: &[] } },
    );
    let all_operations = joined(
        &describe::operations(&table.routes),
        &in_mounted(table, "OPERATIONS"),
        &quote! { ::waymark::__private::openapi::Operation },
        &quote! { ::waymark::__private::openapi::Operation { method: "", pattern: "", name: ::core::option::Option::None, doc: "", params: &[], body: ::core::option::Option::None } },
    );
    let (bads, allows, everys) = (in_mounted(table, "bad"), in_mounted(table, "allow"), in_mounted(table, "every"));
    let own_allow = methods.iter().map(|m| {
        let (f, names) = (method_fn("match", m), allowed_by(m));
        quote! { if Self::#f(__path, &mut ::core::option::Option::None).is_some() { #(__allow.push(#names);)* } }
    });
    let every = methods.iter().flat_map(|m| allowed_by(m));
    let run_wrapped = wrap_all(&quote! { self.__dispatch(#req, ::core::option::Option::Some(__found)) }, &table.wraps);
    let allow_generated = allow_generated();
    let aliases = aliases();
    quote! {
        #[allow(private_interfaces, clippy::all, clippy::pedantic, reason = "generated table plumbing, hidden from the user's API")]
        impl ::waymark::__private::Table for #name {
            type Found<'p> = #found_ty;
            const NAME: &'static str = #name_str;
            const ROUTES: &'static [::waymark::__private::RouteInfo] = #all_routes;
            const SHAPES: &'static [::waymark::__private::shape::Shape<'static>] = #all_shapes;
            const OPERATIONS: &'static [::waymark::__private::openapi::Operation] = { #aliases #all_operations };

            #[inline]
            fn find<'p>(__method: &::waymark::__private::Method, __path: &'p str)
                -> ::core::option::Option<(Self::Found<'p>, &'static [::waymark::__private::shape::Seg<'static>])> {
                #find_body
            }

            #[cold]
            fn bad<'p>(__method: &::waymark::__private::Method, __path: &'p str) -> ::core::option::Option<::waymark::__private::BadParam<'p>> {
                let mut __bad = ::core::option::Option::None;
                let _ = Self::__find(__method, __path, &mut __bad);
                __bad #(.or_else(|| #bads(__method, __path)))*
            }

            #[cold]
            fn allow(__path: &str, __allow: &mut ::waymark::__private::Allow) {
                #(#own_allow)*
                #(#allows(__path, __allow);)*
            }

            #[cold]
            fn every(__allow: &mut ::waymark::__private::Allow) {
                #(__allow.push(#every);)*
                #(#everys(__allow);)*
            }

            #allow_generated
            fn run<'a>(&'a self, #req: &'a ::waymark::__private::Request, __found: Self::Found<'a>)
                -> impl ::core::future::Future<Output = ::waymark::__private::Response> + ::core::marker::Send + 'a {
                #state_binding
                #run_wrapped
            }
        }
    }
}

/// Wraps the future `inner` in middleware, the first of `wraps` outermost.
fn wrap_all(inner: &TokenStream, wraps: &[&Expr]) -> TokenStream {
    let req = req_ident();
    let next = Ident::new("next", Span::call_site());
    wraps.iter().rev().fold(inner.clone(), |inner, wrap| {
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

fn var(index: usize) -> Ident {
    format_ident!("__p{}", index)
}

fn method_fn(prefix: &str, method: &str) -> Ident {
    format_ident!("__{}_{}", prefix, method.to_ascii_lowercase())
}

/// The matcher as module-level items (the route enums and hidden associated functions of the
/// generated type, so that they can be benchmarked on their own), the route enum's name, the
/// methods the table has routes for, and the `match` arms that run each route.
struct Router {
    items: TokenStream,
    route: Ident,
    methods: Vec<&'static str>,
    arms: Vec<TokenStream>,
}

fn router(table: &Table<'_>, tries: &[(String, Node<'_>)]) -> Router {
    let (vis, name) = (table.vis, table.name);
    let route = format_ident!("__Waymark{}Route", table.name);
    let methods: Vec<&'static str> = METHODS.iter().copied().filter(|m| tries.iter().any(|(t, _)| t == m)).collect();
    let Chunks { enums: chunk_enums, variants: chunk_variants, arms, indices } = chunks(table, &route);
    let match_fns = tries.iter().map(|(m, trie)| method_matcher(table, &route, m, trie));
    let find = by_method(&methods);
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
            #[allow(dead_code, reason = "uninhabited: it only uses the lifetime of an empty table")]
            __Lifetime(::core::marker::PhantomData<&'p ()>, ::core::convert::Infallible),
        }
        impl #route<'_> {
            /// The route's index in the table, for its shape.
            #[inline]
            fn __index(&self) -> usize {
                match self {
                    #(#indices)*
                    Self::__Lifetime(_, never) => match *never {},
                }
            }
        }
        #[allow(
            private_interfaces,
            clippy::all,
            clippy::pedantic,
            reason = "generated matcher code, hidden from the user's API"
        )]
        impl #name {
            #(#match_fns)*

            /// The route of this table (mounted tables aside) a request would take, with its
            /// parameters parsed: the whole matching step, without running anything. For
            /// benchmarks; not a stable API.
            #[doc(hidden)]
            #[inline(always)]
            #vis fn __lookup<'p>(__method: &::waymark::__private::Method, __path: &'p str)
                -> ::core::option::Option<#route<'p>> {
                Self::__find(__method, __path, &mut ::core::option::Option::None)
            }

            /// [`Self::__lookup`], noting in `__bad` the first parameter that failed to parse
            /// in a route of the path's shape (for the `400` answer when nothing matched).
            #[inline(always)]
            fn __find<'p>(
                __method: &::waymark::__private::Method,
                __path: &'p str,
                __bad: &mut ::core::option::Option<::waymark::__private::BadParam<'p>>,
            ) -> ::core::option::Option<#route<'p>> {
                #find
            }
        }
    };
    Router { items, route, methods, arms }
}

/// The methods an `Allow` header lists for a route of method `m`: `GET` serves `HEAD` too.
fn allowed_by(m: &str) -> Vec<&str> {
    if m == "GET" { vec!["GET", "HEAD"] } else { vec![m] }
}

/// Calls the matcher of the request's method.
fn by_method(methods: &[&str]) -> TokenStream {
    let head_falls_back = methods.contains(&"GET");
    let arms = methods.iter().filter(|m| !(head_falls_back && **m == "HEAD")).map(|m| {
        let f = method_fn("match", m);
        let konst = Ident::new(m, Span::call_site());
        quote! { if *__method == ::waymark::__private::Method::#konst { Self::#f(__path, __bad) } else }
    });
    // HEAD falls back to GET (RFC 9110 §9.3.2) when no explicit HEAD route matches.
    let head = head_falls_back.then(|| {
        let get = method_fn("match", "GET");
        let first = if methods.contains(&"HEAD") {
            let head = method_fn("match", "HEAD");
            quote! { Self::#head(__path, __bad).or_else(|| Self::#get(__path, __bad)) }
        } else {
            quote! { Self::#get(__path, __bad) }
        };
        quote! { if *__method == ::waymark::__private::Method::HEAD { #first } else }
    });
    quote! { #head #(#arms)* { ::core::option::Option::None } }
}

/// The trie matcher of one method (`__match_get`). It also notes, for the `400` answer, the
/// first parameter that failed to parse in a route of the path's shape: one walk serves both, so
/// a large table's expansion holds the trie once (it held it twice, the second copy in a separate
/// `400` check, until BENCHMARKS.md build cost run 6).
fn method_matcher(table: &Table<'_>, route: &Ident, m: &str, trie: &Node<'_>) -> TokenStream {
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

/// Short local names for what generated code says thousands of times in a large table (the
/// matcher, the route lists): a path like `::core::option::Option::Some` is twelve tokens, and
/// every token of the expansion costs build time on each rebuild, the macro's own run included.
/// The names are local to the generated function or `const` block and start with `__`.
fn aliases() -> TokenStream {
    quote! {
        #[allow(unused_imports)]
        use ::core::option::Option::{None as __None, Some as __Some};
        #[allow(unused_imports)]
        use ::waymark::__private::{self as __w, openapi as __o, shape as __s};
    }
}

/// The per-chunk enums of matched parameters, the variants of the route enum holding them, the
/// `match` arms that run them (see [`CHUNK`]), and the arms giving each route's index.
struct Chunks {
    enums: Vec<TokenStream>,
    variants: Vec<TokenStream>,
    arms: Vec<TokenStream>,
    indices: Vec<TokenStream>,
}

fn chunks(table: &Table<'_>, route: &Ident) -> Chunks {
    let (vis, name, req) = (table.vis, table.name, req_ident());
    let single = table.routes.len() <= CHUNK;
    let mut out = Chunks { enums: Vec::new(), variants: Vec::new(), arms: Vec::new(), indices: Vec::new() };
    let all: Vec<usize> = (0..table.routes.len()).collect();
    for (c, routes) in all.chunks(CHUNK).enumerate() {
        let (chunk, in_route) = chunk_ident(table, c * CHUNK);
        let variants = routes.iter().map(|&i| {
            let v = variant(i);
            let tys = table.routes[i].params.iter().map(|p| match &p.ty {
                ParamTy::Str => quote! { ::std::borrow::Cow<'p, str> },
                ParamTy::Parsed { ty, .. } => quote! { #ty },
            });
            quote! { #v(#(#tys),*) }
        });
        let index_arms = routes.iter().map(|&i| {
            let v = variant(i);
            quote! { #chunk::#v(..) => #i, }
        });
        out.indices.push(quote! { Self::#in_route(__c) => match __c { #(#index_arms)* #chunk::__Lifetime(_, never) => match *never {} }, });
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
            quote! { #route::#in_route(__route) => #dispatch, }
        } else {
            let run = format_ident!("__run{}", c);
            let state_binding = table.state.map(|bind| quote! { let #bind = &__this.state; });
            quote! {
                #route::#in_route(__route) => {
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
    out.arms.push(quote! { #route::__Lifetime(_, never) => match never {}, });
    out
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

/// A guard's binding: its expression awaited, an `Err` answering for the route.
fn guard_stmt(g: &crate::ast::Guard) -> TokenStream {
    let (name, ty, expr) = (&g.name, &g.ty, &g.expr);
    let awaited = quote_spanned! {expr.span()=> ::waymark::__private::handler(#expr).await };
    let output = quote_spanned! {expr.span()=> ::waymark::__private::guard::<#ty, _>(#awaited) };
    quote! {
        let #name: #ty = match #output {
            ::core::result::Result::Ok(v) => v,
            ::core::result::Result::Err(res) => return res,
        };
    }
}

/// The `match` arm that runs route `i`: bindings, then each block's middleware and guards from
/// the outermost in, then query, body and handler.
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
    let reject = reject(table);
    let query = r.query.iter().map(|q| {
        let (name, ty, text) = (&q.name, &q.ty, &q.text);
        let name_str = name.to_string();
        let (bound, read, missing) = match &q.kind {
            QueryKind::Required => (quote! { #ty }, quote! { query_required::<#ty> }, None),
            QueryKind::Optional => (quote! { ::core::option::Option<#ty> }, quote! { query_optional::<#ty> }, None),
            QueryKind::Repeated => (quote! { ::std::vec::Vec<#ty> }, quote! { query_all::<#ty> }, None),
            QueryKind::Default(lit) => {
                let default = match lit {
                    Lit::Str(_) => quote! { ::core::convert::From::from(#lit) },
                    _ => quote! { #lit },
                };
                (quote! { #ty }, quote! { query_optional::<#ty> }, Some(default))
            }
        };
        let value = match missing {
            Some(default) => quote! { ::core::result::Result::Ok(v) => v.unwrap_or_else(|| #default), },
            None => quote! { ::core::result::Result::Ok(v) => v, },
        };
        quote! {
            let #name: #bound = match ::waymark::__private::#read(#req, #name_str, #text) {
                #value
                ::core::result::Result::Err(__r) => return #reject,
            };
        }
    });
    let body = r.body.map(|ty| {
        let body = Ident::new("body", Span::call_site());
        let limit = match r.limit {
            Some(n) => quote! { ::core::option::Option::Some(#n) },
            None => quote! { ::core::option::Option::None },
        };
        let read = quote_spanned! {ty.span()=> <#ty as ::waymark::__private::FromBody>::from_body(#req, #limit).await };
        quote! {
            let #body: #ty = match #read {
                ::core::result::Result::Ok(v) => v,
                ::core::result::Result::Err(__r) => return #reject,
            };
        }
    });
    let handler = r.handler;
    let run = handler_call(&quote! { #handler }, handler.span());
    // Without middleware in a block, its guards and the route run inline in the router's future:
    // one future less to poll, and the response is moved one time less.
    let run = r.layers.iter().rev().fold(quote! { #(#query)* #body #run }, |inner, layer| {
        let guards = layer.guards.iter().map(|g| guard_stmt(g));
        let inner = quote! { #(#guards)* #inner };
        if layer.wraps.is_empty() {
            inner
        } else {
            let wrapped = wrap_all(&quote! { async move { #inner } }, &layer.wraps);
            quote! { #wrapped.await }
        }
    });
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
