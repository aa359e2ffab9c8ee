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

use bytes::Bytes;
use http::{Method, StatusCode, Version};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::sync::watch;
use tokio::time::{Instant, Sleep, sleep_until, timeout_at};

use crate::body::ChunkedDecoder;
use crate::config::Config;
use crate::encode::{self, Exchange, Framing};
use crate::error::Error;
use crate::parse::{BodyKind, Head, parse_head};
use crate::{App, Body, Request, Response};

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
}

/// The byte streams a connection runs over: a `TcpStream`, a TLS stream, a Unix socket, an
/// in-memory `tokio::io::duplex`. `Conn` is generic over it (monomorphized, nothing boxed), so
/// the TCP path compiles to the same code as when it was the only one.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for S {}

pub(crate) struct Conn<A, S> {
    stream: S,
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
        peer: SocketAddr,
        app: Arc<A>,
        cfg: Arc<Config>,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        let mut req = Request::empty();
        req.set_peer_addr(peer);
        let accepted = Instant::now();
        // Armed at a real deadline, so that the first wait re-arms it instead of waking at once.
        let timer = Box::pin(sleep_until(accepted + cfg.header_read_timeout));
        Self {
            stream,
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
            self.read_body(&head).await?;

            let started = tracing::enabled!(tracing::Level::DEBUG).then(std::time::Instant::now);
            let (mut res, waited) = self.call().await;
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
            self.write_body(res.take_body(), framing).await?;
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

    /// Reads the whole body into the request (RFC 9112 §6.3), answering `100 Continue` first when
    /// the client waits for it and the body is not already on its way (RFC 9110 §10.1.1).
    async fn read_body(&mut self, head: &Head) -> Result<(), Error> {
        match head.body {
            BodyKind::Empty => Ok(()),
            BodyKind::Length(len) => {
                // parse_head checked `len` against the body limit.
                let len = usize::try_from(len).map_err(|_| Error::BodyTooLarge)?;
                let buffered = self.rbuf.len() - self.start;
                if head.expect_continue && buffered < len {
                    self.send_continue().await?;
                }
                let take = buffered.min(len);
                let mut body = Vec::with_capacity(len);
                body.extend_from_slice(&self.rbuf[self.start..self.start + take]);
                self.start += take;
                if take < len {
                    // The rest goes straight from the socket into the body, past the read buffer.
                    let deadline = Instant::now() + self.cfg.body_read_timeout;
                    self.flush().await?;
                    self.clock_fresh = false;
                    body.resize(len, 0);
                    let mut filled = take;
                    while filled < len {
                        match timeout_at(deadline, self.stream.read(&mut body[filled..])).await {
                            Ok(Ok(0)) => return Err(Error::Closed),
                            Ok(Ok(n)) => filled += n,
                            Ok(Err(e)) => return Err(e.into()),
                            Err(_) => return Err(Error::Timeout),
                        }
                    }
                }
                self.req.set_body(Bytes::from(body));
                Ok(())
            }
            BodyKind::Chunked => {
                if head.expect_continue && self.start == self.rbuf.len() {
                    self.send_continue().await?;
                }
                let deadline = Instant::now() + self.cfg.body_read_timeout;
                let mut decoder = ChunkedDecoder::new(self.cfg.max_body_size, self.cfg.max_head_size);
                let mut body = Vec::new();
                loop {
                    self.start += decoder.decode(&self.rbuf[self.start..], &mut body)?;
                    if decoder.is_done() {
                        break;
                    }
                    if self.read_more(deadline).await? == 0 {
                        return Err(Error::Closed);
                    }
                }
                self.req.set_body(Bytes::from(body));
                Ok(())
            }
        }
    }

    async fn send_continue(&mut self) -> Result<(), Error> {
        // Responses to earlier pipelined requests go first: responses stay in order.
        self.wbuf.extend_from_slice(encode::CONTINUE);
        self.flush().await
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

    async fn write_body(&mut self, body: Body, framing: Framing) -> Result<(), Error> {
        match (framing, body) {
            (Framing::Length, Body::Full(bytes)) => {
                self.write_bytes(&bytes).await?;
            }
            (Framing::Chunked | Framing::Close, Body::Stream(mut chunks)) => {
                let chunked = framing == Framing::Chunked;
                // The head goes out before the first chunk, which may be slow to come.
                self.flush().await?;
                while let Some(chunk) = chunks.recv().await {
                    if chunk.is_empty() {
                        continue; // an empty chunk would end a chunked body
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
            }
            _ => {}
        }
        Ok(())
    }

    /// Queues `bytes` in the write buffer, or writes a large piece from where it is.
    async fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if bytes.len() > LARGE_WRITE {
            self.flush().await?;
            self.stream.write_all(bytes).await?;
        } else {
            self.wbuf.extend_from_slice(bytes);
        }
        Ok(())
    }

    /// Writes out the write buffer. Writing may wait, so the clock is read again afterwards.
    async fn flush(&mut self) -> Result<(), Error> {
        if !self.wbuf.is_empty() {
            self.clock_fresh = false;
            self.stream.write_all(&self.wbuf).await?;
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
