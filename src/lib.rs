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
//! The DSL, the matching rules and the conflict rules are documented on [`routes!`]. Testing
//! without a socket: [`test`](mod@test). The server and its limits: [`Server`].
#![forbid(unsafe_code)]

#[doc = include_str!("../docs/routes.md")]
pub use waymark_macros::routes;
pub use waymark_runtime::{
    App, Body, Bytes, Html, IntoResponse, Json, Method, Next, Request, Response, RouteInfo, StatusCode, Version, header,
};
pub use waymark_runtime::{Server, ServerBuilder};

pub mod test;

#[doc(hidden)]
pub mod __private {
    pub use waymark_runtime::__private::*;
}
