//! Emits the generated type: the struct (the state, and one field per mounted table), `new`, which
//! builds the mounted tables and the `wrap tower(..)` layers once, the state accessor, and `Debug`. A table with errors gets the
//! same items, so code that names the type or calls `new` still compiles and adds no errors of its
//! own.

use proc_macro2::TokenStream;
use quote::quote;
use syn::Ident;

use crate::ast::{Input, Item, Mount};
use crate::expand::{layer, mount_field};

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
            #[allow(unused_variables, reason = "generated: a mount's or a layer's expression may not use the state")]
            let #bind = &state;
        }
    });
    let mut builds: Vec<TokenStream> = mounts(input)
        .zip(&fields)
        .map(|(m, f)| {
            let expr = &m.expr;
            quote! { let #f = { #binding #expr }; }
        })
        .collect();
    let (layers, layer_builds) = layer::fields(&input.items, binding.as_ref());
    builds.extend(layer_builds);
    let fields: Vec<Ident> = fields.into_iter().chain(layers.iter().cloned()).collect();
    let tys = tys.map(|ty| quote! { #ty }).chain(layers.iter().map(|_| quote! { ::waymark::__private::Layered }));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expand::tests::input;

    #[test]
    fn the_type_holds_its_state_and_each_mounted_table() {
        let stateful = input(
            r#"pub(crate) Api(state: Db); mount a::A = a::A::new(state.a); mount b::B = b::B::new(); GET "/" => h(),"#,
        );
        let out = header(&stateful).to_string();
        assert!(
            out.contains("pub (crate) struct Api { state : Db , __mount0 : a :: A , __mount1 : b :: B , }"),
            "{out}"
        );
        assert!(out.contains("pub (crate) fn new (state : Db) -> Self"), "{out}");
        assert!(out.contains("pub (crate) fn state (& self) -> & Db"), "{out}");
        let (a, b) = (out.find("let __mount0 =").expect(&out), out.find("let __mount1 =").expect(&out));
        assert!(
            a < b && out[a..b].contains("let state = & state ; a :: A :: new (state . a)"),
            "built in order, with the state: {out}"
        );
        assert!(out.contains("Self { state , __mount0 , __mount1 }"), "{out}");

        let stateless = input(r#"pub Api; GET "/" => h(),"#);
        let out = header(&stateless).to_string();
        assert!(out.contains("pub struct Api { _private : () , }"), "{out}");
        assert!(out.contains("pub fn new () -> Self"), "{out}");
        assert!(!out.contains("fn state"), "{out}");
        assert!(out.contains("f . debug_struct (\"Api\") . finish_non_exhaustive ()"), "{out}");
    }
}
