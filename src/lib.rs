//! waymark: declare your whole HTTP surface in one [`routes!`] block, checked by the compiler.
//!
//! Route conflicts and pattern mistakes are compile errors with spans; the table expands to a
//! static `match`-based dispatcher; handlers are plain async functions of plain typed values; a
//! small tokio + httparse HTTP/1.1 server runs the result.
//!
//! ```no_run
//! use waymark::{routes, Server};
//!
//! async fn hello(name: &str) -> String {
//!     format!("hello, {name}")
//! }
//!
//! routes! {
//!     Hello;
//!     GET "/hello/{name}" => hello(name),
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let server = Server::bind("127.0.0.1:3000").await?;
//!     server.serve(Hello::new()).await
//! }
//! ```
//!
//! Below: the DSL's grammar, its bindings, the matching rules and the conflict rules. Testing
//! without a socket: [`test`](mod@test). The server and its limits: [`Server`].
//!
#![doc = include_str!("../docs/routes.md")]
#![forbid(unsafe_code)]

/// Declares every route of an application in one block, checks the table at compile time and
/// expands to a static dispatcher.
///
/// The [crate documentation](crate) gives the grammar, the bindings a handler sees, the
/// [matching rules](crate#matching-rules) and the [conflict rules](crate#conflict-rules), with
/// examples.
///
/// ```
/// use waymark::{Method, Request, StatusCode, routes};
///
/// async fn user(id: u64) -> String {
///     format!("user {id}")
/// }
///
/// routes! {
///     /// The application.
///     pub Api;
///     GET "/users/{id: u64}" => user(id),
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let res = Api::new().call(Request::new(Method::GET, "/users/7")).await;
/// assert_eq!(res.status(), StatusCode::OK);
/// let res = Api::new().call(Request::new(Method::GET, "/users/seven")).await;
/// assert_eq!(res.status(), StatusCode::BAD_REQUEST);
/// # }
/// ```
pub use waymark_macros::routes;
#[cfg(feature = "http2")]
pub use waymark_runtime::DEFAULT_H2_MAX_CONCURRENT_STREAMS;
#[cfg(any(feature = "http2", feature = "tower"))]
pub use waymark_runtime::HttpBody;
pub use waymark_runtime::incoming::{self, BodyError, BodyStream};
#[cfg(feature = "tower")]
pub use waymark_runtime::tower;
#[cfg(feature = "ws")]
pub use waymark_runtime::ws;
pub use waymark_runtime::{
    App, Body, Bytes, Created, FileBody, Html, IntoResponse, Json, Method, Next, NoContent, Request, Response,
    RouteInfo, StatusCode, Version, header,
};
pub use waymark_runtime::{
    DEFAULT_BODY_READ_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_KEEP_ALIVE_TIMEOUT, DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_HEAD_SIZE, DEFAULT_MAX_HEADERS, DEFAULT_MAX_TARGET_LEN, DEFAULT_SEND_TIMEOUT,
    DEFAULT_SHUTDOWN_GRACE,
};
#[cfg(feature = "tls")]
pub use waymark_runtime::{DEFAULT_TLS_HANDSHAKE_TIMEOUT, TlsConfig, rustls};
pub use waymark_runtime::{Form, FromBody, Rejection, extract, openapi};
pub use waymark_runtime::{Server, ServerBuilder, Serving, serve_connection};
pub use waymark_runtime::{auth, forwarded, fs, sse};
#[cfg(feature = "cookies")]
pub mod cookie;
#[cfg(feature = "multipart")]
pub mod multipart;
#[cfg(feature = "multipart")]
pub use waymark_runtime::Multipart;

pub mod test;
pub mod url;

pub use url::UrlError;

#[cfg(feature = "fuzz")]
#[doc(hidden)]
#[path = "fuzz.rs"]
pub mod __fuzz;

// `routes!` expands to `::waymark::...` paths; `__fuzz` declares a table inside this crate.
#[cfg(feature = "fuzz")]
extern crate self as waymark;

#[doc(hidden)]
pub mod __private {
    pub use crate::url::{UrlBuilder, expect as expect_url};
    pub use waymark_runtime::__private::*;
}
