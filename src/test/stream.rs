//! A response read piece by piece: chunks as the body yields them, or server-sent events, each
//! wait bounded by a timeout so that a test of an endless stream ends.

use std::fmt;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::error::Elapsed;
use tokio::time::{Instant, timeout_at};

use crate::header::{HeaderName, HeaderValue};
use crate::test::head::Head;
use crate::test::sse::{Parser, SseEvent};
use crate::{Body, Bytes, Method, Request, Response, StatusCode};

/// How long [`TestStream::chunk`], [`TestStream::event`] and [`TestStream::assert_end`] wait
/// unless [`TestStream::timeout`] says otherwise: long enough for any in-process answer on a
/// loaded machine, short enough that a stream that never ends fails the test instead of hanging
/// it. On tokio's paused clock (`#[tokio::test(start_paused = true)]`) the wait takes no time.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// A response whose body is read piece by piece, from
/// [`TestRequest::stream`](super::TestRequest::stream): raw chunks with [`chunk`](Self::chunk),
/// or [server-sent events](crate::sse) with [`event`](Self::event). Each read waits at most the
/// [read timeout](DEFAULT_READ_TIMEOUT) and panics past it, so a test of an endless stream
/// fails instead of hanging; the `*_within` methods return the timeout as an error instead.
///
/// Dropping it drops the body, as a client that goes away does: the application's next send
/// fails.
///
/// ```
/// use waymark::{Body, Bytes, StatusCode};
///
/// waymark::routes! {
///     Count;
///     GET "/count" => async {
///         let (tx, body) = Body::channel(1);
///         tokio::spawn(async move {
///             for n in 1..=3 {
///                 if tx.send(Bytes::from(format!("{n}\n"))).await.is_err() { break }
///             }
///         });
///         body
///     },
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let mut res = waymark::test::TestClient::new(Count::new()).get("/count").stream().await;
/// res.assert_status(StatusCode::OK);
/// assert_eq!(res.chunk().await.unwrap(), "1\n");
/// assert_eq!(res.chunk().await.unwrap(), "2\n");
/// assert_eq!(res.chunk().await.unwrap(), "3\n");
/// res.assert_end().await;
/// # }
/// ```
pub struct TestStream {
    head: Head,
    body: Chunks,
    /// The events of the chunks [`TestStream::event`] read, until they are taken.
    parser: Parser,
    timeout: Duration,
    /// Bytes taken from the body so far, for messages.
    read: usize,
}

/// Where the body's chunks come from.
enum Chunks {
    /// A whole body, given as one chunk (none when empty).
    Whole(Option<Bytes>),
    Stream(mpsc::Receiver<Bytes>),
}

impl Chunks {
    async fn next(&mut self) -> Option<Bytes> {
        match self {
            Chunks::Whole(bytes) => bytes.take(),
            // An empty chunk is not written on the wire (it would end a chunked body), so it is
            // not seen here either.
            Chunks::Stream(rx) => loop {
                match rx.recv().await {
                    Some(chunk) if chunk.is_empty() => {}
                    other => break other,
                }
            },
        }
    }
}

impl TestStream {
    /// `res`, the answer to `req`, with its body not yet read; a `HEAD` response loses its body
    /// as it would on the wire.
    pub(super) async fn open(req: &Request, mut res: Response) -> Self {
        if req.method() == Method::HEAD {
            res = crate::__private::strip_body_for_head(res);
        }
        let head = Head::of(req, &res);
        let body = match res.take_body() {
            Body::Stream(rx) => Chunks::Stream(rx),
            other => Chunks::Whole(Some(other.collect().await).filter(|b| !b.is_empty())),
        };
        TestStream { head, body, parser: Parser::default(), timeout: DEFAULT_READ_TIMEOUT, read: 0 }
    }

    /// Sets how long each read waits before it fails ([`DEFAULT_READ_TIMEOUT`] unless set).
    ///
    /// ```
    /// use std::time::Duration;
    /// use waymark::sse::Sse;
    ///
    /// waymark::routes! {
    ///     Quiet;
    ///     GET "/quiet" => async {
    ///         let (tx, sse) = Sse::channel(1);
    ///         tokio::spawn(async move { tx.closed().await }); // no event, and no end until the client leaves
    ///         sse
    ///     },
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let res = waymark::test::TestClient::new(Quiet::new()).get("/quiet").stream().await;
    /// let mut res = res.timeout(Duration::from_secs(60));
    /// // A keep-alive comment comes after 15 s without events, well within the minute.
    /// assert_eq!(res.chunk().await.unwrap(), ": keep-alive\n\n");
    /// # }
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The status.
    ///
    /// ```
    /// use waymark::StatusCode;
    ///
    /// waymark::routes! { Hello; GET "/" => async { "hello" } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Hello::new()).get("/").stream().await;
    /// assert_eq!(res.status(), StatusCode::OK);
    /// # }
    /// ```
    pub fn status(&self) -> StatusCode {
        self.head.status
    }

    /// The first value of a header, looked up case-insensitively; `None` when absent or not
    /// UTF-8.
    ///
    /// ```
    /// waymark::routes! { Events; GET "/events" => async { waymark::sse::Sse::channel(1).1 } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Events::new()).get("/events").stream().await;
    /// assert_eq!(res.header("Content-Type"), Some("text/event-stream"));
    /// # }
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.header(name)
    }

    /// Every header, in the order the application set them.
    ///
    /// ```
    /// waymark::routes! { Events; GET "/events" => async { waymark::sse::Sse::channel(1).1 } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Events::new()).get("/events").stream().await;
    /// let names: Vec<&str> = res.headers().map(|(name, _)| name.as_str()).collect();
    /// assert_eq!(names, ["content-type", "cache-control"]);
    /// # }
    /// ```
    pub fn headers(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> + '_ {
        self.head.headers.iter().map(|(n, v)| (n, v))
    }

    /// Asserts the status.
    ///
    /// # Panics
    ///
    /// When the status differs; the message shows the response's head.
    ///
    /// ```
    /// use waymark::StatusCode;
    ///
    /// waymark::routes! { Hello; GET "/" => async { "hello" } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Hello::new()).get("/nope").stream().await;
    /// res.assert_status(StatusCode::NOT_FOUND);
    /// # }
    /// ```
    #[track_caller]
    pub fn assert_status(&self, expected: StatusCode) -> &Self {
        if let Some(why) = self.head.status_mismatch(expected) {
            self.fail(format_args!("{why}"));
        }
        self
    }

    /// Asserts that a header is present with exactly this (first) value.
    ///
    /// # Panics
    ///
    /// When the header is absent or has another value.
    ///
    /// ```
    /// waymark::routes! { Events; GET "/events" => async { waymark::sse::Sse::channel(1).1 } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = waymark::test::TestClient::new(Events::new()).get("/events").stream().await;
    /// res.assert_header("cache-control", "no-cache");
    /// # }
    /// ```
    #[track_caller]
    pub fn assert_header(&self, name: &str, expected: &str) -> &Self {
        if let Some(why) = self.head.header_mismatch(name, expected) {
            self.fail(format_args!("{why}"));
        }
        self
    }

    /// The next chunk of the body as the application yields it, or `None` once the body has
    /// ended. It reads after what [`event`](Self::event) read: events parsed from an earlier
    /// chunk and not yet taken stay for `event`.
    ///
    /// # Panics
    ///
    /// When no chunk comes and the body does not end within the read timeout.
    ///
    /// ```
    /// use waymark::sse::{Event, Sse};
    ///
    /// waymark::routes! {
    ///     Once;
    ///     GET "/once" => async {
    ///         let (tx, sse) = Sse::channel(1);
    ///         tokio::spawn(async move { let _ = tx.send(Event::new().data("hi")).await; });
    ///         sse
    ///     },
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let mut res = waymark::test::TestClient::new(Once::new()).get("/once").stream().await;
    /// assert_eq!(res.chunk().await.unwrap(), "data: hi\n\n");
    /// assert_eq!(res.chunk().await, None);
    /// # }
    /// ```
    #[track_caller]
    pub fn chunk(&mut self) -> impl Future<Output = Option<Bytes>> + '_ {
        let caller = std::panic::Location::caller();
        async move {
            match self.chunk_within(self.timeout).await {
                Ok(chunk) => chunk,
                Err(_) => self.timed_out("a chunk", caller),
            }
        }
    }

    /// The next chunk, or `None` once the body has ended, or the error when neither happens
    /// within `within`: for a test that something does *not* come.
    ///
    /// # Errors
    ///
    /// When the wait is over before a chunk or the end.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// waymark::routes! {
    ///     Quiet;
    ///     GET "/quiet" => async {
    ///         let (tx, sse) = waymark::sse::Sse::channel(1);
    ///         tokio::spawn(async move { tx.closed().await }); // no event, and no end until the client leaves
    ///         sse
    ///     },
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let mut res = waymark::test::TestClient::new(Quiet::new()).get("/quiet").stream().await;
    /// assert!(res.chunk_within(Duration::from_secs(10)).await.is_err(), "nothing in 10 s");
    /// # }
    /// ```
    pub async fn chunk_within(&mut self, within: Duration) -> Result<Option<Bytes>, Elapsed> {
        let chunk = timeout_at(Instant::now() + within, self.body.next()).await?;
        self.read += chunk.as_ref().map_or(0, Bytes::len);
        Ok(chunk)
    }

    /// The next server-sent event, parsed as a browser's `EventSource` parses the stream
    /// (WHATWG HTML, "Interpreting an event stream": `data` over several lines joined with `\n`,
    /// `event`, `id`, `retry`, comments skipped, `\r\n`, `\r` or `\n` line ends), or `None` once
    /// the body has ended (an event cut off by the end is dropped, as a browser drops it).
    ///
    /// # Panics
    ///
    /// When no whole event comes and the body does not end within the read timeout.
    ///
    /// ```
    /// use waymark::sse::{Event, Sse};
    ///
    /// waymark::routes! {
    ///     Ticks;
    ///     GET "/ticks" => async {
    ///         let (tx, sse) = Sse::channel(4);
    ///         tokio::spawn(async move {
    ///             for n in 0..2 {
    ///                 let _ = tx.send(Event::new().event("tick").id(n.to_string()).data(format!("tick\n{n}"))).await;
    ///             }
    ///         });
    ///         sse
    ///     },
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let mut ticks = waymark::test::TestClient::new(Ticks::new()).get("/ticks").stream().await;
    /// let first = ticks.event().await.unwrap();
    /// assert_eq!((first.event.as_str(), first.data.as_str(), first.id.as_str()), ("tick", "tick\n0", "0"));
    /// assert_eq!(ticks.event().await.unwrap().id, "1");
    /// assert_eq!(ticks.event().await, None);
    /// # }
    /// ```
    #[track_caller]
    pub fn event(&mut self) -> impl Future<Output = Option<SseEvent>> + '_ {
        let caller = std::panic::Location::caller();
        async move {
            match self.event_within(self.timeout).await {
                Ok(event) => event,
                Err(_) => self.timed_out("a whole event", caller),
            }
        }
    }

    /// The next server-sent event, or `None` once the body has ended, or the error when
    /// neither happens within `within` (keep-alive comments do not count as events).
    ///
    /// # Errors
    ///
    /// When the wait is over before an event or the end.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// waymark::routes! {
    ///     Quiet;
    ///     GET "/quiet" => async {
    ///         let (tx, sse) = waymark::sse::Sse::channel(1);
    ///         tokio::spawn(async move { tx.closed().await }); // no event, and no end until the client leaves
    ///         sse
    ///     },
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let mut res = waymark::test::TestClient::new(Quiet::new()).get("/quiet").stream().await;
    /// // Two keep-alive comments go by; no event.
    /// assert!(res.event_within(Duration::from_secs(40)).await.is_err());
    /// # }
    /// ```
    pub async fn event_within(&mut self, within: Duration) -> Result<Option<SseEvent>, Elapsed> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(event) = self.parser.next() {
                return Ok(Some(event));
            }
            match timeout_at(deadline, self.body.next()).await? {
                Some(chunk) => {
                    self.read += chunk.len();
                    self.parser.feed(&chunk);
                }
                None => return Ok(None),
            }
        }
    }

    /// Reads the rest of the body, to its end.
    ///
    /// # Panics
    ///
    /// When the body does not end within the read timeout (each chunk may take that long).
    ///
    /// ```
    /// waymark::routes! { Hello; GET "/" => async { "hello" } }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let mut res = waymark::test::TestClient::new(Hello::new()).get("/").stream().await;
    /// assert_eq!(res.rest().await, "hello");
    /// # }
    /// ```
    #[track_caller]
    pub fn rest(&mut self) -> impl Future<Output = Bytes> + '_ {
        let caller = std::panic::Location::caller();
        async move {
            let mut all = Vec::new();
            loop {
                match self.chunk_within(self.timeout).await {
                    Ok(Some(chunk)) => all.extend_from_slice(&chunk),
                    Ok(None) => return Bytes::from(all),
                    Err(_) => self.timed_out("the end of the body", caller),
                }
            }
        }
    }

    /// Asserts that the body ends now: no more bytes come before its end, and the end comes
    /// within the read timeout.
    ///
    /// # Panics
    ///
    /// When a chunk comes, or the body stays open past the read timeout.
    ///
    /// ```
    /// use waymark::sse::{Event, Sse};
    ///
    /// waymark::routes! {
    ///     Last;
    ///     GET "/last" => async {
    ///         let (tx, sse) = Sse::channel(1);
    ///         tokio::spawn(async move { let _ = tx.send(Event::new().data("bye")).await; });
    ///         sse // the stream ends when `tx` is dropped, after its one event
    ///     },
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let mut res = waymark::test::TestClient::new(Last::new()).get("/last").stream().await;
    /// assert_eq!(res.event().await.unwrap().data, "bye");
    /// res.assert_end().await;
    /// # }
    /// ```
    #[track_caller]
    pub fn assert_end(&mut self) -> impl Future<Output = ()> + '_ {
        let caller = std::panic::Location::caller();
        async move {
            match self.chunk_within(self.timeout).await {
                Ok(None) => {}
                Ok(Some(chunk)) => {
                    let chunk = String::from_utf8_lossy(&chunk).into_owned();
                    self.fail_at(format_args!("expected the end of the body, got a chunk: {chunk:?}"), caller);
                }
                Err(_) => self.timed_out("the end of the body", caller),
            }
        }
    }

    fn timed_out(&self, what: &str, caller: &std::panic::Location<'_>) -> ! {
        self.fail_at(format_args!("expected {what} within {:?}, but the body stayed open", self.timeout), caller)
    }

    /// Panics with `what`, the request line and the response so far, at the test's line.
    fn fail_at(&self, what: fmt::Arguments<'_>, caller: &std::panic::Location<'_>) -> ! {
        panic!("{} {}: {what} (at {caller})\n{self}", self.head.method, self.head.target)
    }

    #[track_caller]
    fn fail(&self, what: fmt::Arguments<'_>) -> ! {
        panic!("{} {}: {what}\n{self}", self.head.method, self.head.target)
    }
}

/// The head, and how much of the body was read.
impl fmt::Display for TestStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.head.fmt(f)?;
        write!(f, "--- body: {} bytes read so far", self.read)
    }
}

impl fmt::Debug for TestStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestStream")
            .field("request", &format_args!("{} {}", self.head.method, self.head.target))
            .field("status", &self.head.status)
            .field("headers", &self.head.headers)
            .field("read", &self.read)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}
