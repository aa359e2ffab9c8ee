//! HTTP/2 (RFC 9113) through hyper: one connection, its streams answered by the same [`App`] as
//! HTTP/1.1.
//!
//! waymark does not speak HTTP/2 itself: hyper's server connection does the framing, flow control
//! and HPACK, and each stream is answered through [`bridge::handle`]. A connection gets here in two
//! ways: on a plain connection whose first bytes are the HTTP/2 preface ("prior knowledge", RFC
//! 9113 §3.3), and on a TLS connection whose ALPN chose `h2` (§3.2).
//!
//! Limits: the request target (414), the number of header fields (431), the body size (413) and
//! the body read time (408) are checked per stream as on HTTP/1.1; the header section size is
//! announced to the client as `SETTINGS_MAX_HEADER_LIST_SIZE` and enforced by hyper; the
//! connection limit counts an HTTP/2 connection once, whatever its streams. Concurrent streams per
//! connection are capped by the builder's `http2_max_concurrent_streams` (200 by default). An
//! idle HTTP/2 connection is not closed after the keep-alive timeout: hyper has no idle timer on
//! the server side; it sends pings instead ([`PING_INTERVAL`]) and closes a connection whose peer
//! stops answering them.
//! `max_requests_per_connection` does not apply to HTTP/2.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::server::conn::http2;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;

use crate::App;
use crate::bridge;
use crate::config::Config;
use crate::conn::Io;

/// How often an HTTP/2 connection pings a peer it has heard nothing from, and how long it waits
/// for the answer: a peer that vanished (no FIN, no RST) is found within 40 s.
const PING_INTERVAL: Duration = Duration::from_secs(20);
const PING_TIMEOUT: Duration = Duration::from_secs(20);

/// Serves an HTTP/2 connection until the peer closes it, or until shutdown: then hyper sends
/// GOAWAY (RFC 9113 §6.8), finishes the streams in flight and closes.
pub(crate) async fn serve<A: App, S: Io>(
    io: S,
    peer: Option<SocketAddr>,
    app: Arc<A>,
    cfg: Arc<Config>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut builder = http2::Builder::new(TokioExecutor::new());
    builder
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(cfg.max_head_size).unwrap_or(u32::MAX))
        .max_concurrent_streams(cfg.h2_max_concurrent_streams)
        .keep_alive_interval(PING_INTERVAL)
        .keep_alive_timeout(PING_TIMEOUT);
    let limits = Arc::clone(&cfg);
    let service = service_fn(move |req| {
        let app = Arc::clone(&app);
        let cfg = Arc::clone(&limits);
        async move { Ok::<_, Infallible>(bridge::handle(&*app, req, peer, &cfg).await) }
    });
    let mut conn = pin!(builder.serve_connection(TokioIo::new(io), service));
    let result = tokio::select! {
        result = conn.as_mut() => result,
        _ = shutdown.changed() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        tracing::trace!(error = %e, "http/2 connection failed");
    }
}

/// A stream with bytes already read from it put back in front: the sniffed preface and whatever
/// came with it.
pub(crate) struct Prefixed<S> {
    prefix: Vec<u8>,
    pos: usize,
    inner: S,
}

impl<S> Prefixed<S> {
    pub(crate) fn new(prefix: Vec<u8>, inner: S) -> Self {
        Self { prefix, pos: 0, inner }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Prefixed<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.pos < this.prefix.len() {
            let n = (this.prefix.len() - this.pos).min(buf.remaining());
            buf.put_slice(&this.prefix[this.pos..this.pos + n]);
            this.pos += n;
            if this.pos == this.prefix.len() {
                this.prefix = Vec::new();
                this.pos = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Prefixed<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn prefixed_reads_the_prefix_then_the_stream() {
        let (mut client, server) = tokio::io::duplex(64);
        client.write_all(b" world").await.unwrap();
        drop(client);
        let mut io = Prefixed::new(b"hello".to_vec(), server);
        let mut all = String::new();
        io.read_to_string(&mut all).await.unwrap();
        assert_eq!(all, "hello world");
    }
}
