//! The request builder: headers, query, body and peer address, then `send`.

use std::fmt;
use std::net::SocketAddr;

use percent_encoding::utf8_percent_encode;
use serde::Serialize;

use crate::test::response::TestResponse;
use crate::test::stream::TestStream;
use crate::url::COMPONENT;
use crate::{App, Bytes, Request};

/// A request being built by a [`TestClient`](super::TestClient); [`send`](TestRequest::send) it to
/// get a [`TestResponse`].
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
    pub(super) app: &'a A,
    pub(super) req: Request,
}

impl<'a, A: App> TestRequest<'a, A> {
    /// A request to `app`, sent as it is unless the builder methods change it.
    pub(super) fn new(app: &'a A, req: Request) -> Self {
        Self { app, req }
    }

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
        let res = self.app.handle(&self.req).await;
        TestResponse::read(&self.req, res).await
    }

    /// Calls the application and gives the response as soon as the application returns it,
    /// its body not yet read: read it chunk by chunk, or event by event, with [`TestStream`]. For
    /// bodies that come slowly or never end (server-sent events, a long download).
    ///
    /// ```
    /// use waymark::sse::{Event, Sse};
    ///
    /// waymark::routes! {
    ///     Feed;
    ///     GET "/feed" => async {
    ///         let (tx, sse) = Sse::channel(1);
    ///         tokio::spawn(async move {
    ///             let _ = tx.send(Event::new().data("first")).await;
    ///             std::future::pending::<()>().await; // the stream stays open
    ///         });
    ///         sse
    ///     },
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let mut feed = waymark::test::TestClient::new(Feed::new()).get("/feed").stream().await;
    /// assert_eq!(feed.event().await.unwrap().data, "first");
    /// // `send` would wait for the end of this body forever; the stream is dropped here instead.
    /// # }
    /// ```
    pub async fn stream(self) -> TestStream {
        let res = self.app.handle(&self.req).await;
        TestStream::open(&self.req, res).await
    }
}

impl<A> fmt::Debug for TestRequest<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestRequest").field("req", &self.req).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use crate::StatusCode;
    use crate::test::TestClient;
    use crate::test::echo::{Echo, client};

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
    async fn json_keeps_an_explicit_content_type() {
        let client = TestClient::new(Echo);
        let res = client.post("/echo").header("content-type", "text/plain").json(&[1]).send().await;
        let echoed: serde_json::Value = res.json();
        assert_eq!(echoed["headers"], serde_json::json!([["content-type", "text/plain"]]));
        assert_eq!(echoed["body"], "[1]");
    }

    #[test]
    fn debug_shows_the_app_and_the_request() {
        let c = client();
        assert_eq!(format!("{c:?}"), "TestClient { app: Echo }");
        let shown = format!("{:?}", c.get("/echo?a=1"));
        assert!(shown.starts_with("TestRequest { req: ") && shown.ends_with(", .. }"), "{shown}");
        assert!(shown.contains("/echo?a=1"), "{shown}");
    }
}
