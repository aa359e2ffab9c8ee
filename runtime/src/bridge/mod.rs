//! Bridges to the `http` crate's ecosystem: conversions between waymark's [`Request`]/[`Response`]
//! and `http::Request<B>`/`http::Response<B>` ([`convert`]), used by hyper's HTTP/2 connection
//! (`serve::h2`) and by [`tower`] in both directions. Built on the public types; the native
//! HTTP/1.1 path never comes here.
//!
//! [`Request`]: crate::Request
//! [`Response`]: crate::Response

pub(crate) mod convert;
#[cfg(feature = "tower")]
pub(crate) mod layer;
#[cfg(feature = "tower")]
pub mod tower;
