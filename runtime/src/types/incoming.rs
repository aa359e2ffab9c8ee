//! Request bodies read while the handler runs: routed first, read only when a route asks.
//!
//! The server parses a request's head and routes it before reading its body. A body that is not
//! already in the connection's buffer reaches the handler as a [`BodyStream`]: chunks come from
//! the socket as the handler asks for them (one chunk in flight: backpressure), the route's limit
//! is enforced as they come, and `100 Continue` goes out only when the handler first asks. A
//! request that no route takes (404, 405, a `400` for a bad parameter, a guard's refusal) is
//! answered without reading its body; see [`crate::Server`] for what happens to the unread body.

use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use tokio::sync::{Notify, mpsc};

use crate::Request;
pub use crate::types::feed::BodyError;

/// A request body, read chunk by chunk as the handler asks (`body: BodyStream` in a route).
///
/// Chunks come with backpressure: the server reads the next one from the socket only when this
/// one was taken. The route's limit (`limit 1 GiB`, or the server's body limit) is enforced as
/// chunks come; a client that goes away mid-body gives [`BodyError::Incomplete`], never a
/// silently short body.
///
/// ```
/// use waymark::{Method, Request, routes};
/// use waymark::incoming::BodyStream;
///
/// async fn count(mut body: BodyStream) -> String {
///     let mut bytes = 0;
///     while let Some(chunk) = body.chunk().await {
///         match chunk {
///             Ok(chunk) => bytes += chunk.len(),
///             Err(e) => return format!("failed after {bytes} bytes: {e}"),
///         }
///     }
///     format!("{bytes} bytes")
/// }
///
/// routes! {
///     Api;
///     PUT "/upload" body: BodyStream limit 1 GiB => count(body),
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let res = Api::new().call(Request::new(Method::PUT, "/upload").with_body("hello")).await;
/// assert_eq!(res.body_bytes().map(|b| &b[..]), Some(&b"5 bytes"[..]));
/// # }
/// ```
#[derive(Debug)]
pub struct BodyStream {
    source: Source,
    limit: Option<u64>,
    received: u64,
}

#[derive(Debug)]
enum Source {
    /// Read ahead (in-process, or already in the connection's buffer).
    Buffered(Option<Bytes>),
    Streamed {
        rx: mpsc::Receiver<Result<Bytes, BodyError>>,
        demand: Arc<Notify>,
        asked: bool,
    },
    /// Taken already, by an earlier reader.
    Gone,
}

impl BodyStream {
    /// The body of `req`, within `limit` (the route's; `None` for the server's default). A body
    /// can be taken once: a second reader gets an empty body.
    ///
    /// # Errors
    /// [`BodyError::TooLarge`] at once when the declared length is over the limit: nothing is
    /// read, and no `100 Continue` is sent.
    pub fn of(req: &Request, limit: Option<u64>) -> Result<Self, BodyError> {
        let Some(incoming) = req.incoming() else {
            let body = req.body().clone();
            return match limit.or(req.default_body_limit()) {
                Some(limit) if body.len() as u64 > limit => Err(BodyError::TooLarge(limit)),
                _ => Ok(Self { source: Source::Buffered(Some(body)), limit, received: 0 }),
            };
        };
        let limit = limit.unwrap_or(incoming.default_limit);
        if incoming.declared.is_some_and(|len| len > limit) {
            return Err(BodyError::TooLarge(limit));
        }
        incoming.limit.store(limit, Ordering::Relaxed);
        let rx = incoming.rx.lock().unwrap_or_else(PoisonError::into_inner).take();
        let source = match rx {
            Some(rx) => Source::Streamed { rx, demand: Arc::clone(&incoming.demand), asked: false },
            None => Source::Gone,
        };
        Ok(Self { source, limit: Some(limit), received: 0 })
    }

    /// Puts a streamed body that nobody read back into its request, for the next reader (a
    /// tower layer that passed the body on unread: the handler reads it with its route's limit).
    #[cfg(feature = "tower")]
    pub(crate) fn give_back(self, req: &Request) {
        if let Source::Streamed { rx, asked: false, .. } = self.source
            && let Some(incoming) = req.incoming()
        {
            *incoming.rx.lock().unwrap_or_else(PoisonError::into_inner) = Some(rx);
        }
    }

    /// The next chunk; `None` at the end of the body.
    pub async fn chunk(&mut self) -> Option<Result<Bytes, BodyError>> {
        std::future::poll_fn(|cx| self.poll_chunk(cx)).await
    }

    /// Reads the rest of the body into one buffer.
    ///
    /// # Errors
    /// As [`Self::chunk`].
    pub async fn collect(mut self) -> Result<Bytes, BodyError> {
        if let Source::Buffered(body) = &mut self.source {
            return Ok(body.take().unwrap_or_default());
        }
        let mut all = BytesMut::new();
        while let Some(chunk) = self.chunk().await {
            all.extend_from_slice(&chunk?);
        }
        Ok(all.freeze())
    }

    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, BodyError>>> {
        let next = match &mut self.source {
            Source::Buffered(body) => body.take().filter(|b| !b.is_empty()).map(Ok),
            Source::Gone => None,
            Source::Streamed { rx, demand, asked } => {
                if !*asked {
                    // The connection starts reading (and sends `100 Continue`) on the first ask.
                    *asked = true;
                    demand.notify_one();
                }
                ready!(rx.poll_recv(cx))
            }
        };
        if let Some(Ok(chunk)) = &next {
            self.received += chunk.len() as u64;
            if let Some(limit) = self.limit.filter(|&limit| self.received > limit) {
                // Dropping the receiver tells the connection to stop reading.
                self.source = Source::Gone;
                return Poll::Ready(Some(Err(BodyError::TooLarge(limit))));
            }
        }
        Poll::Ready(next)
    }
}

impl futures_core::Stream for BodyStream {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_chunk(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::feed::channel;
    use http::Method;

    #[tokio::test]
    async fn streams_with_demand_limits_and_errors() {
        let (feed, incoming) = channel(None, 10);
        let req = Request::new(Method::PUT, "/").with_incoming(incoming);
        let mut body = BodyStream::of(&req, None).unwrap();
        let feeder = tokio::spawn(async move {
            feed.demand.notified().await;
            // Sends until the reader goes away (one chunk may sit in the channel when it does).
            for piece in ["abc", "defg"].into_iter().chain(std::iter::repeat_n("hijk", 100)) {
                if feed.tx.send(Ok(Bytes::from(piece))).await.is_err() {
                    return "stopped";
                }
            }
            "sent all"
        });
        assert_eq!(body.chunk().await, Some(Ok(Bytes::from("abc"))));
        assert_eq!(body.chunk().await, Some(Ok(Bytes::from("defg"))));
        assert_eq!(body.chunk().await, Some(Err(BodyError::TooLarge(10))));
        assert_eq!(body.chunk().await, None);
        assert_eq!(feeder.await.unwrap(), "stopped");
        // Taken once: a second reader gets nothing.
        assert_eq!(BodyStream::of(&req, None).unwrap().collect().await, Ok(Bytes::new()));
    }

    #[tokio::test]
    async fn declared_length_over_the_limit_is_refused_before_reading() {
        let (feed, incoming) = channel(Some(100), 1_000);
        let req = Request::new(Method::PUT, "/").with_incoming(incoming);
        assert_eq!(BodyStream::of(&req, Some(99)).unwrap_err(), BodyError::TooLarge(99));
        assert!(BodyStream::of(&req, None).is_ok());
        drop(feed);
    }

    #[tokio::test]
    async fn a_short_body_is_an_error_not_a_truncation() {
        let (feed, incoming) = channel(Some(8), 1_000);
        let req = Request::new(Method::PUT, "/").with_incoming(incoming);
        tokio::spawn(async move {
            feed.demand.notified().await;
            let _ = feed.tx.send(Ok(Bytes::from("abcd"))).await;
            let _ = feed.tx.send(Err(BodyError::Incomplete)).await;
        });
        let body = BodyStream::of(&req, None).unwrap();
        assert_eq!(body.collect().await, Err(BodyError::Incomplete));
    }

    #[tokio::test]
    async fn buffered_bodies_read_the_same_way() {
        let req = Request::new(Method::PUT, "/").with_body("hello");
        assert_eq!(BodyStream::of(&req, Some(4)).unwrap_err(), BodyError::TooLarge(4));
        let mut body = BodyStream::of(&req, Some(5)).unwrap();
        assert_eq!(body.chunk().await, Some(Ok(Bytes::from("hello"))));
        assert_eq!(body.chunk().await, None);
    }
}
