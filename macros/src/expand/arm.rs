//! Emits what runs one matched route: the `match` arm that binds its parameters, then each block's
//! middleware and guards from the outermost block in, then the query, the body and the handler. A
//! block without middleware runs inline in the router's future: one future less to poll. Also the
//! pieces the dispatcher's own answers share with the routes: middleware around a future
//! ([`wrap_all`]), a handler call with trait errors at the user's expression ([`handler_call`]), and
//! the answer to a rejection ([`reject`]).

use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Ident, Lit};

use crate::expand::{chunk_ident, req_ident, timeout, var, variant};
use crate::range::{Num, Range};
use crate::valid::{ParamTy, QueryKind, Table};

/// The `match` arm that runs route `i`: bindings, then each block's middleware and guards from
/// the outermost in, then query, body and handler.
pub(super) fn route_arm(i: usize, table: &Table<'_>) -> TokenStream {
    let r = &table.routes[i];
    let req = req_ident();
    let (v, (chunk, _)) = (variant(i), chunk_ident(table, i));
    let vars: Vec<Ident> = r.params.iter().map(|p| var(p.index)).collect();
    let reject = reject(table);
    let bindings = r.params.iter().zip(&vars).map(|(p, var)| {
        let (name, bound) = (&p.name, p.ty.bound());
        // The range is checked where the value is bound: the route matched on the type, and no
        // guard, middleware or handler sees a value outside the range.
        let check = p.range.as_ref().map(|range| range_check(range, name, &quote! { &#name }, false, &reject));
        match &p.ty {
            ParamTy::Str => quote! { let #name: #bound = &#var; },
            ParamTy::Parsed { .. } => quote! { let #name: #bound = #var; #check },
        }
    });
    let query = r.query.iter().map(|q| {
        let (name, ty, text) = (&q.name, &q.ty, &q.text);
        let name_str = name.to_string();
        let bound = q.bound();
        let (read, missing) = match &q.kind {
            QueryKind::Required => (quote! { query_required::<#ty> }, None),
            QueryKind::Optional => (quote! { query_optional::<#ty> }, None),
            QueryKind::Repeated => (quote! { query_all::<#ty> }, None),
            QueryKind::Default(lit) => {
                let default = match lit {
                    Lit::Str(_) => quote! { ::core::convert::From::from(#lit) },
                    _ => quote! { #lit },
                };
                (quote! { query_optional::<#ty> }, Some(default))
            }
        };
        let value = match missing {
            Some(default) => quote! { ::core::result::Result::Ok(v) => v.unwrap_or_else(|| #default), },
            None => quote! { ::core::result::Result::Ok(v) => v, },
        };
        let check = q.range.as_ref().map(|range| {
            let each = quote! { __v };
            let check = range_check(range, name, &each, true, &reject);
            match q.kind {
                QueryKind::Required | QueryKind::Default(_) => quote! { { let #each = &#name; #check } },
                QueryKind::Optional => quote! { if let ::core::option::Option::Some(#each) = &#name { #check } },
                QueryKind::Repeated => quote! { for #each in &#name { #check } },
            }
        });
        quote! {
            let #name: #bound = match ::waymark::__private::#read(#req, #name_str, #text) {
                #value
                ::core::result::Result::Err(__r) => return #reject,
            };
            #check
        }
    });
    let body = r.body.map(|ty| {
        let body = Ident::new("body", Span::call_site());
        let limit = match r.limit {
            Some(n) => quote! { ::core::option::Option::Some(#n) },
            None => quote! { ::core::option::Option::None },
        };
        let read = quote_spanned! {ty.span()=> <#ty as ::waymark::__private::FromBody>::from_body(#req, #limit).await };
        quote! {
            let #body: #ty = match #read {
                ::core::result::Result::Ok(v) => v,
                ::core::result::Result::Err(__r) => return #reject,
            };
        }
    });
    let handler = r.handler;
    let run = handler_call(&quote! { #handler }, handler.span());
    let timer = r.timer();
    let run = timeout::at(r.layers.len(), timer, quote! { #(#query)* #body #run }, table);
    // Without middleware in a block, its guards and the route run inline in the router's future:
    // one future less to poll, and the response is moved one time less.
    let run = r.layers.iter().enumerate().rev().fold(run, |inner, (level, layer)| {
        let guards = layer.guards.iter().map(|g| guard_stmt(g));
        let inner = timeout::at(level, timer, quote! { #(#guards)* #inner }, table);
        if layer.wraps.is_empty() {
            inner
        } else {
            let wrapped = wrap_all(&quote! { async move { #inner } }, &layer.wraps);
            quote! { #wrapped.await }
        }
    });
    quote! {
        #chunk::#v(#(#vars),*) => {
            #(#bindings)*
            #run
        }
    }
}

/// Refuses the value `value` (a reference) of parameter `name` when it is outside `range`.
fn range_check(range: &Range, name: &Ident, value: &TokenStream, in_query: bool, reject: &TokenStream) -> TokenStream {
    let (name, text) = (name.to_string(), &range.text);
    let (start, end) = (range.start.map(bound), range.end.map(bound));
    let dots = if range.inclusive {
        quote! { ..= }
    } else {
        quote! { .. }
    };
    quote! {
        if !(#start #dots #end).contains(#value) {
            let __r = ::waymark::__private::out_of_range(#name, #text, #value, #in_query);
            return #reject;
        }
    }
}

/// A bound as a literal without a suffix (the parameter's type gives it), its sign a token apart.
fn bound(n: Num) -> TokenStream {
    let (neg, lit) = match n {
        Num::Int { neg, mag } => (neg, Literal::u128_unsuffixed(mag)),
        Num::Float(v) => (v.is_sign_negative(), Literal::f64_unsuffixed(v.abs())),
    };
    if neg {
        quote! { -#lit }
    } else {
        quote! { #lit }
    }
}

/// A guard's binding: its expression awaited, an `Err` answering for the route.
fn guard_stmt(g: &crate::ast::Guard) -> TokenStream {
    let (name, ty, expr) = (&g.name, &g.ty, &g.expr);
    let awaited = quote_spanned! {expr.span()=> ::waymark::__private::handler(#expr).await };
    let output = quote_spanned! {expr.span()=> ::waymark::__private::guard::<#ty, _>(#awaited) };
    quote! {
        let #name: #ty = match #output {
            ::core::result::Result::Ok(v) => v,
            ::core::result::Result::Err(res) => return res,
        };
    }
}

/// Wraps the future `inner` in middleware, the first of `wraps` outermost.
pub(super) fn wrap_all(inner: &TokenStream, wraps: &[&Expr]) -> TokenStream {
    let req = req_ident();
    let next = Ident::new("next", Span::call_site());
    wraps.iter().rev().fold(inner.clone(), |inner, wrap| {
        let call = match wrap {
            Expr::Path(path) => quote_spanned! {path.span()=> #path(#req, #next) },
            other => quote! { #other },
        };
        let run = handler_call(&call, wrap.span());
        quote! {
            async move {
                let __inner = #inner;
                let mut __inner = ::core::pin::pin!(__inner);
                let #next = ::waymark::__private::Next::new(__inner.as_mut());
                #run
            }
        }
    })
}

/// Awaits a handler expression and converts its output, with trait errors at the expression.
pub(super) fn handler_call(expr: &TokenStream, span: Span) -> TokenStream {
    let awaited = quote_spanned! {span=> ::waymark::__private::handler(#expr).await };
    quote_spanned! {span=> ::waymark::__private::into_response(#awaited) }
}

/// The answer to the rejection `__r`: the table's `rejection` hook, or the default.
pub(super) fn reject(table: &Table<'_>) -> TokenStream {
    let req = req_ident();
    if table.rejection.is_some() {
        quote! { __this.__reject(#req, __r).await }
    } else {
        quote! { ::waymark::__private::IntoResponse::into_response(__r) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expand::tests::{assert_in_order, checked, input};

    /// The middleware call at the end of one `async move` layer, and the future it wraps.
    fn layer(expr: &Expr) -> (String, Option<&Expr>) {
        let Expr::Async(block) = expr else { return (quote!(#expr).to_string(), None) };
        let stmts = &block.block.stmts;
        let syn::Stmt::Local(inner) = &stmts[0] else { panic!("{}", quote!(#expr)) };
        let last = stmts.last().expect("a call");
        (quote!(#last).to_string(), inner.init.as_ref().map(|i| &*i.expr))
    }

    #[test]
    fn the_first_middleware_is_outermost() {
        let wraps: Vec<Expr> =
            ["log", "auth(state, req, next)", "gzip"].iter().map(|w| syn::parse_str(w).unwrap()).collect();
        let wraps: Vec<&Expr> = wraps.iter().collect();
        let inner = quote! { handler() };
        let wrapped: Expr = syn::parse2(wrap_all(&inner, &wraps)).unwrap();
        let mut calls = Vec::new();
        let mut at = Some(&wrapped);
        while let Some(expr) = at {
            let (call, next) = layer(expr);
            calls.push(call);
            at = next;
        }
        let run = |call: &str| {
            format!(":: waymark :: __private :: into_response (:: waymark :: __private :: handler ({call}) . await)")
        };
        assert_eq!(
            calls,
            [
                run("log (req , next)"),
                run("auth (state , req , next)"),
                run("gzip (req , next)"),
                "handler ()".to_owned()
            ],
            "a path is called with `req` and `next`; a call is used as written"
        );
        assert_eq!(wrap_all(&inner, &[]).to_string(), inner.to_string(), "no middleware, no extra future");
    }

    #[test]
    fn an_arm_binds_then_runs_guards_from_the_outermost_block_in() {
        let src = input(
            r#"pub(crate) Api(state: Db);
            guard user: User = user(state, req);
            scope "/admin/{id: u64}" {
                wrap audit;
                guard admin: Admin = admin(user, req);
                POST "/x/{name}?{q: u32}" body: Json<T> => h(user, admin, id, name, q, body),
            }
            GET "/" => home(),"#,
        );
        let table = checked(&src);
        let arm = route_arm(0, &table).to_string();
        let order = [
            "__WaymarkApiC0 :: R0 (__p1 , __p3) =>",
            "let id : u64 = __p1 ;",
            "let name : & str = & __p3 ;",
            "let user : User =",
            "async move {",
            "let admin : Admin =",
            "let q : u32 =",
            "let body : Json < T > =",
            "h (user , admin , id , name , q , body)",
            "audit (req , next)",
        ];
        assert_in_order(&arm, &order);

        let plain = route_arm(1, &table).to_string();
        assert!(!plain.contains("async move"), "a block without middleware runs inline: {plain}");
        assert!(plain.find("let user : User").unwrap() < plain.find("home ()").unwrap(), "{plain}");
    }

    #[test]
    fn a_range_is_checked_where_its_value_is_bound() {
        let src = input(
            r#"pub Api;
            guard g: G = g(req);
            GET "/n/{id: u64 in 1..}/{t: i8 in -5..5}?{limit: u32 in 1..=100 = 20}&{x: Option<f64> in 0.0..1.0}&{v: Vec<u8> in ..10}" => h(),
            GET "/plain/{id: u64}?{limit: u32 = 20}" => h(),"#,
        );
        let table = checked(&src);
        let arm = route_arm(0, &table).to_string();
        let order = [
            "let id : u64 = __p1 ; if ! (1 ..) . contains (& id)",
            ":: waymark :: __private :: out_of_range (\"id\" , \"1..\" , & id , false)",
            "let t : i8 = __p2 ; if ! (- 5 .. 5) . contains (& t)",
            "let g : G =",
            "{ let __v = & limit ; if ! (1 ..= 100) . contains (__v)",
            "out_of_range (\"limit\" , \"1..=100\" , __v , true)",
            "if let :: core :: option :: Option :: Some (__v) = & x { if ! (0.0 .. 1.0) . contains (__v)",
            "for __v in & v { if ! (.. 10) . contains (__v)",
        ];
        assert_in_order(&arm, &order);
        let plain = route_arm(1, &table).to_string();
        assert!(!plain.contains("contains") && !plain.contains("out_of_range"), "no range, no check: {plain}");
    }

    #[test]
    fn rejections_go_to_the_hook_when_there_is_one() {
        let hooked = input(r#"pub Api; GET "/" => h(), rejection => mine(rejection),"#);
        assert_eq!(reject(&checked(&hooked)).to_string(), "__this . __reject (req , __r) . await");
        let plain = input(r#"pub Api; GET "/" => h(),"#);
        assert_eq!(
            reject(&checked(&plain)).to_string(),
            ":: waymark :: __private :: IntoResponse :: into_response (__r)"
        );
    }
}
