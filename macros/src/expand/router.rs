//! Emits the matcher as module-level items: the route enum, whose variants hold one chunk enum of
//! matched parameters each; `__lookup` and `__find`, which call the trie matcher of the request's
//! method ([`walk`](crate::expand::walk)), `HEAD` falling back to `GET`; and the `match` arms that
//! run the routes. Routes are grouped in chunks of [`CHUNK`] so that no async body awaits more than
//! that many handler futures.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

use crate::expand::arm::route_arm;
use crate::expand::walk::method_matcher;
use crate::expand::{CHUNK, chunk_ident, method_fn, req_ident, variant};
use crate::trie::Node;
use crate::valid::{METHODS, ParamTy, Table};

/// The matcher as module-level items (the route enums and hidden associated functions of the
/// generated type, so that they can be benchmarked on their own), the route enum's name, the
/// methods the table has routes for, and the `match` arms that run each route.
pub(super) struct Router {
    pub(super) items: TokenStream,
    pub(super) route: Ident,
    pub(super) methods: Vec<&'static str>,
    pub(super) arms: Vec<TokenStream>,
}

/// The matcher of `table`, from its per-method tries.
pub(super) fn router(table: &Table<'_>, tries: &[(String, Node<'_>)]) -> Router {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expand::tests::{checked, input};

    fn table_of(n: usize) -> String {
        let routes: Vec<String> = (0..n).map(|i| format!(r#"GET "/r{i}/{{id: u64}}" => h(id),"#)).collect();
        format!("pub Big; {}", routes.join(" "))
    }

    #[test]
    fn one_chunk_enum_per_chunk_routes() {
        let route = format_ident!("__WaymarkBigRoute");
        for (n, want) in [(1, 1), (CHUNK, 1), (CHUNK + 1, 2), (2 * CHUNK, 2), (2 * CHUNK + 1, 3)] {
            let big = input(&table_of(n));
            let Chunks { enums, variants, arms, indices } = chunks(&checked(&big), &route);
            assert_eq!((enums.len(), variants.len(), indices.len()), (want, want, want), "{n} routes");
            assert_eq!(arms.len(), want + 1, "{n} routes: one arm per chunk and the uninhabited one");
            let last = enums[want - 1].to_string();
            let (chunk, r) = (format!("enum __WaymarkBigC{} < 'p >", want - 1), format!("R{} (u64)", n - 1));
            assert!(last.contains(&chunk) && last.contains(&r), "{n} routes: {chunk}, {r}");
        }
    }

    #[test]
    fn a_single_chunk_runs_inline_and_more_run_in_their_own_function() {
        let route = format_ident!("__WaymarkBigRoute");
        let one = input(&table_of(CHUNK));
        let arms = chunks(&checked(&one), &route).arms;
        let arms = quote!(#(#arms)*).to_string();
        assert!(!arms.contains("__run"), "{arms}");
        assert!(arms.contains(&format!("R{} (__p1) =>", CHUNK - 1)), "{arms}");

        let two = input(&table_of(CHUNK + 1));
        let arms = chunks(&checked(&two), &route).arms;
        let arms: Vec<String> = arms.iter().map(ToString::to_string).collect();
        assert!(arms[0].contains("fn __run0") && !arms[0].contains(&format!("R{CHUNK} ")), "{}", arms[0]);
        assert!(
            arms[1].contains("fn __run1") && arms[1].contains(&format!("__WaymarkBigC1 :: R{CHUNK} (")),
            "{}",
            arms[1]
        );
    }

    #[test]
    fn head_falls_back_to_get() {
        let text = |methods: &[&str]| by_method(methods).to_string();
        let is_head = "if * __method == :: waymark :: __private :: Method :: HEAD";

        let get = text(&["GET"]);
        assert!(get.contains(&format!("{is_head} {{ Self :: __match_get (__path , __bad) }}")), "{get}");

        let both = text(&["GET", "HEAD", "POST"]);
        let head_then_get = format!(
            "{is_head} {{ Self :: __match_head (__path , __bad) . or_else (|| Self :: __match_get (__path , __bad)) }}"
        );
        assert!(both.contains(&head_then_get), "{both}");
        assert_eq!(both.matches("Method :: HEAD").count(), 1, "HEAD is tried once, GET after it: {both}");
        assert!(both.contains("Method :: POST { Self :: __match_post (__path , __bad) }"), "{both}");

        let head = text(&["HEAD"]);
        assert!(head.contains("Self :: __match_head") && !head.contains("__match_get"), "{head}");
        assert!(!text(&["POST"]).contains("HEAD"));
    }
}
