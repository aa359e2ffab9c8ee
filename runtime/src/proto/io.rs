//! A connection's byte stream with its buffers: what was read and not yet parsed, what is to be
//! written, the idle timer, and whether the cached clock may still be used.
//!
//! Buffers are owned by the connection and reused for every request on it, so a busy connection
//! answering small requests allocates nothing per request. The socket is read into a scratch
//! buffer owned by the worker thread ([`READ_CHUNK`] per thread, not per connection) and only the
//! bytes read are copied to the connection's buffer, which therefore holds what the client sent
//! (a few hundred bytes). A connection that stays idle for [`IDLE_SHRINK_AFTER`] releases its
//! buffers and waits for readiness with none at all.
//!
//! "The clock is fresh" (the thread's cached `Date` may be used as is) is kept here, in one
//! place: every method that can wait marks it stale.

use std::cell::RefCell;
use std::future::{Future, poll_fn};
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep, sleep_until, timeout_at};

use crate::proto::config::Config;
use crate::proto::error::Error;
use crate::proto::pressure::Pressure;
use crate::proto::rate::RateClock;
use crate::proto::shutdown::Shutdown;
use crate::types::file::FileBody;
pub(crate) use crate::types::stream::Io;

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

/// Bodies and chunks above this size are written from their own buffer instead of being copied.
const LARGE_WRITE: usize = 16 * 1024;

/// After an error response or `Connection: close`, how long we keep reading (and discarding) what
/// the client still sends before closing. Closing a socket with unread input makes the kernel send
/// a reset, which can destroy the response before the client reads it (RFC 9112 §9.6).
const LINGER: Duration = Duration::from_secs(2);

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

/// A byte stream and its buffers.
pub(crate) struct Transport<S> {
    stream: S,
    socket: Socket<S>,
    /// Input as read; the unparsed bytes are `rbuf[start..]`.
    rbuf: Vec<u8>,
    start: usize,
    /// Output not yet written.
    wbuf: Vec<u8>,
    /// Whether the thread's cached `Date` may be used as is: the task has not waited since it last
    /// read the clock, so no time has passed and it has not moved to another worker thread.
    clock_fresh: bool,
    /// The connection's one timer: the keep-alive timeout and buffer release while idle, the
    /// [`RateClock`] of a head, a body or a blocked write otherwise. Re-armed only when its
    /// deadline changes (about once per rate window), never per read.
    timer: Pin<Box<Sleep>>,
    /// The limits: the send timeout, the minimum rate, the keep-alive timeout and the pressure.
    cfg: Arc<Config>,
}

impl<S: Io> Transport<S> {
    /// `first_deadline`: when the idle timer is first armed (the first request's deadline).
    pub(crate) fn new(stream: S, socket: Socket<S>, cfg: Arc<Config>, first_deadline: Instant) -> Self {
        Self {
            stream,
            socket,
            rbuf: Vec::new(),
            start: 0,
            wbuf: Vec::new(),
            clock_fresh: false,
            // Armed at a real deadline, so that the first wait re-arms it instead of waking at once.
            timer: Box::pin(sleep_until(first_deadline)),
            cfg,
        }
    }

    /// What was read and not yet taken.
    pub(crate) fn input(&self) -> &[u8] {
        &self.rbuf[self.start..]
    }

    /// Takes `n` bytes of [`input`](Self::input).
    pub(crate) fn consume(&mut self, n: usize) {
        self.start += n;
    }

    /// The output buffer, for a head or a small piece of body: written by the next flush.
    pub(crate) fn out(&mut self) -> &mut Vec<u8> {
        &mut self.wbuf
    }

    /// Whether the thread's cached clock may be used as is.
    pub(crate) fn clock_fresh(&self) -> bool {
        self.clock_fresh
    }

    /// The clock was just read (fresh) or something waited (stale).
    pub(crate) fn set_clock_fresh(&mut self, fresh: bool) {
        self.clock_fresh = fresh;
    }

    /// Waits for the first bytes of a request. `Ok(false)`: `deadline` (or the keep-alive
    /// timeout, when `None`) passed, the peer closed, the server is shutting down, or (between
    /// two requests, `deadline` `None`) the connection was the oldest idle one when the accept
    /// loop needed its slot. An idle connection releases its buffers, and calls `release_also`
    /// for the caller's, after [`IDLE_SHRINK_AFTER`].
    ///
    /// The keep-alive timeout is the pressure's ([`Pressure::scale`](crate::proto::pressure::Pressure::scale)),
    /// computed when the wait starts. A keep-alive connection joins the idle queue when it
    /// releases its buffers.
    pub(crate) async fn read_idle(
        &mut self,
        deadline: Option<Instant>,
        shutdown: &mut Shutdown,
        mut release_also: impl FnMut(),
    ) -> Result<bool, Error> {
        self.flush().await?;
        if shutdown.is_signalled() {
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
        let pressure = &*self.cfg.pressure;
        let keep_alive = deadline.is_none();
        let deadline = deadline.unwrap_or_else(|| now + pressure.scale(self.cfg.keep_alive_timeout));
        let shrink_at = now + IDLE_SHRINK_AFTER;
        let mut shrunk = false;
        // The place in the idle queue, taken by a keep-alive connection when it releases its
        // buffers: every one a second after it went idle, so the queue's order is the order in
        // which they went idle, and a busy connection never joins it.
        let mut turn = pin!(None::<tokio::sync::futures::Notified<'_>>);
        // The timer stays registered across requests and is re-armed only when it would wake too
        // late, or when it fires (an early wake-up from an earlier idle spell): on a busy
        // connection that is about once a second, not once per request.
        if self.timer.deadline() > shrink_at.min(deadline) {
            self.timer.as_mut().reset(shrink_at.min(deadline));
        }
        // The read just polled registered the wake-up: the first poll below need not read again.
        let mut read_polled = true;
        loop {
            let (stream, rbuf, start) = (&mut self.stream, &mut self.rbuf, &mut self.start);
            let read_polled = &mut read_polled;
            tokio::select! {
                biased;
                read = poll_fn(|cx| {
                    if std::mem::take(read_polled) { Poll::Pending } else { poll_fill(stream, rbuf, start, cx) }
                }) => return Ok(read? > 0),
                () = shutdown.signalled() => return Ok(false),
                () = poll_fn(|cx| turn.as_mut().as_pin_mut().map_or(Poll::Pending, |turn| turn.poll(cx))) => {
                    if pressure.take_room() {
                        tracing::debug!("closing the oldest idle connection to make room for a new one");
                        return Ok(false);
                    }
                    turn.set(Some(pressure.idle_turn()));
                }
                () = self.timer.as_mut() => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Ok(false);
                    }
                    if !shrunk && now >= shrink_at {
                        shrink(&mut self.rbuf, &mut self.start, &mut self.wbuf);
                        release_also();
                        shrunk = true;
                        if keep_alive && turn.is_none() {
                            turn.set(Some(pressure.idle_turn()));
                        }
                    }
                    let next = if shrunk { deadline } else { shrink_at.min(deadline) };
                    self.timer.as_mut().reset(next);
                }
            }
        }
    }

    /// Reads more of a request that has started; `Ok(0)` is end of input, `Err(Timeout)` the
    /// clock's deadline passed or its minimum rate was not kept.
    pub(crate) async fn read_more(&mut self, clock: &mut RateClock) -> Result<usize, Error> {
        self.flush().await?;
        self.clock_fresh = false;
        let (stream, rbuf, start) = (&mut self.stream, &mut self.rbuf, &mut self.start);
        let pressure = &self.cfg.pressure;
        match within(&mut self.timer, clock, pressure, poll_fn(|cx| poll_fill(stream, rbuf, start, cx))).await {
            Some(Ok(n)) => {
                clock.moved(n);
                Ok(n)
            }
            Some(Err(e)) => Err(e.into()),
            None => Err(Error::Timeout),
        }
    }

    /// Reads up to `max` bytes straight from the stream, past the buffer (which must be empty):
    /// the pieces of a large body. `Ok(empty)` is end of input.
    pub(crate) async fn read_piece(&mut self, max: usize, clock: &mut RateClock) -> Result<Bytes, Error> {
        use tokio::io::AsyncReadExt;
        debug_assert!(self.input().is_empty());
        self.clock_fresh = false;
        let mut piece = bytes::BytesMut::with_capacity(max);
        match within(&mut self.timer, clock, &self.cfg.pressure, self.stream.read_buf(&mut piece)).await {
            Some(Ok(n)) => {
                clock.moved(n);
                Ok(piece.freeze())
            }
            Some(Err(e)) => Err(e.into()),
            None => Err(Error::Timeout),
        }
    }

    /// Queues `bytes` in the write buffer, or writes a large piece from where it is.
    pub(crate) async fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if bytes.len() > LARGE_WRITE {
            self.flush().await?;
            send(&mut self.stream, bytes, &mut self.timer, &self.cfg).await?;
        } else {
            self.wbuf.extend_from_slice(bytes);
        }
        Ok(())
    }

    /// Writes out the write buffer. Writing may wait, so the clock is read again afterwards.
    pub(crate) async fn flush(&mut self) -> Result<(), Error> {
        if !self.wbuf.is_empty() {
            self.clock_fresh = false;
            let sent = send(&mut self.stream, &self.wbuf, &mut self.timer, &self.cfg).await;
            self.wbuf.clear();
            sent?;
        }
        Ok(())
    }

    /// Sends a file body with `sendfile` when the stream is a plain TCP socket (Linux), within
    /// the send timeout as [`send`] does; `Ok(Ok(false))` when the file ended early. `Ok(Err)`
    /// gives the body back where the stream is not one (TLS, a pipe, another platform).
    pub(crate) async fn sendfile(&mut self, mut file: FileBody) -> Result<Result<bool, FileBody>, Error> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if self.socket.plain {
            self.flush().await?;
            if let Some(tcp) = (self.socket.tcp)(&self.stream) {
                let cfg = &*self.cfg;
                let mut clock = RateClock::transfer(cfg.send_timeout, cfg.min_rate, &cfg.pressure);
                while !file.is_empty() {
                    let sent = within(
                        &mut self.timer,
                        &mut clock,
                        &cfg.pressure,
                        tcp.async_io(tokio::io::Interest::WRITABLE, || file.send_to(tcp)),
                    )
                    .await
                    .ok_or_else(send_timed_out)??;
                    if sent == 0 {
                        tracing::warn!(missing = file.len(), "a file shrank while it was sent; closing");
                        return Ok(Ok(false));
                    }
                    clock.moved(sent);
                }
                return Ok(Ok(true));
            }
        }
        Ok(Err(file))
    }

    /// Makes the close that follows a reset (`SO_LINGER` 0), for a client that stopped reading:
    /// a normal close would leave the unsent response queued in the kernel, still trickling to
    /// the client that holds it (slowhttptest's slow-read attack) long after we let go.
    pub(crate) fn reset(&self) {
        if let Some(tcp) = (self.socket.tcp)(&self.stream) {
            let _ = tcp.set_zero_linger();
        }
    }

    /// Flushes, half-closes, then reads and discards input until the peer closes or [`LINGER`]
    /// passes: the last response reaches the client before the close.
    pub(crate) async fn close_after(&mut self) {
        if self.flush().await.is_err() || self.stream.shutdown().await.is_err() {
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

    /// The stream and the input not yet taken, for whoever takes the connection over.
    pub(crate) fn into_parts(mut self) -> (S, Vec<u8>) {
        self.rbuf.drain(..self.start);
        (self.stream, self.rbuf)
    }
}

/// Writes `bytes` within the send timeout, extended by a second per 8 KiB the client takes,
/// and at the minimum rate ([`RateClock`]): a client that stops reading (or reads a trickle)
/// cannot hold the connection. A write the socket takes at once (the usual case, and every write
/// of a server-sent event stream to a client that reads it) reads no clock and arms no timer.
async fn send<S: AsyncWrite + Unpin>(
    stream: &mut S,
    bytes: &[u8],
    timer: &mut Pin<Box<Sleep>>,
    cfg: &Config,
) -> io::Result<()> {
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
    let mut clock = RateClock::transfer(cfg.send_timeout, cfg.min_rate, &cfg.pressure);
    while written < bytes.len() {
        match within(timer, &mut clock, &cfg.pressure, stream.write(&bytes[written..])).await {
            Some(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
            Some(Ok(n)) => {
                written += n;
                clock.moved(n);
            }
            Some(Err(e)) => return Err(e),
            None => return Err(send_timed_out()),
        }
    }
    Ok(())
}

/// What ended one wait of [`within`].
enum Woke<T> {
    Done(T),
    Timer,
    Rescaled,
}

/// Runs `op` until it completes, or until `clock` cuts it (`None`), on the connection's one
/// timer: the timer is re-armed only when the clock's deadline moved (a new window, or bytes
/// that extended the deadline), so a transfer of many reads arms it about once per window.
/// When the pressure rises meanwhile, the clock is rescaled, and may cut at once.
async fn within<F: Future>(
    timer: &mut Pin<Box<Sleep>>,
    clock: &mut RateClock,
    pressure: &Pressure,
    op: F,
) -> Option<F::Output> {
    let mut op = pin!(op);
    loop {
        let deadline = clock.deadline();
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        let mut rescaled = pin!(pressure.rescaled());
        let woke = poll_fn(|cx| {
            if let Poll::Ready(out) = op.as_mut().poll(cx) {
                return Poll::Ready(Woke::Done(out));
            }
            if rescaled.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Woke::Rescaled);
            }
            ready!(timer.as_mut().poll(cx));
            Poll::Ready(Woke::Timer)
        })
        .await;
        match woke {
            Woke::Done(out) => return Some(out),
            Woke::Rescaled => clock.rescale(pressure),
            // `expired` is false only with a deadline after now: the loop cannot spin.
            Woke::Timer if clock.expired(Instant::now()) => return None,
            Woke::Timer => {}
        }
    }
}

/// The error of a write that passed its [`RateClock`] deadline; the connection then closes with
/// a reset (see [`Transport::reset`]).
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

/// Releases the buffers of an idle connection.
fn shrink(rbuf: &mut Vec<u8>, start: &mut usize, wbuf: &mut Vec<u8>) {
    if *start == rbuf.len() {
        *rbuf = Vec::new();
        *start = 0;
    }
    if wbuf.is_empty() {
        *wbuf = Vec::new();
    }
}

/// Appends `bytes` to the unparsed input `rbuf[*start..]`, first dropping what was parsed.
fn append(rbuf: &mut Vec<u8>, start: &mut usize, bytes: &[u8]) {
    if *start > 0 {
        rbuf.drain(..*start);
        *start = 0;
    }
    rbuf.extend_from_slice(bytes);
}
