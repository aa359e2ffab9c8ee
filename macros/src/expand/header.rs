//! Emits the generated type: the struct (the state, and one field per mounted table), `new`, which
//! builds the mounted tables once, the state accessor, and `Debug`. A table with errors gets the
//! same items, so code that names the type or calls `new` still compiles and adds no errors of its
//! own.

use proc_macro2::TokenStream;
use quote::quote;
use syn::Ident;

use crate::ast::{Input, Item, Mount};
use crate::expand::mount_field;

fn mounts(input: &Input) -> impl Iterator<Item = &Mount> {
    input.items.iter().filter_map(|i| match i {
        Item::Mount(m) => Some(m),
        _ => None,
    })
}

/// The generated type, its constructor (which builds the mounted tables once) and its state
/// accessor: the same with or without errors.
pub(super) fn header(input: &Input) -> TokenStream {
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
