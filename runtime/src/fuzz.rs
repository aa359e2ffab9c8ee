//! The fuzz checks: one function per fuzz target, each taking arbitrary bytes and panicking when an
//! invariant breaks. The cargo-fuzz targets under `fuzz/` and the stable corpus replay test call the
//! same functions, so a crash the fuzzer found stays fixed in `cargo test`. Not a public API: only
//! the `fuzz` feature compiles it.
//!
//! `chunked` and `connection` read their input as `[n] [n × u16 LE] payload`: `n % 17` split points
//! (each `& 0x7fff`, modulo the payload length plus one) at which the payload is cut into pieces;
//! for `connection` the top bit of a split point makes the client pause past every read timeout.

pub use connection::connection;

use http::{Method, Version};

use crate::proto::config::{Config, DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_HEAD_SIZE};
use crate::proto::decode::{ChunkedDecoder, MAX_CHUNK_LINE};
use crate::proto::error::Error;
use crate::proto::parse::{BodyKind, Head, parse_head};
use crate::types::request::Request;

/// Most split points a check reads from its input.
const MAX_CUTS: usize = 16;

/// The head parser with the default limits.
///
/// Never panics; an accepted head is complete on its own and no longer than the input, every
/// strict prefix of it is "read more", and it is ended by an empty line; a rejection maps to a
/// 4xx or 5xx; "read more" only under the head limit; a reused request parses the same; tighter
/// limits never accept what the defaults refuse.
///
/// ```
/// waymark_runtime::__fuzz::head(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n");
/// ```
///
/// # Panics
///
/// When an invariant breaks.
pub fn head(data: &[u8]) {
    let cfg = Config::default();
    let mut req = Request::empty();
    let got = summary(parse_head(data, &cfg, &mut req));
    match got {
        Parsed::Head { len, body, keep_alive: _, expect_continue } => {
            assert!(len > 0 && len <= data.len(), "head length {len} outside the input of {}", data.len());
            assert!(len <= cfg.max_head_size, "head of {len} bytes accepted past the limit");
            assert!(data[..len].ends_with(b"\r\n\r\n"), "accepted head does not end with an empty line");
            check_request(&req);
            // The body limit is the route's, checked after routing: any length may pass here.
            assert!(body != BodyKind::Length(0), "an empty body framed by its length");
            if expect_continue {
                assert!(body != BodyKind::Empty && req.version() == Version::HTTP_11, "100-continue without a body");
            }
            // Completeness is a property of the head alone, and nothing before its end is an error.
            let alone = summary(parse_head(&data[..len], &cfg, &mut Request::empty()));
            assert_eq!(alone, got, "the head parses differently without what follows it");
            let step = (len / 128).max(1);
            for cut in (0..len).step_by(step).chain(len.saturating_sub(4)..len) {
                let prefix = summary(parse_head(&data[..cut], &cfg, &mut Request::empty()));
                assert_eq!(prefix, Parsed::Partial, "prefix of {cut} bytes of an accepted head");
            }
        }
        Parsed::Partial => {
            assert!(
                data.len() < cfg.max_head_size,
                "{} bytes without a complete head are still 'read more'",
                data.len()
            );
        }
        Parsed::Rejected(status) => {
            assert!((400..600).contains(&status), "rejected with {status}");
        }
    }
    // The connection reuses one request for every head on it.
    let again = summary(parse_head(data, &cfg, &mut req));
    assert_eq!(again, got, "a reused request parses differently");
    // Tighter limits may refuse more, never accept more.
    let tight = Config { max_head_size: 256, max_headers: 4, max_target_len: 64, ..Config::default() };
    if let Parsed::Head { len, .. } = summary(parse_head(data, &tight, &mut Request::empty())) {
        assert!(
            matches!(got, Parsed::Head { len: l, .. } if l == len),
            "tighter limits accept a head the defaults answer with {got:?}"
        );
    }
}

/// What `parse_head` said, comparable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parsed {
    Head { len: usize, body: BodyKind, keep_alive: bool, expect_continue: bool },
    Partial,
    Rejected(u16),
}

fn summary(r: Result<Option<Head>, Error>) -> Parsed {
    match r {
        Ok(Some(h)) => {
            Parsed::Head { len: h.len, body: h.body, keep_alive: h.keep_alive, expect_continue: h.expect_continue }
        }
        Ok(None) => Parsed::Partial,
        Err(e) => match e.status() {
            Some(s) => Parsed::Rejected(s.as_u16()),
            None => panic!("the head parser failed with {e:?}, which has no status"),
        },
    }
}

/// What an accepted request looks like to the application.
fn check_request(req: &Request) {
    let target = req.target();
    assert!(target.bytes().all(|b| b.is_ascii_graphic()), "target {target:?} has a byte outside visible ASCII");
    let form_ok = target.starts_with('/')
        || (target == "*" && req.method() == Method::OPTIONS)
        || req.method() == Method::CONNECT;
    assert!(form_ok, "target {target:?} for {}", req.method());
    assert!(req.path().len() <= target.len());
    if let Some(q) = req.query() {
        assert!(q.len() < target.len());
    }
    for (name, value) in req.headers() {
        assert!(!name.is_empty(), "empty header name");
        assert!(!value.contains(&b'\n') && !value.contains(&b'\r'), "header value with a line break");
    }
}

/// The chunked decoder: the whole input at once against the same input in pieces.
///
/// Input: `[limits] [n] [n × u16 LE] body`; the first byte picks the body limit and the trailer
/// section limit. Both runs end the same way (same bytes decoded and consumed, or the same
/// status); decoded bytes never pass the limit; a call consumes no more than it was given and,
/// when it asks for more, leaves no more than one line's worth unconsumed.
///
/// ```
/// waymark_runtime::__fuzz::chunked(b"\x05\x00" as &[u8]);
/// waymark_runtime::__fuzz::chunked(b"\x05\x01\x03\x00 5\r\nhello\r\n0\r\n\r\n");
/// ```
///
/// # Panics
///
/// When an invariant breaks.
pub fn chunked(data: &[u8]) {
    const LIMITS: [u64; 6] = [0, 1, 5, 64, 1024, DEFAULT_MAX_BODY_SIZE];
    const TRAILERS: [usize; 4] = [16, 64, 1024, DEFAULT_MAX_HEAD_SIZE];
    let Some((&pick, rest)) = data.split_first() else { return };
    let limit = LIMITS[usize::from(pick) % LIMITS.len()];
    let trailers = TRAILERS[usize::from(pick) / LIMITS.len() % TRAILERS.len()];
    let (cuts, body) = pieces(rest);
    let whole = decode_in_pieces(body, &[], limit, trailers);
    let split = decode_in_pieces(body, &cuts, limit, trailers);
    match (&whole.end, &split.end) {
        (Ok(_), Ok(_)) => assert_eq!(whole, split, "decoding in pieces at {cuts:?} differs"),
        // In pieces, an incomplete trailer section can reach its limit (431) before the error
        // the whole input shows further on.
        (Err(_), Err(431)) => {}
        (Err(a), Err(b)) => assert_eq!(a, b, "decoding in pieces at {cuts:?} fails differently"),
        _ => panic!("whole: {:?}, in pieces at {cuts:?}: {:?}", whole.end, split.end),
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Decoded {
    /// Bytes consumed and whether the body ended, or the status of the error.
    end: Result<(usize, bool), u16>,
    out: Vec<u8>,
}

/// Feeds `body` to one decoder as a connection does: what was not consumed, plus the next piece.
fn decode_in_pieces(body: &[u8], cuts: &[(usize, bool)], limit: u64, trailers: usize) -> Decoded {
    let mut dec = ChunkedDecoder::new(limit, trailers);
    let mut out = Vec::new();
    let mut pos = 0;
    for end in cuts.iter().map(|&(c, _)| c).chain([body.len()]) {
        let fed = &body[pos..end.max(pos)];
        match dec.decode(fed, &mut out) {
            Ok(n) => {
                assert!(n <= fed.len(), "consumed {n} of {} bytes", fed.len());
                pos += n;
                if !dec.is_done() {
                    let kept = fed.len() - n;
                    assert!(kept <= MAX_CHUNK_LINE.max(trailers), "{kept} bytes left unconsumed");
                }
            }
            Err(e) => {
                let status = e.status().map(|s| s.as_u16());
                assert!(status.is_some_and(|s| (400..500).contains(&s)), "{e:?} answered with {status:?}");
                return Decoded { end: Err(status.unwrap_or(0)), out: Vec::new() };
            }
        }
        assert!(out.len() as u64 <= limit, "decoded {} bytes past the limit of {limit}", out.len());
        if dec.is_done() {
            break;
        }
    }
    Decoded { end: Ok((pos, dec.is_done())), out }
}

/// Reads `[n] [n × u16 LE] payload` into sorted split points (with their pause bit) and the payload.
fn pieces(data: &[u8]) -> (Vec<(usize, bool)>, &[u8]) {
    let Some((&n, rest)) = data.split_first() else { return (Vec::new(), data) };
    let n = usize::from(n) % (MAX_CUTS + 1);
    let (raw, payload) = rest.split_at((n * 2).min(rest.len()));
    let mut cuts: Vec<(usize, bool)> = raw
        .chunks_exact(2)
        .map(|c| {
            let v = u16::from_le_bytes([c[0], c[1]]);
            (usize::from(v & 0x7fff) % (payload.len() + 1), v & 0x8000 != 0)
        })
        .collect();
    cuts.sort_unstable();
    (cuts, payload)
}

/// The whole connection over an in-memory stream, on a paused clock (tokio's `test-util`, which
/// the `fuzz` feature turns on).
mod connection {
    use std::future::Future;
    use std::sync::{Arc, Mutex, PoisonError};
    use std::time::Duration;

    use bytes::Bytes;
    use http::header::CONNECTION;
    use http::{HeaderValue, Method, StatusCode};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::pieces;
    use crate::{App, Body, Request, Response, Server};

    /// A pause the client takes at a split point with the top bit set: past the head and body
    /// read timeouts (10 s, 30 s), short of the keep-alive timeout (75 s).
    const LONG_PAUSE: Duration = Duration::from_secs(31);

    /// Longer than all the connection's timeouts together: a connection still open then hangs.
    const GIVE_UP: Duration = Duration::from_secs(1000);

    /// The largest response [`Echo`] makes (`/big`), plus room for its head.
    const MAX_RESPONSE: usize = 20 * 1024;

    /// The application behind the fuzzed connection: a few kinds of response, chosen by path.
    #[derive(Debug, Default)]
    struct Echo {
        /// The method of every request the connection handed to the application, in order.
        methods: Mutex<Vec<Method>>,
    }

    impl App for Echo {
        fn handle<'a>(&'a self, req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
            self.methods.lock().unwrap_or_else(PoisonError::into_inner).push(req.method().clone());
            async move {
                let path = req.path();
                if path.starts_with("/stream") {
                    let (tx, body) = Body::channel(4);
                    for chunk in [&b"one"[..], b"", b"two"] {
                        let _ = tx.try_send(Bytes::from_static(chunk));
                    }
                    Response::new(body)
                } else if path.starts_with("/slow") {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    Response::text("slow")
                } else if path.starts_with("/big") {
                    Response::new(vec![b'x'; 17 * 1024])
                } else if path.starts_with("/empty") {
                    Response::status_only(StatusCode::NO_CONTENT)
                } else if path.starts_with("/close") {
                    Response::text("bye").with_header(CONNECTION, HeaderValue::from_static("close"))
                } else {
                    Response::text(format!("{} {} {}", req.method(), path, req.body().len()))
                }
            }
        }
    }

    /// `serve_connection` with small limits over a `tokio::io::duplex`: the client writes the
    /// payload in pieces (pausing where asked), then half-closes and reads to the end.
    ///
    /// Nothing panics or hangs (the clock is paused, so every timeout fires at once when all
    /// tasks wait); the output is a sequence of well-formed HTTP/1.1 responses, one per request
    /// the application saw (each after at most one `100 Continue`), plus at most one error
    /// response from the server, with nothing after the last; its length is bounded by the
    /// number of line feeds in the input (a request needs two).
    ///
    /// ```
    /// waymark_runtime::__fuzz::connection(b"\x00\x00GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    /// ```
    ///
    /// # Panics
    ///
    /// When an invariant breaks.
    pub fn connection(data: &[u8]) {
        let Some((&pick, rest)) = data.split_first() else { return };
        let (cuts, payload) = pieces(rest);
        let lines = memchr::memchr_iter(b'\n', payload).count();
        let bound = (lines / 2 + 1) * MAX_RESPONSE;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("a current-thread runtime");
        let app = Arc::new(Echo::default());
        let out = rt.block_on(exchange(pick, cuts, payload.to_vec(), Arc::clone(&app), bound));
        let methods = app.methods.lock().unwrap_or_else(PoisonError::into_inner).clone();
        check_responses(&out, &methods);
    }

    async fn exchange(pick: u8, cuts: Vec<(usize, bool)>, payload: Vec<u8>, app: Arc<Echo>, bound: usize) -> Vec<u8> {
        let mut builder = Server::builder().max_head_size(1024).max_headers(16).max_target_len(256).max_body_size(4096);
        if pick & 1 == 1 {
            builder = builder.max_requests_per_connection(Some(2));
        }
        #[cfg(feature = "http2")]
        {
            builder = builder.http2_prior_knowledge(false);
        }
        let (client, server) = tokio::io::duplex(if pick & 2 == 2 { 64 } else { 16 * 1024 });
        let server =
            tokio::spawn(async move { builder.serve_connection(server, ([127, 0, 0, 1], 9).into(), app).await });
        let (mut rd, mut wr) = tokio::io::split(client);
        let writer = tokio::spawn(async move {
            let mut pos = 0;
            for (end, long) in cuts.into_iter().chain([(payload.len(), false)]) {
                if wr.write_all(&payload[pos..end.max(pos)]).await.is_err() {
                    return; // the server closed; what is left can never be read
                }
                pos = end.max(pos);
                tokio::time::sleep(if long { LONG_PAUSE } else { Duration::from_millis(1) }).await;
            }
            let _ = wr.shutdown().await;
        });
        let read = async {
            let mut out = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                match rd.read(&mut buf).await {
                    Ok(0) | Err(_) => return out,
                    Ok(n) => out.extend_from_slice(&buf[..n]),
                }
                assert!(out.len() <= bound, "{} bytes of output, past the bound of {bound}", out.len());
            }
        };
        let ended = tokio::time::timeout(GIVE_UP, async {
            let out = read.await;
            for task in [server, writer] {
                if let Err(e) = task.await {
                    std::panic::resume_unwind(e.into_panic());
                }
            }
            out
        })
        .await;
        ended.expect("the connection did not end within 1000 s of (paused) time")
    }

    /// Walks the output as responses to `methods`, in order, then at most one error response.
    fn check_responses(out: &[u8], methods: &[Method]) {
        let mut pos = 0;
        let mut finals = 0;
        let mut continued = false;
        while pos < out.len() {
            let mut fields = [httparse::EMPTY_HEADER; 32];
            let mut res = httparse::Response::new(&mut fields);
            let len = match res.parse(&out[pos..]) {
                Ok(httparse::Status::Complete(len)) => len,
                other => panic!("response head at {pos}: {other:?}: {:?}", String::from_utf8_lossy(&out[pos..])),
            };
            let head = &out[pos..pos + len];
            assert!(!crate::types::grammar::has_bare_lf(head), "bare LF in a response head");
            assert_eq!(res.version, Some(1), "not HTTP/1.1");
            let code = res.code.unwrap_or(0);
            let status = StatusCode::from_u16(code).unwrap_or_else(|_| panic!("status {code}"));
            assert_eq!(res.reason, Some(status.canonical_reason().unwrap_or("")), "reason phrase of {code}");
            let field = |name: &str| -> Vec<&[u8]> {
                res.headers.iter().filter(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value).collect()
            };
            let (lengths, codings, conn) = (field("content-length"), field("transfer-encoding"), field("connection"));
            let close = conn.iter().any(|v| v.eq_ignore_ascii_case(b"close"));
            pos += len;
            if status.is_informational() {
                assert_eq!(code, 100, "interim {code}");
                assert!(lengths.is_empty() && codings.is_empty() && !continued, "100 Continue framing");
                continued = true;
                continue;
            }
            continued = false;
            assert_eq!(field("date").len(), 1, "one Date");
            assert!(lengths.len() <= 1 && codings.len() <= 1, "repeated framing fields");
            assert!(lengths.is_empty() || codings.is_empty(), "both Content-Length and Transfer-Encoding");
            let from_app = finals < methods.len();
            if !from_app {
                assert!(finals == methods.len() && close, "a response the application did not make, without close");
                assert!(status.is_client_error() || status.is_server_error(), "server's own {code}");
            }
            let head_request = from_app && methods[finals] == Method::HEAD;
            finals += 1;
            let no_body = head_request || code == 204 || code == 304;
            if code == 204 {
                assert!(lengths.is_empty() && codings.is_empty(), "204 with framing fields");
            }
            if no_body {
                assert!(codings.is_empty(), "chunked with no body");
            } else if let Some(coding) = codings.first() {
                assert_eq!(*coding, b"chunked", "transfer coding");
                pos += chunked_len(&out[pos..]);
            } else if let Some(length) = lengths.first() {
                let n: usize = std::str::from_utf8(length).ok().and_then(|s| s.parse().ok()).expect("Content-Length");
                assert!(pos + n <= out.len(), "body of {n} cut short");
                pos += n;
            } else {
                assert!(close, "a body delimited by close without `connection: close`");
                pos = out.len();
            }
            assert!(!close || pos == out.len(), "bytes after a `connection: close` response");
        }
        assert!(finals >= methods.len(), "{} requests handled, {finals} answered", methods.len());
    }

    /// The length of a chunked body our encoder wrote: size lines in lowercase hex, no
    /// extensions, no trailers.
    fn chunked_len(body: &[u8]) -> usize {
        let mut pos = 0;
        loop {
            let line = memchr::memmem::find(&body[pos..], b"\r\n").expect("chunk size line");
            let digits = &body[pos..pos + line];
            assert!(!digits.is_empty() && digits.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')), "size");
            let size = usize::from_str_radix(std::str::from_utf8(digits).unwrap_or("!"), 16).expect("chunk size");
            pos += line + 2;
            if size == 0 {
                assert!(body[pos..].starts_with(b"\r\n"), "trailer section");
                return pos + 2;
            }
            assert!(body.len() >= pos + size + 2 && &body[pos + size..pos + size + 2] == b"\r\n", "chunk data");
            pos += size + 2;
        }
    }
}
