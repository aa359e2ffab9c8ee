//! The runtime half of [waymark](https://docs.rs/waymark): request and response types, the
//! [`IntoResponse`] conversion, middleware plumbing, and the HTTP/1.1 server.
//!
//! Users normally depend on the `waymark` facade crate, which re-exports everything here together
//! with the `routes!` macro.
#![forbid(unsafe_code)]

mod app;
mod body;
mod conn;
mod date;
mod encode;
mod error;
mod parse;
mod request;
mod response;
mod server;

#[doc(hidden)]
pub mod __private;

pub use app::{App, Next, RouteInfo};
pub use bytes::Bytes;
pub use http::{Method, StatusCode, Version, header};
pub use request::Request;
pub use response::{Body, Html, IntoResponse, Json, Response};
pub use server::{
    DEFAULT_BODY_READ_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_KEEP_ALIVE_TIMEOUT, DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_HEAD_SIZE, DEFAULT_MAX_HEADERS, DEFAULT_MAX_TARGET_LEN,
    DEFAULT_SHUTDOWN_GRACE, Server, ServerBuilder,
};
