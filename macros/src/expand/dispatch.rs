//! Emits the dispatcher of a table without errors: the route lists (`ROUTES`, and the hidden
//! `__OWN_ROUTES` and `__OWN_SHAPES` that mounting tables and the `const` checks read), `openapi`,
//! `call`, the `App` impl, and `__dispatch`, which runs a match or, when nothing matched, gives the
//! `400`, `405`, automatic `OPTIONS` or fallback answer ([`miss`]). It puts together the parts the
//! other emitters make: the matcher ([`router`](crate::expand::router)), the route arms
//! ([`arm`](crate::expand::arm)) and the mounted tables ([`mount`](crate::expand::mount)).

use proc_macro2::TokenStream;
use quote::quote;
use syn::Expr;
use syn::spanned::Spanned;
use waymark_shape::Seg;

use crate::expand::arm::{handler_call, reject, wrap_all};
use crate::expand::mount::{Found, found, mount_checks, table_impl};
use crate::expand::router::{Router, router};
use crate::expand::{aliases, allow_generated, req_ident};
use crate::trie::{self, Node};
use crate::valid::Table;

/// The dispatcher of a table without errors, with the matcher, the route arms and the mounted
/// tables it is made of.
pub(super) fn dispatcher(table: &Table<'_>, shapes: &[Vec<Seg<'_>>], tries: &[(String, Node<'_>)]) -> TokenStream {
    let (vis, name, req) = (table.vis, table.name, req_ident());
    let name_str = name.to_string();
    let state_binding = table.state.map(|bind| quote! { let #bind = &self.state; });
    let routes_info = table.routes.iter().map(|r| {
        let (method, pattern, template, handler) = (r.method, &r.full, &r.template, expr_text(r.handler));
        let named = r.name.map(|n| {
            let n = n.to_string();
            quote! { .named(#n) }
        });
        quote! { __w::RouteInfo::new(#method, #pattern, #template, #handler)#named }
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
            self.__dispatch(#req, __found)
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
            #[allow(clippy::large_stack_arrays, reason = "a constant in static memory, never on the stack")]
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

            /// The table's request metrics, counted with the `metrics` feature: see
            /// [`waymark::metrics`](::waymark::metrics).
            #vis fn metrics() -> &'static ::waymark::__private::RouteMetrics {
                static __METRICS: ::waymark::__private::RouteMetrics =
                    ::waymark::__private::RouteMetrics::new(<#name as ::waymark::__private::Table>::ROUTES);
                &__METRICS
            }

            /// Answers one request in-process, without a socket, as the server would: a `HEAD`
            /// request gets the headers without the body.
            #vis async fn call(&self, req: ::waymark::__private::Request) -> ::waymark::__private::Response {
                let res = <Self as ::waymark::__private::App>::handle(self, &req).await;
                if ::waymark::__private::is_head(&req) { ::waymark::__private::strip_body_for_head(res) } else { res }
            }

            /// Runs a matched route (guards, scope middleware, query, body, handler), or gives
            /// the answer when no route matched (`None`).
            #allow_generated
            #[inline]
            fn __dispatch<'a>(&'a self, #req: &'a ::waymark::__private::Request, __found: ::core::option::Option<<Self as ::waymark::__private::Table>::Found<'a>>)
                -> impl ::core::future::Future<Output = ::waymark::__private::Response> + ::core::marker::Send + 'a {
                #state_binding
                let __this = self;
                async move {
                    let ::core::option::Option::Some(__found) = __found else {
                        let __path = #req.path();
                        let __method = #req.method();
                        return { #miss };
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
                // The route is matched before the table's middleware runs, so that all of it
                // sees `req.route()`.
                let __found = {
                    let (__method, __path) = (#req.method(), #req.path());
                    #lookup_in_handle
                };
                if let ::core::option::Option::Some(__f) = &__found {
                    ::waymark::__private::matched::<Self>(#req, __f);
                }
                ::waymark::__private::observe(#req, Self::metrics(), #handle_wrapped)
            }
        }
    }
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

/// The handler expression as text for the route table, without the spaces token printing adds.
fn expr_text(expr: &Expr) -> String {
    let mut s = quote!(#expr).to_string();
    for (from, to) in [(" (", "("), ("( ", "("), (" )", ")"), (" ,", ","), (" .", "."), (". ", "."), (" !", "!")] {
        s = s.replace(from, to);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expand::tests::{assert_in_order, checked, input};

    #[test]
    fn handler_text_reads_as_written() {
        let cases = [
            ("list(state, limit, offset)", "list(state, limit, offset)"),
            ("state.assets.serve(\"index.html\", req)", "state.assets.serve(\"index.html\", req)"),
            ("async { Json(openapi()) }", "async { Json(openapi()) }"),
            ("a.b(1).c(x, y)", "a.b(1).c(x, y)"),
            ("format!(\"{id}\")", "format!(\"{id}\")"),
        ];
        for (src, want) in cases {
            assert_eq!(expr_text(&syn::parse_str(src).unwrap()), want, "{src}");
        }
    }

    #[test]
    fn a_miss_is_400_then_405_or_options_then_the_fallback() {
        let with = input(r#"pub Api; GET "/" => h(), fallback => not_found(req),"#);
        let out = miss(&checked(&with)).to_string();
        let order = [
            ":: bad (__method , __path)",
            "__path == \"*\" && * __method == :: waymark :: __private :: Method :: OPTIONS",
            ":: allow (__path , & mut __allow)",
            "__allow . push (\"OPTIONS\")",
            "return __allow . options ()",
            "__allow . method_not_allowed ()",
            "handler (not_found (req))",
        ];
        assert_in_order(&out, &order);

        let without = input(r#"pub Api; GET "/" => h(),"#);
        let out = miss(&checked(&without)).to_string();
        assert!(out.ends_with("{ let __r = :: waymark :: __private :: Rejection :: NotFound ; :: waymark :: __private :: IntoResponse :: into_response (__r) }"), "{out}");
    }
}
