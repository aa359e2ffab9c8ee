//! A connection's task: the boundary between the server, compiled once in this crate, and the
//! application's type.

use std::future::Future;
use std::sync::Arc;

use http::StatusCode;

use tokio::net::TcpStream;
#[cfg(unix)]
use tokio::net::UnixStream;
#[cfg(feature = "tls")]
use tokio_rustls::server::TlsStream;

use crate::proto::conn::Conn;
use crate::serve::auto::{self, ConnFuture, Protocol};
use crate::{App, Request, Response};

/// The application as the accept loop holds it: an [`App`] behind a pointer, that turns an
/// accepted connection into its task's future, boxed (one allocation per connection, none per
/// request).
///
/// This is the one boundary between the server and the application's type, and it is there for
/// build time. The accept loop and tokio's task code for a connection are compiled once, in this
/// crate, and so is the connection code for TCP and TLS in unoptimized builds
/// ([`share_connection_code`]). What is compiled in the application's crate for its table is the
/// request loop ([`Conn::run`](crate::proto::conn::Conn::run)), which creates each handler's
/// future and polls it. Were the accept loop generic over the application, all of it would be
/// compiled in the application's crate, again after every edit of a route, since its types hold
/// the handlers' futures (BENCHMARKS.md, build cost).
pub(crate) trait Serve: Send + Sync + 'static {
    /// Serves an accepted TCP connection with the protocol chosen for it.
    fn tcp(self: Arc<Self>, conn: Conn<TcpStream>, protocol: Protocol) -> ConnFuture;

    /// Serves a TLS connection whose handshake is done, with the protocol ALPN chose.
    #[cfg(feature = "tls")]
    fn tls(self: Arc<Self>, conn: Conn<TlsStream<TcpStream>>, protocol: Protocol) -> ConnFuture;

    /// Serves a connection accepted on a Unix domain socket.
    #[cfg(unix)]
    fn unix(self: Arc<Self>, conn: Conn<UnixStream>, protocol: Protocol) -> ConnFuture;
}

impl<A: App> Serve for A {
    fn tcp(self: Arc<Self>, conn: Conn<TcpStream>, protocol: Protocol) -> ConnFuture {
        auto::serve(self, conn, protocol)
    }

    #[cfg(feature = "tls")]
    fn tls(self: Arc<Self>, conn: Conn<TlsStream<TcpStream>>, protocol: Protocol) -> ConnFuture {
        auto::serve(self, conn, protocol)
    }

    #[cfg(unix)]
    fn unix(self: Arc<Self>, conn: Conn<UnixStream>, protocol: Protocol) -> ConnFuture {
        auto::serve(self, conn, protocol)
    }
}

/// An application that answers every request with a 404, for [`share_connection_code`].
struct Unrouted;

impl App for Unrouted {
    fn handle<'a>(&'a self, _req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
        std::future::ready(Response::status_only(StatusCode::NOT_FOUND))
    }
}

/// Compiles the connection code for TCP, TLS and Unix sockets in this crate. Not for use: its effect is at
/// build time.
///
/// Everything a connection runs that does not depend on the application (reading, framing,
/// writing, HTTP/2, the drop code of it all) is generic over the stream, so it would be compiled
/// in the application's crate, and in each of its binaries and test targets. With the compiler's
/// sharing of generic code, which is on in unoptimized builds, a crate links to the copies that a
/// crate it depends on made instead; this function makes them here, through an application of
/// our own. Release builds compile their own copies, so that they can be inlined (BENCHMARKS.md,
/// build cost).
#[must_use]
pub fn share_connection_code() -> [usize; 3] {
    let tcp: fn(Arc<Unrouted>, Conn<TcpStream>, Protocol) -> ConnFuture = <Unrouted as Serve>::tcp;
    #[cfg(unix)]
    let unix = {
        let unix: fn(Arc<Unrouted>, Conn<UnixStream>, Protocol) -> ConnFuture = <Unrouted as Serve>::unix;
        unix as usize
    };
    #[cfg(not(unix))]
    let unix = 0;
    #[cfg(feature = "tls")]
    let tls = {
        let tls: fn(Arc<Unrouted>, Conn<TlsStream<TcpStream>>, Protocol) -> ConnFuture = <Unrouted as Serve>::tls;
        tls as usize
    };
    #[cfg(not(feature = "tls"))]
    let tls = 0;
    [tcp as usize, tls, unix]
}
