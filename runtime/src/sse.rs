//! Server-sent events: a `text/event-stream` response fed by a stream of [`Event`]s, with
//! keep-alive comments (WHATWG HTML, "Server-sent events").
//!
//! Return an [`Sse`] from a handler. It is built from any [`Stream`] of events, or from the
//! receiving end of a tokio channel with [`Sse::channel`]. Each event is written and flushed as
//! soon as it comes; between events, a comment line goes out every 15 seconds (by default) so that
//! proxies keep the connection open and a client that went away is noticed. The stream ends, and
//! the response with it, when the event stream ends or the client disconnects.
//!
//! A reconnecting browser sends the id of the last event it saw; [`last_event_id`] reads it, so a
//! handler can resume from there.
//!
//! In a `waymark` table:
//!
//! ```text
//! GET "/events" => async move { ticks(sse::last_event_id(req)) },
//! ```
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use std::time::Duration;
//! use waymark_runtime::sse::{Event, Receiver, Sse};
//! use waymark_runtime::{IntoResponse, Method, Request};
//!
//! fn ticks(from: u64) -> Sse<Receiver> {
//!     let (tx, sse) = Sse::channel(8);
//!     tokio::spawn(async move {
//!         for n in from.. {
//!             let event = Event::new().event("tick").id(n.to_string()).data(format!("tick {n}"));
//!             if tx.send(event).await.is_err() {
//!                 break; // the client went away
//!             }
//!             tokio::time::sleep(Duration::from_secs(1)).await;
//!         }
//!     });
//!     sse
//! }
//!
//! let req = Request::new(Method::GET, "/events").with_header("last-event-id", "41");
//! let from = waymark_runtime::sse::last_event_id(&req).and_then(|id| id.parse::<u64>().ok()).map_or(0, |n| n + 1);
//! let res = ticks(from).into_response();
//! assert_eq!(res.header("content-type"), Some("text/event-stream"));
//! # }
//! ```

use std::fmt;
use std::future::{pending, poll_fn};
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
pub use futures_core::Stream;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use crate::{Body, IntoResponse, Request, Response};

/// The default interval of keep-alive comments: shorter than the idle timeouts of common proxies
/// and load balancers (30 to 60 s).
///
/// ```
/// assert_eq!(waymark_runtime::sse::DEFAULT_KEEP_ALIVE.as_secs(), 15);
/// ```
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Encoded events that may wait for the socket before the producer is held back.
const EVENTS_AHEAD: usize = 8;

/// The comment sent when nothing else was sent for a keep-alive interval.
const KEEP_ALIVE_COMMENT: &[u8] = b": keep-alive\n\n";

/// One event: optional `event` type, `id`, `retry` and comment, and the data.
///
/// Data with line breaks (`\n`, `\r\n` or `\r`) is sent as one `data:` line per line, which the
/// client joins back with `\n`. The `event` and `id` fields are single lines: a line break in them
/// (or a NUL in the id, which makes a browser ignore it) is replaced by a space.
///
/// ```
/// use std::time::Duration;
/// use waymark_runtime::sse::Event;
///
/// let event = Event::new().event("update").id("7").retry(Duration::from_secs(3)).data("line 1\nline 2");
/// assert_eq!(event.to_string(), "event: update\nid: 7\nretry: 3000\ndata: line 1\ndata: line 2\n\n");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    comment: Option<String>,
    kind: Option<String>,
    id: Option<String>,
    retry: Option<Duration>,
    data: Option<String>,
}

impl Event {
    /// An event with no fields; add them with the builder methods.
    ///
    /// ```
    /// assert_eq!(waymark_runtime::sse::Event::new().data("hi").to_string(), "data: hi\n\n");
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the data (replacing earlier data).
    ///
    /// ```
    /// use waymark_runtime::sse::Event;
    ///
    /// assert_eq!(Event::new().data("a\r\nb\rc").to_string(), "data: a\ndata: b\ndata: c\n\n");
    /// ```
    #[must_use]
    pub fn data(mut self, data: impl Into<String>) -> Self {
        self.data = Some(data.into());
        self
    }

    /// Sets the data to `value` serialized as JSON (one line).
    ///
    /// ```
    /// use waymark_runtime::sse::Event;
    ///
    /// let event = Event::new().json(&serde_json::json!({"n": 1}))?;
    /// assert_eq!(event.to_string(), "data: {\"n\":1}\n\n");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The error of `serde_json` when `value` cannot be serialized.
    pub fn json<T: serde::Serialize + ?Sized>(self, value: &T) -> Result<Self, serde_json::Error> {
        Ok(self.data(serde_json::to_string(value)?))
    }

    /// Sets the event type (`addEventListener(type, ...)` on the client; `message` when unset).
    ///
    /// ```
    /// use waymark_runtime::sse::Event;
    ///
    /// assert_eq!(Event::new().event("a\nb").to_string(), "event: a b\n\n");
    /// ```
    #[must_use]
    pub fn event(mut self, event: impl Into<String>) -> Self {
        self.kind = Some(single_line(event.into(), false));
        self
    }

    /// Sets the id, which the client sends back as `Last-Event-ID` when it reconnects.
    ///
    /// ```
    /// use waymark_runtime::sse::Event;
    ///
    /// assert_eq!(Event::new().id("42").to_string(), "id: 42\n\n");
    /// ```
    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(single_line(id.into(), true));
        self
    }

    /// Sets how long the client waits before reconnecting, sent in milliseconds.
    ///
    /// ```
    /// use std::time::Duration;
    /// use waymark_runtime::sse::Event;
    ///
    /// assert_eq!(Event::new().retry(Duration::from_millis(2500)).to_string(), "retry: 2500\n\n");
    /// ```
    #[must_use]
    pub fn retry(mut self, after: Duration) -> Self {
        self.retry = Some(after);
        self
    }

    /// Sets a comment, which the client ignores (one `:` line per line).
    ///
    /// ```
    /// use waymark_runtime::sse::Event;
    ///
    /// assert_eq!(Event::new().comment("hello\nthere").to_string(), ": hello\n: there\n\n");
    /// ```
    #[must_use]
    pub fn comment(mut self, text: impl Into<String>) -> Self {
        self.comment = Some(text.into());
        self
    }

    fn encode(&self, out: &mut BytesMut) {
        if let Some(comment) = &self.comment {
            for line in split_lines(comment) {
                put_field(out, "", line);
            }
        }
        if let Some(kind) = &self.kind {
            put_field(out, "event", kind);
        }
        if let Some(id) = &self.id {
            put_field(out, "id", id);
        }
        if let Some(retry) = self.retry {
            put_field(out, "retry", itoa::Buffer::new().format(retry.as_millis()));
        }
        if let Some(data) = &self.data {
            for line in split_lines(data) {
                put_field(out, "data", line);
            }
        }
        out.put_u8(b'\n');
    }
}

impl fmt::Display for Event {
    /// The event as it goes on the wire.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = BytesMut::new();
        self.encode(&mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

fn put_field(out: &mut BytesMut, name: &str, value: &str) {
    out.put_slice(name.as_bytes());
    out.put_slice(b": ");
    out.put_slice(value.as_bytes());
    out.put_u8(b'\n');
}

/// Lines as the event-stream format reads them: split at `\r\n`, `\r` or `\n`.
fn split_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let text = rest?;
        match text.find(['\r', '\n']) {
            Some(i) => {
                let skip = if text[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&text[i + skip..]);
                Some(&text[..i])
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}

fn single_line(mut text: String, no_nul: bool) -> String {
    if text.contains(['\r', '\n']) || (no_nul && text.contains('\0')) {
        text = text.replace("\r\n", " ").replace(['\r', '\n'], " ");
        if no_nul {
            text = text.replace('\0', " ");
        }
    }
    text
}

/// A `text/event-stream` response over a stream of [`Event`]s.
///
/// ```
/// use waymark_runtime::sse::{Event, Sse};
/// use waymark_runtime::IntoResponse;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let (tx, sse) = Sse::channel(16);
/// tx.send(Event::new().data("first")).await.unwrap();
/// let res = sse.keep_alive(None).into_response();
/// assert_eq!(res.header("cache-control"), Some("no-cache"));
/// # }
/// ```
pub struct Sse<S> {
    events: S,
    keep_alive: Option<Duration>,
}

impl<S> fmt::Debug for Sse<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sse").field("keep_alive", &self.keep_alive).finish_non_exhaustive()
    }
}

impl<S: Stream<Item = Event> + Send + 'static> Sse<S> {
    /// A response that sends each event of `events`, with a keep-alive comment every
    /// [`DEFAULT_KEEP_ALIVE`] without events.
    ///
    /// ```
    /// use waymark_runtime::sse::{Event, Sse, Stream};
    /// use std::pin::Pin;
    /// use std::task::{Context, Poll};
    ///
    /// /// Counts down to zero, one event per poll.
    /// struct Countdown(u32);
    ///
    /// impl Stream for Countdown {
    ///     type Item = Event;
    ///     fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Event>> {
    ///         let n = self.0.checked_sub(1);
    ///         Poll::Ready(n.map(|n| {
    ///             self.0 = n;
    ///             Event::new().data(n.to_string())
    ///         }))
    ///     }
    /// }
    ///
    /// let sse = Sse::new(Countdown(3));
    /// ```
    pub fn new(events: S) -> Self {
        Self { events, keep_alive: Some(DEFAULT_KEEP_ALIVE) }
    }

    /// Sets the keep-alive interval; `None` sends no keep-alive comments.
    ///
    /// ```
    /// use std::time::Duration;
    /// use waymark_runtime::sse::Sse;
    ///
    /// let (_tx, sse) = Sse::channel(1);
    /// let sse = sse.keep_alive(Some(Duration::from_secs(5)));
    /// ```
    #[must_use]
    pub fn keep_alive(mut self, every: Option<Duration>) -> Self {
        self.keep_alive = every.filter(|d| !d.is_zero());
        self
    }
}

impl Sse<Receiver> {
    /// A response fed through a channel: events sent on the returned sender go out in order, and
    /// the response ends when every sender is dropped. `send` fails once the client is gone.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use waymark_runtime::sse::{Event, Sse};
    ///
    /// let (tx, sse) = Sse::channel(4);
    /// tokio::spawn(async move {
    ///     let _ = tx.send(Event::new().data("hello")).await;
    /// });
    /// # drop(sse); }
    /// ```
    pub fn channel(capacity: usize) -> (mpsc::Sender<Event>, Self) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        (tx, Self::new(Receiver(rx)))
    }
}

/// The receiving end of [`Sse::channel`], as a [`Stream`] of events.
///
/// ```
/// use waymark_runtime::sse::{Receiver, Sse};
///
/// let (_tx, sse): (_, Sse<Receiver>) = Sse::channel(1);
/// ```
#[derive(Debug)]
pub struct Receiver(mpsc::Receiver<Event>);

impl Stream for Receiver {
    type Item = Event;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.0.poll_recv(cx)
    }
}

impl<S: Stream<Item = Event> + Send + 'static> IntoResponse for Sse<S> {
    fn into_response(self) -> Response {
        let (tx, body) = Body::channel(EVENTS_AHEAD);
        let Sse { events, keep_alive } = self;
        tokio::spawn(async move {
            let mut events = pin!(events);
            let mut timer = keep_alive.map(|every| (every, Box::pin(sleep_until(Instant::now() + every))));
            let mut buf = BytesMut::new();
            loop {
                let tick = async {
                    match &mut timer {
                        Some((_, sleep)) => sleep.as_mut().await,
                        None => pending().await,
                    }
                };
                let chunk = tokio::select! {
                    event = poll_fn(|cx| events.as_mut().poll_next(cx)) => match event {
                        Some(event) => {
                            event.encode(&mut buf);
                            buf.split().freeze()
                        }
                        None => break,
                    },
                    () = tick => Bytes::from_static(KEEP_ALIVE_COMMENT),
                    () = tx.closed() => break,
                };
                if tx.send(chunk).await.is_err() {
                    break; // the client went away
                }
                if let Some((every, sleep)) = &mut timer {
                    sleep.as_mut().reset(Instant::now() + *every);
                }
            }
        });
        let mut res = Response::new(body);
        res.insert_header(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
        res.insert_header(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        res
    }
}

/// The `Last-Event-ID` a reconnecting client sends: the id of the last event it received.
///
/// ```
/// use waymark_runtime::{Method, Request};
/// use waymark_runtime::sse::last_event_id;
///
/// let req = Request::new(Method::GET, "/events").with_header("Last-Event-ID", "17");
/// assert_eq!(last_event_id(&req), Some("17"));
/// assert_eq!(last_event_id(&Request::new(Method::GET, "/events")), None);
/// ```
pub fn last_event_id(req: &Request) -> Option<&str> {
    req.header("last-event-id")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding() {
        let cases = [
            (Event::new(), "\n"),
            (Event::new().data(""), "data: \n\n"),
            (Event::new().data("a\n"), "data: a\ndata: \n\n"),
            (Event::new().data("a\n\nb"), "data: a\ndata: \ndata: b\n\n"),
            (Event::new().data("a\r\n\rb"), "data: a\ndata: \ndata: b\n\n"),
            (Event::new().data(" lead"), "data:  lead\n\n"),
            (Event::new().event("x\r\ny").id("1\u{0}2"), "event: x y\nid: 1 2\n\n"),
            (Event::new().data("b").comment("c").id("i").event("e"), ": c\nevent: e\nid: i\ndata: b\n\n"),
            (Event::new().retry(Duration::from_secs(1)), "retry: 1000\n\n"),
        ];
        for (event, want) in cases {
            assert_eq!(event.to_string(), want, "{event:?}");
        }
    }

    #[test]
    fn lines() {
        let cases: [(&str, &[&str]); 6] = [
            ("", &[""]),
            ("a", &["a"]),
            ("a\nb", &["a", "b"]),
            ("a\r\nb", &["a", "b"]),
            ("a\r\r\nb", &["a", "", "b"]),
            ("\n", &["", ""]),
        ];
        for (text, want) in cases {
            assert_eq!(split_lines(text).collect::<Vec<_>>(), want, "{text:?}");
        }
    }
}
