//! The matched route: `req.route()` in middleware at every level (the outermost included), in
//! guards and in handlers, for a table's own routes and a mounted table's; `None` for the answers
//! no route gives.

use waymark::header::{HeaderName, HeaderValue};
use waymark::{Method, Next, Request, Response, StatusCode, routes};

/// `who=TEMPLATE` for the route a piece of code saw, `who=-` for none.
fn seen(who: &str, req: &Request) -> String {
    format!("{who}={}", req.route().map_or("-", |r| r.template))
}

/// Adds what `who` saw before and after the inner layers to the `x-seen` header.
async fn note(req: &Request, next: Next<'_>, who: &str) -> Response {
    let before = seen(who, req);
    let mut res = next.run().await;
    let after = seen(who, req);
    let mut all = res.header("x-seen").unwrap_or("").to_owned();
    for s in [before, after] {
        all = if all.is_empty() { s } else { format!("{all} {s}") };
    }
    res.insert_header(HeaderName::from_static("x-seen"), HeaderValue::from_str(&all).unwrap());
    res
}

mod tools {
    use waymark::{Next, Request, Response, routes};

    async fn inner(req: &Request, next: Next<'_>) -> Response {
        super::note(req, next, "tools").await
    }

    routes! {
        pub(crate) Tools at "/tools";
        wrap inner;
        GET "/ping/{n: u8}" as ping => async { super::seen("handler", req) },
    }
}

async fn top(req: &Request, next: Next<'_>) -> Response {
    note(req, next, "top").await
}

async fn scoped(req: &Request, next: Next<'_>) -> Response {
    note(req, next, "scope").await
}

async fn guard(req: &Request) -> String {
    seen("guard", req)
}

routes! {
    /// The table under test, with a base path, a scope and a mounted table.
    pub Api at "/v1";
    wrap top;
    GET "/notes/{id: u64 in 1..}?{full: bool = false}" as note => async { seen("handler", req) },
    scope "/admin" {
        wrap scoped;
        guard g: String = guard(req);
        DELETE "/notes/{id: u64}" => async move { format!("{g} {}", seen("handler", req)) },
    }
    mount tools::Tools = tools::Tools::new();
}

async fn send(method: Method, target: &str) -> (StatusCode, String, String) {
    let res = Api::new().call(Request::new(method, target)).await;
    let seen = res.header("x-seen").unwrap_or("").to_owned();
    let status = res.status();
    let body = String::from_utf8(res.body_bytes().unwrap().to_vec()).unwrap();
    (status, body, seen)
}

#[tokio::test]
async fn every_level_sees_the_route_before_and_after_the_inner_layers() {
    let (status, body, seen) = send(Method::GET, "/v1/notes/7?full=true").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "handler=/v1/notes/{id}"));
    assert_eq!(seen, "top=/v1/notes/{id} top=/v1/notes/{id}");

    let (_, body, seen) = send(Method::DELETE, "/v1/admin/notes/7").await;
    assert_eq!(body, "guard=/v1/admin/notes/{id} handler=/v1/admin/notes/{id}");
    assert_eq!(
        seen,
        "scope=/v1/admin/notes/{id} scope=/v1/admin/notes/{id} top=/v1/admin/notes/{id} top=/v1/admin/notes/{id}"
    );
}

#[tokio::test]
async fn a_mounted_route_is_seen_by_the_outer_middleware_too() {
    let (_, body, seen) = send(Method::GET, "/tools/ping/3").await;
    assert_eq!(body, "handler=/tools/ping/{n}");
    assert_eq!(seen, "tools=/tools/ping/{n} tools=/tools/ping/{n} top=/tools/ping/{n} top=/tools/ping/{n}");
}

#[tokio::test]
async fn answers_no_route_gave_have_no_route() {
    for (method, target, want) in [
        (Method::GET, "/nowhere", StatusCode::NOT_FOUND),
        (Method::PUT, "/v1/notes/7", StatusCode::METHOD_NOT_ALLOWED),
        (Method::OPTIONS, "/v1/notes/7", StatusCode::NO_CONTENT),
        (Method::GET, "/v1/notes/x", StatusCode::BAD_REQUEST),
    ] {
        let (status, _, seen) = send(method.clone(), target).await;
        assert_eq!(status, want, "{method} {target}");
        assert_eq!(seen, "top=- top=-", "{method} {target}");
    }
    // Out of the parameter's range: the route matched on the type, so it is that route's 400.
    let (status, _, seen) = send(Method::GET, "/v1/notes/0").await;
    assert_eq!((status, seen.as_str()), (StatusCode::BAD_REQUEST, "top=/v1/notes/{id} top=/v1/notes/{id}"));
}

#[test]
fn the_route_list_has_names_and_templates() {
    let listed: Vec<(&str, &str, Option<&str>)> = Api::ROUTES.iter().map(|r| (r.method, r.template, r.name)).collect();
    assert_eq!(
        listed,
        [
            ("GET", "/v1/notes/{id}", Some("note")),
            ("DELETE", "/v1/admin/notes/{id}", None),
            ("GET", "/tools/ping/{n}", Some("ping")),
        ]
    );
    // The OpenAPI document's paths are the same templates: one rule.
    let doc = Api::openapi();
    for r in Api::ROUTES {
        assert!(doc["paths"][r.template][r.method.to_ascii_lowercase()].is_object(), "{}", r.template);
    }
}
