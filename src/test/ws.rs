//! A WebSocket held in-process (feature `ws`): the handshake is a request to the application, and
//! its `101` answer runs over an in-memory pipe, so a test sends and receives messages with no
//! socket.

use std::fmt;
use std::time::Duration;

use tokio::time::error::Elapsed;
use tokio::time::timeout;

use crate::__private::ws::{self as pipe, ClientSocket};
use crate::test::head::Head;
use crate::test::response::TestResponse;
use crate::test::stream::DEFAULT_READ_TIMEOUT;
use crate::test::{TestClient, TestRequest};
use crate::ws::{CloseCode, CloseFrame, Message};
use crate::{App, StatusCode};

/// The key the client offers, and the accept value RFC 6455 §1.3 derives from it.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

impl<A: App> TestClient<A> {
    /// Opens a WebSocket to `target`: a `GET` handshake, then messages over an in-memory pipe.
    /// For a handshake with headers of its own (a token, a subprotocol), or one the application
    /// may refuse, build the request and call [`TestRequest::websocket`].
    ///
    /// # Panics
    ///
    /// When the application does not answer `101 Switching Protocols`; the message shows what
    /// it answered.
    ///
    /// ```
    /// use futures_util::{SinkExt, StreamExt};
    /// use waymark::ws::{Message, WebSocket, WebSocketUpgrade};
    ///
    /// async fn echo(mut socket: WebSocket) {
    ///     while let Some(Ok(msg)) = socket.next().await {
    ///         if msg.is_text() && socket.send(msg).await.is_err() {
    ///             break;
    ///         }
    ///     }
    /// }
    ///
    /// waymark::routes! { Chat; GET "/ws" => async move { WebSocketUpgrade::from_request(req).map(|ws| ws.on_upgrade(echo)) } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Chat::new());
    /// let mut ws = client.websocket("/ws").await;
    /// ws.send("hello").await;
    /// assert_eq!(ws.recv_text().await, "hello");
    /// ws.close().await;
    /// # }
    /// ```
    #[track_caller]
    pub fn websocket<'a>(&'a self, target: &'a str) -> impl Future<Output = TestWebSocket> + 'a {
        let caller = std::panic::Location::caller();
        let handshake = self.get(target).websocket();
        async move {
            match handshake.await {
                Ok(socket) => socket,
                Err(res) => {
                    panic!("GET {target} (at {caller}): expected 101 Switching Protocols, got {}\n{res}", res.status())
                }
            }
        }
    }
}

impl<A: App> TestRequest<'_, A> {
    /// Sends this request as a WebSocket handshake (adding `Connection: upgrade`,
    /// `Upgrade: websocket`, `Sec-WebSocket-Version: 13` and a key, unless set), and holds the
    /// socket the application's `101` answer opens.
    ///
    /// # Errors
    ///
    /// The application's answer when it is not `101 Switching Protocols`, read whole.
    ///
    /// # Panics
    ///
    /// When the `101` answer's `Sec-WebSocket-Accept` is not the one RFC 6455 derives from the
    /// key: a browser would refuse the socket.
    ///
    /// ```
    /// use waymark::StatusCode;
    /// use waymark::ws::WebSocketUpgrade;
    ///
    /// waymark::routes! {
    ///     Chat;
    ///     GET "/ws" => async move {
    ///         if req.header("authorization") != Some("Bearer let-me-in") {
    ///             return Err(waymark::Response::status_only(StatusCode::UNAUTHORIZED));
    ///         }
    ///         WebSocketUpgrade::from_request(req).map(|ws| ws.protocols(&["chat"]).on_upgrade(|_socket| async {}))
    ///     },
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Chat::new());
    /// let refused = client.get("/ws").websocket().await.unwrap_err();
    /// refused.assert_status(StatusCode::UNAUTHORIZED);
    /// let ws = client
    ///     .get("/ws")
    ///     .header("authorization", "Bearer let-me-in")
    ///     .header("sec-websocket-protocol", "chat")
    ///     .websocket()
    ///     .await
    ///     .unwrap();
    /// assert_eq!(ws.header("sec-websocket-protocol"), Some("chat"));
    /// # }
    /// ```
    pub async fn websocket(self) -> Result<TestWebSocket, TestResponse> {
        let mut request = self;
        for (name, value) in [
            ("connection", "upgrade"),
            ("upgrade", "websocket"),
            ("sec-websocket-version", "13"),
            ("sec-websocket-key", KEY),
        ] {
            if request.req.header_bytes(name).is_none() {
                request = request.header(name, value);
            }
        }
        let TestRequest { app, req } = request;
        let mut res = app.handle(&req).await;
        let head = Head::of(&req, &res);
        if res.status() != StatusCode::SWITCHING_PROTOCOLS {
            return Err(TestResponse::read(&req, res).await);
        }
        let Some(socket) = pipe::connect(&mut res).await else {
            return Err(TestResponse::read(&req, res).await);
        };
        assert!(
            req.header("sec-websocket-key") != Some(KEY) || head.header("sec-websocket-accept") == Some(ACCEPT),
            "{} {}: the 101 answer's `Sec-WebSocket-Accept` is not the key's (RFC 6455 §4.2.2)\n{head}",
            head.method,
            head.target
        );
        Ok(TestWebSocket { head, socket, timeout: DEFAULT_READ_TIMEOUT })
    }
}

/// A WebSocket to the application, held in-process: from [`TestClient::websocket`] or
/// [`TestRequest::websocket`]. Each receive waits at most the read timeout
/// ([`DEFAULT_READ_TIMEOUT`] unless [`timeout`](Self::timeout) says otherwise) and panics past
/// it; [`recv_within`](Self::recv_within) returns the timeout instead. Pings are answered as a
/// browser answers them. Dropping it drops the connection without a close handshake, as a
/// client that goes away does.
pub struct TestWebSocket {
    head: Head,
    socket: ClientSocket,
    timeout: Duration,
}

impl TestWebSocket {
    /// Sets how long each receive waits before it fails.
    ///
    /// ```
    /// # use waymark::ws::WebSocketUpgrade;
    /// # waymark::routes! { Chat; GET "/ws" => async move { WebSocketUpgrade::from_request(req).map(|ws| ws.on_upgrade(|_| async {})) } }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = waymark::test::TestClient::new(Chat::new());
    /// let ws = client.websocket("/ws").await.timeout(std::time::Duration::from_secs(30));
    /// # drop(ws); }
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// A header of the `101` answer (`sec-websocket-protocol`, say).
    ///
    /// ```
    /// # use waymark::ws::WebSocketUpgrade;
    /// # waymark::routes! { Chat; GET "/ws" => async move { WebSocketUpgrade::from_request(req).map(|ws| ws.on_upgrade(|_| async {})) } }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let ws = waymark::test::TestClient::new(Chat::new()).websocket("/ws").await;
    /// assert_eq!(ws.header("upgrade"), Some("websocket"));
    /// # }
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.header(name)
    }

    /// Sends a message: text from a `&str` or `String`, or any [`Message`].
    ///
    /// # Panics
    ///
    /// When the socket is closed.
    ///
    /// ```
    /// # use futures_util::{SinkExt, StreamExt};
    /// # use waymark::ws::{Message, WebSocketUpgrade};
    /// # waymark::routes! { Echo; GET "/ws" => async move { WebSocketUpgrade::from_request(req).map(|ws| ws.on_upgrade(|mut s| async move {
    /// #     while let Some(Ok(m)) = s.next().await { if m.is_close() || s.send(m).await.is_err() { break } }
    /// # })) } }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let mut ws = waymark::test::TestClient::new(Echo::new()).websocket("/ws").await;
    /// ws.send(Message::binary(vec![1, 2, 3])).await;
    /// assert_eq!(ws.recv().await, Some(Message::binary(vec![1, 2, 3])));
    /// # }
    /// ```
    #[track_caller]
    pub fn send(&mut self, message: impl Into<Message>) -> impl Future<Output = ()> + '_ {
        let (caller, message) = (std::panic::Location::caller(), message.into());
        async move {
            if let Err(e) = pipe::send(&mut self.socket, message).await {
                panic!("{} {} (at {caller}): sending on the WebSocket failed: {e}", self.head.method, self.head.target);
            }
        }
    }

    /// The next message (a `Close` from the application included), or `None` once the socket
    /// is closed, with a close handshake or without one (the application's task ended).
    ///
    /// # Panics
    ///
    /// When nothing comes within the read timeout, or the application breaks the protocol.
    ///
    /// ```
    /// use futures_util::SinkExt;
    /// use waymark::ws::{CloseCode, CloseFrame, Message, WebSocketUpgrade};
    ///
    /// waymark::routes! {
    ///     Bye;
    ///     GET "/ws" => async move {
    ///         WebSocketUpgrade::from_request(req).map(|ws| ws.on_upgrade(|mut socket| async move {
    ///             let _ = socket.send(Message::Close(Some(CloseFrame { code: CloseCode::Away, reason: "bye".into() }))).await;
    ///         }))
    ///     },
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let mut ws = waymark::test::TestClient::new(Bye::new()).websocket("/ws").await;
    /// let Some(Message::Close(Some(frame))) = ws.recv().await else { panic!("expected a close") };
    /// assert_eq!(frame.code, CloseCode::Away);
    /// assert_eq!(ws.recv().await, None);
    /// # }
    /// ```
    #[track_caller]
    pub fn recv(&mut self) -> impl Future<Output = Option<Message>> + '_ {
        let caller = std::panic::Location::caller();
        async move {
            let Ok(message) = self.recv_within(self.timeout).await else {
                panic!(
                    "{} {} (at {caller}): expected a WebSocket message within {:?}, but none came",
                    self.head.method, self.head.target, self.timeout
                )
            };
            message
        }
    }

    /// The next message, or `None` once the socket is closed, or the error when neither happens
    /// within `within`.
    ///
    /// # Errors
    ///
    /// When the wait is over first.
    ///
    /// # Panics
    ///
    /// When the application breaks the protocol.
    ///
    /// ```
    /// # use waymark::ws::WebSocketUpgrade;
    /// # waymark::routes! { Quiet; GET "/ws" => async move { WebSocketUpgrade::from_request(req).map(|ws| ws.on_upgrade(|s| async move { let _s = s; std::future::pending::<()>().await })) } }
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let mut ws = waymark::test::TestClient::new(Quiet::new()).websocket("/ws").await;
    /// assert!(ws.recv_within(std::time::Duration::from_secs(10)).await.is_err());
    /// # }
    /// ```
    pub async fn recv_within(&mut self, within: Duration) -> Result<Option<Message>, Elapsed> {
        match timeout(within, pipe::recv(&mut self.socket)).await? {
            Some(Ok(message)) => Ok(Some(message)),
            None => Ok(None),
            Some(Err(e)) => panic!("{} {}: receiving on the WebSocket failed: {e}", self.head.method, self.head.target),
        }
    }

    /// The next message, which must be text.
    ///
    /// # Panics
    ///
    /// When it is another kind of message, the socket is closed, or nothing comes within the read
    /// timeout.
    ///
    /// ```
    /// # use futures_util::SinkExt;
    /// # use waymark::ws::{Message, WebSocketUpgrade};
    /// # waymark::routes! { Hi; GET "/ws" => async move { WebSocketUpgrade::from_request(req).map(|ws| ws.on_upgrade(|mut s| async move { let _ = s.send(Message::text("hi")).await; })) } }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let mut ws = waymark::test::TestClient::new(Hi::new()).websocket("/ws").await;
    /// assert_eq!(ws.recv_text().await, "hi");
    /// # }
    /// ```
    #[track_caller]
    pub fn recv_text(&mut self) -> impl Future<Output = String> + '_ {
        let caller = std::panic::Location::caller();
        async move {
            match self.recv_within(self.timeout).await {
                Ok(Some(Message::Text(text))) => text.as_str().to_owned(),
                other => panic!(
                    "{} {} (at {caller}): expected a text message, got {other:?}",
                    self.head.method, self.head.target
                ),
            }
        }
    }

    /// Closes the socket with `1000 Normal Closure` and waits for the application's answering
    /// close (within the read timeout); messages still on their way are dropped.
    ///
    /// # Panics
    ///
    /// When the application neither closes nor drops the socket within the read timeout.
    ///
    /// ```
    /// # use futures_util::{SinkExt, StreamExt};
    /// # use waymark::ws::WebSocketUpgrade;
    /// # waymark::routes! { Echo; GET "/ws" => async move { WebSocketUpgrade::from_request(req).map(|ws| ws.on_upgrade(|mut s| async move {
    /// #     while let Some(Ok(m)) = s.next().await { if m.is_close() || s.send(m).await.is_err() { break } }
    /// # })) } }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let ws = waymark::test::TestClient::new(Echo::new()).websocket("/ws").await;
    /// ws.close().await;
    /// # }
    /// ```
    #[track_caller]
    pub fn close(mut self) -> impl Future<Output = ()> {
        let caller = std::panic::Location::caller();
        async move {
            let frame = CloseFrame { code: CloseCode::Normal, reason: "".into() };
            if pipe::send(&mut self.socket, Message::Close(Some(frame))).await.is_err() {
                return; // closed already
            }
            loop {
                let Ok(next) = timeout(self.timeout, pipe::recv(&mut self.socket)).await else {
                    panic!(
                        "{} {} (at {caller}): the WebSocket was not closed within {:?} after the client's close",
                        self.head.method, self.head.target, self.timeout
                    )
                };
                if !matches!(next, Some(Ok(_))) {
                    return;
                }
            }
        }
    }
}

impl fmt::Debug for TestWebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestWebSocket")
            .field("request", &format_args!("{} {}", self.head.method, self.head.target))
            .field("headers", &self.head.headers)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}
