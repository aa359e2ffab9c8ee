//! Growing the table: named routes and URL builders, guards, base paths, mounted tables.

use std::sync::atomic::{AtomicUsize, Ordering};

use waymark::header::{HeaderName, HeaderValue};
use waymark::{IntoResponse, Method, Next, Request, Response, StatusCode, routes};

/// The mounted table, declared as another module would.
mod tools {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use waymark::{Next, Request, Response, StatusCode, routes};

    #[derive(Debug, Default)]
    pub(crate) struct ToolsState {
        pub(crate) guard_runs: AtomicUsize,
        pub(crate) token: String,
    }

    pub(crate) struct Token;

    pub(crate) async fn token(state: &ToolsState, req: &Request) -> Result<Token, (StatusCode, &'static str)> {
        state.guard_runs.fetch_add(1, Ordering::SeqCst);
        if req.header("x-tools-token") == Some(state.token.as_str()) {
            Ok(Token)
        } else {
            Err((StatusCode::FORBIDDEN, "tools token"))
        }
    }

    pub(crate) async fn inner(req: &Request, next: Next<'_>) -> Response {
        super::trace(req, next, "tools").await
    }

    routes! {
        /// Tools, mounted by `Api`.
        pub(crate) Tools(state: ToolsState) at "/tools";
        wrap inner;
        GET "/ping" as ping => async { "pong" },
        GET "/echo/{n: u8}" as echo => async move { format!("echo {n}") },
        PUT "/echo/{n: u8}" => async move { format!("put {n}") },
        scope "/locked" {
            guard _token: Token = token(state, req);
            GET "/door" as door => async { "opened" },
        }
    }
}

/// Appends `who` to the `x-trace` header on the way out, so tests see the onion order.
async fn trace(_req: &Request, next: Next<'_>, who: &str) -> Response {
    let mut res = next.run().await;
    let before = res.header("x-trace").unwrap_or("").to_owned();
    let value = if before.is_empty() { who.to_owned() } else { format!("{before},{who}") };
    res.insert_header(HeaderName::from_static("x-trace"), HeaderValue::from_str(&value).unwrap());
    res
}

async fn outer(req: &Request, next: Next<'_>) -> Response {
    trace(req, next, "outer").await
}

async fn admin_wrap(req: &Request, next: Next<'_>) -> Response {
    trace(req, next, "admin-wrap").await
}

#[derive(Debug, Default)]
struct AppState {
    guard_runs: AtomicUsize,
}

#[derive(Debug, Clone, PartialEq)]
struct Session(String);

struct Admin(String);

/// Any output type binds as is.
async fn session(state: &AppState, req: &Request) -> Option<Session> {
    state.guard_runs.fetch_add(1, Ordering::SeqCst);
    req.header("cookie").map(|c| Session(c.to_owned()))
}

/// `Result<T, E>` short-circuits; it may use the earlier guard and the scope's parameters.
async fn require_admin(session: Option<&Session>, org: u32) -> Result<Admin, Response> {
    match session {
        Some(Session(name)) if name == "root" => Ok(Admin(format!("{name}@{org}"))),
        _ => Err((StatusCode::UNAUTHORIZED, "admins only").into_response()),
    }
}

routes! {
    /// The outer table.
    pub Api(state: AppState);
    wrap outer;
    guard session: Option<Session> = session(state, req);

    GET "/" as home => async move { format!("home {session:?}") },
    GET "/{page}/ping" as page_ping => async move { format!("page {page}") },
    GET "/tools" => async { "outer /tools" },
    scope "/orgs/{org: u32}" {
        wrap admin_wrap;
        guard admin: Admin = require_admin(session.as_ref(), org);
        GET "/stats" as stats => async move { format!("stats for {}", admin.0) },
    }

    mount tools::Tools = tools::Tools::new(tools::ToolsState { token: "t".into(), ..Default::default() });
    fallback => async { (StatusCode::NOT_FOUND, "outer fallback") },
}

fn api() -> Api {
    Api::new(AppState::default())
}

async fn send(app: &Api, method: Method, path: &str, headers: &[(&'static str, &str)]) -> Response {
    let mut req = Request::new(method, path);
    for (name, value) in headers {
        req = req.with_header(name, value);
    }
    app.call(req).await
}

fn text(res: &Response) -> String {
    String::from_utf8(res.body_bytes().map(|b| b.to_vec()).unwrap_or_default()).unwrap()
}

#[tokio::test]
async fn guards_bind_short_circuit_and_run_only_after_a_match() {
    let app = api();
    let res = send(&app, Method::GET, "/", &[("cookie", "ann")]).await;
    assert_eq!(text(&res), r#"home Some(Session("ann"))"#);
    assert_eq!(app.state().guard_runs.load(Ordering::SeqCst), 1);

    // Err(e) answers e, inside the scope's middleware (which marks the response on its way out).
    let res = send(&app, Method::GET, "/orgs/7/stats", &[("cookie", "ann")]).await;
    assert_eq!((res.status(), text(&res).as_str()), (StatusCode::UNAUTHORIZED, "admins only"));
    assert_eq!(res.header("x-trace"), Some("admin-wrap,outer"));
    let res = send(&app, Method::GET, "/orgs/7/stats", &[("cookie", "root")]).await;
    assert_eq!(text(&res), "stats for root@7");

    // A 404, a 405 and a 400 never run a guard.
    let runs = app.state().guard_runs.load(Ordering::SeqCst);
    for (method, path, status) in [
        (Method::GET, "/nope/nope", StatusCode::NOT_FOUND),
        (Method::POST, "/", StatusCode::METHOD_NOT_ALLOWED),
        (Method::GET, "/orgs/x/stats", StatusCode::BAD_REQUEST),
    ] {
        assert_eq!(send(&app, method, path, &[]).await.status(), status, "{path}");
    }
    assert_eq!(app.state().guard_runs.load(Ordering::SeqCst), runs);
}

#[tokio::test]
async fn a_mounted_table_answers_as_if_the_tables_were_one() {
    let app = api();
    // Its own base path, its own middleware inside the outer one.
    let res = send(&app, Method::GET, "/tools/ping", &[]).await;
    assert_eq!((res.status(), text(&res).as_str()), (StatusCode::OK, "pong"));
    assert_eq!(res.header("x-trace"), Some("tools,outer"));
    // The outer table's own routes beside it, ordered by the matching rules across both tables:
    // `/tools/ping` (literal, literal) in Tools beats `/{page}/ping` in Api; `/x/ping` does not
    // match Tools at all; `/tools` is Api's.
    assert_eq!(text(&send(&app, Method::GET, "/x/ping", &[]).await), "page x");
    assert_eq!(text(&send(&app, Method::GET, "/tools", &[]).await), "outer /tools");
    // 400, 405 with both tables' methods, HEAD, OPTIONS, and the outer fallback.
    let res = send(&app, Method::GET, "/tools/echo/300", &[]).await;
    assert_eq!(
        (res.status(), text(&res).as_str()),
        (StatusCode::BAD_REQUEST, "invalid path parameter `n`: expected `u8`")
    );
    let res = send(&app, Method::DELETE, "/tools/echo/3", &[]).await;
    assert_eq!((res.status(), res.header("allow")), (StatusCode::METHOD_NOT_ALLOWED, Some("GET, HEAD, PUT, OPTIONS")));
    let res = send(&app, Method::HEAD, "/tools/echo/3", &[]).await;
    assert_eq!((res.status(), res.header("content-length"), text(&res).as_str()), (StatusCode::OK, Some("6"), ""));
    let res = send(&app, Method::OPTIONS, "*", &[]).await;
    assert_eq!(res.header("allow"), Some("GET, HEAD, PUT, OPTIONS"));
    let res = send(&app, Method::GET, "/tools/nope", &[]).await;
    assert_eq!((res.status(), text(&res).as_str()), (StatusCode::NOT_FOUND, "outer fallback"));
    // The mounted table's guards still apply to its routes; the outer table's do not.
    let res = send(&app, Method::GET, "/tools/locked/door", &[]).await;
    assert_eq!((res.status(), res.header("x-trace")), (StatusCode::FORBIDDEN, Some("tools,outer")));
    let res = send(&app, Method::GET, "/tools/locked/door", &[("x-tools-token", "t")]).await;
    assert_eq!(text(&res), "opened");
    // Api's guard binds for Api's routes only: it ran for `/x/ping` and `/tools`, not for Tools'.
    assert_eq!(app.state().guard_runs.load(Ordering::SeqCst), 2);
}

#[test]
fn routes_lists_both_tables_with_full_patterns() {
    let listed: Vec<String> = Api::ROUTES.iter().map(|r| format!("{} {}", r.method, r.pattern)).collect();
    assert_eq!(
        listed,
        [
            "GET /",
            "GET /{page}/ping",
            "GET /tools",
            "GET /orgs/{org: u32}/stats",
            "GET /tools/ping",
            "GET /tools/echo/{n: u8}",
            "PUT /tools/echo/{n: u8}",
            "GET /tools/locked/door",
        ]
    );
}

#[test]
fn url_builders_include_base_path_and_scope_prefixes() {
    assert_eq!(Api::home_url(), "/");
    assert_eq!(Api::page_ping_url("a b"), "/a%20b/ping");
    assert_eq!(Api::stats_url(42), "/orgs/42/stats");
    assert_eq!(tools::Tools::ping_url(), "/tools/ping");
    assert_eq!(tools::Tools::echo_url(7), "/tools/echo/7");
    assert_eq!(tools::Tools::door_url(), "/tools/locked/door");
    let err = Api::try_page_ping_url("..").unwrap_err();
    assert_eq!(err.param(), "page");
    assert!(err.to_string().contains("RFC 3986"), "{err}");
}

#[test]
#[should_panic(expected = "cannot build a URL for `/{page}/ping`: parameter `page` is empty")]
fn url_builders_panic_on_what_no_route_takes_back() {
    let _ = Api::page_ping_url("");
}

/// A table using every segment and query kind, for the round-trip property.
mod every {
    waymark::routes! {
        /// Every segment and query kind.
        pub(crate) Every at "/base";
        GET "" as root => async { "root".to_owned() },
        GET "/lit/{a: u32}/{b}/{c: String}/{*rest}?{q: String}&{o: Option<String>}&{d: i64 = -1}" as all
            => async move { format!("{a}|{b}|{c}|{rest}|{q}|{o:?}|{d}") },
        scope "/s/{n: i64}" {
            GET "/t/{*path: String}?{flag: Option<bool>}" as scoped => async move { format!("{n}|{path}|{flag:?}") },
            GET "/{ch: char}/" as trailing => async move { format!("{n}|{ch}") },
        }
    }
}

mod property {
    use proptest::prelude::*;
    use waymark::{Method, Request, StatusCode};

    use super::every::Every;

    /// Text made of the characters URLs treat specially, unicode, and dots.
    fn text() -> impl Strategy<Value = String> {
        let chars = prop::sample::select(vec![
            'a', 'Z', '0', 'é', '😀', '/', '%', '?', '#', '&', '+', ' ', '.', '=', '\\', '~', ';',
        ]);
        prop::collection::vec(chars, 0..7).prop_map(|v| v.into_iter().collect())
    }

    fn refused_segment(s: &str) -> bool {
        matches!(s, "" | "." | "..")
    }

    fn refused_catch_all(s: &str) -> bool {
        s.is_empty() || s.split('/').any(|p| p == "." || p == "..")
    }

    fn dispatch(url: &str) -> (StatusCode, String) {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let res = rt.block_on(Every::new().call(Request::new(Method::GET, url)));
        let body = res.body_bytes().map(|b| String::from_utf8(b.to_vec()).unwrap()).unwrap_or_default();
        (res.status(), body)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn every_built_url_reaches_its_route_with_the_same_values(
            a: u32, b in text(), c in text(), rest in text(), q in text(), o in prop::option::of(text()), d: Option<i64>,
        ) {
            let built = Every::try_all_url(a, &b, c.clone(), &rest, q.clone(), o.clone(), d);
            let refused = refused_segment(&b) || refused_segment(&c) || refused_catch_all(&rest);
            prop_assert_eq!(built.is_err(), refused, "{:?}", built);
            if let Ok(url) = built {
                let want = format!("{a}|{b}|{c}|{rest}|{q}|{o:?}|{}", d.unwrap_or(-1));
                prop_assert_eq!(dispatch(&url), (StatusCode::OK, want), "{}", url);
            }
        }

        #[test]
        fn scoped_and_trailing_slash_routes_round_trip(n: i64, path in text(), flag: Option<bool>, ch: char) {
            match Every::try_scoped_url(n, path.clone(), flag) {
                Ok(url) => prop_assert_eq!(dispatch(&url), (StatusCode::OK, format!("{n}|{path}|{flag:?}")), "{}", url),
                Err(_) => prop_assert!(refused_catch_all(&path)),
            }
            match Every::try_trailing_url(n, ch) {
                Ok(url) => prop_assert_eq!(dispatch(&url), (StatusCode::OK, format!("{n}|{ch}")), "{}", url),
                Err(_) => prop_assert_eq!(ch, '.'),
            }
        }
    }

    #[test]
    fn the_root_of_a_table_with_a_base_path() {
        assert_eq!(Every::root_url(), "/base");
        assert_eq!(dispatch(&Every::root_url()), (StatusCode::OK, "root".to_owned()));
    }
}
