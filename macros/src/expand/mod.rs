//! Emits the code of one `routes!` table. [`expand`] is the whole pipeline: check the table, then
//! emit the generated type ([`header`](mod@header)) and the URL builders ([`url`]), which a table with errors
//! keeps too, then either the dispatcher or, on any error, the errors and a stub of the public
//! items ([`stub`](mod@stub)), so that the user sees the real errors and no follow-on ones. The dispatcher
//! ([`dispatch`]) puts together the matcher ([`router`], which walks the tries with [`walk`]), the
//! route arms ([`arm`]), and the mounted tables with their `const` conflict checks ([`mount`]).
//!
//! The rest of this file is what several emitters share: the names the generated items agree on
//! (route variants, chunk enums, per-method matchers, mount fields) and a few token snippets.

mod arm;
mod dispatch;
mod header;
mod layer;
mod mount;
mod router;
mod stub;
mod timeout;
mod url;
mod walk;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;
use waymark_shape::Seg;

use self::dispatch::dispatcher;
use self::header::header;
use self::stub::stub;
use self::url::url_builders;
use crate::ast::Input;
use crate::valid::{self, Table};
use crate::{conflict, reach, trie};

/// The expansion of one `routes!` table.
pub(crate) fn expand(input: &Input) -> TokenStream {
    let (table, mut errors) = valid::check(input);
    let shapes: Vec<Vec<Seg<'_>>> = table.routes.iter().map(|r| trie::shape(&r.segments)).collect();
    let keyed: Vec<(&str, Vec<Seg<'_>>)> =
        table.routes.iter().zip(&shapes).map(|(r, s)| (r.method, s.clone())).collect();
    let tries = trie::build(&keyed);
    errors.extend(conflict::errors(&table, &shapes, &tries.conflicts));
    errors.extend(reach::errors(input, &table));
    let header = header(input);
    let urls = url_builders(&table);
    if errors.is_empty() {
        let body = dispatcher(&table, &shapes, &tries.by_method);
        quote! { #header #urls #body }
    } else {
        let errors = errors.iter().map(syn::Error::to_compile_error);
        let stub = stub(input);
        quote! { #header #urls #stub #(#errors)* }
    }
}

/// `req`, the request as generated code binds it (handlers, guards and middleware name it).
pub(crate) fn req_ident() -> Ident {
    Ident::new("req", Span::call_site())
}

/// Generated functions bind `req` and the state for every route, used or not.
fn allow_generated() -> TokenStream {
    quote! {
        #[allow(
            unused_variables,
            clippy::all,
            clippy::pedantic,
            reason = "generated: every route binds `req` and the state, whether its handler uses them or not"
        )]
    }
}

/// Short local names for what generated code says thousands of times in a large table (the
/// matcher, the route lists): a path like `::core::option::Option::Some` is twelve tokens, and
/// every token of the expansion costs build time on each rebuild, the macro's own run included.
/// The names are local to the generated function or `const` block and start with `__`.
fn aliases() -> TokenStream {
    quote! {
        #[allow(unused_imports)]
        use ::core::option::Option::{None as __None, Some as __Some};
        #[allow(unused_imports)]
        use ::waymark::__private::{self as __w, openapi as __o, shape as __s};
    }
}

/// The field of the generated type that holds mounted table `i`.
fn mount_field(i: usize) -> Ident {
    format_ident!("__mount{}", i)
}

/// Routes are run in chunks of this many: rustc's time to check one async body grows with the
/// square of the futures it awaits (10 s for 1,000 handler futures in one body, under 2 s in
/// chunks of 32). A table of at most this many routes runs in one body, with no extra future.
const CHUNK: usize = 32;

/// The enum holding route `i`'s matched parameters (one per chunk), and the variant of the route
/// enum that holds it. Module-level items, hidden, named after the generated type.
fn chunk_ident(table: &Table<'_>, i: usize) -> (Ident, Ident) {
    (format_ident!("__Waymark{}C{}", table.name, i / CHUNK), format_ident!("C{}", i / CHUNK))
}

/// The variant of route `i` in its chunk enum.
fn variant(i: usize) -> Ident {
    format_ident!("R{}", i)
}

/// The variable holding the matched value of the path parameter at segment `index`.
fn var(index: usize) -> Ident {
    format_ident!("__p{}", index)
}

/// A per-method function of the generated type: `method_fn("match", "GET")` is `__match_get`.
fn method_fn(prefix: &str, method: &str) -> Ident {
    format_ident!("__{}_{}", prefix, method.to_ascii_lowercase())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The body of a `routes!` call, parsed.
    pub(crate) fn input(src: &str) -> Input {
        syn::parse_str(src).unwrap_or_else(|e| panic!("{src}: {e}"))
    }

    /// Asserts that every fragment occurs in `out`, in this order.
    #[track_caller]
    pub(crate) fn assert_in_order(out: &str, order: &[&str]) {
        let at: Vec<usize> = order.iter().map(|s| out.find(s).unwrap_or_else(|| panic!("{s}: {out}"))).collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}: {out}");
    }

    /// The checked table of `input`, which must have no errors of its own.
    pub(super) fn checked(input: &Input) -> Table<'_> {
        let (table, errors) = valid::check(input);
        let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(errors.is_empty(), "{errors:?}");
        table
    }

    #[test]
    fn errors_replace_the_dispatcher_but_keep_the_url_builders() {
        let ok = expand(&input(r#"pub Api; GET "/a" as a => a(), GET "/b" => b(),"#)).to_string();
        let bad = expand(&input(r#"pub Api; GET "/a" as a => a(), GET "/a" => b(),"#)).to_string();
        for out in [&ok, &bad] {
            assert!(out.contains("pub struct Api"), "{out}");
            assert!(out.contains("fn try_a_url"), "{out}");
        }
        assert!(!ok.contains("compile_error"), "{ok}");
        assert!(ok.contains("fn __dispatch"), "{ok}");
        assert_eq!(bad.matches("compile_error").count(), 2, "one on each route of the conflict: {bad}");
        assert!(!bad.contains("fn __dispatch"), "{bad}");
        assert!(bad.contains("INTERNAL_SERVER_ERROR"), "{bad}");
    }
}
