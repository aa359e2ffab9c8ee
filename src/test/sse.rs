//! Server-sent events as a browser reads them: the event-stream parser of the WHATWG HTML
//! standard ("Server-sent events", 9.2.6 "Interpreting an event stream"), fed chunk by chunk.

use std::collections::VecDeque;
use std::time::Duration;

/// One event read by [`TestStream::event`](super::TestStream::event), with the fields an
/// `EventSource` gives its listeners.
///
/// ```
/// use waymark::sse::{Event, Sse};
/// use waymark::test::{SseEvent, TestClient};
///
/// waymark::routes! {
///     Feed;
///     GET "/feed" => async {
///         let (tx, sse) = Sse::channel(4);
///         tokio::spawn(async move {
///             let _ = tx.send(Event::new().event("greeting").id("1").data("hello\nworld")).await;
///             let _ = tx.send(Event::new().data("no id of its own")).await;
///         });
///         sse
///     },
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let mut events = TestClient::new(Feed::new()).get("/feed").stream().await;
/// let first = events.event().await.unwrap();
/// assert_eq!(first, SseEvent { event: "greeting".into(), data: "hello\nworld".into(), id: "1".into(), retry: None });
/// let second = events.event().await.unwrap();
/// assert_eq!((second.event.as_str(), second.id.as_str()), ("message", "1")); // the last id, as a browser keeps it
/// assert_eq!(events.event().await, None); // the stream ended
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The event type: the `event` field, or `message` without one.
    pub event: String,
    /// The `data` lines, joined with `\n`.
    pub data: String,
    /// The last event ID: set by an `id` field of this event or of an earlier one (it is kept
    /// until another `id` changes it), as `MessageEvent.lastEventId`; empty when none was sent.
    pub id: String,
    /// The reconnection time in effect, if a `retry` field (of this event or an earlier one) set
    /// it.
    pub retry: Option<Duration>,
}

/// The parser's state between chunks: a line cut by a chunk's end, the fields of the event being
/// read, and the events complete but not yet taken.
#[derive(Debug, Default)]
pub(super) struct Parser {
    line: Vec<u8>,
    /// The last line ended with `\r`: a `\n` right after it belongs to that line's end.
    after_cr: bool,
    /// A first line was read (the byte order mark may only start the stream).
    started: bool,
    event: String,
    data: String,
    last_id: String,
    retry: Option<Duration>,
    ready: VecDeque<SseEvent>,
}

impl Parser {
    /// Reads `bytes`; the events they complete are queued for [`Parser::next`].
    pub(super) fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                b'\n' if self.after_cr => self.after_cr = false,
                b'\r' | b'\n' => {
                    self.after_cr = b == b'\r';
                    let line = std::mem::take(&mut self.line);
                    self.line(&line);
                    self.line = line;
                    self.line.clear();
                }
                _ => {
                    self.after_cr = false;
                    self.line.push(b);
                }
            }
        }
    }

    /// The next complete event, if any.
    pub(super) fn next(&mut self) -> Option<SseEvent> {
        self.ready.pop_front()
    }

    fn line(&mut self, line: &[u8]) {
        let line = if self.started { line } else { line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line) };
        self.started = true;
        if line.is_empty() {
            return self.dispatch();
        }
        let line = String::from_utf8_lossy(line);
        if line.starts_with(':') {
            return; // a comment
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (&*line, ""),
        };
        match field {
            "event" => value.clone_into(&mut self.event),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            "id" if !value.contains('\0') => value.clone_into(&mut self.last_id),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                // Digits beyond `u64` are no time a client could wait: the field is ignored.
                if let Ok(ms) = value.parse() {
                    self.retry = Some(Duration::from_millis(ms));
                }
            }
            _ => {}
        }
    }

    /// An empty line: the event read so far, if it has data.
    fn dispatch(&mut self) {
        let event = std::mem::take(&mut self.event);
        let mut data = std::mem::take(&mut self.data);
        if data.is_empty() {
            return;
        }
        data.pop(); // the `\n` after the last data line
        let event = if event.is_empty() { "message".to_owned() } else { event };
        self.ready.push_back(SseEvent { event, data, id: self.last_id.clone(), retry: self.retry });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: &str, data: &str, id: &str) -> SseEvent {
        SseEvent { event: event.into(), data: data.into(), id: id.into(), retry: None }
    }

    fn parse(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut p = Parser::default();
        let mut out = Vec::new();
        for chunk in chunks {
            p.feed(chunk);
            out.extend(std::iter::from_fn(|| p.next()));
        }
        out
    }

    #[test]
    fn the_standards_examples_and_edge_cases() {
        let cases: Vec<(&[&[u8]], Vec<SseEvent>)> = vec![
            // WHATWG's examples: two data lines make one event; a comment is skipped.
            (&[b"data: YHOO\ndata: +2\ndata: 10\n\n"], vec![ev("message", "YHOO\n+2\n10", "")]),
            (
                &[b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n"],
                vec![
                    ev("message", "first event", "1"),
                    ev("message", "second event", ""),
                    ev("message", " third event", ""),
                ],
            ),
            // "data" with no colon is an empty data line; an empty data line alone makes no event.
            (&[b"data\n\ndata\ndata\n\ndata:\n"], vec![ev("message", "", ""), ev("message", "\n", "")]),
            (&[b"data:test\n\ndata: test\n\n"], vec![ev("message", "test", ""), ev("message", "test", "")]),
            // A block without data dispatches nothing, and its event type does not carry over.
            (&[b"event: x\n\ndata: y\n\n"], vec![ev("message", "y", "")]),
            (&[b"event: add\ndata: 73857293\n\n"], vec![ev("add", "73857293", "")]),
            // CRLF, CR and LF all end a line, even when a chunk ends between CR and LF.
            (
                &[b"data: a\r\n\r\ndata: b\r\rdata: c\n\n"],
                vec![ev("message", "a", ""), ev("message", "b", ""), ev("message", "c", "")],
            ),
            (&[b"data: a\r", b"\n\r", b"\n"], vec![ev("message", "a", "")]),
            // Fields split anywhere between chunks; a UTF-8 character split too.
            (&[b"da", b"ta: \xE2\x82", b"\xAC\n", b"\n"], vec![ev("message", "€", "")]),
            // A byte order mark starts the stream only; unknown fields are ignored.
            (&[b"\xEF\xBB\xBFdata: bom\nfoo: bar\n\n"], vec![ev("message", "bom", "")]),
            // An id with NUL is ignored; an empty id resets it; the last id is kept.
            (
                &[b"id: 1\ndata: a\n\nid: 2\0\ndata: b\n\nid\ndata: c\n\n"],
                vec![ev("message", "a", "1"), ev("message", "b", "1"), ev("message", "c", "")],
            ),
            // The end of the stream drops an event without its empty line.
            (&[b"data: a\n\ndata: cut"], vec![ev("message", "a", "")]),
            (&[b"data: a\n"], vec![]),
        ];
        for (chunks, want) in cases {
            assert_eq!(parse(chunks), want, "{chunks:?}");
        }
    }

    #[test]
    fn retry_takes_digits_only_and_stays() {
        let events = parse(&[
            b"retry: 3000\n\ndata: a\n\nretry: 5s\ndata: b\n\nretry: 99999999999999999999999\nretry: 100\ndata: c\n\n",
        ]);
        let retries: Vec<Option<u64>> =
            events.iter().map(|e| e.retry.map(|r| u64::try_from(r.as_millis()).unwrap())).collect();
        assert_eq!(retries, [Some(3000), Some(3000), Some(100)]);
    }
}
