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
//! Below: the DSL's grammar, its bindings, the matching rules and the conflict rules, then
//! [running in production](#running-in-production): the matched route, traces, metrics. Testing
//! without a socket: [`test`](mod@test). The server and its limits: [`Server`].
//!
#![doc = include_str!("../docs/routes.md")]
#![doc = include_str!("../docs/production.md")]
#![forbid(unsafe_code)]

/// Derives [`openapi::Responses`] and [`IntoResponse`] for an enum whose variants are a handler's
/// answers, typically its error type: `Result<Created<Json<Note>>, NoteError>` is then documented
/// with `201` and each of `NoteError`'s statuses, and answers with them.
///
/// - Each variant names its status with `#[response(status = N)]`, `N` from 100 to 599. Two
///   variants may share a status; the document lists it once, with both variants' media types.
/// - A variant's doc comment (its first paragraph) is the answer's description; a variant without
///   one is described by the status's reason phrase (`Conflict`).
/// - A unit variant answers an empty body with its status. A variant holding one value answers
///   that value's response with the variant's status, and the document gives the media type and
///   schema of the value's success answer (see [`openapi::Answers::add_as`]).
///
/// A variant with named fields or more than one field, a variant without a status, a status
/// outside 100 to 599, and the derive on a struct or union are compile errors.
///
/// ```
/// use waymark::{Created, Json, Method, Request, StatusCode, routes};
///
/// #[derive(waymark::Responses)]
/// enum NoteError {
///     /// No note has that id.
///     #[response(status = 404)]
///     Missing,
///     /// A note with that URL exists.
///     #[response(status = 409)]
///     Duplicate(Json<String>),
/// }
///
/// async fn create(url: &str) -> Result<Created<Json<u64>>, NoteError> {
///     match url {
///         "taken" => Err(NoteError::Duplicate(Json("the note with that URL is 7".into()))),
///         "gone" => Err(NoteError::Missing),
///         _ => Ok(Created(Json(8))),
///     }
/// }
///
/// routes! {
///     Api;
///     POST "/notes/{url}" => create(url),
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let doc = Api::openapi();
/// let responses = &doc["paths"]["/notes/{url}"]["post"]["responses"];
/// assert_eq!(responses["404"]["description"], "No note has that id.");
/// assert!(responses["409"]["content"]["application/json"].is_object());
/// let res = Api::new().call(Request::new(Method::POST, "/notes/taken")).await;
/// assert_eq!(res.status(), StatusCode::CONFLICT);
/// # }
/// ```
pub use waymark_macros::Responses;
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
#[cfg(feature = "metrics")]
pub use waymark_runtime::metrics;
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
    DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_HEAD_SIZE, DEFAULT_MAX_HEADERS, DEFAULT_MAX_TARGET_LEN, DEFAULT_MIN_RATE,
    DEFAULT_MIN_RATE_WINDOW, DEFAULT_PRESSURE_FROM_PERCENT, DEFAULT_SEND_TIMEOUT, DEFAULT_SHUTDOWN_GRACE,
    DEFAULT_TIMEOUT_FLOOR, MinRate, Relief,
};
#[cfg(feature = "tls")]
pub use waymark_runtime::{DEFAULT_TLS_HANDSHAKE_TIMEOUT, TlsConfig, rustls};
pub use waymark_runtime::{Form, FromBody, Rejection, extract, openapi};
pub use waymark_runtime::{PeerCredentials, Server, ServerBuilder, Serving, serve_connection};
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
