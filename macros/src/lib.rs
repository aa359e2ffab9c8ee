//! The `routes!` macro of [waymark](https://docs.rs/waymark). The DSL, the matching rules and the
//! conflict rules are documented once, in the facade crate's documentation.
//!
//! The pipeline has one stage per module: `ast` parses tokens, `pattern` parses the pattern
//! strings, `valid` checks each route on its own, `conflict` checks routes against each other,
//! `expand` emits the dispatcher (or a stub, when there were errors).
#![forbid(unsafe_code)]

mod ast;
mod conflict;
mod describe;
mod expand;
mod pattern;
mod trie;
mod valid;

use proc_macro::TokenStream;

/// Declares every route of an application; see the `waymark` crate docs.
#[proc_macro]
pub fn routes(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as ast::Input);
    expand::expand(&input).into()
}
