//! Emits what makes a table mountable, and what mounting tables takes: the `Table` impl (`find`,
//! `bad`, `allow`, `every`, `run`, and the route, shape and operation lists joined with the mounted
//! tables' in `const` evaluation), the match type that is this table's route or a mounted table's
//! match ([`Found`]), and the `const` checks that no mounted route conflicts with another. What
//! names a mounted type is spanned at that type, so a type that is not a table is reported at its
//! `mount` line.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use crate::describe;
use crate::expand::arm::wrap_all;
use crate::expand::{aliases, allow_generated, method_fn, mount_field, req_ident};
use crate::valid::{self, Table};

/// What a match is: this table's route or, with mounted tables, a mounted table's match. The type,
/// its items, how `Table::find` computes it, and the arms that run it.
pub(super) struct Found {
    pub(super) items: TokenStream,
    pub(super) ty: TokenStream,
    pub(super) find: TokenStream,
    pub(super) arms: TokenStream,
    /// The body of `Table::route_index`: a match's position in the joined `ROUTES`.
    pub(super) index: TokenStream,
}

/// What a match of `table` is; `arms` run this table's own routes.
pub(super) fn found(table: &Table<'_>, route: &Ident, arms: &[TokenStream]) -> Found {
    let (vis, name, req) = (table.vis, table.name, req_ident());
    let own = quote! {
        Self::__lookup(__method, __path).map(|__r| {
            let __shape = Self::__OWN_SHAPES[__r.__index()].segments;
            (__r, __shape)
        })
    };
    if table.mounts.is_empty() {
        let index = quote! { __found.__index() };
        return Found {
            items: TokenStream::new(),
            ty: quote! { #route<'p> },
            find: own,
            arms: quote! { #(#arms)* },
            index,
        };
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
    // A mounted table's routes follow this table's own and those of the tables mounted before it.
    let (lens, indices) = (in_mounted(table, "ROUTES.len()"), in_mounted(table, "route_index"));
    let mounted_index = variants.iter().zip(&indices).enumerate().map(|(k, (variant, index))| {
        let (before, span) = (&lens[..k], spans[k]);
        quote_spanned! {span=> #found::#variant(__f) => Self::__OWN_ROUTES.len() #(+ #before)* + #index(__f), }
    });
    let index = quote! {
        match __found {
            #found::Own(__r) => __r.__index(),
            #(#mounted_index)*
        }
    };
    Found { items, ty: quote! { #found<'p> }, find, arms, index }
}

/// The table as its mounting table sees it (`waymark::__private::Table`).
pub(super) fn table_impl(table: &Table<'_>, found: &Found, methods: &[&str]) -> TokenStream {
    let (name, req) = (table.name, req_ident());
    let name_str = name.to_string();
    let Found { ty: found_ty, find: find_body, index: index_body, .. } = found;
    let state_binding = table.state.map(|bind| quote! { let #bind = &self.state; });
    let all_routes = joined(
        &quote! { #name::__OWN_ROUTES },
        &in_mounted(table, "ROUTES"),
        &quote! { ::waymark::__private::RouteInfo },
        &quote! { ::waymark::__private::RouteInfo::EMPTY },
    );
    let all_shapes = joined(
        &quote! { #name::__OWN_SHAPES },
        &in_mounted(table, "SHAPES"),
        &quote! { ::waymark::__private::shape::Shape<'static> },
        &quote! { ::waymark::__private::shape::Shape { method: "", pattern: "", segments: &[] } },
    );
    let all_operations = joined(
        &describe::operations(table.name, &table.routes, table.state),
        &in_mounted(table, "OPERATIONS"),
        &quote! { ::waymark::__private::openapi::Operation },
        &quote! { ::waymark::__private::openapi::Operation::EMPTY },
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

            fn slot() -> &'static ::waymark::__private::TableSlot {
                static __SLOT: ::waymark::__private::TableSlot = ::waymark::__private::TableSlot::new();
                &__SLOT
            }

            #[inline]
            fn route_index(__found: &Self::Found<'_>) -> usize {
                #index_body
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

/// The methods an `Allow` header lists for a route of method `m`: `GET` serves `HEAD` too.
fn allowed_by(m: &str) -> Vec<&str> {
    if m == "GET" { vec!["GET", "HEAD"] } else { vec![m] }
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

/// A `const` slice of this table's own items followed by each mounted table's (`ROUTES`,
/// `SHAPES` or `OPERATIONS`), joined in `const` evaluation.
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
pub(super) fn mount_checks(table: &Table<'_>) -> TokenStream {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expand::tests::{checked, input};

    #[test]
    fn a_get_route_allows_head_too() {
        assert_eq!(allowed_by("GET"), ["GET", "HEAD"]);
        for m in ["HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"] {
            assert_eq!(allowed_by(m), [m]);
        }
    }

    #[test]
    fn each_mount_is_checked_against_the_table_and_earlier_mounts() {
        let src = input(
            r#"pub Api; mount a::A = a::A::new(); mount b::B = b::B::new(); mount c::C = c::C::new(); GET "/" => h(),"#,
        );
        let checks = mount_checks(&checked(&src)).to_string();
        let name = |arg: &str| arg.trim_start_matches("< ").split(" as ").next().unwrap_or_default().to_owned();
        let pairs: Vec<(String, String)> = checks
            .split("assert_no_conflict (")
            .skip(1)
            .map(|call| {
                let args: Vec<&str> = call.split(" , ").collect();
                (name(args[0]), name(args[2]))
            })
            .collect();
        let want = [
            ("Api", "a :: A"),
            ("Api", "b :: B"),
            ("a :: A", "b :: B"),
            ("Api", "c :: C"),
            ("a :: A", "c :: C"),
            ("b :: B", "c :: C"),
        ];
        let want: Vec<(String, String)> = want.iter().map(|(e, l)| ((*e).to_owned(), (*l).to_owned())).collect();
        assert_eq!(pairs, want, "{checks}");
        assert_eq!(checks.matches("__OWN_SHAPES").count(), 3, "the table's own routes, once per mount: {checks}");
    }

    #[test]
    fn without_mounts_lists_are_the_table_own_and_the_match_is_its_route() {
        let own = quote! { Api::__OWN_ROUTES };
        let ty = quote! { RouteInfo };
        let fill = quote! { RouteInfo::EMPTY };
        assert_eq!(joined(&own, &[], &ty, &fill).to_string(), own.to_string());
        let both = joined(&own, &[quote! { A::ROUTES }], &ty, &fill).to_string();
        assert!(both.contains("& [Api :: __OWN_ROUTES , A :: ROUTES]"), "own first, then each mounted: {both}");

        let route = format_ident!("__WaymarkApiRoute");
        let plain = input(r#"pub Api; GET "/" => h(),"#);
        let found_plain = found(&checked(&plain), &route, &[]);
        assert!(found_plain.items.is_empty());
        assert_eq!(found_plain.ty.to_string(), "__WaymarkApiRoute < 'p >");

        let mounting = input(r#"pub Api; mount a::A = a::A::new(); GET "/" => h(),"#);
        let found_mounting = found(&checked(&mounting), &route, &[]);
        let items = found_mounting.items.to_string();
        assert_eq!(found_mounting.ty.to_string(), "__WaymarkApiFound < 'p >");
        let variants = "Own (__WaymarkApiRoute < 'p >) , M0 (< a :: A as :: waymark :: __private :: Table > :: Found";
        assert!(items.contains(variants), "this table's route, then each mounted table's match: {items}");
    }
}
