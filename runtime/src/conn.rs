//! One connection: read a head, read its body, call the application, write the response; repeat
//! while the connection persists (RFC 9112 §9.3).
//!
//! Buffers are owned by the connection and reused for every request on it, so a busy connection
//! answering small requests allocates nothing per request. A connection that stays idle for
//! [`IDLE_SHRINK_AFTER`] releases them and waits for readiness with no buffer at all.
//!
//! Pipelined requests (RFC 9112 §9.3.2) are parsed straight from the read buffer while complete
//! ones remain; their responses are appended to one write buffer, which is flushed only before the
//! connection would wait for more input (or once it passes [`WRITE_BATCH`]).

use std::future::Future;
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, StatusCode, Version};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::{Instant, Sleep, sleep_until, timeout_at};

use crate::body::{ChunkedDecoder, MAX_CHUNK_LINE};
use crate::encode::{self, Exchange, Framing};
use crate::error::Error;
use crate::parse::{BodyKind, Head, parse_head};
use crate::server::Config;
use crate::{App, Body, Request, Response};

/// Initial read buffer: a typical request head is well under 1 KiB. It grows (doubling) up to the
/// head size limit only for a request that needs it.
const READ_BUF: usize = 4096;

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

pub(crate) struct Conn<A> {
    stream: TcpStream,
    app: Arc<A>,
    cfg: Arc<Config>,
    shutdown: watch::Receiver<bool>,
    accepted: Instant,
    /// The idle timer (keep-alive timeout, buffer release), one per connection.
    timer: Pin<Box<Sleep>>,
    /// Input; the unparsed bytes are `rbuf[start..end]`. Kept at full length (zero-filled once) so
    /// it can be read into without `unsafe`.
    rbuf: Vec<u8>,
    start: usize,
    end: usize,
    /// Output not yet written.
    wbuf: Vec<u8>,
    req: Request,
    served: u64,
}

impl<A: App> Conn<A> {
    pub(crate) fn new(
        stream: TcpStream,
        peer: SocketAddr,
        app: Arc<A>,
        cfg: Arc<Config>,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        let mut req = Request::empty();
        req.set_peer_addr(Some(peer));
        let accepted = Instant::now();
        Self {
            stream,
            app,
            cfg,
            shutdown,
            accepted,
            timer: Box::pin(sleep_until(accepted)),
            rbuf: Vec::new(),
            start: 0,
            end: 0,
            wbuf: Vec::new(),
            req,
            served: 0,
        }
    }

    /// Serves requests until the connection ends; never fails, never panics on client input.
    pub(crate) async fn run(mut self) {
        match self.serve().await {
            Ok(End::Quiet) => {}
            Ok(End::AfterResponse) => {
                if self.flush().await.is_ok() {
                    self.linger().await;
                }
            }
            Err(e) => match e.status() {
                Some(status) => {
                    tracing::debug!(status = status.as_u16(), error = e.message(), "rejected request");
                    encode::write_error(&mut self.wbuf, status, e.message());
                    if self.flush().await.is_ok() {
                        self.linger().await;
                    }
                }
                None => {
                    if let Error::Io(io) = &e {
                        tracing::trace!(error = %io, "connection failed");
                    }
                }
            },
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
            let mut res = self.call().await;
            if *self.shutdown.borrow() {
                keep_alive = false;
            }
            let mut ex = Exchange {
                head_request: self.req.method() == Method::HEAD,
                http10: self.req.version() == Version::HTTP_10,
                keep_alive,
            };
            let framing = encode::write_head(&mut self.wbuf, &res, &mut ex);
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
            self.req.set_body(Bytes::new());
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
            if self.start < self.end {
                if let Some(head) = parse_head(&self.rbuf[self.start..self.end], &self.cfg, &mut self.req)? {
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
        if *self.shutdown.borrow() {
            return Ok(false);
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
            tokio::select! {
                biased;
                ready = self.stream.readable() => ready?,
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
                    continue;
                }
            }
            self.make_room()?;
            match self.stream.try_read(&mut self.rbuf[self.end..]) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Reads more of a request that has started; `Ok(0)` is end of input.
    async fn read_more(&mut self, deadline: Instant) -> Result<usize, Error> {
        self.flush().await?;
        self.make_room()?;
        match timeout_at(deadline, self.stream.read(&mut self.rbuf[self.end..])).await {
            Ok(Ok(n)) => {
                self.end += n;
                Ok(n)
            }
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
                let buffered = self.end - self.start;
                if head.expect_continue && buffered < len {
                    self.send_continue().await?;
                }
                let deadline = Instant::now() + self.cfg.body_read_timeout;
                let take = buffered.min(len);
                let mut body = Vec::with_capacity(len);
                body.extend_from_slice(&self.rbuf[self.start..self.start + take]);
                self.start += take;
                if take < len {
                    // The rest goes straight from the socket into the body, past the read buffer.
                    self.flush().await?;
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
                if head.expect_continue && self.start == self.end {
                    self.send_continue().await?;
                }
                let deadline = Instant::now() + self.cfg.body_read_timeout;
                let mut decoder = ChunkedDecoder::new(self.cfg.max_body_size, self.cfg.max_head_size);
                let mut body = Vec::new();
                loop {
                    self.start += decoder.decode(&self.rbuf[self.start..self.end], &mut body)?;
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
    /// (the request was read in full, so the framing is intact).
    ///
    /// The handler future is polled inside `catch_unwind` right here, pinned on this task's stack:
    /// no extra task and no allocation per request, unlike spawning the handler and mapping
    /// `JoinError::is_panic`.
    async fn call(&self) -> Response {
        let handler = pin!(self.app.handle(&self.req));
        match (CatchUnwind { inner: handler }).await {
            Ok(res) => res,
            Err(_) => {
                tracing::error!(method = %self.req.method(), path = self.req.path(), "handler panicked; answering 500");
                Response::text("internal server error\n").with_status(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    async fn write_body(&mut self, body: Body, framing: Framing) -> Result<(), Error> {
        match (framing, body) {
            (Framing::Length, Body::Full(bytes)) => {
                if bytes.len() > LARGE_WRITE {
                    self.flush().await?;
                    self.stream.write_all(&bytes).await?;
                } else {
                    self.wbuf.extend_from_slice(&bytes);
                }
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
                    if chunk.len() > LARGE_WRITE {
                        self.flush().await?;
                        self.stream.write_all(&chunk).await?;
                    } else {
                        self.wbuf.extend_from_slice(&chunk);
                    }
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

    async fn flush(&mut self) -> Result<(), Error> {
        if !self.wbuf.is_empty() {
            self.stream.write_all(&self.wbuf).await?;
            self.wbuf.clear();
        }
        Ok(())
    }

    /// Makes room at the end of the read buffer: allocate it after an idle spell, move unparsed
    /// bytes to the front, or grow it up to the largest thing that must be buffered whole.
    fn make_room(&mut self) -> Result<(), Error> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if self.rbuf.is_empty() {
            self.rbuf.resize(READ_BUF, 0);
        }
        if self.end == self.rbuf.len() {
            if self.start > 0 {
                self.rbuf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else {
                let max = self.cfg.max_head_size.max(MAX_CHUNK_LINE);
                if self.rbuf.len() >= max {
                    // Parsers reject anything this large before asking for more; never read
                    // into an empty slice, which would look like end of input.
                    return Err(Error::HeadTooLarge);
                }
                let grown = (self.rbuf.len() * 2).min(max);
                self.rbuf.resize(grown, 0);
            }
        }
        Ok(())
    }

    /// Releases the buffers of an idle connection.
    fn shrink(&mut self) {
        if self.start == self.end {
            self.rbuf = Vec::new();
            self.start = 0;
            self.end = 0;
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
        self.start = 0;
        self.end = 0;
        if self.rbuf.is_empty() {
            self.rbuf.resize(READ_BUF, 0);
        }
        while let Ok(Ok(1..)) = timeout_at(deadline, self.stream.read(&mut self.rbuf)).await {}
    }
}

/// Polls a pinned future inside `catch_unwind`.
struct CatchUnwind<'a, F: ?Sized> {
    inner: Pin<&'a mut F>,
}

impl<F: Future + ?Sized> Future for CatchUnwind<'_, F> {
    type Output = std::thread::Result<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.inner.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(res)) => Poll::Ready(Ok(res)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}
