//! One connection: read a head, frame its body, call the application, write the response;
//! repeat while the connection persists (RFC 9112 §9.3). The buffers and the clock flag are the
//! [`Transport`]'s; the body framings are in [`crate::proto::decode`]; this module is the sequencing.
//!
//! Pipelined requests (RFC 9112 §9.3.2) are parsed straight from the read buffer while complete
//! ones remain; their responses are appended to one write buffer, which is flushed only before the
//! connection would wait for more input (or once it passes [`WRITE_BATCH`]).

use std::future::{Future, poll_fn};
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::Poll;

use bytes::Bytes;
use http::{Method, StatusCode, Version};
use tokio::time::Instant;

use crate::proto::config::Config;
use crate::proto::decode::{self, Pending};
use crate::proto::encode::{self, Exchange, Framing};
use crate::proto::error::Error;
use crate::proto::io::{Io, Socket, Transport};
use crate::proto::parse::{Head, parse_head};
use crate::proto::rate::RateClock;
use crate::proto::shutdown::Shutdown;
use crate::types::call::{CatchUnwind, answer};
use crate::types::feed::{self, Feed};
use crate::types::peer::Peer;
use crate::types::upgrade::{OnUpgrade, Upgraded};
use crate::{App, Body, Request, Response};

/// Pipelined responses are flushed once the write buffer passes this size.
const WRITE_BATCH: usize = 64 * 1024;

/// How a connection ends.
enum End {
    /// Nothing pending: the peer closed, went idle past the timeout, or the server is shutting down.
    Quiet,
    /// A response said `connection: close`: flush, half-close, then drain.
    AfterResponse,
    /// A `101 Switching Protocols` went out: the connection now belongs to this.
    Upgrade(OnUpgrade),
}

/// A connection: its stream and buffers, its limits, and the request being answered.
///
/// Only the request loop ([`Conn::run`]) is generic over the application. It creates each
/// handler's future and polls it, alone or beside the body's reader ([`call_streaming`], which
/// takes it as `&mut dyn Future`). Reading, framing and writing are generic over the stream
/// only, and for TCP and TLS compiled once, in this crate (`serve::task::share_connection_code`).
/// So when a route of the application changes, only the loop is compiled again, not the
/// connection code around it (BENCHMARKS.md, build cost).
pub(crate) struct Conn<S> {
    io: Transport<S>,
    cfg: Arc<Config>,
    shutdown: Shutdown,
    accepted: Instant,
    req: Request,
    served: u64,
}

/// A body that streams in while the handler runs.
struct Streaming {
    pending: Pending,
    feed: Feed,
    expect_continue: bool,
}

/// A handler's future as the connection polls it.
type Handler<'a> = Pin<&'a mut (dyn Future<Output = Response> + Send + 'a)>;

impl<S: Io> Conn<S> {
    pub(crate) fn new(stream: S, socket: Socket<S>, peer: Peer, cfg: Arc<Config>, shutdown: Shutdown) -> Self {
        let mut req = Request::empty();
        req.set_peer(peer);
        req.set_trusted_proxies(cfg.trusted_proxies.clone());
        req.set_default_body_limit(cfg.max_body_size);
        let accepted = Instant::now();
        let io = Transport::new(stream, socket, Arc::clone(&cfg), accepted + cfg.header_read_timeout);
        Self { io, cfg, shutdown, accepted, req, served: 0 }
    }

    /// After the loop: hands an upgraded connection over, or says a last word and closes.
    async fn end(mut self, end: Result<End, Error>) {
        let last_words = match end {
            Ok(End::Upgrade(run)) => {
                let (stream, early, ..) = self.into_parts();
                return run(Upgraded::new(Box::new(stream), Bytes::from(early))).await;
            }
            Ok(End::Quiet) => false,
            Ok(End::AfterResponse) => true,
            Err(e) => match e.status() {
                Some(status) => {
                    tracing::debug!(status = status.as_u16(), error = e.message(), "rejected request");
                    encode::write_error(self.io.out(), status, e.message());
                    true
                }
                None => {
                    if let Error::Io(io) = &e {
                        tracing::trace!(error = %io, "connection failed");
                        if io.kind() == io::ErrorKind::TimedOut {
                            self.io.reset();
                        }
                    }
                    false
                }
            },
        };
        // A last response to deliver: flush it, half-close, and drain before closing.
        if last_words {
            self.io.close_after().await;
        }
    }

    /// Frames the body of the request just read: `None` when it came whole (or there is none),
    /// else the reader the handler will see is set on the request, and its feed returned.
    #[inline]
    fn frame(&mut self, head: &Head) -> Result<Option<Streaming>, Error> {
        Ok(decode::frame(&mut self.io, head.body, &self.cfg, &mut self.req)?.map(|pending| {
            let (feed, incoming) = feed::channel(pending.declared(), self.cfg.max_body_size);
            self.req.set_incoming(Some(incoming));
            Streaming { pending, feed, expect_continue: head.expect_continue }
        }))
    }

    /// Reads until a complete head is buffered. `Ok(None)`: the connection ended between requests.
    async fn read_head(&mut self, idle_deadline: Option<Instant>) -> Result<Option<Head>, Error> {
        let mut clock = None;
        loop {
            if !self.io.input().is_empty() {
                if let Some(head) = parse_head(self.io.input(), &self.cfg, &mut self.req)? {
                    self.io.consume(head.len);
                    return Ok(Some(head));
                }
            } else if clock.is_none() {
                let req = &mut self.req;
                if !self.io.read_idle(idle_deadline, &mut self.shutdown, || req.shrink()).await? {
                    return Ok(None);
                }
                continue;
            }
            // RFC 9112 §9.5: a started request that stalls, or trickles in below the minimum
            // rate, is timed out (408). Under pressure, both sooner.
            let clock = clock.get_or_insert_with(|| {
                let cfg = &*self.cfg;
                let mut clock = RateClock::head(cfg.header_read_timeout, cfg.min_rate, &cfg.pressure);
                // What came already counts in the first window: a head split by a lost packet
                // is not cut while the packet is sent again.
                clock.moved(self.io.input().len());
                clock
            });
            if self.io.read_more(clock).await? == 0 {
                return Err(Error::Closed);
            }
        }
    }

    /// Writes the body; `Ok(false)` when a stream of declared length broke its length (the
    /// connection must then close).
    async fn write_body(&mut self, body: Body, framing: Framing) -> Result<bool, Error> {
        let body = match body {
            Body::File(file) if framing != Framing::None => match self.io.sendfile(file).await? {
                Ok(complete) => return Ok(complete),
                Err(file) => Body::Stream(file.into_stream()),
            },
            body => body,
        };
        match (framing, body) {
            (Framing::Length, Body::Full(bytes)) => {
                self.io.write_bytes(&bytes).await?;
            }
            (Framing::Chunked | Framing::Close | Framing::Declared(_), Body::Stream(mut chunks)) => {
                let chunked = framing == Framing::Chunked;
                let mut left = match framing {
                    Framing::Declared(n) => Some(n),
                    _ => None,
                };
                // The head goes out before the first chunk, which may be slow to come.
                self.io.flush().await?;
                loop {
                    // A stream of unknown length (server-sent events, say) ends when the server
                    // shuts down, cleanly framed, instead of holding the shutdown for its grace
                    // period; one of declared length (a file) is let finish within the grace.
                    let next = tokio::select! {
                        biased;
                        chunk = chunks.recv() => chunk,
                        () = self.shutdown.signalled(), if left.is_none() => None,
                    };
                    let Some(mut chunk) = next else { break };
                    if chunk.is_empty() {
                        continue; // an empty chunk would end a chunked body
                    }
                    if let Some(left) = &mut left {
                        if chunk.len() as u64 > *left {
                            chunk.truncate(usize::try_from(*left).unwrap_or(usize::MAX));
                            self.io.write_bytes(&chunk).await?;
                            return Ok(false);
                        }
                        *left -= chunk.len() as u64;
                    }
                    if chunked {
                        encode::append_chunk_size(self.io.out(), chunk.len());
                    }
                    self.io.write_bytes(&chunk).await?;
                    if chunked {
                        self.io.out().extend_from_slice(b"\r\n");
                    }
                    if chunks.is_empty() || self.io.out().len() >= WRITE_BATCH {
                        self.io.flush().await?;
                    }
                }
                if chunked {
                    self.io.out().extend_from_slice(encode::LAST_CHUNK);
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
}

/// Calls the application while its body streams in: the handler and the body's reader are polled
/// together on this task (nothing spawned, nothing boxed). Returns the response, whether the
/// handler waited, and whether the body was read to its end.
async fn call_streaming<S: Io>(
    io: &mut Transport<S>,
    cfg: &Config,
    req: &Request,
    streaming: Streaming,
    handler: Handler<'_>,
) -> (Response, bool, bool) {
    let Streaming { pending, feed, expect_continue } = streaming;
    io.set_clock_fresh(false);
    let mut waited = false;
    let mut pumped = None;
    let outcome = {
        let mut pump = pin!(decode::pump(io, cfg, expect_continue, pending, feed));
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
    (answer(req, outcome), waited, pumped == Some(true))
}

/// The request loop, the one part of a connection generic over the application.
impl<S: Io> Conn<S> {
    /// Serves requests until the connection ends; never fails, never panics on client input.
    pub(crate) async fn run<A: App>(mut self, app: Arc<A>) {
        let end = self.serve(&*app).await;
        self.end(end).await;
    }

    async fn serve<A: App + ?Sized>(&mut self, app: &A) -> Result<End, Error> {
        // The first request must start within the header timeout of the accept (shorter under
        // pressure: a connection that sends nothing holds a slot others wait for).
        let mut idle_deadline = Some(self.accepted + self.cfg.pressure.scale(self.cfg.header_read_timeout));
        loop {
            let Some(head) = self.read_head(idle_deadline.take()).await? else {
                return Ok(End::Quiet);
            };
            self.served += 1;
            let mut keep_alive =
                head.keep_alive && self.cfg.max_requests_per_connection.is_none_or(|max| self.served < max);
            let started = debug_clock();
            let streaming = self.frame(&head)?;
            let streamed = streaming.is_some();
            let (mut res, waited) = {
                let Self { io, cfg, req, .. } = self;
                let handler = pin!(app.handle(req));
                match streaming {
                    // Polled right here (an `async fn` around it costs ~80 instructions per
                    // request): a panic becomes a 500 for this request and the connection goes
                    // on, as the request was read in full. No extra task and no allocation,
                    // unlike spawning the handler and mapping `JoinError::is_panic`.
                    None => {
                        let mut waited = false;
                        let outcome = CatchUnwind { inner: handler, waited: &mut waited }.await;
                        (answer(req, outcome), waited)
                    }
                    Some(streaming) => {
                        let (res, waited, body_done) = call_streaming(io, cfg, req, streaming, handler).await;
                        // A body left unread (the route never asked, or stopped asking) or broken
                        // ends the connection after this response: what follows it cannot be
                        // framed.
                        keep_alive &= body_done;
                        (res, waited)
                    }
                }
            };
            if streamed {
                self.req.set_incoming(None);
            }
            if waited {
                self.io.set_clock_fresh(false);
            }
            // Once the server shuts down, this response is the connection's last (an atomic load).
            if self.shutdown.is_signalled() {
                keep_alive = false;
            }
            let mut ex = Exchange {
                head_request: self.req.method() == Method::HEAD,
                http10: self.req.version() == Version::HTTP_10,
                keep_alive,
                check_clock: !self.io.clock_fresh(),
            };
            let framing = encode::write_head(self.io.out(), &res, &mut ex);
            self.io.set_clock_fresh(!ex.check_clock);
            let status = res.status();
            if let Some(run) = res.take_upgrade() {
                self.io.flush().await?;
                return Ok(End::Upgrade(run));
            }
            if !self.write_body(res.take_body(), framing).await? {
                ex.keep_alive = false;
            }
            if let Some(started) = started {
                self.log(started, status);
            }
            // The body may be large; do not keep it until the next request replaces it.
            if !self.req.body().is_empty() {
                self.req.set_body(Bytes::new());
            }
            if !ex.keep_alive {
                return Ok(End::AfterResponse);
            }
            if self.io.out().len() >= WRITE_BATCH {
                self.io.flush().await?;
            }
        }
    }
}

/// When a request started, if requests are logged (at `DEBUG`).
#[inline]
fn debug_clock() -> Option<std::time::Instant> {
    tracing::enabled!(tracing::Level::DEBUG).then(std::time::Instant::now)
}

impl<S> Conn<S> {
    /// The debug log's line for a request.
    fn log(&self, started: std::time::Instant, status: StatusCode) {
        tracing::debug!(
            method = %self.req.method(),
            path = self.req.path(),
            status = status.as_u16(),
            latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "request"
        );
    }
}

/// What the server layer needs to hand a connection to another protocol.
impl<S: Io> Conn<S> {
    /// Reads until the first bytes are known to be `prefix` or not; `None` when the peer closed,
    /// failed, or sent nothing within the header timeout. The bytes read stay buffered: a request
    /// is then parsed from them with no extra read, so a connection pays nothing for the check.
    #[allow(dead_code, reason = "the server layer sniffs for the HTTP/2 preface with it (feature `http2`)")]
    pub(crate) async fn opens_with(&mut self, prefix: &[u8]) -> Option<bool> {
        let mut clock = RateClock::fixed(self.accepted + self.cfg.header_read_timeout);
        loop {
            let input = self.io.input();
            let n = input.len().min(prefix.len());
            if input[..n] != prefix[..n] {
                return Some(false);
            }
            if n == prefix.len() {
                return Some(true);
            }
            match self.io.read_more(&mut clock).await {
                Ok(1..) => {}
                Ok(0) | Err(_) => return None,
            }
        }
    }

    /// The connection taken apart for another protocol (HTTP/2, or whatever takes over after a
    /// `101`): the stream, what was read and not yet parsed, the peer, the limits and the
    /// shutdown signal.
    pub(crate) fn into_parts(self) -> (S, Vec<u8>, Option<Peer>, Arc<Config>, Shutdown) {
        let peer = self.req.peer();
        let (stream, input) = self.io.into_parts();
        (stream, input, peer, self.cfg, self.shutdown)
    }
}
