//! Response encoding: status line, headers and framing, appended to the connection's write buffer
//! with no formatting machinery (RFC 9112 §4, §6).

use http::header::{CONNECTION, CONTENT_LENGTH, DATE, TRANSFER_ENCODING};
use http::{HeaderValue, StatusCode};

use crate::proto::date::append_date_field;
use crate::types::grammar::list;
use crate::types::response::{Body, Response, TEXT};

/// How the body that follows the head is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body at all: HEAD, 1xx, 204, 304 (RFC 9110 §6.4.1).
    None,
    /// `Content-Length`: write the full body as is.
    Length,
    /// `Transfer-Encoding: chunked` for a stream (RFC 9112 §7.1).
    Chunked,
    /// A stream to an HTTP/1.0 client: delimited by closing the connection (RFC 9112 §6.3 item 8).
    Close,
    /// A stream whose length the handler declared (`Content-Length`, e.g. a file): written as
    /// is; if it ends short or runs long, the connection is closed, since the framing is broken.
    Declared(u64),
}

/// What the encoder needs to know about the request being answered.
#[derive(Debug, Clone, Copy)]
#[expect(clippy::struct_excessive_bools, reason = "four independent facts about one exchange, not a state machine")]
pub(crate) struct Exchange {
    pub(crate) head_request: bool,
    pub(crate) http10: bool,
    /// Whether the connection stays open; the response may turn it off.
    pub(crate) keep_alive: bool,
    /// Whether to read the clock for `Date`; `false` when the connection has not waited since
    /// it last did (a batch of pipelined responses), see [`crate::proto::date`]. Set to `false` once
    /// the clock has been read.
    pub(crate) check_clock: bool,
}

/// Appends the head of `res` to `out`, deciding the framing and updating `ex.keep_alive`.
///
/// The server owns framing: a `Transfer-Encoding` set by the handler is dropped, and its
/// `Content-Length` is used only where there is no body to measure (a HEAD answer or a 304).
pub(crate) fn write_head(out: &mut Vec<u8>, res: &Response, ex: &mut Exchange) -> Framing {
    let status = res.status();
    // RFC 9110 §6.2: we answer with our own version, 1.1, whatever the 1.x of the request.
    append_status_line(out, status);

    let mut given_length: Option<&HeaderValue> = None;
    let mut has_date = false;
    for (name, value) in res.headers() {
        if *name == CONTENT_LENGTH {
            given_length = Some(value);
            continue;
        }
        if *name == TRANSFER_ENCODING {
            continue;
        }
        if *name == CONNECTION {
            if list(value.as_bytes()).any(|t| t.eq_ignore_ascii_case(b"close")) {
                ex.keep_alive = false;
            }
            continue;
        }
        has_date |= *name == DATE;
        append_field(out, name.as_str().as_bytes(), value.as_bytes());
    }
    if !has_date {
        append_date_field(out, ex.check_clock);
        ex.check_clock = false;
    }

    let framing = if status.is_informational() || status == StatusCode::NO_CONTENT {
        // RFC 9110 §8.6: no Content-Length in 1xx or 204.
        Framing::None
    } else if status == StatusCode::NOT_MODIFIED {
        // RFC 9110 §15.4.5: a 304 has no body; a Content-Length, if any, is the selected
        // representation's, which only the handler knows.
        if let Some(v) = given_length {
            append_field(out, b"content-length", v.as_bytes());
        }
        Framing::None
    } else {
        match res.body() {
            Body::Full(bytes) => {
                match given_length {
                    // RFC 9110 §9.3.2: a HEAD answer stripped of its body keeps the GET length.
                    Some(v) if ex.head_request && bytes.is_empty() => {
                        append_field(out, b"content-length", v.as_bytes());
                    }
                    _ => append_length(out, bytes.len()),
                }
                if ex.head_request { Framing::None } else { Framing::Length }
            }
            Body::File(file) => {
                append_length(out, usize::try_from(file.len()).unwrap_or(usize::MAX));
                if ex.head_request { Framing::None } else { Framing::Declared(file.len()) }
            }
            // RFC 9110 §9.3.2: fields known only while generating the content may be left out.
            Body::Stream(_) if ex.head_request => Framing::None,
            Body::Stream(_) if let Some(n) = given_length.and_then(|v| v.to_str().ok()?.parse::<u64>().ok()) => {
                append_length(out, usize::try_from(n).unwrap_or(usize::MAX));
                Framing::Declared(n)
            }
            Body::Stream(_) if ex.http10 => {
                ex.keep_alive = false;
                Framing::Close
            }
            Body::Stream(_) => {
                out.extend_from_slice(b"transfer-encoding: chunked\r\n");
                Framing::Chunked
            }
        }
    };
    if res.is_upgrade() {
        // RFC 9110 §7.8: the connection now carries the protocol named in `Upgrade`.
        out.extend_from_slice(b"connection: upgrade\r\n");
    } else if !ex.keep_alive {
        out.extend_from_slice(b"connection: close\r\n");
    } else if ex.http10 {
        out.extend_from_slice(b"connection: keep-alive\r\n");
    }
    out.extend_from_slice(b"\r\n");
    framing
}

/// A response the server makes itself, for a request it could not hand to the application.
pub(crate) fn write_error(out: &mut Vec<u8>, status: StatusCode, message: &str) {
    append_status_line(out, status);
    append_date_field(out, true);
    out.extend_from_slice(b"content-type: ");
    out.extend_from_slice(TEXT.as_bytes());
    out.extend_from_slice(b"\r\nconnection: close\r\n");
    append_length(out, message.len() + 1);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(message.as_bytes());
    out.push(b'\n');
}

/// `HTTP/1.1 100 Continue` (RFC 9110 §15.2.1).
pub(crate) const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// The last chunk and an empty trailer section (RFC 9112 §7.1).
pub(crate) const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// `HTTP/1.1 <code> <reason>\r\n`; the most common lines are copied whole.
fn append_status_line(out: &mut Vec<u8>, status: StatusCode) {
    let line: &[u8] = match status.as_u16() {
        200 => b"HTTP/1.1 200 OK\r\n",
        201 => b"HTTP/1.1 201 Created\r\n",
        204 => b"HTTP/1.1 204 No Content\r\n",
        304 => b"HTTP/1.1 304 Not Modified\r\n",
        400 => b"HTTP/1.1 400 Bad Request\r\n",
        404 => b"HTTP/1.1 404 Not Found\r\n",
        _ => {
            out.extend_from_slice(b"HTTP/1.1 ");
            out.extend_from_slice(status.as_str().as_bytes());
            out.push(b' ');
            out.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
            out.extend_from_slice(b"\r\n");
            return;
        }
    };
    out.extend_from_slice(line);
}

fn append_field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

fn append_length(out: &mut Vec<u8>, len: usize) {
    out.extend_from_slice(b"content-length: ");
    out.extend_from_slice(itoa::Buffer::new().format(len).as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends `chunk-size CRLF` in hex (RFC 9112 §7.1).
pub(crate) fn append_chunk_size(out: &mut Vec<u8>, len: usize) {
    let mut digits = [0u8; 16];
    let mut i = digits.len();
    let mut n = len;
    loop {
        i -= 1;
        digits[i] = b"0123456789abcdef"[n & 0xf];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::{CONTENT_LENGTH, HeaderName};

    fn encode(res: &Response, head_request: bool, http10: bool, keep_alive: bool) -> (String, Framing, bool) {
        let mut out = Vec::new();
        let mut ex = Exchange { head_request, http10, keep_alive, check_clock: true };
        let framing = write_head(&mut out, res, &mut ex);
        let text = String::from_utf8(out).unwrap();
        // The date changes; everything else is fixed.
        let text = text.lines().filter(|l| !l.starts_with("date: ")).collect::<Vec<_>>().join("\n");
        (text, framing, ex.keep_alive)
    }

    #[test]
    fn heads() {
        let (_, stream) = Body::channel(1);
        let cases: Vec<(Response, bool, bool, bool, &str, Framing)> = vec![
            (
                Response::text("hi"),
                false,
                false,
                true,
                "HTTP/1.1 200 OK\ncontent-type: text/plain; charset=utf-8\ncontent-length: 2\n",
                Framing::Length,
            ),
            (
                Response::text("hi"),
                true,
                false,
                true,
                "HTTP/1.1 200 OK\ncontent-type: text/plain; charset=utf-8\ncontent-length: 2\n",
                Framing::None,
            ),
            (
                Response::status_only(StatusCode::NO_CONTENT),
                false,
                false,
                false,
                "HTTP/1.1 204 No Content\nconnection: close\n",
                Framing::None,
            ),
            (
                Response::new("").with_header(CONTENT_LENGTH, HeaderValue::from_static("42")),
                true,
                true,
                true,
                "HTTP/1.1 200 OK\ncontent-length: 42\nconnection: keep-alive\n",
                Framing::None,
            ),
            (
                Response::new(stream),
                false,
                false,
                true,
                "HTTP/1.1 200 OK\ntransfer-encoding: chunked\n",
                Framing::Chunked,
            ),
            (
                Response::new("x")
                    .with_header(HeaderName::from_static("connection"), HeaderValue::from_static("close")),
                false,
                false,
                true,
                "HTTP/1.1 200 OK\ncontent-length: 1\nconnection: close\n",
                Framing::Length,
            ),
        ];
        for (res, head, http10, keep_alive, want, framing) in cases {
            let (text, got_framing, _) = encode(&res, head, http10, keep_alive);
            assert_eq!(text, want, "{res:?}");
            assert_eq!(got_framing, framing, "{res:?}");
        }
    }

    #[test]
    fn stream_to_http10_closes() {
        let (_, stream) = Body::channel(1);
        let (text, framing, keep_alive) = encode(&Response::new(stream), false, true, true);
        assert_eq!((framing, keep_alive), (Framing::Close, false));
        assert!(text.contains("connection: close"));
    }

    #[test]
    fn chunk_sizes_are_hex() {
        for (n, want) in [(0, "0\r\n"), (5, "5\r\n"), (255, "ff\r\n"), (4096, "1000\r\n")] {
            let mut out = Vec::new();
            append_chunk_size(&mut out, n);
            assert_eq!(out, want.as_bytes());
        }
    }
}
