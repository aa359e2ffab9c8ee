//! The byte streams a connection runs over.

use tokio::io::{AsyncRead, AsyncWrite};

/// The byte streams a connection runs over: a `TcpStream`, a TLS stream, a Unix socket, an
/// in-memory `tokio::io::duplex`. The connection is generic over it (monomorphized, nothing
/// boxed); an upgraded connection holds it boxed.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for S {}
