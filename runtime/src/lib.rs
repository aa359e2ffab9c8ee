//! The runtime half of [waymark](https://docs.rs/waymark): request and response types, the
//! [`IntoResponse`] conversion, middleware plumbing, and the HTTP/1.1 server.
//!
//! Users normally depend on the `waymark` facade crate, which re-exports everything here together
//! with the `routes!` macro.
#![forbid(unsafe_code)]

mod app;
mod request;
mod response;

#[doc(hidden)]
pub mod __private;

pub use app::{App, Next, RouteInfo};
pub use bytes::Bytes;
pub use http::{Method, StatusCode, Version, header};
pub use request::Request;
pub use response::{Body, Html, IntoResponse, Json, Response};
