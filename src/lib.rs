//! waymark: compile-checked HTTP routing. (Crate docs are being written.)
#![forbid(unsafe_code)]

pub use waymark_macros::routes;
pub use waymark_runtime::{
    App, Body, Bytes, Html, IntoResponse, Json, Method, Next, Request, Response, RouteInfo, StatusCode, Version,
    header,
};

pub mod test;

#[doc(hidden)]
pub mod __private {
    pub use waymark_runtime::__private::*;
}
