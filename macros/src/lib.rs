//! The `routes!` macro.
use proc_macro::TokenStream;
/// x
#[proc_macro]
pub fn routes(input: TokenStream) -> TokenStream {
    input
}
