//! HTTP/2 (RFC 9113) through hyper: one connection, its streams answered by the same [`App`] as
//! HTTP/1.1.
//!
//! waymark does not speak HTTP/2 itself: hyper's server connection does the framing, flow control
//! and HPACK, and each stream is answered through [`convert::handle`]. A connection gets here in two
//! ways: on a plain connection whose first bytes are the HTTP/2 preface ("prior knowledge", RFC
//! 9113 §3.3), and on a TLS connection whose ALPN chose `h2` (§3.2).
//!
//! Limits: the request target (414), the number of header fields (431), the body size (413) and
//! the body read time (408) are checked per stream as on HTTP/1.1; the header section size is
//! announced to the client as `SETTINGS_MAX_HEADER_LIST_SIZE` and enforced by hyper; the
//! connection limit counts an HTTP/2 connection once, whatever its streams. Concurrent streams per
//! connection are capped by the builder's `http2_max_concurrent_streams` (200 by default). The
//! keep-alive timeout closes an idle connection, as on HTTP/1.1 (see [`serve`]).
//! `max_requests_per_connection` does not apply to HTTP/2.
//!
//! A connection is one task, as on HTTP/1.1: its streams are answered on the connection's own
//! task (see [`Streams`]), not in a task each. Spawning a task per stream cost more than the
//! answer itself on small requests (an allocation the size of the stream's future, a trip through
//! the scheduler, a wake-up of the connection for every response). The price is the one HTTP/1.1
//! pipelining pays: a handler that blocks its thread holds up the other streams of its
//! connection, so long blocking work belongs in `spawn_blocking`, on both protocols.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{FuturesUnordered, StreamExt};
use hyper::body::Incoming;
use hyper::server::conn::http2;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, sleep_until};

use crate::App;
use crate::bridge::convert::{self, HttpBody};
use crate::proto::config::Config;
use crate::proto::conn::Conn;
use crate::proto::io::Io;
use crate::types::peer::Peer;

/// Default limit on concurrent HTTP/2 streams per connection: 200 (as hyper). RFC 9113 §6.5.2
/// recommends no less than 100, so that parallelism is not needlessly limited.
pub const DEFAULT_H2_MAX_CONCURRENT_STREAMS: u32 = 200;

/// The client connection preface (RFC 9113 §3.4); a plain connection that opens with it speaks
/// HTTP/2 with prior knowledge.
pub(crate) const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The server's HTTP/2 settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    /// Whether a plain connection that opens with the preface is served HTTP/2.
    pub(crate) prior_knowledge: bool,
    pub(crate) max_concurrent_streams: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self { prior_knowledge: true, max_concurrent_streams: DEFAULT_H2_MAX_CONCURRENT_STREAMS }
    }
}

/// How long a connection closed for idleness gets to finish its GOAWAY exchange before it is
/// dropped: a peer that vanished (no FIN, no RST) never answers.
const IDLE_CLOSE_GRACE: Duration = Duration::from_secs(5);

/// Most rounds of "answer the streams, then let hyper write their frames" in one wake-up of the
/// connection's task before it yields to the others, as tokio's own budget does.
const ROUNDS_PER_WAKE: usize = 8;

/// What the idle check reads, written by the connection's reads and its streams.
#[derive(Default)]
struct Activity {
    /// Bytes came in since the last check.
    read: AtomicBool,
    /// Streams being answered: from the request until the last byte of the response body.
    streams: AtomicUsize,
}

/// What every stream of a connection uses, behind one `Arc`: one reference count per stream.
struct Shared<A> {
    app: Arc<A>,
    cfg: Arc<Config>,
    peer: Option<Peer>,
    activity: Activity,
}

/// Holds a stream's place in [`Activity::streams`] until it is dropped with the response body.
struct InFlight<A>(Arc<Shared<A>>);

impl<A> InFlight<A> {
    fn new(shared: &Arc<Shared<A>>) -> Self {
        shared.activity.streams.fetch_add(1, Ordering::Relaxed);
        Self(Arc::clone(shared))
    }
}

impl<A> Drop for InFlight<A> {
    fn drop(&mut self) {
        self.0.activity.streams.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A stream's future, as hyper hands it to its executor (its type names the executor, so it
/// cannot be named here unboxed).
type StreamFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// hyper's executor for one connection: it queues each stream's future for the connection's own
/// task, which polls them beside the connection (see [`Drive`]) instead of spawning a task each.
#[derive(Clone, Default)]
struct Streams(Arc<Mutex<Vec<StreamFuture>>>);

impl<F: Future<Output = ()> + Send + 'static> hyper::rt::Executor<F> for Streams {
    fn execute(&self, stream: F) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push(Box::pin(stream));
    }
}

/// Polls a connection and the streams it started, on one task, until the connection ends.
struct Drive<C> {
    conn: C,
    queued: Streams,
    running: FuturesUnordered<StreamFuture>,
}

impl<C: Future + Unpin> Future for Drive<C> {
    type Output = C::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<C::Output> {
        let this = &mut *self;
        for _ in 0..ROUNDS_PER_WAKE {
            if let Poll::Ready(done) = Pin::new(&mut this.conn).poll(cx) {
                return Poll::Ready(done);
            }
            this.running.extend(this.queued.0.lock().unwrap_or_else(PoisonError::into_inner).drain(..));
            // A stream that finished has queued its frames; the connection writes them on its
            // next poll, in this round rather than after a wake-up of its own.
            let mut finished = false;
            while let Poll::Ready(Some(())) = this.running.poll_next_unpin(cx) {
                finished = true;
            }
            if !finished {
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// A response body that keeps its stream counted as in flight until it is sent or dropped, and
/// holds a request body left unread until then (see [`convert::handle`]).
struct Counted<A> {
    body: HttpBody,
    _in_flight: InFlight<A>,
    _unread: Option<Pin<Box<Incoming>>>,
}

impl<A> http_body::Body for Counted<A> {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// Serves an HTTP/2 connection (with the bytes it already read, such as a sniffed preface) until
/// the peer closes it, it stays idle past the keep-alive timeout, or the server shuts down. Idle
/// or shutting down, hyper sends GOAWAY (RFC 9113 §6.8), finishes the streams in flight and
/// closes.
///
/// The connection is idle when, over a whole keep-alive timeout, nothing came in and no stream
/// was being answered; it is checked once per timeout, so an idle connection closes after one to
/// two timeouts. This replaces hyper's keep-alive pings, which time every frame.
pub(crate) async fn serve<A: App, S: Io>(conn: Conn<S>, app: Arc<A>, settings: Settings) {
    let (io, input, peer, cfg, mut shutdown) = conn.into_parts();
    let streams = Streams::default();
    let mut builder = http2::Builder::new(streams.clone());
    builder
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(cfg.max_head_size).unwrap_or(u32::MAX))
        .max_concurrent_streams(settings.max_concurrent_streams);
    let keep_alive_timeout = cfg.keep_alive_timeout;
    let shared = Arc::new(Shared { app, cfg, peer, activity: Activity::default() });
    let io = Tracked { prefix: input, pos: 0, inner: io, shared: Arc::clone(&shared) };
    let per_stream = Arc::clone(&shared);
    let service = service_fn(move |req| {
        let in_flight = InFlight::new(&per_stream);
        async move {
            let shared = &*in_flight.0;
            let (res, unread) = convert::handle(&*shared.app, req, shared.peer, &shared.cfg).await;
            Ok::<_, Infallible>(res.map(|body| Counted { body, _in_flight: in_flight, _unread: unread }))
        }
    });
    let conn = Box::pin(builder.serve_connection(TokioIo::new(io), service));
    let mut drive = Drive { conn, queued: streams, running: FuturesUnordered::new() };
    let activity = &shared.activity;
    let mut next_check = Instant::now() + keep_alive_timeout;
    let mut closing = false;
    let mut drop_at = None;
    let result = loop {
        tokio::select! {
            result = &mut drive => break result,
            () = shutdown.signalled(), if !closing => {
                drive.conn.as_mut().graceful_shutdown();
                closing = true;
            }
            () = sleep_until(next_check), if !closing => {
                let read = activity.read.swap(false, Ordering::Relaxed);
                if !read && activity.streams.load(Ordering::Relaxed) == 0 {
                    drive.conn.as_mut().graceful_shutdown();
                    closing = true;
                    drop_at = Some(Instant::now() + IDLE_CLOSE_GRACE);
                }
                next_check += keep_alive_timeout;
            }
            () = sleep_until(drop_at.unwrap_or(next_check)), if drop_at.is_some() => break Ok(()),
        }
    };
    if let Err(e) = result {
        tracing::trace!(error = %e, "http/2 connection failed");
    }
}

/// The connection's byte stream: bytes already read put back in front (the sniffed preface and
/// whatever came with it), and every read noted for the idle check.
struct Tracked<S, A> {
    prefix: Vec<u8>,
    pos: usize,
    inner: S,
    shared: Arc<Shared<A>>,
}

impl<S: AsyncRead + Unpin, A> AsyncRead for Tracked<S, A> {
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
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.shared.activity.read.store(true, Ordering::Relaxed);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin, A> AsyncWrite for Tracked<S, A> {
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
    async fn reads_the_prefix_then_the_stream() {
        let (mut client, server) = tokio::io::duplex(64);
        client.write_all(b" world").await.unwrap();
        drop(client);
        let shared =
            Arc::new(Shared { app: Arc::new(()), cfg: Arc::default(), peer: None, activity: Activity::default() });
        let mut io = Tracked { prefix: b"hello".to_vec(), pos: 0, inner: server, shared: Arc::clone(&shared) };
        let mut all = String::new();
        io.read_to_string(&mut all).await.unwrap();
        assert_eq!(all, "hello world");
        assert!(shared.activity.read.load(Ordering::Relaxed), "a read from the stream is noted");
    }
}
