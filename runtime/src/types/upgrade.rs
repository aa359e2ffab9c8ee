//! Connection takeover after `101 Switching Protocols` (RFC 9110 §7.8): the bytes of an HTTP/1.1
//! connection handed to another protocol, such as WebSocket.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep, sleep};

use crate::types::stream::Io;

/// What runs on an upgraded connection; boxed once per upgrade (not per request).
pub(crate) type OnUpgrade = Box<dyn FnOnce(Upgraded) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// An upgraded connection: the bytes the client sent after its request head, then the socket.
/// Reads and writes fail with `TimedOut` when nothing moves either way for the idle timeout.
#[cfg_attr(not(feature = "ws"), allow(unreachable_pub, reason = "public through `ws` only"))]
pub struct Upgraded {
    io: Box<dyn Io>,
    early: Bytes,
    idle: Option<(Duration, Pin<Box<Sleep>>)>,
}

impl std::fmt::Debug for Upgraded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upgraded").field("early", &self.early.len()).finish_non_exhaustive()
    }
}

impl Upgraded {
    pub(crate) fn new(io: Box<dyn Io>, early: Bytes) -> Self {
        Self { io, early, idle: None }
    }

    /// Ends the connection when nothing is read or written for `timeout`.
    #[cfg_attr(not(feature = "ws"), allow(dead_code, reason = "only the `ws` feature upgrades"))]
    pub(crate) fn set_idle_timeout(&mut self, timeout: Duration) {
        self.idle = Some((timeout, Box::pin(sleep(timeout))));
    }

    /// After progress: the idle timer starts again.
    fn moved(&mut self) {
        if let Some((timeout, timer)) = &mut self.idle {
            timer.as_mut().reset(Instant::now() + *timeout);
        }
    }

    /// While waiting: whether the idle time is up.
    fn idle_expired(&mut self, cx: &mut Context<'_>) -> bool {
        self.idle.as_mut().is_some_and(|(_, timer)| timer.as_mut().poll(cx).is_ready())
    }
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "the upgraded connection was idle too long")
}

impl AsyncRead for Upgraded {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.early.has_remaining() {
            let n = this.early.len().min(buf.remaining());
            buf.put_slice(&this.early[..n]);
            this.early.advance(n);
            return Poll::Ready(Ok(()));
        }
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(done) => {
                this.moved();
                Poll::Ready(done)
            }
            Poll::Pending if this.idle_expired(cx) => Poll::Ready(Err(timed_out())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for Upgraded {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        match Pin::new(&mut this.io).poll_write(cx, buf) {
            Poll::Ready(done) => {
                this.moved();
                Poll::Ready(done)
            }
            Poll::Pending if this.idle_expired(cx) => Poll::Ready(Err(timed_out())),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
