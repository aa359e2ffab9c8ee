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

#[cfg(test)]
mod tests {
    use crate::expand::expand;
    use crate::expand::tests::{assert_in_order, input};

    #[test]
    fn each_layer_is_a_field_built_once_in_new_and_run_by_its_wrap() {
        let out = expand(&input(
            r#"pub Api(state: S);
               wrap tower(A::new(state.a));
               wrap log;
               GET "/" => h(),
               scope "/s" { wrap tower(B); GET "/x" => h(), }"#,
        ))
        .to_string();
        assert!(out.contains("pub struct Api { state : S , __layer0 : :: waymark :: __private :: Layered , __layer1 : :: waymark :: __private :: Layered , }"), "{out}");
        assert_in_order(
            &out,
            &[
                "let __layer0 = { # [allow",
                "let state = & state ; :: waymark :: __private :: Layered :: new (A :: new (state . a)) }",
                "let __layer1 =",
                ":: waymark :: __private :: Layered :: new (B) }",
                "Self { state , __layer0 , __layer1 }",
            ],
        );
        // The top level wraps the whole dispatch (`self`); a scope's wrap is in the route arms.
        assert!(out.contains(":: waymark :: __private :: tower_wrap (& self . __layer0 , req , next)"), "{out}");
        assert!(out.contains(":: waymark :: __private :: tower_wrap (& __this . __layer1 , req , next)"), "{out}");
        // Two arguments: a middleware function that happens to be named `tower`.
        let out = expand(&input(r#"pub Api; wrap tower(req, next); GET "/" => h(),"#)).to_string();
        assert!(!out.contains("Layered"), "{out}");
    }
}
