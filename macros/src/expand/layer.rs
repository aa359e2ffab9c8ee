//! Emits what `wrap tower(LAYER);` keeps in the table: one field per layer, holding the layered
//! service, built once in `new` (with the state bound, as a mount's expression is). The
//! middleware call that runs it is set at parsing (`ast::number_layers`); the runtime side is
//! `__private::{Layered, tower_wrap}`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Ident};

use crate::ast::{Item, layer_field};

/// The layers of a table in declaration order, scopes included.
fn layers(items: &[Item]) -> Vec<&Expr> {
    items
        .iter()
        .flat_map(|item| match item {
            Item::Wrap(w) => w.layer.iter().collect(),
            Item::Scope(scope) => layers(&scope.items),
            _ => Vec::new(),
        })
        .collect()
}

/// The fields that keep the layered services: names, and `let` statements that build them (the
/// trait error for a value that is not a layer points at the layer).
pub(super) fn fields(items: &[Item], binding: Option<&TokenStream>) -> (Vec<Ident>, Vec<TokenStream>) {
    let layers = layers(items);
    let names: Vec<Ident> = (0..layers.len()).map(layer_field).collect();
    let builds = layers
        .iter()
        .zip(&names)
        .map(|(layer, f)| {
            let build = quote_spanned! {layer.span()=> ::waymark::__private::Layered::new(#layer) };
            quote! { let #f = { #binding #build }; }
        })
        .collect();
    (names, builds)
}
