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
