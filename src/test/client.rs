//! The client: owns the application and starts requests to it.

use crate::test::request::TestRequest;
use crate::{App, Method, Request};

/// Calls an [`App`] in-process: no socket, no server, the same request and response types.
///
/// The client owns the application; [`TestClient::app`] gives it back, e.g. to look at the state
/// after a request. The [module docs](crate::test) show a complete test.
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
        TestRequest::new(&self.app, Request::new(method, target))
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

#[cfg(test)]
mod tests {
    use crate::Method;
    use crate::test::echo::client;

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
}
