//! An in-process test client: call an [`App`] the way a client would, without a socket.
//!
//! Build a request with [`TestClient`] (method, path, query, headers, body), `send` it, and
//! assert on the [`TestResponse`]: status, headers, text, JSON. Responses are read whole, streamed
//! bodies included, and a `HEAD` response loses its body as it would on the wire.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use waymark::test::TestClient;
//! use waymark::{App, Json, IntoResponse, Request, Response, StatusCode};
//!
//! struct Hello;
//!
//! impl App for Hello {
//!     fn handle<'a>(&'a self, req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
//!         async move {
//!             match req.path() {
//!                 "/" => "hello".into_response(),
//!                 "/json" => Json(serde_json::json!({ "hello": "world" })).into_response(),
//!                 _ => StatusCode::NOT_FOUND.into_response(),
//!             }
//!         }
//!     }
//! }
//!
//! let client = TestClient::new(Hello);
//! client.get("/").send().await.assert_status(StatusCode::OK).assert_text("hello");
//!
//! let res = client.get("/json").send().await;
//! assert_eq!(res.json::<serde_json::Value>()["hello"], "world");
//!
//! client.get("/nope").send().await.assert_status(StatusCode::NOT_FOUND);
//! # }
//! ```

use std::fmt;
use std::fmt::Write as _;
use std::net::SocketAddr;

use serde::Serialize;
use serde::de::DeserializeOwned;
use waymark_runtime::header::{HeaderName, HeaderValue};
use waymark_runtime::{App, Body, Bytes, Method, Request, StatusCode};

/// The most bytes of a body a failed assertion prints.
const BODY_PREVIEW: usize = 2048;

/// Calls an [`App`] in-process: no socket, no server, the same request and response types.
///
/// The client owns the application; [`TestClient::app`] gives it back, e.g. to look at the state
/// after a request.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use waymark::test::TestClient;
/// use waymark::{App, Request, Response, StatusCode};
///
/// struct Echo;
///
/// impl App for Echo {
///     fn handle<'a>(&'a self, req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
///         async move { Response::text(req.target().to_owned()) }
///     }
/// }
///
/// let client = TestClient::new(Echo);
/// let res = client.get("/users").query("name", "Ada Lovelace").send().await;
/// res.assert_status(StatusCode::OK).assert_text("/users?name=Ada%20Lovelace");
/// # }
/// ```
pub struct TestClient<A> {
    app: A,
}

impl<A: App> TestClient<A> {
    /// A client for `app`.
    ///
    /// ```
    /// # use waymark::{App, Request, Response};
    /// # struct MyApp;
    /// # impl App for MyApp {
    /// #     fn handle<'a>(&'a self, _: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async { Response::text("") }
    /// #     }
    /// # }
    /// let client = waymark::test::TestClient::new(MyApp);
    /// # let _ = client;
    /// ```
    pub fn new(app: A) -> Self {
        Self { app }
    }

    /// The application, e.g. to inspect its state between requests.
    ///
    /// ```
    /// # use waymark::{App, Request, Response};
    /// struct Counter(std::sync::atomic::AtomicU32);
    ///
    /// impl App for Counter {
    ///     fn handle<'a>(&'a self, _: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    ///         self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    ///         async { Response::text("counted") }
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Counter(0.into()));
    /// client.post("/").send().await;
    /// assert_eq!(client.app().0.load(std::sync::atomic::Ordering::Relaxed), 1);
    /// # }
    /// ```
    pub fn app(&self) -> &A {
        &self.app
    }

    /// Starts a request with any method; `target` is the path, optionally with a query string.
    ///
    /// ```
    /// # use waymark::{App, Request, Response};
    /// # struct Echo;
    /// # impl App for Echo {
    /// #     fn handle<'a>(&'a self, req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async move { Response::text(req.method().to_string()) }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use waymark::Method;
    ///
    /// let client = waymark::test::TestClient::new(Echo);
    /// let method = Method::from_bytes(b"PURGE").unwrap();
    /// client.request(method, "/cache").send().await.assert_text("PURGE");
    /// # }
    /// ```
    pub fn request(&self, method: Method, target: &str) -> TestRequest<'_, A> {
        TestRequest { app: &self.app, req: Request::new(method, target) }
    }

    /// Starts a `GET` request.
    ///
    /// ```
    /// # use waymark::{App, Request, Response};
    /// # struct Echo;
    /// # impl App for Echo {
    /// #     fn handle<'a>(&'a self, req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async move { Response::text(format!("{} {}", req.method(), req.target())) }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Echo);
    /// client.get("/users/7").send().await.assert_text("GET /users/7");
    /// # }
    /// ```
    pub fn get(&self, target: &str) -> TestRequest<'_, A> {
        self.request(Method::GET, target)
    }

    /// Starts a `POST` request.
    ///
    /// ```
    /// # use waymark::{App, Request, Response};
    /// # struct Echo;
    /// # impl App for Echo {
    /// #     fn handle<'a>(&'a self, req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async move { Response::text(format!("{} {}", req.method(), req.target())) }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Echo);
    /// client.post("/users").send().await.assert_text("POST /users");
    /// # }
    /// ```
    pub fn post(&self, target: &str) -> TestRequest<'_, A> {
        self.request(Method::POST, target)
    }

    /// Starts a `PUT` request.
    ///
    /// ```
    /// # use waymark::{App, Request, Response};
    /// # struct Echo;
    /// # impl App for Echo {
    /// #     fn handle<'a>(&'a self, req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async move { Response::text(format!("{} {}", req.method(), req.target())) }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Echo);
    /// client.put("/users/7").send().await.assert_text("PUT /users/7");
    /// # }
    /// ```
    pub fn put(&self, target: &str) -> TestRequest<'_, A> {
        self.request(Method::PUT, target)
    }

    /// Starts a `PATCH` request.
    ///
    /// ```
    /// # use waymark::{App, Request, Response};
    /// # struct Echo;
    /// # impl App for Echo {
    /// #     fn handle<'a>(&'a self, req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async move { Response::text(format!("{} {}", req.method(), req.target())) }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Echo);
    /// client.patch("/users/7").send().await.assert_text("PATCH /users/7");
    /// # }
    /// ```
    pub fn patch(&self, target: &str) -> TestRequest<'_, A> {
        self.request(Method::PATCH, target)
    }

    /// Starts a `DELETE` request.
    ///
    /// ```
    /// # use waymark::{App, Request, Response};
    /// # struct Echo;
    /// # impl App for Echo {
    /// #     fn handle<'a>(&'a self, req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async move { Response::text(format!("{} {}", req.method(), req.target())) }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Echo);
    /// client.delete("/users/7").send().await.assert_text("DELETE /users/7");
    /// # }
    /// ```
    pub fn delete(&self, target: &str) -> TestRequest<'_, A> {
        self.request(Method::DELETE, target)
    }

    /// Starts a `HEAD` request. The response keeps its status and headers, adds `content-length`
    /// when the application did not set one, and drops the body, as a server does (RFC 9110
    /// §9.3.2).
    ///
    /// ```
    /// # use waymark::{App, Request, Response};
    /// # struct Hello;
    /// # impl App for Hello {
    /// #     fn handle<'a>(&'a self, _: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async { Response::text("hello") }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Hello);
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
    /// # use waymark::{App, Request, Response};
    /// # struct Echo;
    /// # impl App for Echo {
    /// #     fn handle<'a>(&'a self, req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async move { Response::text(format!("{} {}", req.method(), req.target())) }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Echo);
    /// client.options("/users").send().await.assert_text("OPTIONS /users");
    /// # }
    /// ```
    pub fn options(&self, target: &str) -> TestRequest<'_, A> {
        self.request(Method::OPTIONS, target)
    }
}

impl<A: fmt::Debug> fmt::Debug for TestClient<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestClient").field("app", &self.app).finish()
    }
}

/// A request being built by a [`TestClient`]; [`send`](TestRequest::send) it to get a
/// [`TestResponse`].
///
/// ```
/// # use waymark::{App, Request, Response};
/// # struct Echo;
/// # impl App for Echo {
/// #     fn handle<'a>(&'a self, req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
/// #         async move { Response::text(format!("{} {:?}", req.target(), req.header("accept"))) }
/// #     }
/// # }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = waymark::test::TestClient::new(Echo);
/// let res = client.get("/search").query("q", "rust").header("accept", "text/plain").send().await;
/// res.assert_text(r#"/search?q=rust Some("text/plain")"#);
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
    /// # use waymark::{App, Request, Response};
    /// # struct Auth;
    /// # impl App for Auth {
    /// #     fn handle<'a>(&'a self, req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async move { Response::text(req.header("authorization").unwrap_or("none").to_owned()) }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Auth);
    /// client.get("/").header("Authorization", "Bearer t0k3n").send().await.assert_text("Bearer t0k3n");
    /// # }
    /// ```
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.req = self.req.with_header(name, value);
        self
    }

    /// Appends a query parameter, percent-encoding the name and the value.
    ///
    /// ```
    /// # use waymark::{App, Request, Response};
    /// # struct Echo;
    /// # impl App for Echo {
    /// #     fn handle<'a>(&'a self, req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async move { Response::text(req.query().unwrap_or("").to_owned()) }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Echo);
    /// let res = client.get("/items?limit=2").query("tag", "a&b").send().await;
    /// res.assert_text("limit=2&tag=a%26b");
    /// # }
    /// ```
    pub fn query(mut self, name: &str, value: impl fmt::Display) -> Self {
        let mut target = self.req.target().to_owned();
        match self.req.query() {
            None => target.push('?'),
            Some("") => {}
            Some(_) => target.push('&'),
        }
        encode_component(&mut target, name);
        target.push('=');
        encode_component(&mut target, &value.to_string());
        self.req = rebuild_with_target(&self.req, &target);
        self
    }

    /// Sets the body to `value` serialized as JSON, and `content-type: application/json`.
    ///
    /// # Panics
    ///
    /// When `value` cannot be serialized (a map with non-string keys, a failing `Serialize`
    /// impl): that is a bug in the test.
    ///
    /// ```
    /// # use waymark::{App, Request, Response};
    /// # struct Echo;
    /// # impl App for Echo {
    /// #     fn handle<'a>(&'a self, req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async move {
    /// #             let ct = req.header("content-type").unwrap_or("");
    /// #             Response::text(format!("{ct} {}", String::from_utf8_lossy(req.body())))
    /// #         }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Echo);
    /// let res = client.post("/users").json(&serde_json::json!({ "name": "Ada" })).send().await;
    /// res.assert_text(r#"application/json {"name":"Ada"}"#);
    /// # }
    /// ```
    #[track_caller]
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Self {
        let bytes = match serde_json::to_vec(value) {
            Ok(bytes) => bytes,
            Err(e) => panic!("the test request body failed to serialize as JSON: {e}"),
        };
        self.header("content-type", "application/json").body(bytes)
    }

    /// Sets the body as it is; set a `content-type` header yourself if the application needs one.
    ///
    /// ```
    /// # use waymark::{App, Request, Response};
    /// # struct Len;
    /// # impl App for Len {
    /// #     fn handle<'a>(&'a self, req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async move { Response::text(req.body().len().to_string()) }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Len);
    /// let res = client.post("/upload").header("content-type", "text/plain").body("12345").send().await;
    /// res.assert_text("5");
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
    /// # use waymark::{App, Request, Response};
    /// # struct Peer;
    /// # impl App for Peer {
    /// #     fn handle<'a>(&'a self, req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async move { Response::text(format!("{:?}", req.peer_addr())) }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Peer);
    /// client.get("/").send().await.assert_text("None");
    /// let res = client.get("/").peer_addr("10.0.0.1:5555".parse().unwrap()).send().await;
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
    /// # use waymark::{App, Request, Response};
    /// # struct Hello;
    /// # impl App for Hello {
    /// #     fn handle<'a>(&'a self, _: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async { Response::text("hello") }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Hello);
    /// let res = client.get("/").send().await;
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
        let body = match res.take_body() {
            Body::Full(bytes) => bytes,
            Body::Stream(mut chunks) => {
                let mut all = Vec::new();
                while let Some(chunk) = chunks.recv().await {
                    all.extend_from_slice(&chunk);
                }
                Bytes::from(all)
            }
        };
        TestResponse { method: req.method().clone(), target: req.target().to_owned(), status, headers, body }
    }
}

impl<A> fmt::Debug for TestRequest<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestRequest").field("req", &self.req).finish_non_exhaustive()
    }
}

/// `Request` has no setter for the target, so a new query string means a new request with the
/// same parts.
fn rebuild_with_target(old: &Request, target: &str) -> Request {
    let mut req = Request::new(old.method().clone(), target).with_version(old.version()).with_body(old.body().clone());
    for (name, value) in old.headers() {
        req = req.with_header(&String::from_utf8_lossy(name), value);
    }
    if let Some(peer) = old.peer_addr() {
        req = req.with_peer_addr(peer);
    }
    req
}

/// Percent-encodes everything but the unreserved characters of RFC 3986 §2.3.
fn encode_component(out: &mut String, s: &str) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// A response read whole by [`TestRequest::send`], with accessors and assertions.
///
/// The `assert_*` methods panic with the request line, the expected and actual values, and the
/// response's headers and body, so a failing test says why without a debugger. They return
/// `&Self` to chain.
///
/// ```
/// # use waymark::{App, Json, IntoResponse, Request, Response, StatusCode};
/// # struct Created;
/// # impl App for Created {
/// #     fn handle<'a>(&'a self, _: &'a Request) -> impl Future<Output = Response> + Send + 'a {
/// #         async { (StatusCode::CREATED, Json(serde_json::json!({ "id": 7 }))).into_response() }
/// #     }
/// # }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = waymark::test::TestClient::new(Created);
/// let res = client.post("/users").send().await;
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
    /// # use waymark::{App, Request, Response, StatusCode, IntoResponse};
    /// # struct Teapot;
    /// # impl App for Teapot {
    /// #     fn handle<'a>(&'a self, _: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async { StatusCode::IM_A_TEAPOT.into_response() }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Teapot).get("/").send().await;
    /// assert_eq!(res.status(), StatusCode::IM_A_TEAPOT);
    /// # }
    /// ```
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The first value of a header, looked up case-insensitively; `None` when absent or not
    /// UTF-8.
    ///
    /// ```
    /// # use waymark::{App, Request, Response};
    /// # struct Hello;
    /// # impl App for Hello {
    /// #     fn handle<'a>(&'a self, _: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async { Response::text("hello") }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Hello).get("/").send().await;
    /// assert_eq!(res.header("Content-Type"), Some("text/plain; charset=utf-8"));
    /// assert_eq!(res.header("x-missing"), None);
    /// # }
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        let (_, value) = self.headers.iter().find(|(n, _)| n.as_str().eq_ignore_ascii_case(name))?;
        value.to_str().ok()
    }

    /// Every value of a header, in order (for `set-cookie` and the like).
    ///
    /// ```
    /// # use waymark::{App, Request, Response};
    /// use waymark::header::{HeaderValue, SET_COOKIE};
    /// # struct Cookies;
    /// # impl App for Cookies {
    /// #     fn handle<'a>(&'a self, _: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async {
    /// #             let mut res = Response::text("");
    /// #             res.append_header(SET_COOKIE, HeaderValue::from_static("a=1"));
    /// #             res.append_header(SET_COOKIE, HeaderValue::from_static("b=2"));
    /// #             res
    /// #         }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Cookies).get("/").send().await;
    /// assert_eq!(res.header_all("set-cookie").collect::<Vec<_>>(), ["a=1", "b=2"]);
    /// # }
    /// ```
    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.as_str().eq_ignore_ascii_case(name))
            .filter_map(|(_, v)| v.to_str().ok())
    }

    /// Every header, in the order the application set them (the content type first).
    ///
    /// ```
    /// # use waymark::{App, Request, Response};
    /// # struct Hello;
    /// # impl App for Hello {
    /// #     fn handle<'a>(&'a self, _: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async { Response::text("hello") }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Hello).get("/").send().await;
    /// let names: Vec<&str> = res.headers().map(|(name, _)| name.as_str()).collect();
    /// assert_eq!(names, ["content-type"]);
    /// # }
    /// ```
    pub fn headers(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> + '_ {
        self.headers.iter().map(|(n, v)| (n, v))
    }

    /// The body bytes.
    ///
    /// ```
    /// # use waymark::{App, Request, Response, IntoResponse};
    /// # struct Bin;
    /// # impl App for Bin {
    /// #     fn handle<'a>(&'a self, _: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async { vec![0u8, 159, 146, 150].into_response() }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Bin).get("/").send().await;
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
    /// # use waymark::{App, Request, Response};
    /// # struct Hello;
    /// # impl App for Hello {
    /// #     fn handle<'a>(&'a self, _: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async { Response::text("hello") }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Hello).get("/").send().await;
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
    /// # use waymark::{App, Json, IntoResponse, Request, Response};
    /// # struct User;
    /// # impl App for User {
    /// #     fn handle<'a>(&'a self, _: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async { Json(serde_json::json!({ "id": 7, "name": "Ada" })).into_response() }
    /// #     }
    /// # }
    /// #[derive(serde::Deserialize)]
    /// struct UserOut {
    ///     id: u64,
    ///     name: String,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(User).get("/users/7").send().await;
    /// let user: UserOut = res.json();
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
    /// # use waymark::{App, Request, Response};
    /// # struct Hello;
    /// # impl App for Hello {
    /// #     fn handle<'a>(&'a self, _: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async { Response::text("hello") }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Hello).get("/").send().await;
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
    /// # use waymark::{App, Request, Response, StatusCode, IntoResponse};
    /// # struct Missing;
    /// # impl App for Missing {
    /// #     fn handle<'a>(&'a self, _: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async { (StatusCode::NOT_FOUND, "no such user").into_response() }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Missing).get("/users/7").send().await;
    /// // panics: GET /users/7: expected status 200 OK, got 404 Not Found ... no such user
    /// res.assert_status(StatusCode::OK);
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
    /// # use waymark::{App, Request, Response};
    /// # struct Hello;
    /// # impl App for Hello {
    /// #     fn handle<'a>(&'a self, _: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async { Response::text("hello") }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Hello).get("/").send().await;
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
    /// # use waymark::{App, Request, Response};
    /// # struct Hello;
    /// # impl App for Hello {
    /// #     fn handle<'a>(&'a self, _: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async { Response::text("hello") }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Hello).get("/").send().await;
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
    /// # use waymark::{App, Request, Response};
    /// # struct Hello;
    /// # impl App for Hello {
    /// #     fn handle<'a>(&'a self, _: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async { Response::text("hello") }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Hello).get("/").send().await;
    /// res.assert_text("hello");
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
    /// # use waymark::{App, Request, Response};
    /// # struct Hello;
    /// # impl App for Hello {
    /// #     fn handle<'a>(&'a self, _: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async { Response::text("hello, world") }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Hello).get("/").send().await;
    /// res.assert_text_contains("world");
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
    /// # use waymark::{App, Request, Response};
    /// # struct Raw;
    /// # impl App for Raw {
    /// #     fn handle<'a>(&'a self, _: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    /// #         async { Response::text(r#"{ "b": [1, 2], "a": null }"#) }
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Raw).get("/").send().await;
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
                    let (tx, body) = Body::channel(1);
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

    #[test]
    fn encodes_all_but_unreserved() {
        let cases =
            [("abcXYZ019-._~", "abcXYZ019-._~"), ("a b", "a%20b"), ("é/?&=+", "%C3%A9%2F%3F%26%3D%2B"), ("", "")];
        for (raw, want) in cases {
            let mut out = String::new();
            encode_component(&mut out, raw);
            assert_eq!(out, want, "{raw}");
        }
    }
}
