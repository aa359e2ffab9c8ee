//! One connection: read a head, read its body, call the application, write the response; repeat
//! while the connection persists (RFC 9112 §9.3).
//!
//! Buffers are owned by the connection and reused for every request on it, so a busy connection
//! answering small requests allocates nothing per request. The socket is read into a scratch
//! buffer owned by the worker thread ([`READ_CHUNK`] per thread, not per connection) and only the
//! bytes read are copied to the connection's buffer, which therefore holds what the client sent
//! (a few hundred bytes). A connection that stays idle for
//! [`IDLE_SHRINK_AFTER`] releases its buffers and waits for readiness with none at all.
//!
//! Pipelined requests (RFC 9112 §9.3.2) are parsed straight from the read buffer while complete
//! ones remain; their responses are appended to one write buffer, which is flushed only before the
//! connection would wait for more input (or once it passes [`WRITE_BATCH`]).

use std::cell::RefCell;
use std::future::{Future, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{Method, StatusCode, Version};
use tokio::io::Interest;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::{Instant, Sleep, sleep_until, timeout_at};

use crate::body::ChunkedDecoder;
use crate::config::Config;
use crate::encode::{self, Exchange, Framing};
use crate::error::Error;
use crate::incoming::{self, BodyError, Feed};
use crate::parse::{BodyKind, Head, parse_head};
use crate::upgrade::{OnUpgrade, Upgraded};
use crate::{App, Body, FileBody, Request, Response};

/// Most bytes taken from the socket per read, into the worker thread's scratch buffer. As large as
/// a pipelining client's burst is likely to be, since it costs memory per thread only.
const READ_CHUNK: usize = 16 * 1024;

thread_local! {
    /// The worker thread's read buffer: a read lands here and its bytes are appended to the
    /// connection's buffer in the same poll, so it is never borrowed across an await.
    static SCRATCH: RefCell<Box<[u8]>> = RefCell::new(vec![0; READ_CHUNK].into_boxed_slice());
}

/// A connection idle this long releases its read and write buffers; a busy one keeps them.
const IDLE_SHRINK_AFTER: Duration = Duration::from_secs(1);

/// Pipelined responses are flushed once the write buffer passes this size.
const WRITE_BATCH: usize = 64 * 1024;

/// Bodies and chunks above this size are written from their own buffer instead of being copied.
const LARGE_WRITE: usize = 16 * 1024;

/// After an error response or `Connection: close`, how long we keep reading (and discarding) what
/// the client still sends before closing. Closing a socket with unread input makes the kernel send
/// a reset, which can destroy the response before the client reads it (RFC 9112 §9.6).
const LINGER: Duration = Duration::from_secs(2);

/// How a connection ends.
enum End {
    /// Nothing pending: the peer closed, went idle past the timeout, or the server is shutting down.
    Quiet,
    /// A response said `connection: close`: flush, half-close, then drain.
    AfterResponse,
    /// A `101 Switching Protocols` went out: the connection now belongs to this.
    Upgrade(OnUpgrade),
}

/// The byte streams a connection runs over: a `TcpStream`, a TLS stream, a Unix socket, an
/// in-memory `tokio::io::duplex`. `Conn` is generic over it (monomorphized, nothing boxed), so
/// the TCP path compiles to the same code as when it was the only one.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for S {}

/// What a connection may do with the TCP socket under its byte stream, given by whoever made the
/// stream (the accept loop knows it holds a `TcpStream` or a TLS stream over one; a stream handed
/// to `serve_connection` may be anything).
pub(crate) struct Socket<S> {
    /// The TCP socket under the stream, if any: a connection whose client stopped reading is
    /// closed with a reset through it, so the kernel drops the unsent response at once.
    pub(crate) tcp: fn(&S) -> Option<&TcpStream>,
    /// Whether the stream writes straight to that socket (no TLS on top), so that a file can go
    /// from the page cache to the socket with `sendfile`.
    pub(crate) plain: bool,
}

impl<S> Socket<S> {
    /// A stream we know nothing of.
    pub(crate) const OPAQUE: Self = Socket { tcp: |_| None, plain: false };
}

impl Socket<TcpStream> {
    /// An accepted TCP connection.
    pub(crate) const PLAIN: Self = Socket { tcp: |s| Some(s), plain: true };
}

pub(crate) struct Conn<A, S> {
    stream: S,
    socket: Socket<S>,
    app: Arc<A>,
    cfg: Arc<Config>,
    shutdown: watch::Receiver<bool>,
    accepted: Instant,
    /// The idle timer (keep-alive timeout, buffer release), one per connection.
    timer: Pin<Box<Sleep>>,
    /// Input as read; the unparsed bytes are `rbuf[start..]`.
    rbuf: Vec<u8>,
    start: usize,
    /// Whether the thread's cached `Date` may be used as is: the task has not waited since it last
    /// read the clock, so no time has passed and it has not moved to another worker thread.
    clock_fresh: bool,
    /// Output not yet written.
    wbuf: Vec<u8>,
    req: Request,
    served: u64,
}

impl<A: App, S: Io> Conn<A, S> {
    pub(crate) fn new(
        stream: S,
        socket: Socket<S>,
        peer: SocketAddr,
        app: Arc<A>,
        cfg: Arc<Config>,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        let mut req = Request::empty();
        req.set_peer_addr(peer);
        req.set_default_body_limit(cfg.max_body_size);
        let accepted = Instant::now();
        // Armed at a real deadline, so that the first wait re-arms it instead of waking at once.
        let timer = Box::pin(sleep_until(accepted + cfg.header_read_timeout));
        Self {
            stream,
            socket,
            app,
            cfg,
            shutdown,
            accepted,
            timer,
            rbuf: Vec::new(),
            start: 0,
            clock_fresh: false,
            wbuf: Vec::new(),
            req,
            served: 0,
        }
    }

    /// Serves requests until the connection ends; never fails, never panics on client input.
    pub(crate) async fn run(mut self) {
        let last_words = match self.serve().await {
            Ok(End::Upgrade(run)) => {
                let early = Bytes::copy_from_slice(&self.rbuf[self.start..]);
                return run(Upgraded::new(Box::new(self.stream), early)).await;
            }
            Ok(End::Quiet) => false,
            Ok(End::AfterResponse) => true,
            Err(e) => match e.status() {
                Some(status) => {
                    tracing::debug!(status = status.as_u16(), error = e.message(), "rejected request");
                    encode::write_error(&mut self.wbuf, status, e.message());
                    true
                }
                None => {
                    if let Error::Io(io) = &e {
                        tracing::trace!(error = %io, "connection failed");
                        if io.kind() == io::ErrorKind::TimedOut {
                            self.reset();
                        }
                    }
                    false
                }
            },
        };
        // A last response to deliver: flush it, half-close, and drain before closing.
        if last_words && self.flush().await.is_ok() {
            self.linger().await;
        }
    }

    async fn serve(&mut self) -> Result<End, Error> {
        // The first request must start within the header timeout of the accept.
        let mut idle_deadline = Some(self.accepted + self.cfg.header_read_timeout);
        loop {
            let Some(head) = self.read_head(idle_deadline.take()).await? else {
                return Ok(End::Quiet);
            };
            self.served += 1;
            let mut keep_alive =
                head.keep_alive && self.cfg.max_requests_per_connection.is_none_or(|max| self.served < max);
            let started = tracing::enabled!(tracing::Level::DEBUG).then(std::time::Instant::now);
            let (mut res, waited) = match self.read_ahead(&head)? {
                None => self.call().await,
                Some(pending) => {
                    let (res, waited, body_done) = self.call_streaming(pending, &head).await;
                    // A body left unread (the route never asked, or stopped asking) or broken ends
                    // the connection after this response: what follows it cannot be framed.
                    keep_alive &= body_done;
                    (res, waited)
                }
            };
            if waited {
                self.clock_fresh = false;
            }
            // Only ever set to `true` (once); an atomic load, where `borrow` takes a lock.
            if self.shutdown.has_changed().unwrap_or(true) {
                keep_alive = false;
            }
            let mut ex = Exchange {
                head_request: self.req.method() == Method::HEAD,
                http10: self.req.version() == Version::HTTP_10,
                keep_alive,
                check_clock: !self.clock_fresh,
            };
            let framing = encode::write_head(&mut self.wbuf, &res, &mut ex);
            self.clock_fresh = !ex.check_clock;
            let status = res.status();
            if let Some(run) = res.take_upgrade() {
                self.flush().await?;
                return Ok(End::Upgrade(run));
            }
            if !self.write_body(res.take_body(), framing).await? {
                ex.keep_alive = false;
            }
            if let Some(started) = started {
                tracing::debug!(
                    method = %self.req.method(),
                    path = self.req.path(),
                    status = status.as_u16(),
                    latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
                    "request"
                );
            }
            // The body may be large; do not keep it until the next request replaces it.
            if !self.req.body().is_empty() {
                self.req.set_body(Bytes::new());
            }
            if !ex.keep_alive {
                return Ok(End::AfterResponse);
            }
            if self.wbuf.len() >= WRITE_BATCH {
                self.flush().await?;
            }
        }
    }

    /// Reads until a complete head is buffered. `Ok(None)`: the connection ended between requests.
    async fn read_head(&mut self, idle_deadline: Option<Instant>) -> Result<Option<Head>, Error> {
        let mut deadline = None;
        loop {
            if self.start < self.rbuf.len() {
                if let Some(head) = parse_head(&self.rbuf[self.start..], &self.cfg, &mut self.req)? {
                    self.start += head.len;
                    return Ok(Some(head));
                }
            } else if deadline.is_none() {
                if !self.read_idle(idle_deadline).await? {
                    return Ok(None);
                }
                continue;
            }
            // RFC 9112 §9.5: a started request that stalls is timed out (408).
            let deadline = *deadline.get_or_insert_with(|| Instant::now() + self.cfg.header_read_timeout);
            if self.read_more(deadline).await? == 0 {
                return Err(Error::Closed);
            }
        }
    }

    /// Waits for the first bytes of a request. `Ok(false)`: the keep-alive (or first-request)
    /// timeout passed, the peer closed, or the server is shutting down: close quietly.
    async fn read_idle(&mut self, deadline: Option<Instant>) -> Result<bool, Error> {
        self.flush().await?;
        if self.shutdown.has_changed().unwrap_or(true) {
            return Ok(false);
        }
        // Often the next requests are already there (pipelining, or a client that answered while
        // we wrote): then no clock and no timer. Otherwise this first poll registers the wake-up.
        let (stream, rbuf, start) = (&mut self.stream, &mut self.rbuf, &mut self.start);
        self.clock_fresh = false;
        if let Poll::Ready(read) = poll_fn(|cx| Poll::Ready(poll_fill(stream, rbuf, start, cx))).await {
            return Ok(read? > 0);
        }
        let now = Instant::now();
        let deadline = deadline.unwrap_or(now + self.cfg.keep_alive_timeout);
        let shrink_at = now + IDLE_SHRINK_AFTER;
        let mut shrunk = false;
        // The timer stays registered across requests and is re-armed only when it would wake too
        // late, or when it fires (an early wake-up from an earlier idle spell): on a busy
        // connection that is about once a second, not once per request.
        if self.timer.deadline() > shrink_at.min(deadline) {
            self.timer.as_mut().reset(shrink_at.min(deadline));
        }
        loop {
            let (stream, rbuf, start) = (&mut self.stream, &mut self.rbuf, &mut self.start);
            tokio::select! {
                biased;
                read = poll_fn(|cx| poll_fill(stream, rbuf, start, cx)) => return Ok(read? > 0),
                _ = self.shutdown.changed() => return Ok(false),
                () = self.timer.as_mut() => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Ok(false);
                    }
                    if !shrunk && now >= shrink_at {
                        self.shrink();
                        shrunk = true;
                    }
                    let next = if shrunk { deadline } else { shrink_at.min(deadline) };
                    self.timer.as_mut().reset(next);
                }
            }
        }
    }

    /// Reads more of a request that has started; `Ok(0)` is end of input.
    async fn read_more(&mut self, deadline: Instant) -> Result<usize, Error> {
        self.flush().await?;
        self.clock_fresh = false;
        let (stream, rbuf, start) = (&mut self.stream, &mut self.rbuf, &mut self.start);
        match timeout_at(deadline, poll_fn(|cx| poll_fill(stream, rbuf, start, cx))).await {
            Ok(Ok(n)) => Ok(n),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Err(Error::Timeout),
        }
    }

    /// Takes a body that is already in the read buffer into the request (RFC 9112 §6.3); a body
    /// that is not, or only in part, is left to stream while the handler runs: `Some(pending)`.
    fn read_ahead(&mut self, head: &Head) -> Result<Option<Pending>, Error> {
        let buffered = &self.rbuf[self.start..];
        match head.body {
            BodyKind::Empty => Ok(None),
            BodyKind::Length(len) => match usize::try_from(len) {
                Ok(len) if len <= buffered.len() => {
                    self.req.set_body(Bytes::copy_from_slice(&buffered[..len]));
                    self.start += len;
                    Ok(None)
                }
                _ => Ok(Some(Pending::Length(len))),
            },
            BodyKind::Chunked => {
                // The limit is enforced by the reader (the route's, or the server's).
                let mut decoder = ChunkedDecoder::new(u64::MAX, self.cfg.max_head_size);
                let mut body = Vec::new();
                let used = decoder.decode(buffered, &mut body)?;
                if decoder.is_done() {
                    self.start += used;
                    self.req.set_body(Bytes::from(body));
                    return Ok(None);
                }
                Ok(Some(Pending::Chunked(ChunkedDecoder::new(u64::MAX, self.cfg.max_head_size))))
            }
        }
    }

    /// Calls the application while its body streams in: the handler and the body's reader are
    /// polled together on this task (nothing spawned, nothing boxed). Returns the response,
    /// whether the handler waited, and whether the body was read to its end.
    async fn call_streaming(&mut self, pending: Pending, head: &Head) -> (Response, bool, bool) {
        let declared = match pending {
            Pending::Length(len) => Some(len),
            Pending::Chunked(_) => None,
        };
        let (feed, incoming) = incoming::channel(declared, self.cfg.max_body_size);
        self.req.set_incoming(Some(incoming));
        let Self { stream, app, cfg, rbuf, start, wbuf, req, clock_fresh, .. } = self;
        *clock_fresh = false;
        let mut waited = false;
        let mut pumped = None;
        let outcome = {
            let body = BodyIo { stream, rbuf, start, wbuf, cfg, expect_continue: head.expect_continue };
            let mut pump = pin!(body.pump(pending, feed));
            let handler = pin!(app.handle(req));
            let mut call = CatchUnwind { inner: handler, waited: &mut waited };
            poll_fn(|cx| {
                if pumped.is_none()
                    && let Poll::Ready(done) = pump.as_mut().poll(cx)
                {
                    pumped = Some(done);
                }
                Pin::new(&mut call).poll(cx)
            })
            .await
        };
        let res = outcome.unwrap_or_else(|_| {
            tracing::error!(method = %req.method(), path = req.path(), "handler panicked; answering 500");
            Response::text("internal server error\n").with_status(StatusCode::INTERNAL_SERVER_ERROR)
        });
        req.set_incoming(None);
        (res, waited, pumped == Some(true))
    }

    /// Calls the application; a panic becomes a 500 for this request and the connection goes on
    /// (the request was read in full, so the framing is intact). Also says whether the handler
    /// had to wait (was not ready when first polled).
    ///
    /// The handler future is polled inside `catch_unwind` right here, pinned on this task's stack:
    /// no extra task and no allocation per request, unlike spawning the handler and mapping
    /// `JoinError::is_panic`.
    async fn call(&self) -> (Response, bool) {
        let handler = pin!(self.app.handle(&self.req));
        let mut waited = false;
        let res = match (CatchUnwind { inner: handler, waited: &mut waited }).await {
            Ok(res) => res,
            Err(_) => {
                tracing::error!(method = %self.req.method(), path = self.req.path(), "handler panicked; answering 500");
                Response::text("internal server error\n").with_status(StatusCode::INTERNAL_SERVER_ERROR)
            }
        };
        (res, waited)
    }

    /// Writes the body; `Ok(false)` when a stream of declared length broke its length (the
    /// connection must then close).
    async fn write_body(&mut self, body: Body, framing: Framing) -> Result<bool, Error> {
        let body = match body {
            Body::File(file) if framing != Framing::None => match self.sendfile(file).await? {
                Ok(complete) => return Ok(complete),
                Err(file) => Body::Stream(file.into_stream()),
            },
            body => body,
        };
        match (framing, body) {
            (Framing::Length, Body::Full(bytes)) => {
                self.write_bytes(&bytes).await?;
            }
            (Framing::Chunked | Framing::Close | Framing::Declared(_), Body::Stream(mut chunks)) => {
                let chunked = framing == Framing::Chunked;
                let mut left = match framing {
                    Framing::Declared(n) => Some(n),
                    _ => None,
                };
                // The head goes out before the first chunk, which may be slow to come.
                self.flush().await?;
                let mut shutdown = self.shutdown.clone();
                loop {
                    // A stream of unknown length (server-sent events, say) ends when the server
                    // shuts down, cleanly framed, instead of holding the shutdown for its grace
                    // period; one of declared length (a file) is let finish within the grace.
                    let next = tokio::select! {
                        biased;
                        chunk = chunks.recv() => chunk,
                        _ = shutdown.changed(), if left.is_none() => None,
                    };
                    let Some(mut chunk) = next else { break };
                    if chunk.is_empty() {
                        continue; // an empty chunk would end a chunked body
                    }
                    if let Some(left) = &mut left {
                        if chunk.len() as u64 > *left {
                            chunk.truncate(usize::try_from(*left).unwrap_or(usize::MAX));
                            self.write_bytes(&chunk).await?;
                            return Ok(false);
                        }
                        *left -= chunk.len() as u64;
                    }
                    if chunked {
                        encode::append_chunk_size(&mut self.wbuf, chunk.len());
                    }
                    self.write_bytes(&chunk).await?;
                    if chunked {
                        self.wbuf.extend_from_slice(b"\r\n");
                    }
                    if chunks.is_empty() || self.wbuf.len() >= WRITE_BATCH {
                        self.flush().await?;
                    }
                }
                if chunked {
                    self.wbuf.extend_from_slice(encode::LAST_CHUNK);
                }
                if left.is_some_and(|left| left > 0) {
                    tracing::warn!("a response stream ended before its declared content-length; closing");
                    return Ok(false);
                }
            }
            _ => {}
        }
        Ok(true)
    }

    /// Sends a file body with `sendfile` when the stream is a plain TCP socket (Linux), within
    /// the send timeout as [`send`] does; `Ok(Ok(false))` when the file ended early. `Ok(Err)`
    /// gives the body back where the stream is not one (TLS, a pipe, another platform).
    async fn sendfile(&mut self, mut file: FileBody) -> Result<Result<bool, FileBody>, Error> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if self.socket.plain {
            self.flush().await?;
            if let Some(tcp) = (self.socket.tcp)(&self.stream) {
                let mut clock = SendClock::new(self.cfg.send_timeout);
                while !file.is_empty() {
                    let sent = timeout_at(clock.deadline(), tcp.async_io(Interest::WRITABLE, || file.send_to(tcp)))
                        .await
                        .map_err(|_| send_timed_out())??;
                    if sent == 0 {
                        tracing::warn!(missing = file.len(), "a file shrank while it was sent; closing");
                        return Ok(Ok(false));
                    }
                    clock.sent(sent);
                }
                return Ok(Ok(true));
            }
        }
        Ok(Err(file))
    }

    /// Queues `bytes` in the write buffer, or writes a large piece from where it is.
    async fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if bytes.len() > LARGE_WRITE {
            self.flush().await?;
            send(&mut self.stream, bytes, self.cfg.send_timeout).await?;
        } else {
            self.wbuf.extend_from_slice(bytes);
        }
        Ok(())
    }

    /// Writes out the write buffer. Writing may wait, so the clock is read again afterwards.
    async fn flush(&mut self) -> Result<(), Error> {
        if !self.wbuf.is_empty() {
            self.clock_fresh = false;
            send(&mut self.stream, &self.wbuf, self.cfg.send_timeout).await?;
            self.wbuf.clear();
        }
        Ok(())
    }

    /// Releases the buffers of an idle connection.
    fn shrink(&mut self) {
        if self.start == self.rbuf.len() {
            self.rbuf = Vec::new();
            self.start = 0;
        }
        if self.wbuf.is_empty() {
            self.wbuf = Vec::new();
        }
        self.req.shrink();
    }

    /// Makes the close that follows a reset (`SO_LINGER` 0), for a client that stopped reading:
    /// a normal close would leave the unsent response queued in the kernel, still trickling to
    /// the client that holds it (slowhttptest's slow-read attack) long after we let go.
    fn reset(&self) {
        if let Some(tcp) = (self.socket.tcp)(&self.stream) {
            let _ = tcp.set_zero_linger();
        }
    }

    /// Half-closes, then reads and discards input until the peer closes or [`LINGER`] passes.
    async fn linger(&mut self) {
        if self.stream.shutdown().await.is_err() {
            return;
        }
        let deadline = Instant::now() + LINGER;
        loop {
            let stream = &mut self.stream;
            match timeout_at(deadline, poll_fn(|cx| poll_read_scratch(stream, cx, |_discarded| {}))).await {
                Ok(Ok(1..)) => {}
                _ => return,
            }
        }
    }
}

/// A body that was not in the read buffer with its head.
enum Pending {
    /// `Content-Length`: this many bytes.
    Length(u64),
    /// Chunked, not yet decoded.
    Chunked(ChunkedDecoder),
}

/// How long a body may take: [`Config::body_read_timeout`] for the first bytes, and one more
/// second for each [`BODY_RATE`] bytes received, so that a large upload at a reasonable rate is
/// never cut while a client trickling bytes is.
const BODY_RATE: u64 = 64 * 1024;

/// Pieces read from the socket for a streamed body with a known length.
const BODY_CHUNK: usize = 64 * 1024;

/// The parts of a connection that read a streamed body (disjoint from the request and the
/// application, which the handler borrows meanwhile).
struct BodyIo<'a, S> {
    stream: &'a mut S,
    rbuf: &'a mut Vec<u8>,
    start: &'a mut usize,
    wbuf: &'a mut Vec<u8>,
    cfg: &'a Config,
    expect_continue: bool,
}

impl<S: Io> BodyIo<'_, S> {
    /// Feeds the body to its reader: nothing until the handler first asks (then `100 Continue`,
    /// if the client waits for it), then a chunk at a time, each sent only when the previous one
    /// was taken. Returns whether the body was read to its end; a body that breaks (the client
    /// leaves, stalls, or sends a bad chunk) is reported to the reader as an error.
    async fn pump(mut self, mut pending: Pending, feed: Feed) -> bool {
        tokio::select! {
            () = feed.demand.notified() => {}
            () = feed.tx.closed() => return false,
        }
        let limit = feed.limit.load(std::sync::atomic::Ordering::Relaxed);
        if let Pending::Chunked(decoder) = &mut pending {
            *decoder = ChunkedDecoder::new(limit, self.cfg.max_head_size);
        }
        if self.expect_continue {
            // Responses to earlier pipelined requests go first: responses stay in order.
            self.wbuf.extend_from_slice(encode::CONTINUE);
            let flushed = send(self.stream, self.wbuf, self.cfg.send_timeout).await;
            self.wbuf.clear();
            if flushed.is_err() {
                return false;
            }
        }
        let began = Instant::now();
        let mut received = 0u64;
        loop {
            let deadline = began + self.cfg.body_read_timeout + Duration::from_secs(received / BODY_RATE);
            let next = match &mut pending {
                Pending::Length(left) => self.next_length(left, deadline).await,
                Pending::Chunked(decoder) => self.next_chunk(decoder, deadline).await,
            };
            let chunk = match next {
                Ok(Some(chunk)) => chunk,
                Ok(None) => return true,
                Err(e) => {
                    let _ = feed.tx.send(Err(e)).await;
                    return false;
                }
            };
            received += chunk.len() as u64;
            if feed.tx.send(Ok(chunk)).await.is_err() {
                // The reader stopped (over its limit, or done with the body).
                return false;
            }
        }
    }

    /// The next piece of a body of known length; `None` once `left` is 0.
    async fn next_length(&mut self, left: &mut u64, deadline: Instant) -> Result<Option<Bytes>, BodyError> {
        if *left == 0 {
            return Ok(None);
        }
        let want = usize::try_from(*left).unwrap_or(usize::MAX);
        let buffered = self.rbuf.len() - *self.start;
        let chunk = if buffered > 0 {
            let take = buffered.min(want);
            let chunk = Bytes::copy_from_slice(&self.rbuf[*self.start..*self.start + take]);
            *self.start += take;
            chunk
        } else {
            // Past the read buffer: straight from the socket into the chunk.
            let mut chunk = BytesMut::with_capacity(want.min(BODY_CHUNK));
            match timeout_at(deadline, self.stream.read_buf(&mut chunk)).await {
                Ok(Ok(0) | Err(_)) => return Err(BodyError::Incomplete),
                Ok(Ok(_)) => chunk.freeze(),
                Err(_) => return Err(BodyError::TimedOut),
            }
        };
        *left -= chunk.len() as u64;
        Ok(Some(chunk))
    }

    /// The next decoded piece of a chunked body; `None` after the last chunk and the trailers.
    async fn next_chunk(
        &mut self,
        decoder: &mut ChunkedDecoder,
        deadline: Instant,
    ) -> Result<Option<Bytes>, BodyError> {
        loop {
            let mut out = Vec::new();
            let used = decoder.decode(&self.rbuf[*self.start..], &mut out).map_err(|e| match e {
                Error::BodyTooLarge => BodyError::TooLarge(decoder.limit()),
                Error::BadChunk(why) => BodyError::Malformed(why),
                _ => BodyError::Malformed("bad chunk"),
            })?;
            *self.start += used;
            if !out.is_empty() {
                return Ok(Some(Bytes::from(out)));
            }
            if decoder.is_done() {
                return Ok(None);
            }
            let (stream, rbuf, start) = (&mut *self.stream, &mut *self.rbuf, &mut *self.start);
            match timeout_at(deadline, poll_fn(|cx| poll_fill(stream, rbuf, start, cx))).await {
                Ok(Ok(0) | Err(_)) => return Err(BodyError::Incomplete),
                Ok(Ok(_)) => {}
                Err(_) => return Err(BodyError::TimedOut),
            }
        }
    }
}

/// The client connection preface (RFC 9113 §3.4); a plain connection that opens with it speaks
/// HTTP/2 with prior knowledge.
#[cfg(feature = "http2")]
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// What a connection's first bytes say it speaks.
#[cfg(feature = "http2")]
pub(crate) enum Sniffed {
    /// HTTP/1.x, or anything else: the native server answers it.
    Http1,
    /// The HTTP/2 preface.
    Http2,
    /// Nothing to serve: the peer closed, failed, or sent nothing within the header timeout.
    Gone,
}

/// The parts of a connection that an HTTP/2 server takes over.
#[cfg(feature = "http2")]
pub(crate) struct Parts<A, S> {
    pub(crate) stream: S,
    pub(crate) peer: Option<SocketAddr>,
    /// What was read and not yet parsed: the preface and whatever came with it.
    pub(crate) input: Vec<u8>,
    pub(crate) app: Arc<A>,
    pub(crate) cfg: Arc<Config>,
    pub(crate) shutdown: watch::Receiver<bool>,
}

#[cfg(feature = "http2")]
impl<A: App, S: Io> Conn<A, S> {
    /// Reads until the first bytes are known to be the HTTP/2 preface or not. The bytes read stay
    /// buffered: an HTTP/1 request is then parsed from them with no extra read, so a plain
    /// HTTP/1.1 connection pays nothing for the check.
    pub(crate) async fn sniff(&mut self) -> Sniffed {
        let deadline = self.accepted + self.cfg.header_read_timeout;
        loop {
            let input = &self.rbuf[self.start..];
            let n = input.len().min(PREFACE.len());
            if input[..n] != PREFACE[..n] {
                return Sniffed::Http1;
            }
            if n == PREFACE.len() {
                return Sniffed::Http2;
            }
            match self.read_more(deadline).await {
                Ok(1..) => {}
                Ok(0) | Err(_) => return Sniffed::Gone,
            }
        }
    }

    pub(crate) fn into_parts(mut self) -> Parts<A, S> {
        self.rbuf.drain(..self.start);
        let peer = self.req.peer_addr();
        Parts { stream: self.stream, peer, input: self.rbuf, app: self.app, cfg: self.cfg, shutdown: self.shutdown }
    }

    /// Whether plain connections are checked for the HTTP/2 preface.
    pub(crate) fn h2c(&self) -> bool {
        self.cfg.h2c
    }
}

/// Writes `bytes` within the send timeout, extended by a second per [`BODY_RATE`] bytes the
/// client takes: a client that stops reading (or reads a trickle) cannot hold the connection. A
/// write the socket takes at once (the usual case) reads no clock and arms no timer.
async fn send<S: AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8], timeout: Duration) -> io::Result<()> {
    let mut written = 0;
    while written < bytes.len() {
        match poll_fn(|cx| Poll::Ready(Pin::new(&mut *stream).poll_write(cx, &bytes[written..]))).await {
            Poll::Ready(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
            Poll::Ready(Ok(n)) => written += n,
            Poll::Ready(Err(e)) => return Err(e),
            Poll::Pending => break,
        }
    }
    if written == bytes.len() {
        return Ok(());
    }
    let mut clock = SendClock::new(timeout);
    while written < bytes.len() {
        match timeout_at(clock.deadline(), stream.write(&bytes[written..])).await {
            Ok(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(Ok(n)) => {
                written += n;
                clock.sent(n);
            }
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(send_timed_out()),
        }
    }
    Ok(())
}

/// The deadline of a write that had to wait: it moves on with what the client takes, `timeout`
/// plus a second per [`BODY_RATE`] bytes written since the wait began.
struct SendClock {
    began: Instant,
    timeout: Duration,
    sent: u64,
}

impl SendClock {
    fn new(timeout: Duration) -> Self {
        Self { began: Instant::now(), timeout, sent: 0 }
    }

    fn deadline(&self) -> Instant {
        self.began + self.timeout + Duration::from_secs(self.sent / BODY_RATE)
    }

    fn sent(&mut self, n: usize) {
        self.sent += n as u64;
    }
}

/// The error of a write that passed its [`SendClock`] deadline; the connection then closes with a
/// reset (see [`Conn::run`]).
fn send_timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "the client did not read the response in time")
}

/// Reads from the socket into the thread's scratch buffer and appends what came to `rbuf`;
/// `Ready(Ok(0))` is end of input. Reading through `AsyncRead` (rather than `try_read`) lets tokio
/// note that a short read drained the socket, which saves the `EAGAIN` read before the next wait.
fn poll_fill<S: AsyncRead + Unpin>(
    stream: &mut S,
    rbuf: &mut Vec<u8>,
    start: &mut usize,
    cx: &mut Context<'_>,
) -> Poll<io::Result<usize>> {
    poll_read_scratch(stream, cx, |bytes| append(rbuf, start, bytes))
}

/// Reads from the socket into the thread's scratch buffer and hands what came to `take`.
fn poll_read_scratch<S: AsyncRead + Unpin>(
    stream: &mut S,
    cx: &mut Context<'_>,
    take: impl FnOnce(&[u8]),
) -> Poll<io::Result<usize>> {
    SCRATCH.with_borrow_mut(|scratch| {
        let mut read = ReadBuf::new(&mut scratch[..]);
        ready!(Pin::new(stream).poll_read(cx, &mut read))?;
        let filled = read.filled();
        take(filled);
        Poll::Ready(Ok(filled.len()))
    })
}

/// Appends `bytes` to the unparsed input `rbuf[*start..]`, first dropping what was parsed.
fn append(rbuf: &mut Vec<u8>, start: &mut usize, bytes: &[u8]) {
    if *start > 0 {
        rbuf.drain(..*start);
        *start = 0;
    }
    rbuf.extend_from_slice(bytes);
}

/// Polls a pinned future inside `catch_unwind`, noting whether it ever returned `Pending`.
pub(crate) struct CatchUnwind<'a, F: ?Sized> {
    pub(crate) inner: Pin<&'a mut F>,
    pub(crate) waited: &'a mut bool,
}

impl<F: Future + ?Sized> Future for CatchUnwind<'_, F> {
    type Output = std::thread::Result<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let inner = this.inner.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => {
                *this.waited = true;
                Poll::Pending
            }
            Ok(Poll::Ready(res)) => Poll::Ready(Ok(res)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}
