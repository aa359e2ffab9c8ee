//! The runtime half of [waymark](https://docs.rs/waymark): request and response types, the
//! [`IntoResponse`] conversion, middleware plumbing, and the HTTP/1.1 server.
//!
//! Users normally depend on the `waymark` facade crate, which re-exports everything here together
//! with the `routes!` macro.
//!
//! # The server
//!
//! [`Server`] speaks HTTP/1.1 and HTTP/1.0 (RFC 9112) on tokio: persistent connections,
//! pipelining (responses in order, written in batches), `Content-Length` and chunked request
//! bodies, `Expect: 100-continue`, HEAD, a cached `Date`, streaming responses (chunked, or
//! close-delimited for HTTP/1.0), and a graceful shutdown. Requests that break the grammar or the
//! framing rules are answered with the status the RFCs give (400, 413, 414, 431, 501, 505, ...)
//! and the connection is closed; a handler that panics gets a 500 and the server goes on.
//!
//! | limit | default | why |
//! |---|---|---|
//! | request head | 16 KiB ([`DEFAULT_MAX_HEAD_SIZE`]) | big cookies and tokens fit; bounds what a slow client makes us buffer |
//! | header fields | 100 ([`DEFAULT_MAX_HEADERS`]) | real requests send 5 to 30 |
//! | request target | 8 KiB ([`DEFAULT_MAX_TARGET_LEN`]) | RFC 9112 §3 recommends at least 8000 octets |
//! | body | 2 MiB ([`DEFAULT_MAX_BODY_SIZE`]) | the limit of routes that set none (`limit 1 GiB` in the table raises it for one route) |
//! | head read timeout | 10 s ([`DEFAULT_HEADER_READ_TIMEOUT`]) | slow-loris clients cannot hold connections |
//! | body read timeout | 30 s ([`DEFAULT_BODY_READ_TIMEOUT`]), plus 1 s per 8 KiB received | an upload at 8 KiB/s or more is never cut; a trickle is (see the minimum rate) |
//! | send | 30 s per write ([`DEFAULT_SEND_TIMEOUT`]), plus 1 s per 8 KiB; at most 128 KiB may wait unsent in the kernel (`TCP_NOTSENT_LOWAT`, Linux) | a client that stops reading (slow read) loses the connection, with a reset, even when the answer would fit the kernel's send buffer |
//! | keep-alive idle | 75 s ([`DEFAULT_KEEP_ALIVE_TIMEOUT`]) | outlasts a load balancer's 60 s, so it closes first |
//! | minimum rate | 500 B/s over each 5 s window ([`DEFAULT_MIN_RATE`], [`DEFAULT_MIN_RATE_WINDOW`]) for a head, a body and a response | a trickle (slow loris, slow body, slow read) is cut within a window, not at its deadline; honest clients on 2G move ten times more |
//! | open connections | 10 000 ([`DEFAULT_MAX_CONNECTIONS`]), within the open-files limit, raised to its hard limit at start | past it, the oldest idle keep-alive connection is closed to make room, else accepting pauses until one closes |
//! | pressure | past 75 % of the connections in use ([`DEFAULT_PRESSURE_FROM_PERCENT`]) the head and keep-alive timeouts shrink, down to 1 s ([`DEFAULT_TIMEOUT_FLOOR`]) when all are, and the rate window to 250 ms; heads and transfers in progress shrink with them | slow clients holding every slot cannot keep others waiting for long |
//! | requests per connection | none | set one to spread clients across instances |
//! | shutdown grace | 10 s ([`DEFAULT_SHUTDOWN_GRACE`]) | in-flight requests finish, then the rest are closed |
//!
//! A busy connection reuses its buffers (a small GET with a static body allocates nothing); a
//! connection idle for a second releases them, so idle keep-alive connections cost little memory.
//!
//! # Bodies: routed first, read on demand
//!
//! A request is routed on its head. A body that arrived with the head is taken whole; any other
//! body is read only when the route asks for it (`body: T`, or a
//! [`BodyStream`](incoming::BodyStream) read chunk by chunk with backpressure), within the route's
//! limit, and `Expect: 100-continue` is answered with `100` only then. A `404`, a `405`, a `400`
//! for a parameter, a guard's refusal, or a length over the route's limit (`413`) is answered
//! without reading the body; **the connection is then closed** (`Connection: close`) rather than
//! drained, since the unread body may be large and what follows it cannot be framed. A client
//! that goes away mid-body gives the reader [`BodyError::Incomplete`](incoming::BodyError), never
//! a short body. A handler's [`Request::body`] is empty for a streamed body.
//!
//! # Ways to listen
//!
//! A server takes its sockets in one of four ways, each with a doctest on its method:
//! [`Server::bind`] a TCP address; [`Server::from_std`] a bound `std::net::TcpListener`;
//! [`ServerBuilder::bind_unix`] a Unix domain socket with a file mode (the rule for a path that
//! exists, removal at shutdown, the peer's [credentials](Request::peer_credentials), and what
//! [`client_addr`](Request::client_addr) means behind a proxy on it are there);
//! [`ServerBuilder::listen_fds`] the sockets systemd passed (socket activation). Any of them is
//! served on the caller's runtime, or by one thread per core with [`ServerBuilder::workers`].
//!
//! [`serve_connection`] serves one connection over any byte stream (`AsyncRead + AsyncWrite`): a
//! TLS stream you terminated, a Unix socket, an in-memory pipe. The connection code is generic
//! over the stream (monomorphized, nothing boxed), so TCP pays nothing for the others.
//!
//! # Features
//!
//! Off by default; the default build pulls no TLS, hyper or tower crate.
//!
//! | feature | adds | through |
//! |---|---|---|
//! | `tls` | `ServerBuilder::tls`, `TlsConfig` (PEM files, reload), a handshake timeout, ALPN | rustls (ring) and tokio-rustls |
//! | `http2` | HTTP/2 with prior knowledge on plain connections, `h2` by ALPN over TLS; GOAWAY on shutdown | hyper |
//! | `tower` | `tower::AppService` (an [`App`] as a `tower::Service`), `tower::call` (a route calling a service), and any tower `Layer` as a table's middleware (`wrap tower(LAYER);`, `tower::Inner`) | tower-service, tower-layer |
//! | `cookies` | `Request::cookie`, `Response::with_cookie`, signed and private cookies (`cookie` module) | cookie (HMAC-SHA256 and AES-256-GCM in pure Rust) |
//! | `multipart` | `multipart::Multipart`, a `multipart/form-data` body read part by part, with per-part limits | multer |
//! | `metrics` | `metrics::RouteMetrics` (each table's `Api::metrics()`): per-route request counts by status class and latency histograms, in Prometheus' text format | `prometheus` (without protobuf) |
//!
//! Over HTTP/2 the target, header-count, body-size and body-time limits apply per stream, as on
//! HTTP/1.1; hyper enforces the header-section size (announced as `SETTINGS_MAX_HEADER_LIST_SIZE`)
//! and caps concurrent streams (200 by default). An HTTP/2 connection that received nothing and
//! answered no stream for a keep-alive timeout is closed with GOAWAY (checked once per timeout, so
//! after one to two timeouts); `max_requests_per_connection` does not apply to it.
#![forbid(unsafe_code)]

// The layers, each importing only those listed before it (ARCHITECTURE.md).
#[cfg(any(feature = "http2", feature = "tower"))]
mod bridge;
mod proto;
mod serve;
mod types;

// Extras, built on the public API.
pub mod auth;
#[cfg(feature = "cookies")]
pub mod cookie;
pub mod forwarded;
pub mod fs;
#[cfg(feature = "metrics")]
pub mod metrics;
#[cfg(feature = "multipart")]
pub mod multipart;
pub mod openapi;
pub mod sse;
#[cfg(feature = "ws")]
pub mod ws;

#[doc(hidden)]
pub mod __private;

#[cfg(feature = "fuzz")]
#[doc(hidden)]
#[path = "fuzz.rs"]
pub mod __fuzz;

pub use bytes::Bytes;
pub use http::{Method, StatusCode, Version, header};
pub use proto::config::{
    DEFAULT_BODY_READ_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_KEEP_ALIVE_TIMEOUT, DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_HEAD_SIZE, DEFAULT_MAX_HEADERS, DEFAULT_MAX_TARGET_LEN, DEFAULT_SEND_TIMEOUT,
};
pub use proto::pressure::{DEFAULT_PRESSURE_FROM_PERCENT, DEFAULT_TIMEOUT_FLOOR, Relief};
pub use proto::rate::{DEFAULT_MIN_RATE, DEFAULT_MIN_RATE_WINDOW, MinRate};
pub use serve::accept::{DEFAULT_MAX_CONNECTIONS, DEFAULT_SHUTDOWN_GRACE};
pub use serve::server::{Server, ServerBuilder, Serving, serve_connection};
pub use types::app::{App, Next};
pub use types::extract::{Form, FromBody, Rejection};
pub use types::peer::PeerCredentials;
pub use types::request::Request;
pub use types::response::{Body, Created, FileBody, Html, IntoResponse, Json, NoContent, Response};
pub use types::route::RouteInfo;
pub use types::{extract, incoming};

#[cfg(any(feature = "http2", feature = "tower"))]
pub use bridge::convert::HttpBody;
#[cfg(feature = "tower")]
pub use bridge::tower;
#[cfg(feature = "multipart")]
pub use multipart::Multipart;
#[cfg(feature = "tls")]
pub use rustls;
#[cfg(feature = "http2")]
pub use serve::h2::DEFAULT_H2_MAX_CONCURRENT_STREAMS;
#[cfg(feature = "tls")]
pub use serve::tls::{DEFAULT_TLS_HANDSHAKE_TIMEOUT, TlsConfig};
