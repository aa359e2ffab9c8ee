//! In-process behaviour of generated routers: matching rules, statuses, bindings, middleware.

use waymark::{Json, Method, Next, Request, Response, StatusCode, routes};

#[derive(Debug, Default)]
struct Db {
    name: String,
}

async fn index() -> &'static str {
    "index"
}

async fn user(db: &Db, id: u64) -> String {
    format!("{} user {id}", db.name)
}

async fn user_by_name(name: &str) -> String {
    format!("name {name}")
}

async fn list(limit: u32, after: Option<u64>) -> String {
    format!("limit={limit} after={after:?}")
}

#[derive(serde::Deserialize, serde::Serialize)]
struct NewUser {
    name: String,
}

async fn create(body: Json<NewUser>) -> (StatusCode, Json<NewUser>) {
    (StatusCode::CREATED, body)
}

async fn files(path: &str) -> String {
    format!("file {path}")
}

async fn stamp(req: &Request, next: Next<'_>) -> Response {
    let mut res = next.run().await;
    let v = waymark::header::HeaderValue::from_str(req.path()).unwrap();
    res.insert_header(waymark::header::HeaderName::from_static("x-outer"), v);
    res
}

async fn guard(db: &Db, req: &Request, next: Next<'_>) -> Response {
    if req.header("authorization") != Some(db.name.as_str()) {
        return waymark::IntoResponse::into_response((StatusCode::UNAUTHORIZED, "no"));
    }
    next.run().await
}

routes! {
    /// Test app.
    pub Api(state: Db);
    wrap stamp;
    GET "/" => index(),
    GET "/health" => async { "ok" },
    GET "/users?{limit: u32 = 20}&{after: Option<u64>}" => list(limit, after),
    POST "/users" body: Json<NewUser> => create(body),
    GET "/users/{id: u64}" => user(state, id),
    GET "/users/{name}/profile" => user_by_name(name),
    GET "/users/me" => async { "me" },
    DELETE "/users/{id: u64}" => async move { format!("deleted {id}") },
    GET "/files/{*path}" => files(path),
    scope "/admin" {
        wrap guard(state, req, next);
        GET "/stats" => async { "stats" },
        scope "/deep/{n: u8}" {
            GET "" => async move { format!("deep {n}") },
        }
    }
}

fn app() -> Api {
    Api::new(Db { name: "secret".into() })
}

async fn get(path: &str) -> (StatusCode, String) {
    send(Request::new(Method::GET, path)).await
}

async fn send(req: Request) -> (StatusCode, String) {
    let res = app().call(req).await;
    let body = res.body_bytes().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
    (res.status(), body)
}

#[tokio::test]
async fn matches_by_the_rules() {
    let cases = [
        ("/", 200, "index"),
        ("/health", 200, "ok"),
        ("/users", 200, "limit=20 after=None"),
        ("/users?limit=5&after=9", 200, "limit=5 after=Some(9)"),
        ("/users?limit=x", 400, "invalid query parameter `limit`: expected `u32`"),
        ("/users/7", 200, "secret user 7"),
        ("/users/me", 200, "me"),
        ("/users/bob/profile", 200, "name bob"),
        ("/users/7/profile", 200, "name 7"),
        ("/users/b%20ob/profile", 200, "name b ob"),
        ("/users/bob", 400, "invalid path parameter `id`: expected `u64`"),
        ("/files/a/b%2Fc", 200, "file a/b/c"),
        ("/files/", 404, "not found"),
        ("/nope", 404, "not found"),
        ("/users/7/", 404, "not found"),
    ];
    for (path, status, body) in cases {
        assert_eq!(get(path).await, (StatusCode::from_u16(status).unwrap(), body.to_owned()), "{path}");
    }
}

#[tokio::test]
async fn methods_head_options() {
    let res = app().call(Request::new(Method::PUT, "/users/7")).await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.header("allow"), Some("GET, HEAD, DELETE, OPTIONS"));
    let res = app().call(Request::new(Method::HEAD, "/health")).await;
    assert_eq!((res.status(), res.header("content-length")), (StatusCode::OK, Some("2")));
    assert_eq!(res.body_bytes().map(waymark::Bytes::len), Some(0));
    let res = app().call(Request::new(Method::OPTIONS, "/users/7")).await;
    assert_eq!((res.status(), res.header("allow")), (StatusCode::NO_CONTENT, Some("GET, HEAD, DELETE, OPTIONS")));
    assert_eq!(send(Request::new(Method::DELETE, "/users/3")).await, (StatusCode::OK, "deleted 3".into()));
    let res = app().call(Request::new(Method::OPTIONS, "*")).await;
    assert_eq!((res.status(), res.header("allow")), (StatusCode::NO_CONTENT, Some("GET, HEAD, POST, DELETE, OPTIONS")));
    assert_eq!(app().call(Request::new(Method::GET, "*")).await.status(), StatusCode::NOT_FOUND);
    // An extension method is answered like any method no route takes: 405 with `Allow` on a path
    // other methods take, 404 elsewhere.
    let query = Method::from_bytes(b"QUERY").unwrap();
    let res = app().call(Request::new(query.clone(), "/users/7")).await;
    assert_eq!(
        (res.status(), res.header("allow")),
        (StatusCode::METHOD_NOT_ALLOWED, Some("GET, HEAD, DELETE, OPTIONS"))
    );
    assert_eq!(app().call(Request::new(query, "/nope")).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn body_and_middleware() {
    let req = Request::new(Method::POST, "/users")
        .with_header("content-type", "application/json")
        .with_body(r#"{"name":"x"}"#);
    assert_eq!(send(req).await, (StatusCode::CREATED, r#"{"name":"x"}"#.into()));
    let req = Request::new(Method::POST, "/users").with_body(r#"{"name":"x"}"#);
    assert_eq!(send(req).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(get("/admin/stats").await, (StatusCode::UNAUTHORIZED, "no".into()));
    let req = Request::new(Method::GET, "/admin/deep/3").with_header("authorization", "secret");
    assert_eq!(send(req).await, (StatusCode::OK, "deep 3".into()));
    let res = app().call(Request::new(Method::GET, "/nope")).await;
    assert_eq!(res.header("x-outer"), Some("/nope"));
    assert_eq!(Api::ROUTES.len(), 11);
    assert_eq!(Api::ROUTES[4].handler, "user(state, id)");
}

routes! {
    /// More routes than fit in one chunk of the generated code, with state and scope middleware.
    Many(state: Db);
    GET "/r0" => async move { format!("r0 {}", state.name) },
    GET "/r1" => async move { format!("r1 {}", state.name) },
    GET "/r2" => async move { format!("r2 {}", state.name) },
    GET "/r3" => async move { format!("r3 {}", state.name) },
    GET "/r4" => async move { format!("r4 {}", state.name) },
    GET "/r5" => async move { format!("r5 {}", state.name) },
    GET "/r6" => async move { format!("r6 {}", state.name) },
    GET "/r7" => async move { format!("r7 {}", state.name) },
    GET "/r8" => async move { format!("r8 {}", state.name) },
    GET "/r9" => async move { format!("r9 {}", state.name) },
    GET "/r10" => async move { format!("r10 {}", state.name) },
    GET "/r11" => async move { format!("r11 {}", state.name) },
    GET "/r12" => async move { format!("r12 {}", state.name) },
    GET "/r13" => async move { format!("r13 {}", state.name) },
    GET "/r14" => async move { format!("r14 {}", state.name) },
    GET "/r15" => async move { format!("r15 {}", state.name) },
    GET "/r16" => async move { format!("r16 {}", state.name) },
    GET "/r17" => async move { format!("r17 {}", state.name) },
    GET "/r18" => async move { format!("r18 {}", state.name) },
    GET "/r19" => async move { format!("r19 {}", state.name) },
    GET "/r20" => async move { format!("r20 {}", state.name) },
    GET "/r21" => async move { format!("r21 {}", state.name) },
    GET "/r22" => async move { format!("r22 {}", state.name) },
    GET "/r23" => async move { format!("r23 {}", state.name) },
    GET "/r24" => async move { format!("r24 {}", state.name) },
    GET "/r25" => async move { format!("r25 {}", state.name) },
    GET "/r26" => async move { format!("r26 {}", state.name) },
    GET "/r27" => async move { format!("r27 {}", state.name) },
    GET "/r28" => async move { format!("r28 {}", state.name) },
    GET "/r29" => async move { format!("r29 {}", state.name) },
    GET "/r30" => async move { format!("r30 {}", state.name) },
    GET "/r31" => async move { format!("r31 {}", state.name) },
    GET "/r32" => async move { format!("r32 {}", state.name) },
    GET "/r33" => async move { format!("r33 {}", state.name) },
    GET "/r34" => async move { format!("r34 {}", state.name) },
    GET "/r35" => async move { format!("r35 {}", state.name) },
    scope "/guarded" {
        wrap guard(state, req, next);
        GET "/x/{id: u64}" => async move { format!("x {id} {}", state.name) },
    }
}

#[tokio::test]
async fn tables_larger_than_one_chunk_keep_state_and_middleware() {
    let app = Many::new(Db { name: "db".into() });
    let body = |res: Response| String::from_utf8(res.body_bytes().unwrap().to_vec()).unwrap();
    assert_eq!(body(app.call(Request::new(Method::GET, "/r0")).await), "r0 db");
    assert_eq!(body(app.call(Request::new(Method::GET, "/r35")).await), "r35 db");
    let denied = app.call(Request::new(Method::GET, "/guarded/x/5")).await;
    assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);
    let allowed = app.call(Request::new(Method::GET, "/guarded/x/5").with_header("authorization", "db")).await;
    assert_eq!(body(allowed), "x 5 db");
    assert_eq!(app.call(Request::new(Method::POST, "/r7")).await.status(), StatusCode::METHOD_NOT_ALLOWED);
}

/// Types are read as `syn` types, not as text: `Option` under any path, nested generics kept whole
/// in messages.
mod types_as_written {
    use std::num::NonZero;

    use waymark::{Method, Request, StatusCode};

    waymark::routes! {
        /// Query types as users write them.
        pub(crate) Typed;
        GET "/a?{n: Option<NonZero<u32>>}" => async move { format!("{n:?}") },
        GET "/b?{n: std::option::Option<u32>}" => async move { format!("{n:?}") },
        GET "/c/{n: NonZero<u32>}" => async move { format!("{n}") },
    }

    async fn get(path: &str) -> (StatusCode, String) {
        let res = Typed::new().call(Request::new(Method::GET, path)).await;
        let body = res.body_bytes().map(|b| String::from_utf8(b.to_vec()).unwrap()).unwrap_or_default();
        (res.status(), body)
    }

    #[tokio::test]
    async fn option_is_found_under_any_path_and_messages_keep_the_type() {
        assert_eq!(get("/a?n=3").await, (StatusCode::OK, "Some(3)".to_owned()));
        assert_eq!(get("/a").await, (StatusCode::OK, "None".to_owned()));
        assert_eq!(
            get("/a?n=0").await,
            (StatusCode::BAD_REQUEST, "invalid query parameter `n`: expected `NonZero<u32>`".to_owned())
        );
        assert_eq!(get("/b").await, (StatusCode::OK, "None".to_owned()));
        assert_eq!(get("/b?n=4").await, (StatusCode::OK, "Some(4)".to_owned()));
        assert_eq!(
            get("/c/0").await,
            (StatusCode::BAD_REQUEST, "invalid path parameter `n`: expected `NonZero<u32>`".to_owned())
        );
    }
}
