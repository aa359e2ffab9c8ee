//! The HTTP/1.1 wire protocol (RFC 9112): limits, parsing a request head, framing and decoding a
//! body, encoding a response, the connection's buffered I/O, and the request loop that runs one
//! connection.
//!
//! It imports only the vocabulary (`types`) below it, never the server above: like hyper's
//! `proto/h1`, it knows nothing of accept loops, TLS or HTTP/2. A request goes
//! [`conn`] (the loop) → [`parse`] (the head) → [`decode`] (the body) → the application →
//! [`encode`] (the response head) → [`io`] (the writes). How slow a client may be is [`rate`]'s;
//! how full the server's connection slots are, and the idle queue, [`pressure`]'s.

pub(crate) mod config;
pub(crate) mod conn;
pub(crate) mod date;
pub(crate) mod decode;
pub(crate) mod encode;
pub(crate) mod error;
pub(crate) mod io;
pub(crate) mod parse;
pub(crate) mod pressure;
pub(crate) mod rate;
pub(crate) mod shutdown;
