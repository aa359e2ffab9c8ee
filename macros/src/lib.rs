//! The `routes!` macro of [waymark](https://docs.rs/waymark). The DSL, the matching rules and the
//! conflict rules are documented once, in the facade crate's documentation.
//!
//! The pipeline has one stage per module: `ast` parses tokens, `pattern` parses the pattern
//! strings, `valid` checks each route on its own and flattens scopes into a table, `trie` builds
//! the per-method tries, where routes meet and conflicts are found, and `conflict` words those;
//! `reach` finds guard bindings named out of their guard's reach; `timeout` checks `timeout 5 s`
//! and places a route's timer. `expand` runs these stages and
//! emits the code, one file per part of it:
//!
//! - `expand/mod.rs`: the pipeline itself (`expand::expand`) and the names the parts share;
//! - `header`: the generated type, its constructor and state accessor;
//! - `url`: `NAME_url` and `try_NAME_url`, emitted even when the table has errors;
//! - `dispatch`: the route lists, `call`, `openapi` (from `describe`, the routes as OpenAPI data),
//!   the `App` impl and the answers when no route matched, put together from
//!   - `router`: the route enums, chunked, and the choice of matcher by method;
//!   - `walk`: each method's trie matcher, one segment at a time;
//!   - `arm`: what runs one matched route: bindings, middleware, guards, query, body, handler;
//!   - `timeout`: a route's timer, around the part of the route its `timeout` covers;
//!   - `mount`: the `Table` impl, mounted tables and their `const` conflict checks;
//! - `stub`: what stands in for the dispatcher when the table has errors, so that the user sees
//!   those errors and no follow-on ones.
//!
//! `derive_responses` is the other macro, `#[derive(Responses)]`: an error enum's answers.
#![forbid(unsafe_code)]

mod ast;
mod conflict;
mod derive_responses;
mod describe;
mod expand;
mod pattern;
mod range;
mod reach;
mod timeout;
mod trie;
mod valid;

use proc_macro::TokenStream;

/// Declares every route of an application; see the `waymark` crate docs.
#[proc_macro]
pub fn routes(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as ast::Input);
    expand::expand(&input).into()
}

/// `#[derive(Responses)]` on an enum: each variant one answer; see `waymark::Responses`.
#[proc_macro_derive(Responses, attributes(response))]
pub fn derive_responses(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    derive_responses::derive(&input).into()
}
