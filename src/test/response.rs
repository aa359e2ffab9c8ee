//! The response: read whole, with accessors and assertions that show the response when they fail.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::header::{HeaderName, HeaderValue};
use crate::test::head::Head;
use crate::{Bytes, Method, Request, Response, StatusCode};

/// The most bytes of a body a failed assertion prints.
const BODY_PREVIEW: usize = 2048;

/// A response read whole by [`TestRequest::send`](super::TestRequest::send), with accessors and
/// assertions.
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
    head: Head,
    body: Bytes,
}

impl TestResponse {
    /// Reads `res`, the answer to `req`, whole, streamed bodies included; a `HEAD` response
    /// loses its body as it would on the wire.
    pub(super) async fn read(req: &Request, mut res: Response) -> Self {
        if req.method() == Method::HEAD {
            res = crate::__private::strip_body_for_head(res);
        }
        let head = Head::of(req, &res);
        let body = res.take_body().collect().await;
        TestResponse { head, body }
    }

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
        self.head.status
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
        self.head.header(name)
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
        self.head.values(name).filter_map(|v| v.to_str().ok())
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
        self.head.headers.iter().map(|(n, v)| (n, v))
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
        if let Some(why) = self.head.status_mismatch(expected) {
            self.fail(format_args!("{why}"));
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
        match self.head.header_mismatch(name, expected) {
            None => self,
            Some(why) => self.fail(format_args!("{why}")),
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
        panic!("{} {}: {what}\n{self}", self.head.method, self.head.target)
    }
}

/// The response as a client would see it, the body cut after 2 KiB.
impl fmt::Display for TestResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.head.fmt(f)?;
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
            .field("request", &format_args!("{} {}", self.head.method, self.head.target))
            .field("status", &self.head.status)
            .field("headers", &self.head.headers)
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use crate::StatusCode;
    use crate::test::echo::client;

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
}
