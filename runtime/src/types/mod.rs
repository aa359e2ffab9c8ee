//! The vocabulary every layer speaks: the request, the response and its body, the application
//! trait, typed bodies and rejections, the streamed body's channel, an upgraded connection.
//!
//! This layer imports nothing from the rest of the crate. The wire protocol (`proto`) fills a
//! [`Request`](crate::Request) and writes a [`Response`](crate::Response); handlers see only these
//! types.

pub(crate) mod app;
pub(crate) mod call;
pub mod extract;
pub(crate) mod feed;
pub(crate) mod file;
pub(crate) mod grammar;
pub mod incoming;
pub(crate) mod net;
pub(crate) mod peer;
pub(crate) mod request;
pub(crate) mod response;
pub(crate) mod route;
pub(crate) mod stream;
pub(crate) mod upgrade;
