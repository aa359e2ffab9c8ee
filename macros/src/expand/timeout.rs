//! Emits a route's timer: the part of the route its timeout covers, run inside
//! `__private::timeout`, and the `rejection` answer when the time is up. A route without a
//! timeout gets none of this code, so no timer.

use proc_macro2::TokenStream;
use quote::quote;

use crate::expand::arm::reject;
use crate::valid::Table;

/// `inner` (statements ending in the response), timed if the route's timer (from
/// [`RouteDef::timer`](crate::valid::RouteDef::timer): an index into its layers, or the number of layers for the route's own
/// part, and milliseconds) sits at `level`.
pub(super) fn at(level: usize, timer: Option<(usize, u64)>, inner: TokenStream, table: &Table<'_>) -> TokenStream {
    match timer {
        Some((at, ms)) if at == level => {
            let reject = reject(table);
            // The timed future is dropped inside `timeout`, before the rejection answer runs.
            quote! {
                match ::waymark::__private::timeout(#ms, async move { #inner }).await {
                    ::core::result::Result::Ok(res) => res,
                    ::core::result::Result::Err(__r) => #reject,
                }
            }
        }
        _ => inner,
    }
}

#[cfg(test)]
mod tests {
    use crate::expand::arm::route_arm;
    use crate::expand::tests::{assert_in_order, checked, input};

    #[test]
    fn the_timer_sits_after_its_blocks_middleware_and_before_its_guards() {
        let src = input(
            r#"pub Api;
            guard user: User = user(req);
            scope "/admin" {
                wrap audit;
                guard admin: Admin = admin(req);
                timeout 5 s;
                POST "/x" body: String => h(user, admin, body),
                POST "/upload" body: String timeout 2 min => h(user, admin, body),
            }
            GET "/own" timeout 250 ms => own(user),
            GET "/none" => none(),"#,
        );
        let table = checked(&src);
        let timed = |ms: &str| format!(":: waymark :: __private :: timeout ({ms} , async move {{");
        let scoped = route_arm(0, &table).to_string();
        let order =
            ["let user : User =", "async move {", &timed("5000u64"), "let admin : Admin =", "let body", "h (user"];
        assert_in_order(&scoped, &order);
        assert!(scoped.contains("audit (req , next)"), "{scoped}");
        assert_eq!(scoped.matches("__private :: timeout").count(), 1, "one timer: {scoped}");

        // The route's own timeout sets the length; the timer stays where the scope put it.
        let upload = route_arm(1, &table).to_string();
        assert_in_order(&upload, &[&timed("120000u64"), "let admin : Admin =", "h (user"]);
        assert!(!upload.contains("5000u64"), "{upload}");

        let own = route_arm(2, &table).to_string();
        assert_in_order(&own, &["let user : User =", &timed("250u64"), "own (user)"]);
        assert!(route_arm(3, &table).to_string().find("__private :: timeout").is_none(), "no timeout, no timer");
    }
}
