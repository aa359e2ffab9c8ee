//! The server: [`Server`](crate::Server) and its builder, the accept loop, the connection task
//! that hands each connection to the application, and the protocols that plug in behind one seam
//! ([`auto`]): TLS (`tls`) and HTTP/2 (`h2`), each behind its feature.
//!
//! It imports the wire protocol (`proto`) and the vocabulary (`types`), and `bridge` for HTTP/2.

pub(crate) mod accept;
pub(crate) mod auto;
pub(crate) mod fds;
#[cfg(feature = "http2")]
pub(crate) mod h2;
pub(crate) mod listen;
pub(crate) mod pressure;
pub(crate) mod server;
pub(crate) mod task;
#[cfg(feature = "tls")]
pub(crate) mod tls;
pub(crate) mod workers;
