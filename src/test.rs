//! An in-process test client: call an [`App`] the way a client would, without a socket.
//!
//! Build a request with [`TestClient`] (method, path, query, headers, body), `send` it, and
//! assert on the [`TestResponse`]: status, headers, text, JSON. Responses are read whole, streamed
//! bodies included, and a `HEAD` response loses its body as it would on the wire.
//!
//! A small app with state and a JSON route, and a test of it. In your crate, the part after
//! `routes!` is the body of a `#[tokio::test] async fn`:
//!
//! ```
//! use std::sync::Mutex;
//!
//! use serde::{Deserialize, Serialize};
//! use serde_json::json;
//! use waymark::test::TestClient;
//! use waymark::{Json, StatusCode, routes};
//!
//! #[derive(Default)]
//! struct Todos(Mutex<Vec<Todo>>);
//!
//! #[derive(Clone, Serialize, Deserialize)]
//! struct Todo {
//!     title: String,
//!     done: bool,
//! }
//!
//! routes! {
//!     TodoApp(todos: Todos);
//!     GET  "/todos"                 => async move { Json(todos.0.lock().unwrap().clone()) },
//!     POST "/todos" body: Json<Todo> => async move {
//!         let mut todos = todos.0.lock().unwrap();
//!         todos.push(body.0);
//!         (StatusCode::CREATED, Json(json!({ "id": todos.len() })))
//!     },
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let client = TestClient::new(TodoApp::new(Todos::default()));
//!
//! let res = client.post("/todos").json(&json!({ "title": "write docs", "done": false })).send().await;
//! res.assert_status(StatusCode::CREATED).assert_json(&json!({ "id": 1 }));
//!
//! let todos: Vec<Todo> = client.get("/todos").send().await.json();
//! assert_eq!(todos[0].title, "write docs");
//!
//! // A body that is not a `Todo` never reaches the handler.
//! client.post("/todos").json(&json!({ "title": 7 })).send().await.assert_status(StatusCode::BAD_REQUEST);
//! client.get("/nope").send().await.assert_status(StatusCode::NOT_FOUND);
//! # }
//! ```

use std::fmt;

use percent_encoding::utf8_percent_encode;

use crate::url::COMPONENT;
use std::net::SocketAddr;

use serde::Serialize;
use serde::de::DeserializeOwned;
use waymark_runtime::header::{HeaderName, HeaderValue};
use waymark_runtime::{App, Bytes, Method, Request, StatusCode};

/// The most bytes of a body a failed assertion prints.
const BODY_PREVIEW: usize = 2048;

/// Calls an [`App`] in-process: no socket, no server, the same request and response types.
///
/// The client owns the application; [`TestClient::app`] gives it back, e.g. to look at the state
/// after a request. The [module docs](self) show a complete test.
///
/// ```
/// use waymark::StatusCode;
/// use waymark::test::TestClient;
///
/// waymark::routes! { Hello; GET "/hello/{name}" => async move { format!("hello, {name}") } }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(Hello::new());
/// client.get("/hello/Ada").send().await.assert_status(StatusCode::OK).assert_text("hello, Ada");
/// # }
/// ```
#[derive(Debug)]
pub struct TestClient<A> {
    app: A,
}

impl<A: App> TestClient<A> {
    /// A client for `app`.
    ///
    /// ```
    /// waymark::routes! { Hello; GET "/" => async { "hello" } }
    ///
    /// let client = waymark::test::TestClient::new(Hello::new());
    /// # let _ = client;
    /// ```
    pub fn new(app: A) -> Self {
        Self { app }
    }

    /// The application, e.g. to inspect its state between requests.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    ///
    /// waymark::routes! {
    ///     Counter(hits: AtomicU32);
    ///     POST "/hit" => async move { hits.fetch_add(1, Ordering::Relaxed); "counted" },
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Counter::new(AtomicU32::new(0)));
    /// client.post("/hit").send().await;
    /// assert_eq!(client.app().state().load(Ordering::Relaxed), 1);
    /// # }
    /// ```
    pub fn app(&self) -> &A {
        &self.app
    }

    /// Starts a request with any method; `target` is the path, optionally with a query string.
    ///
    /// ```
    /// use waymark::Method;
    ///
    /// waymark::routes! { Cache; fallback => async move { format!("{} {}", req.method(), req.path()) } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Cache::new());
    /// let purge = Method::from_bytes(b"PURGE").unwrap();
    /// client.request(purge, "/cache").send().await.assert_text("PURGE /cache");
    /// # }
    /// ```
    pub fn request(&self, method: Method, target: &str) -> TestRequest<'_, A> {
        TestRequest { app: &self.app, req: Request::new(method, target) }
    }

    /// Starts a `GET` request.
    ///
    /// ```
    /// waymark::routes! { Users; GET "/users/{id: u64}" => async move { format!("user {id}") } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Users::new());
    /// client.get("/users/7").send().await.assert_text("user 7");
    /// # }
    /// ```
    pub fn get(&self, target: &str) -> TestRequest<'_, A> {
        self.request(Method::GET, target)
    }

    /// Starts a `POST` request.
    ///
    /// ```
    /// use waymark::StatusCode;
    ///
    /// waymark::routes! {
    ///     Users;
    ///     POST "/users" body: String => async move { (StatusCode::CREATED, format!("created {body}")) },
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Users::new());
    /// let res = client.post("/users").body("Ada").send().await;
    /// res.assert_status(StatusCode::CREATED).assert_text("created Ada");
    /// # }
    /// ```
    pub fn post(&self, target: &str) -> TestRequest<'_, A> {
        self.request(Method::POST, target)
    }

    /// Starts a `PUT` request.
    ///
    /// ```
    /// waymark::routes! { Users; PUT "/users/{id: u64}" body: String => async move { format!("user {id} is {body}") } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Users::new());
    /// client.put("/users/7").body("Ada").send().await.assert_text("user 7 is Ada");
    /// # }
    /// ```
    pub fn put(&self, target: &str) -> TestRequest<'_, A> {
        self.request(Method::PUT, target)
    }

    /// Starts a `PATCH` request.
    ///
    /// ```
    /// waymark::routes! { Users; PATCH "/users/{id: u64}" body: String => async move { format!("user {id} +{body}") } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Users::new());
    /// client.patch("/users/7").body("admin").send().await.assert_text("user 7 +admin");
    /// # }
    /// ```
    pub fn patch(&self, target: &str) -> TestRequest<'_, A> {
        self.request(Method::PATCH, target)
    }

    /// Starts a `DELETE` request.
    ///
    /// ```
    /// use waymark::StatusCode;
    ///
    /// waymark::routes! { Users; DELETE "/users/{id: u64}" => async { StatusCode::NO_CONTENT } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Users::new());
    /// client.delete("/users/7").send().await.assert_status(StatusCode::NO_CONTENT);
    /// # }
    /// ```
    pub fn delete(&self, target: &str) -> TestRequest<'_, A> {
        self.request(Method::DELETE, target)
    }

    /// Starts a `HEAD` request. The response keeps its status and headers, adds `content-length`
    /// when the application did not set one and the body is not streamed, and drops the body, as
    /// a server does (RFC 9110 §9.3.2).
    ///
    /// ```
    /// waymark::routes! { Hello; GET "/" => async { "hello" } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Hello::new());
    /// let res = client.head("/").send().await;
    /// res.assert_header("content-length", "5");
    /// assert!(res.bytes().is_empty());
    /// # }
    /// ```
    pub fn head(&self, target: &str) -> TestRequest<'_, A> {
        self.request(Method::HEAD, target)
    }

    /// Starts an `OPTIONS` request.
    ///
    /// ```
    /// use waymark::StatusCode;
    ///
    /// waymark::routes! { Users; GET "/users" => async { "[]" }, POST "/users" => async { StatusCode::CREATED } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Users::new());
    /// let res = client.options("/users").send().await;
    /// res.assert_status(StatusCode::NO_CONTENT).assert_header("allow", "GET, HEAD, POST, OPTIONS");
    /// # }
    /// ```
    pub fn options(&self, target: &str) -> TestRequest<'_, A> {
        self.request(Method::OPTIONS, target)
    }
}

/// A request being built by a [`TestClient`]; [`send`](TestRequest::send) it to get a
/// [`TestResponse`].
///
/// ```
/// waymark::routes! { Search; GET "/search?{q}" => async move { format!("{q} as {:?}", req.header("accept")) } }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = waymark::test::TestClient::new(Search::new());
/// let res = client.get("/search").query("q", "rust").header("accept", "text/plain").send().await;
/// res.assert_text(r#"rust as Some("text/plain")"#);
/// # }
/// ```
#[must_use = "a test request does nothing until it is sent"]
pub struct TestRequest<'a, A> {
    app: &'a A,
    req: Request,
}

impl<A: App> TestRequest<'_, A> {
    /// Adds a header; repeated names are kept in order, and the application sees the first.
    ///
    /// ```
    /// waymark::routes! { Me; GET "/me" => async move { req.header("authorization").unwrap_or("-").to_owned() } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Me::new());
    /// client.get("/me").header("Authorization", "Bearer t0k3n").send().await.assert_text("Bearer t0k3n");
    /// # }
    /// ```
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.req = self.req.with_header(name, value);
        self
    }

    /// Appends a query parameter, percent-encoding the name and the value.
    ///
    /// ```
    /// waymark::routes! { Items; GET "/items?{limit: u32}&{tag: String}" => async move { format!("{limit} {tag}") } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Items::new());
    /// let res = client.get("/items?limit=2").query("tag", "a&b c").send().await;
    /// res.assert_text("2 a&b c");
    /// # }
    /// ```
    pub fn query(mut self, name: &str, value: impl fmt::Display) -> Self {
        let mut target = self.req.target().to_owned();
        match self.req.query() {
            None => target.push('?'),
            Some("") => {}
            Some(_) => target.push('&'),
        }
        target.extend(utf8_percent_encode(name, COMPONENT));
        target.push('=');
        target.extend(utf8_percent_encode(&value.to_string(), COMPONENT));
        self.req = self.req.with_target(&target);
        self
    }

    /// Sets the body to `value` serialized as JSON, and `content-type: application/json` unless a
    /// content type was set already (so a test can send JSON under another type).
    ///
    /// # Panics
    ///
    /// When `value` cannot be serialized (a map with non-string keys, a failing `Serialize`
    /// impl): that is a bug in the test.
    ///
    /// ```
    /// use waymark::Json;
    ///
    /// waymark::routes! { Echo; POST "/echo" body: Json<serde_json::Value> => async move { body } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Echo::new());
    /// let res = client.post("/echo").json(&serde_json::json!({ "name": "Ada" })).send().await;
    /// res.assert_json(&serde_json::json!({ "name": "Ada" }));
    /// # }
    /// ```
    #[track_caller]
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Self {
        let bytes = match serde_json::to_vec(value) {
            Ok(bytes) => bytes,
            Err(e) => panic!("the test request body failed to serialize as JSON: {e}"),
        };
        let req = if self.req.header_bytes("content-type").is_some() {
            self
        } else {
            self.header("content-type", "application/json")
        };
        req.body(bytes)
    }

    /// Sets the body as it is; set a `content-type` header yourself if the application needs one.
    ///
    /// ```
    /// waymark::routes! { Upload; POST "/upload" body: Vec<u8> => async move { format!("{} bytes", body.len()) } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Upload::new());
    /// client.post("/upload").body("12345").send().await.assert_text("5 bytes");
    /// # }
    /// ```
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.req = self.req.with_body(body);
        self
    }

    /// Sets the client address the application sees in [`Request::peer_addr`]; by default there
    /// is none, as for any in-process call.
    ///
    /// ```
    /// waymark::routes! { Ip; GET "/ip" => async move { format!("{:?}", req.peer_addr()) } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Ip::new());
    /// client.get("/ip").send().await.assert_text("None");
    /// let res = client.get("/ip").peer_addr("10.0.0.1:5555".parse().unwrap()).send().await;
    /// res.assert_text("Some(10.0.0.1:5555)");
    /// # }
    /// ```
    pub fn peer_addr(mut self, addr: SocketAddr) -> Self {
        self.req = self.req.with_peer_addr(addr);
        self
    }

    /// Calls the application and reads the whole response, a streamed body included.
    ///
    /// ```
    /// waymark::routes! { Hello; GET "/" => async { "hello" } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Hello::new()).get("/").send().await;
    /// assert_eq!(res.text(), "hello");
    /// # }
    /// ```
    pub async fn send(self) -> TestResponse {
        let req = self.req;
        let mut res = self.app.handle(&req).await;
        if req.method() == Method::HEAD {
            res = crate::__private::strip_body_for_head(res);
        }
        let status = res.status();
        let headers = res.headers().map(|(n, v)| (n.clone(), v.clone())).collect();
        let body = res.take_body().collect().await;
        TestResponse { method: req.method().clone(), target: req.target().to_owned(), status, headers, body }
    }
}

impl<A> fmt::Debug for TestRequest<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestRequest").field("req", &self.req).finish_non_exhaustive()
    }
}

/// A response read whole by [`TestRequest::send`], with accessors and assertions.
///
/// The `assert_*` methods panic with the request line, the expected and actual values, and the
/// response's headers and body, so a failing test says why without a debugger. They return
/// `&Self` to chain.
///
/// ```
/// use waymark::{Json, StatusCode};
///
/// waymark::routes! { Users; POST "/users" => async { (StatusCode::CREATED, Json(serde_json::json!({ "id": 7 }))) } }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let res = waymark::test::TestClient::new(Users::new()).post("/users").send().await;
/// res.assert_status(StatusCode::CREATED)
///     .assert_header("content-type", "application/json")
///     .assert_json(&serde_json::json!({ "id": 7 }));
/// # }
/// ```
#[derive(Clone)]
pub struct TestResponse {
    method: Method,
    target: String,
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

impl TestResponse {
    /// The status.
    ///
    /// ```
    /// use waymark::StatusCode;
    ///
    /// waymark::routes! { Hello; GET "/" => async { "hello" } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Hello::new()).get("/missing").send().await;
    /// assert_eq!(res.status(), StatusCode::NOT_FOUND);
    /// # }
    /// ```
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The first value of a header, looked up case-insensitively; `None` when absent or not
    /// UTF-8.
    ///
    /// ```
    /// waymark::routes! { Hello; GET "/" => async { "hello" } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Hello::new()).get("/").send().await;
    /// assert_eq!(res.header("Content-Type"), Some("text/plain; charset=utf-8"));
    /// assert_eq!(res.header("x-missing"), None);
    /// # }
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.values(name).next()?.to_str().ok()
    }

    /// Every value of a header, in order (for `set-cookie` and the like).
    ///
    /// ```
    /// use waymark::Response;
    /// use waymark::header::{HeaderValue, SET_COOKIE};
    ///
    /// waymark::routes! {
    ///     Login;
    ///     POST "/login" => async {
    ///         let mut res = Response::text("welcome");
    ///         res.append_header(SET_COOKIE, HeaderValue::from_static("session=abc"));
    ///         res.append_header(SET_COOKIE, HeaderValue::from_static("theme=dark"));
    ///         res
    ///     },
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Login::new()).post("/login").send().await;
    /// assert_eq!(res.header_all("set-cookie").collect::<Vec<_>>(), ["session=abc", "theme=dark"]);
    /// # }
    /// ```
    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.values(name).filter_map(|v| v.to_str().ok())
    }

    /// Every header, in the order the application set them (the content type first).
    ///
    /// ```
    /// waymark::routes! { Hello; GET "/" => async { "hello" } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Hello::new()).get("/").send().await;
    /// let names: Vec<&str> = res.headers().map(|(name, _)| name.as_str()).collect();
    /// assert_eq!(names, ["content-type"]);
    /// # }
    /// ```
    pub fn headers(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> + '_ {
        self.headers.iter().map(|(n, v)| (n, v))
    }

    /// The values of the headers named `name` (case-insensitively), in order.
    fn values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a HeaderValue> {
        self.headers.iter().filter(move |(n, _)| n.as_str().eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    /// The body bytes.
    ///
    /// ```
    /// waymark::routes! { Logo; GET "/logo.bin" => async { vec![0u8, 159, 146, 150] } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Logo::new()).get("/logo.bin").send().await;
    /// assert_eq!(res.bytes().as_ref(), [0, 159, 146, 150]);
    /// # }
    /// ```
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body as text.
    ///
    /// # Panics
    ///
    /// When the body is not UTF-8; use [`bytes`](Self::bytes) for binary bodies.
    ///
    /// ```
    /// waymark::routes! { Hello; GET "/" => async { "hello" } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Hello::new()).get("/").send().await;
    /// assert_eq!(res.text(), "hello");
    /// # }
    /// ```
    #[track_caller]
    pub fn text(&self) -> &str {
        match std::str::from_utf8(&self.body) {
            Ok(text) => text,
            Err(e) => self.fail(format_args!("expected a UTF-8 body: {e}")),
        }
    }

    /// The body deserialized from JSON.
    ///
    /// # Panics
    ///
    /// When the body does not parse as a `T`; the message shows the body. Use
    /// [`try_json`](Self::try_json) to handle the error instead.
    ///
    /// ```
    /// use waymark::Json;
    ///
    /// #[derive(serde::Serialize, serde::Deserialize)]
    /// struct User {
    ///     id: u64,
    ///     name: String,
    /// }
    ///
    /// waymark::routes! { Users; GET "/users/{id: u64}" => async move { Json(User { id, name: "Ada".into() }) } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Users::new()).get("/users/7").send().await;
    /// let user: User = res.json();
    /// assert_eq!((user.id, user.name.as_str()), (7, "Ada"));
    /// # }
    /// ```
    #[track_caller]
    pub fn json<T: DeserializeOwned>(&self) -> T {
        match self.try_json() {
            Ok(value) => value,
            Err(e) => self.fail(format_args!("expected a JSON body of type `{}`: {e}", std::any::type_name::<T>())),
        }
    }

    /// The body deserialized from JSON, or the parse error.
    ///
    /// # Errors
    ///
    /// When the body is not JSON, or not the JSON of a `T`.
    ///
    /// ```
    /// waymark::routes! { Hello; GET "/" => async { "hello" } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Hello::new()).get("/").send().await;
    /// assert!(res.try_json::<serde_json::Value>().is_err());
    /// # }
    /// ```
    pub fn try_json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// Asserts the status.
    ///
    /// # Panics
    ///
    /// When the status differs; the message shows the response.
    ///
    /// ```should_panic
    /// use waymark::StatusCode;
    ///
    /// waymark::routes! { Users; GET "/users/{id: u64}" => async move { format!("user {id}") } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Users::new());
    /// client.get("/users/7").send().await.assert_status(StatusCode::OK);
    /// // panics: GET /users/seven: expected status 200 OK, got 400 Bad Request, then the response
    /// client.get("/users/seven").send().await.assert_status(StatusCode::OK);
    /// # }
    /// ```
    #[track_caller]
    pub fn assert_status(&self, expected: StatusCode) -> &Self {
        if self.status != expected {
            self.fail(format_args!("expected status {expected}, got {}", self.status));
        }
        self
    }

    /// Asserts that a header is present with exactly this (first) value.
    ///
    /// # Panics
    ///
    /// When the header is absent or has another value.
    ///
    /// ```
    /// waymark::routes! { Hello; GET "/" => async { "hello" } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Hello::new()).get("/").send().await;
    /// res.assert_header("content-type", "text/plain; charset=utf-8");
    /// # }
    /// ```
    #[track_caller]
    pub fn assert_header(&self, name: &str, expected: &str) -> &Self {
        match self.header(name) {
            Some(actual) if actual == expected => self,
            Some(actual) => self.fail(format_args!("expected header `{name}: {expected}`, got `{name}: {actual}`")),
            None => self.fail(format_args!("expected header `{name}: {expected}`, but it is absent")),
        }
    }

    /// Asserts that a header is absent.
    ///
    /// # Panics
    ///
    /// When the header is present.
    ///
    /// ```
    /// waymark::routes! { Hello; GET "/" => async { "hello" } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Hello::new()).get("/").send().await;
    /// res.assert_no_header("set-cookie");
    /// # }
    /// ```
    #[track_caller]
    pub fn assert_no_header(&self, name: &str) -> &Self {
        if let Some(actual) = self.header(name) {
            self.fail(format_args!("expected no `{name}` header, got `{name}: {actual}`"));
        }
        self
    }

    /// Asserts that the body is exactly this text.
    ///
    /// # Panics
    ///
    /// When the body differs or is not UTF-8.
    ///
    /// ```
    /// waymark::routes! { Hello; GET "/" => async { "hello" } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// waymark::test::TestClient::new(Hello::new()).get("/").send().await.assert_text("hello");
    /// # }
    /// ```
    #[track_caller]
    pub fn assert_text(&self, expected: &str) -> &Self {
        if self.text() != expected {
            self.fail(format_args!("expected body {expected:?}"));
        }
        self
    }

    /// Asserts that the body contains this text.
    ///
    /// # Panics
    ///
    /// When the body does not contain it or is not UTF-8.
    ///
    /// ```
    /// waymark::routes! { Page; GET "/" => async { waymark::Html("<h1>hello, world</h1>") } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// waymark::test::TestClient::new(Page::new()).get("/").send().await.assert_text_contains("hello, world");
    /// # }
    /// ```
    #[track_caller]
    pub fn assert_text_contains(&self, needle: &str) -> &Self {
        if !self.text().contains(needle) {
            self.fail(format_args!("expected the body to contain {needle:?}"));
        }
        self
    }

    /// Asserts that the body is JSON equal to `expected` (compared as JSON values, so key order
    /// and whitespace do not matter).
    ///
    /// # Panics
    ///
    /// When the body is not JSON or not equal.
    ///
    /// ```
    /// waymark::routes! { Raw; GET "/" => async { r#"{ "b": [1, 2], "a": null }"# } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Raw::new()).get("/").send().await;
    /// res.assert_json(&serde_json::json!({ "a": null, "b": [1, 2] }));
    /// # }
    /// ```
    #[track_caller]
    pub fn assert_json<T: Serialize + ?Sized>(&self, expected: &T) -> &Self {
        let expected = match serde_json::to_value(expected) {
            Ok(value) => value,
            Err(e) => panic!("the expected value failed to serialize as JSON: {e}"),
        };
        let actual: serde_json::Value = self.json();
        if actual != expected {
            self.fail(format_args!("expected JSON body {expected}"));
        }
        self
    }

    /// Panics with `what`, the request line, and the response.
    #[track_caller]
    fn fail(&self, what: fmt::Arguments<'_>) -> ! {
        panic!("{} {}: {what}\n{self}", self.method, self.target)
    }
}

/// The response as a client would see it, the body cut after 2 KiB.
impl fmt::Display for TestResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "--- response: {}", self.status)?;
        for (name, value) in &self.headers {
            writeln!(f, "{name}: {}", String::from_utf8_lossy(value.as_bytes()))?;
        }
        let shown = &self.body[..self.body.len().min(BODY_PREVIEW)];
        writeln!(f, "--- body ({} bytes):", self.body.len())?;
        f.write_str(&String::from_utf8_lossy(shown))?;
        if shown.len() < self.body.len() {
            write!(f, "\n... ({} more bytes)", self.body.len() - shown.len())?;
        }
        Ok(())
    }
}

impl fmt::Debug for TestResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestResponse")
            .field("request", &format_args!("{} {}", self.method, self.target))
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use waymark_runtime::header::{HeaderValue, SET_COOKIE};
    use waymark_runtime::{IntoResponse, Json, Response};

    use super::*;

    /// Answers by path: enough behaviour to observe everything the client sends and receives.
    /// (Written by hand: `routes!` expands to `::waymark::` paths, which do not resolve inside
    /// this crate.)
    #[derive(Debug)]
    struct Echo;

    impl App for Echo {
        async fn handle(&self, req: &Request) -> Response {
            match req.path() {
                "/echo" => {
                    let headers: Vec<(String, String)> = req
                        .headers()
                        .map(|(n, v)| (String::from_utf8_lossy(n).into(), String::from_utf8_lossy(v).into()))
                        .collect();
                    Json(serde_json::json!({
                        "method": req.method().as_str(),
                        "target": req.target(),
                        "query": req.query(),
                        "headers": headers,
                        "body": String::from_utf8_lossy(req.body()),
                        "peer": req.peer_addr().map(|p| p.to_string()),
                    }))
                    .into_response()
                }
                "/stream" => {
                    let (tx, body) = waymark_runtime::Body::channel(1);
                    tokio::spawn(async move {
                        for part in ["one ", "two ", "three"] {
                            if tx.send(Bytes::from_static(part.as_bytes())).await.is_err() {
                                break;
                            }
                        }
                    });
                    Response::new(body)
                }
                "/cookies" => {
                    let mut res = Response::text("");
                    res.append_header(SET_COOKIE, HeaderValue::from_static("a=1"));
                    res.append_header(SET_COOKIE, HeaderValue::from_static("b=2"));
                    res
                }
                "/binary" => vec![0xff_u8, 0xfe].into_response(),
                "/big" => "x".repeat(3000).into_response(),
                _ => (StatusCode::NOT_FOUND, "no route here").into_response(),
            }
        }
    }

    fn client() -> TestClient<Echo> {
        TestClient::new(Echo)
    }

    #[tokio::test]
    async fn sends_method_target_headers_and_body() {
        let res = client()
            .put("/echo?a=1")
            .header("X-One", "1")
            .header("x-one", "2")
            .header("content-type", "text/plain")
            .body("payload")
            .send()
            .await;
        res.assert_status(StatusCode::OK).assert_json(&serde_json::json!({
            "method": "PUT",
            "target": "/echo?a=1",
            "query": "a=1",
            "headers": [["X-One", "1"], ["x-one", "2"], ["content-type", "text/plain"]],
            "body": "payload",
            "peer": null,
        }));
    }

    #[tokio::test]
    async fn every_method_helper_sends_its_method() {
        let c = client();
        let cases = [
            (c.get("/echo"), "GET"),
            (c.post("/echo"), "POST"),
            (c.put("/echo"), "PUT"),
            (c.patch("/echo"), "PATCH"),
            (c.delete("/echo"), "DELETE"),
            (c.options("/echo"), "OPTIONS"),
            (c.request(Method::TRACE, "/echo"), "TRACE"),
        ];
        for (req, method) in cases {
            let res = req.send().await;
            assert_eq!(res.json::<serde_json::Value>()["method"], method);
        }
    }

    #[tokio::test]
    async fn query_appends_encoded_pairs_and_keeps_the_rest_of_the_request() {
        let cases = [
            ("/echo", "/echo?q=a%20b%26c%3D%2F&n=7"),
            ("/echo?", "/echo?q=a%20b%26c%3D%2F&n=7"),
            ("/echo?x=1", "/echo?x=1&q=a%20b%26c%3D%2F&n=7"),
        ];
        for (start, want) in cases {
            let res = client()
                .post(start)
                .header("x-keep", "yes")
                .body("b")
                .peer_addr("127.0.0.1:9".parse().unwrap())
                .query("q", "a b&c=/")
                .query("n", 7)
                .send()
                .await;
            let v: serde_json::Value = res.json();
            assert_eq!(v["target"], want);
            assert_eq!(v["method"], "POST");
            assert_eq!(v["headers"], serde_json::json!([["x-keep", "yes"]]));
            assert_eq!(v["body"], "b");
            assert_eq!(v["peer"], "127.0.0.1:9");
        }
    }

    #[tokio::test]
    async fn json_sets_body_and_content_type() {
        let res = client().post("/echo").json(&serde_json::json!({"name": "Ada", "tags": ["x"]})).send().await;
        let v: serde_json::Value = res.json();
        assert_eq!(v["headers"], serde_json::json!([["content-type", "application/json"]]));
        let body: serde_json::Value = serde_json::from_str(v["body"].as_str().unwrap()).unwrap();
        assert_eq!(body, serde_json::json!({"name": "Ada", "tags": ["x"]}));
    }

    #[tokio::test]
    async fn head_drops_the_body_and_keeps_the_length() {
        let res = client().head("/big").send().await;
        res.assert_status(StatusCode::OK).assert_header("content-length", "3000");
        assert!(res.bytes().is_empty());
        assert_eq!(client().get("/big").send().await.bytes().len(), 3000);
    }

    #[tokio::test]
    async fn head_drops_a_streamed_body_without_a_length() {
        let res = client().head("/stream").send().await;
        res.assert_status(StatusCode::OK).assert_no_header("content-length");
        assert!(res.bytes().is_empty());
    }

    #[test]
    fn debug_shows_the_app_and_the_request() {
        let c = client();
        assert_eq!(format!("{c:?}"), "TestClient { app: Echo }");
        let shown = format!("{:?}", c.get("/echo?a=1"));
        assert!(shown.starts_with("TestRequest { req: ") && shown.ends_with(", .. }"), "{shown}");
        assert!(shown.contains("/echo?a=1"), "{shown}");
    }

    #[tokio::test]
    async fn reads_streamed_bodies_whole() {
        client().get("/stream").send().await.assert_text("one two three");
    }

    #[tokio::test]
    async fn header_lookup_and_repeated_headers() {
        let res = client().get("/cookies").send().await;
        assert_eq!(res.header("SET-COOKIE"), Some("a=1"));
        assert_eq!(res.header_all("set-cookie").collect::<Vec<_>>(), ["a=1", "b=2"]);
        assert_eq!(res.headers().count(), 3);
        res.assert_no_header("x-nope");
    }

    #[tokio::test]
    async fn try_json_reports_errors_and_bytes_are_raw() {
        let res = client().get("/binary").send().await;
        assert_eq!(res.bytes().as_ref(), [0xff, 0xfe]);
        assert!(res.try_json::<serde_json::Value>().is_err());
    }

    #[tokio::test]
    #[should_panic(expected = "GET /missing: expected status 200 OK, got 404 Not Found")]
    async fn assert_status_names_the_request_and_both_statuses() {
        client().get("/missing").send().await.assert_status(StatusCode::OK);
    }

    #[tokio::test]
    #[should_panic(expected = "--- body (13 bytes):\nno route here")]
    async fn failed_assertions_show_the_body() {
        client().get("/missing").send().await.assert_status(StatusCode::OK);
    }

    #[tokio::test]
    #[should_panic(expected = "expected header `content-type: application/json`, got `content-type: text/plain")]
    async fn assert_header_shows_the_actual_value() {
        client().get("/missing").send().await.assert_header("content-type", "application/json");
    }

    #[tokio::test]
    #[should_panic(expected = "expected header `x-nope: 1`, but it is absent")]
    async fn assert_header_reports_absence() {
        client().get("/missing").send().await.assert_header("x-nope", "1");
    }

    #[tokio::test]
    #[should_panic(expected = "expected no `set-cookie` header, got `set-cookie: a=1`")]
    async fn assert_no_header_fails_when_present() {
        client().get("/cookies").send().await.assert_no_header("set-cookie");
    }

    #[tokio::test]
    #[should_panic(expected = "expected body \"no route\"")]
    async fn assert_text_is_exact() {
        client().get("/missing").send().await.assert_text("no route");
    }

    #[tokio::test]
    #[should_panic(expected = "expected the body to contain \"elsewhere\"")]
    async fn assert_text_contains_fails_when_missing() {
        client().get("/missing").send().await.assert_text_contains("elsewhere");
    }

    #[tokio::test]
    #[should_panic(expected = "expected a UTF-8 body")]
    async fn text_panics_on_binary() {
        let _ = client().get("/binary").send().await.text();
    }

    #[tokio::test]
    #[should_panic(expected = "expected a JSON body of type `serde_json::value::Value`")]
    async fn json_panics_with_the_type_on_bad_json() {
        let _: serde_json::Value = client().get("/missing").send().await.json();
    }

    #[tokio::test]
    #[should_panic(expected = "expected JSON body {\"a\":2}")]
    async fn assert_json_compares_values() {
        let res = client().post("/echo").send().await;
        res.assert_json(&serde_json::json!({"a": 2}));
    }

    #[tokio::test]
    async fn long_bodies_are_cut_in_messages() {
        let res = client().get("/big").send().await;
        let shown = res.to_string();
        assert!(shown.starts_with("--- response: 200 OK\ncontent-type: text/plain; charset=utf-8\n"), "{shown}");
        assert!(shown.ends_with(&format!("{}\n... (952 more bytes)", "x".repeat(2048))), "{shown}");
    }

    #[tokio::test]
    async fn json_keeps_an_explicit_content_type() {
        let client = TestClient::new(Echo);
        let res = client.post("/echo").header("content-type", "text/plain").json(&[1]).send().await;
        let echoed: serde_json::Value = res.json();
        assert_eq!(echoed["headers"], serde_json::json!([["content-type", "text/plain"]]));
        assert_eq!(echoed["body"], "[1]");
    }
}
