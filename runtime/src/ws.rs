//! WebSocket (RFC 6455) on a route, through `tokio-tungstenite`: the handshake is checked on the
//! request, answered with `101 Switching Protocols`, and the connection handed to your task as a
//! [`WebSocket`] (a `Stream` of [`Message`]s and a `Sink` for them).
//!
//! A WebSocket route is an ordinary route: typed path parameters, guards and middleware apply
//! before the upgrade. Each socket has a message size limit (1 MiB unless set) and an idle
//! timeout (2 minutes unless set: a connection on which nothing is read or written for that long
//! is closed). HTTP/1.1 only: an HTTP/2 connection cannot be upgraded this way (RFC 8441 is not
//! implemented).
//!
//! ```no_run
//! use waymark::routes;
//! use waymark::ws::{Message, WebSocket, WebSocketUpgrade};
//! use futures_util::{SinkExt, StreamExt};
//!
//! async fn echo(mut socket: WebSocket) {
//!     while let Some(msg) = socket.next().await {
//!         match msg {
//!             Ok(msg) if msg.is_text() => if socket.send(msg).await.is_err() { break },
//!             Ok(_) => {}
//!             // A message over the limit: close with 1009, so the client knows why.
//!             Err(e) => {
//!                 waymark::ws::close_for(&mut socket, &e).await;
//!                 break;
//!             }
//!         }
//!     }
//! }
//!
//! routes! {
//!     Api;
//!     GET "/echo" => async move {
//!         WebSocketUpgrade::from_request(req).map(|ws| ws.max_message_size(64 * 1024).on_upgrade(echo))
//!     },
//! }
//! ```

use std::future::Future;
use std::time::Duration;

use http::StatusCode;
use http::header::{HeaderName, HeaderValue};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

pub use tokio_tungstenite::tungstenite::protocol::CloseFrame;
pub use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
pub use tokio_tungstenite::tungstenite::{Error, Message};

pub use crate::types::upgrade::Upgraded;
use crate::{IntoResponse, Request, Response};

/// An accepted WebSocket connection.
pub type WebSocket = WebSocketStream<Upgraded>;

/// The default limit on one message (and one frame): 1 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 1 << 20;

/// The default idle timeout: 2 minutes without a byte either way.
#[allow(clippy::duration_suboptimal_units, reason = "`Duration::from_mins` is newer than our rust-version, 1.85")]
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// A checked WebSocket handshake, to be answered with [`on_upgrade`](Self::on_upgrade).
#[derive(Debug)]
pub struct WebSocketUpgrade {
    accept: String,
    protocol: Option<&'static str>,
    offered: Vec<String>,
    max_message_size: usize,
    idle_timeout: Duration,
}

impl WebSocketUpgrade {
    /// Checks that `req` asks for a WebSocket (RFC 6455 §4.2.1): `GET` over HTTP/1.1,
    /// `Connection: upgrade`, `Upgrade: websocket`, version 13 and a key.
    ///
    /// # Errors
    /// The answer to give instead: `400` for a request that is not a WebSocket handshake, `426`
    /// with `Sec-WebSocket-Version: 13` for another version.
    pub fn from_request(req: &Request) -> Result<Self, Response> {
        let has = |name: &str, token: &str| {
            req.headers()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
                .flat_map(|(_, v)| v.split(|&b| b == b','))
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
        };
        let bad = |why: &'static str| (StatusCode::BAD_REQUEST, why).into_response();
        if req.method() != http::Method::GET || req.version() < http::Version::HTTP_11 {
            return Err(bad("a WebSocket handshake is a GET over HTTP/1.1"));
        }
        if !has("connection", "upgrade") || !has("upgrade", "websocket") {
            return Err(bad("expected `Connection: upgrade` and `Upgrade: websocket`"));
        }
        if req.header("sec-websocket-version").map(str::trim) != Some("13") {
            return Err((StatusCode::UPGRADE_REQUIRED, "WebSocket version 13 only")
                .into_response()
                .with_header(HeaderName::from_static("sec-websocket-version"), HeaderValue::from_static("13")));
        }
        let Some(key) = req.header("sec-websocket-key").map(str::trim).filter(|k| k.len() == 24) else {
            return Err(bad("expected a `Sec-WebSocket-Key`"));
        };
        let offered = req
            .header("sec-websocket-protocol")
            .map(|p| p.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        Ok(Self {
            accept: derive_accept_key(key.as_bytes()),
            protocol: None,
            offered,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
        })
    }

    /// The largest message (and frame) a peer may send; larger ones close the socket with
    /// code 1009 (message too big).
    #[must_use]
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// How long the socket may stay silent both ways before it is closed.
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Picks the first of the client's subprotocols that is in `supported`, if any.
    #[must_use]
    pub fn protocols(mut self, supported: &[&'static str]) -> Self {
        self.protocol = self.offered.iter().find_map(|o| supported.iter().copied().find(|s| s == o));
        self
    }

    /// The subprotocol chosen by [`protocols`](Self::protocols).
    pub fn protocol(&self) -> Option<&'static str> {
        self.protocol
    }

    /// The `101 Switching Protocols` answer; once it is sent, `run` gets the socket.
    pub fn on_upgrade<F, Fut>(self, run: F) -> Response
    where
        F: FnOnce(WebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let config = WebSocketConfig::default()
            .max_message_size(Some(self.max_message_size))
            .max_frame_size(Some(self.max_message_size));
        let idle = self.idle_timeout;
        let mut res = Response::switching(Box::new(move |mut upgraded: Upgraded| {
            Box::pin(async move {
                upgraded.set_idle_timeout(idle);
                run(WebSocketStream::from_raw_socket(upgraded, Role::Server, Some(config)).await).await;
            })
        }));
        res.insert_header(http::header::UPGRADE, HeaderValue::from_static("websocket"));
        if let Ok(accept) = HeaderValue::from_str(&self.accept) {
            res.insert_header(HeaderName::from_static("sec-websocket-accept"), accept);
        }
        if let Some(protocol) = self.protocol {
            res.insert_header(HeaderName::from_static("sec-websocket-protocol"), HeaderValue::from_static(protocol));
        }
        res
    }
}

/// Closes `socket` with the code that says why reading it failed: 1009 (message too big) for a
/// message over the limit, 1002 (protocol error) for a broken frame, 1011 otherwise. Use it when
/// [`WebSocket::next`](futures_util::StreamExt::next) gives an error, so the peer learns why.
pub async fn close_for(socket: &mut WebSocket, error: &Error) {
    use futures_util::SinkExt;
    let code = match error {
        Error::Capacity(_) => CloseCode::Size,
        Error::Protocol(_) | Error::Utf8(_) => CloseCode::Protocol,
        Error::ConnectionClosed | Error::AlreadyClosed | Error::Io(_) => return,
        _ => CloseCode::Error,
    };
    let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: error.to_string().into() }))).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    fn handshake() -> Request {
        Request::new(Method::GET, "/ws")
            .with_header("connection", "keep-alive, Upgrade")
            .with_header("upgrade", "websocket")
            .with_header("sec-websocket-version", "13")
            .with_header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .with_header("sec-websocket-protocol", "chat, superchat")
    }

    #[test]
    fn accepts_the_rfc_example_and_refuses_the_rest() {
        let ws = WebSocketUpgrade::from_request(&handshake()).unwrap().protocols(&["superchat", "chat"]);
        assert_eq!(ws.protocol(), Some("chat"));
        let res = ws.on_upgrade(|_| async {});
        // RFC 6455 §1.3's example key and accept value.
        assert_eq!(res.header("sec-websocket-accept"), Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
        assert_eq!((res.status(), res.header("upgrade")), (StatusCode::SWITCHING_PROTOCOLS, Some("websocket")));
        let status = |req: Request| WebSocketUpgrade::from_request(&req).map(|_| ()).map_err(|r| r.status().as_u16());
        assert_eq!(status(Request::new(Method::GET, "/ws")), Err(400));
        assert_eq!(status(handshake().with_header("sec-websocket-version", "8")), Ok(()));
        let old = Request::new(Method::GET, "/ws")
            .with_header("connection", "upgrade")
            .with_header("upgrade", "websocket")
            .with_header("sec-websocket-version", "8");
        assert_eq!(status(old), Err(426));
        assert_eq!(status(handshake().with_version(http::Version::HTTP_10)), Err(400));
    }
}
