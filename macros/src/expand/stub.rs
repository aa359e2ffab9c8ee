//! Emits what stands in for the dispatcher when the table has errors: `ROUTES`, `call`, and the
//! `App` and `Table` impls, answering `500` and matching nothing. Code that uses the type then
//! compiles, so the user sees the table's own errors and not one more for each use; a table that
//! mounts this one sees a table with no routes. (`openapi` is not stubbed: a call to it is still
//! one follow-on error.)

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::Input;

/// What a table with errors has instead of the dispatcher: the items other code uses, answering
/// `500`, and a table with no routes for the tables that mount it.
pub(super) fn stub(input: &Input) -> TokenStream {
    let Input { vis, name, .. } = input;
    let name_str = name.to_string();
    quote! {
        impl #name {
            /// The route table (empty: the table has errors).
            #vis const ROUTES: &'static [::waymark::__private::RouteInfo] = &[];
            /// The table's request metrics (none: the table has errors).
            #vis fn metrics() -> &'static ::waymark::__private::RouteMetrics {
                static __METRICS: ::waymark::__private::RouteMetrics = ::waymark::__private::RouteMetrics::new(&[]);
                &__METRICS
            }
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
            fn slot() -> &'static ::waymark::__private::TableSlot {
                static __SLOT: ::waymark::__private::TableSlot = ::waymark::__private::TableSlot::new();
                &__SLOT
            }
            fn route_index(found: &Self::Found<'_>) -> usize {
                match *found {}
            }
            fn run<'a>(&'a self, _: &'a ::waymark::__private::Request, found: Self::Found<'a>)
                -> impl ::core::future::Future<Output = ::waymark::__private::Response> + ::core::marker::Send + 'a {
                async move { match found {} }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use crate::expand::expand;
    use crate::expand::tests::input;

    /// The public, documented items of the generated type, and the items of each trait impl.
    fn items(src: &str) -> (BTreeSet<String>, BTreeSet<String>) {
        let file: syn::File = syn::parse2(expand(&input(src))).unwrap();
        let (mut own, mut traits) = (BTreeSet::new(), BTreeSet::new());
        for item in &file.items {
            let syn::Item::Impl(block) = item else { continue };
            for item in &block.items {
                let (name, vis, attrs) = match item {
                    syn::ImplItem::Fn(f) => (f.sig.ident.to_string(), &f.vis, &f.attrs),
                    syn::ImplItem::Const(c) => (c.ident.to_string(), &c.vis, &c.attrs),
                    syn::ImplItem::Type(t) => (t.ident.to_string(), &t.vis, &t.attrs),
                    _ => continue,
                };
                let hidden = attrs.iter().any(|a| quote::quote!(#a).to_string() == "# [doc (hidden)]");
                match &block.trait_ {
                    Some((path, _)) => {
                        let path = path.segments.iter().map(|s| s.ident.to_string()).collect::<Vec<_>>().join("::");
                        traits.insert(format!("{path}::{name}"));
                    }
                    None if matches!(vis, syn::Visibility::Public(_)) && !hidden => {
                        own.insert(name);
                    }
                    None => {}
                }
            }
        }
        (own, traits)
    }

    #[test]
    fn the_stub_has_the_public_items_of_the_dispatcher() {
        let table = r#"pub Api(state: Db); mount a::A = a::A::new(); GET "/a/{id: u64}" as item => h(id),"#;
        let (own, traits) = items(&format!("{table} POST \"/b\" => h(),"));
        let (stub_own, stub_traits) = items(&format!("{table} GET \"/a/{{n: u64}}\" => h(),"));
        assert_eq!(stub_traits, traits);
        for item in ["core::fmt::Debug::fmt", "waymark::__private::App::handle", "waymark::__private::Table::run"] {
            assert!(traits.contains(item), "{item}: {traits:?}");
        }
        assert!(stub_own.is_subset(&own), "{stub_own:?} {own:?}");
        // `openapi` is the one public item the stub lacks: a call to it in the user's code is an
        // error of its own when the table has errors.
        let missing: Vec<&str> = own.difference(&stub_own).map(String::as_str).collect();
        assert_eq!(missing, ["openapi"], "{own:?}");
        for item in ["new", "state", "ROUTES", "call", "item_url", "try_item_url"] {
            assert!(stub_own.contains(item), "{item}: {stub_own:?}");
        }
    }
}
