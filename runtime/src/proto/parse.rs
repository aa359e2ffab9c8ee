//! Request heads: httparse for the grammar, then the framing and connection rules of RFC 9112.
//!
//! `Ok(None)` means "read more": an incomplete head is never an error until it outgrows its limit.

use std::mem::MaybeUninit;

use http::{Method, Version};

use crate::proto::config::Config;
use crate::proto::error::Error;
use crate::types::grammar::{has_bare_lf, is_tchar, list, trim_ows};
use crate::types::request::Request;

/// Hard ceiling on the configurable header count: the parser's slots live on the stack, left
/// uninitialised, so the ceiling costs stack space and no time.
pub(crate) const MAX_HEADERS_CAP: usize = 256;

/// How the request body is framed (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    /// No `Content-Length` and no `Transfer-Encoding`: no body (RFC 9112 §6.3 item 7).
    Empty,
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// What the connection needs to know about a parsed head; the rest went into the [`Request`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Head {
    /// Bytes of the head, including the empty line.
    pub(crate) len: usize,
    pub(crate) body: BodyKind,
    /// Whether the client allows the connection to persist (RFC 9112 §9.3).
    pub(crate) keep_alive: bool,
    /// `Expect: 100-continue` on HTTP/1.1 (RFC 9110 §10.1.1; ignored on 1.0).
    pub(crate) expect_continue: bool,
}

/// Parses a request head at the start of `buf` into `req`.
pub(crate) fn parse_head(buf: &[u8], cfg: &Config, req: &mut Request) -> Result<Option<Head>, Error> {
    let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS_CAP];
    let slots = &mut slots[..cfg.max_headers.clamp(1, MAX_HEADERS_CAP)];
    let mut parsed = httparse::Request::new(&mut []);
    let len = match parsed.parse_with_uninit_headers(buf, slots) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return partial(buf, cfg).map(|()| None),
        Err(httparse::Error::TooManyHeaders) => return Err(Error::TooManyHeaders),
        Err(httparse::Error::Version) => return Err(version_error(buf)),
        Err(httparse::Error::Token) => return Err(Error::BadSyntax("invalid request line")),
        Err(httparse::Error::HeaderName) => return Err(Error::BadSyntax("invalid header name")),
        Err(httparse::Error::HeaderValue) => return Err(Error::BadSyntax("invalid header value")),
        Err(_) => return Err(Error::BadSyntax("invalid request head")),
    };
    if len > cfg.max_head_size {
        return Err(Error::HeadTooLarge);
    }
    if has_bare_lf(&buf[..len]) {
        return Err(Error::BareLf);
    }
    // httparse returned Complete, so method, path and version are all set.
    let (Some(method), Some(target), Some(minor)) = (parsed.method, parsed.path, parsed.version) else {
        return Err(Error::BadSyntax("invalid request line"));
    };
    let method = known_method(method.as_bytes())?;
    let version = if minor == 0 { Version::HTTP_10 } else { Version::HTTP_11 };

    if target.len() > cfg.max_target_len {
        return Err(Error::TargetTooLong);
    }
    req.clear();
    set_target(req, &method, target)?;
    req.set_method(method);
    req.set_version(version);

    let mut hosts = 0u32;
    let mut length: Option<u64> = None;
    let mut te = TransferCodings::default();
    let (mut close, mut keep_alive_token, mut expect_continue) = (false, false, false);
    for h in parsed.headers.iter() {
        let name = h.name.as_bytes();
        let value = h.value;
        req.push_header(name, value);
        if name.eq_ignore_ascii_case(b"host") {
            hosts += 1;
            if !valid_host(value) {
                return Err(Error::InvalidHost);
            }
        } else if name.eq_ignore_ascii_case(b"content-length") {
            let n = parse_content_length(value)?;
            if length.is_some_and(|prev| prev != n) {
                return Err(Error::BadContentLength);
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            te.add(value)?;
        } else if name.eq_ignore_ascii_case(b"connection") {
            for token in list(value) {
                close |= token.eq_ignore_ascii_case(b"close");
                keep_alive_token |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if name.eq_ignore_ascii_case(b"expect") {
            // RFC 9110 §10.1.1: the only expectation defined is 100-continue.
            if !trim_ows(value).eq_ignore_ascii_case(b"100-continue") {
                return Err(Error::ExpectationFailed);
            }
            expect_continue = version == Version::HTTP_11;
        }
    }
    match (version, hosts) {
        (_, 2..) => return Err(Error::DuplicateHost),
        (Version::HTTP_11, 0) => return Err(Error::MissingHost),
        _ => {}
    }
    let body = if te.present {
        if version == Version::HTTP_10 {
            return Err(Error::TransferEncodingHttp10);
        }
        if length.is_some() {
            return Err(Error::LengthAndChunked);
        }
        // A coding we do not implement is 501 (RFC 9112 §6.1), even though without a final
        // chunked the framing is also invalid (§6.3 item 4, 400): either way we close.
        if te.unsupported {
            return Err(Error::UnsupportedCoding);
        }
        if !te.chunked_last {
            return Err(Error::ChunkedNotFinal);
        }
        BodyKind::Chunked
    } else {
        match length {
            Some(0) | None => BodyKind::Empty,
            // The limit is the route's (the server's body limit unless the route sets its own):
            // the request is routed first, and a length over it is refused then, unread.
            Some(n) => BodyKind::Length(n),
        }
    };
    // RFC 9112 §9.3: 1.1 persists unless `close`; 1.0 only with `keep-alive`.
    let keep_alive = !close && (version == Version::HTTP_11 || keep_alive_token);
    Ok(Some(Head { len, body, keep_alive, expect_continue: expect_continue && body != BodyKind::Empty }))
}

/// Longest extension method routed like a known one: what `http::Method` holds inline, so no
/// extension method allocates. Longer ones get 501.
const MAX_EXTENSION_METHOD: usize = 15;

/// The methods of RFC 9110 §9 and PATCH (RFC 5789), and any other token method up to
/// [`MAX_EXTENSION_METHOD`] bytes (`QUERY`, the `PROPFIND` of `WebDAV`, ...). An extension method is
/// routed like any method no route takes: `405` with `Allow` on a path other methods take, `404`
/// elsewhere. RFC 9110 §9.1 says SHOULD 501 for a method that is unrecognized; a `405` is as
/// true on a known path (§15.5.6: "not supported by the target resource") and better for users:
/// it is a client error (4xx) that monitoring does not count against the server and clients do
/// not retry, and its `Allow` says what would work. A longer method gets 501.
fn known_method(m: &[u8]) -> Result<Method, Error> {
    match m {
        b"GET" => Ok(Method::GET),
        b"HEAD" => Ok(Method::HEAD),
        b"POST" => Ok(Method::POST),
        b"PUT" => Ok(Method::PUT),
        b"DELETE" => Ok(Method::DELETE),
        b"OPTIONS" => Ok(Method::OPTIONS),
        b"PATCH" => Ok(Method::PATCH),
        b"CONNECT" => Ok(Method::CONNECT),
        b"TRACE" => Ok(Method::TRACE),
        _ => extension_method(m),
    }
}

/// A method no `routes!` table names, routed all the same (see [`known_method`]).
#[cold]
fn extension_method(m: &[u8]) -> Result<Method, Error> {
    // httparse has checked that it is a token.
    if m.len() > MAX_EXTENSION_METHOD {
        return Err(Error::UnknownMethod);
    }
    Method::from_bytes(m).map_err(|_| Error::UnknownMethod)
}

/// An incomplete head: fine unless it has already outgrown the limit.
fn partial(buf: &[u8], cfg: &Config) -> Result<(), Error> {
    let line_end = memchr::memchr(b'\n', buf);
    // A request line longer than the target limit allows can only be answered with 414
    // (RFC 9112 §3: 414 for a target longer than we are willing to parse).
    if line_end.is_none() && buf.len() > cfg.max_target_len.saturating_add(MAX_METHOD_AND_VERSION) {
        return Err(Error::TargetTooLong);
    }
    if buf.len() >= cfg.max_head_size {
        return Err(if line_end.is_none() { Error::TargetTooLong } else { Error::HeadTooLarge });
    }
    Ok(())
}

/// Slack for the method, the version and the two spaces when deciding a request line is too long.
const MAX_METHOD_AND_VERSION: usize = 64;

/// httparse rejected the version: `HTTP/d.d` with other digits is a version we do not support
/// (505, RFC 9110 §15.6.6); anything else is a malformed request line (400, RFC 9112 §2.3).
fn version_error(buf: &[u8]) -> Error {
    let start = buf.iter().position(|&b| b != b'\r' && b != b'\n').unwrap_or(0);
    let buf = &buf[start..];
    let line = &buf[..buf.iter().position(|&b| b == b'\r' || b == b'\n').unwrap_or(buf.len())];
    let mut parts = line.split(|&b| b == b' ');
    let (Some(_), Some(_), Some(v), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Error::BadSyntax("invalid request line");
    };
    match v {
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor] if major.is_ascii_digit() && minor.is_ascii_digit() => {
            Error::UnsupportedVersion
        }
        _ => Error::BadSyntax("invalid HTTP version"),
    }
}

/// Stores the target in origin form. RFC 9112 §3.2: origin-form for most requests, absolute-form
/// must be accepted (§3.2.2; its authority wins over `Host`), authority-form only for CONNECT,
/// asterisk-form only for OPTIONS.
fn set_target(req: &mut Request, method: &Method, target: &str) -> Result<(), Error> {
    // httparse allows bytes above 0x7F in a target; a URI has none (RFC 3986 §2).
    if !target.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::BadTarget);
    }
    if target.starts_with('/') || (target == "*" && method == Method::OPTIONS) || method == Method::CONNECT {
        req.set_target(target);
        return Ok(());
    }
    let scheme_len = if starts_with_ignore_case(target, "http://") {
        7
    } else if starts_with_ignore_case(target, "https://") {
        8
    } else {
        return Err(Error::BadTarget);
    };
    let rest = &target[scheme_len..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if !valid_host(&rest.as_bytes()[..authority_end]) || authority_end == 0 {
        return Err(Error::BadTarget);
    }
    let rest = &rest[authority_end..];
    if rest.starts_with('/') {
        req.set_target(rest);
    } else {
        req.set_target_prefixed("/", rest);
    }
    Ok(())
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// `Host = uri-host [ ":" port ]` (RFC 9110 §7.2): reg-name, IPv4 or IP-literal characters only,
/// so no userinfo (`@`), path, whitespace or control bytes. An empty value is allowed (§7.2).
fn valid_host(v: &[u8]) -> bool {
    v.iter().all(|&b| HOST_BYTES[usize::from(b)])
}

/// The bytes [`valid_host`] accepts, as a table: one load per byte.
static HOST_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        #[allow(clippy::cast_possible_truncation, reason = "b < 256")]
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric();
        b += 1;
    }
    let extra = b"-._~!$&'()*+,;=%:[]";
    let mut i = 0;
    while i < extra.len() {
        table[extra[i] as usize] = true;
        i += 1;
    }
    table
};

/// `Content-Length = 1*DIGIT` (RFC 9110 §8.6): no sign, no list, no whitespace inside, no overflow.
fn parse_content_length(v: &[u8]) -> Result<u64, Error> {
    let v = trim_ows(v);
    if v.is_empty() {
        return Err(Error::BadContentLength);
    }
    v.iter().try_fold(0u64, |n, &b| {
        if !b.is_ascii_digit() {
            return Err(Error::BadContentLength);
        }
        n.checked_mul(10).and_then(|n| n.checked_add(u64::from(b - b'0'))).ok_or(Error::BadContentLength)
    })
}

/// The transfer codings of every `Transfer-Encoding` field, in order (RFC 9112 §6.1).
#[derive(Default)]
struct TransferCodings {
    present: bool,
    chunked_last: bool,
    unsupported: bool,
}

impl TransferCodings {
    fn add(&mut self, value: &[u8]) -> Result<(), Error> {
        self.present = true;
        for coding in list(value) {
            // A coding may carry parameters (RFC 9112 §7): compare the name alone.
            let name = trim_ows(coding.split(|&b| b == b';').next().unwrap_or(coding));
            if self.chunked_last {
                // Something after `chunked`, including a second `chunked` (§6.1: MUST NOT
                // apply chunked more than once).
                return Err(Error::ChunkedNotFinal);
            }
            if name.eq_ignore_ascii_case(b"chunked") {
                self.chunked_last = true;
            } else if !name.is_empty() && name.iter().all(|&b| is_tchar(b)) {
                self.unsupported = true;
            } else {
                return Err(Error::BadSyntax("invalid Transfer-Encoding"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<Option<(Head, Request)>, Error> {
        let mut req = Request::empty();
        parse_head(raw.as_bytes(), &Config::default(), &mut req).map(|h| h.map(|h| (h, req)))
    }

    fn status(raw: &str) -> u16 {
        match parse(raw) {
            Ok(Some(_)) => 200,
            Ok(None) => 0,
            Err(e) => e.status().map_or(0, |s| s.as_u16()),
        }
    }

    #[test]
    fn rules_table() {
        let cases: &[(&str, u16)] = &[
            ("GET / HTTP/1.1\r\nHost: t\r\n\r\n", 200),
            ("GET / HTTP/1.1\r\nHost: t\r\n", 0),
            ("GET / HTTP/1.0\r\n\r\n", 200),
            ("GET / HTTP/1.1\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: u@t\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: t\r\nX : a\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: t\r\nX: a\x01b\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: t\r\nX: a\rb\r\n\r\n", 400),
            ("GET / HTTP/1.1\nHost: t\n\n", 400),
            ("GET /caf\u{e9} HTTP/1.1\r\nHost: t\r\n\r\n", 400),
            ("GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505),
            ("GET / http/1.1\r\nHost: t\r\n\r\n", 400),
            ("GET / HTTP/1.1 \r\nHost: t\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: +5\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 5\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 200),
            ("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400),
            // The body limit is the route's, checked after routing (413 then, unread).
            ("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000000\r\n\r\n", 200),
            ("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
            ("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: ,Chunked\r\n\r\n", 200),
            ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n\r\n", 200),
            ("GET / HTTP/1.1\r\nHost: t\r\nExpect: 200-ok\r\n\r\n", 417),
            ("GET * HTTP/1.1\r\nHost: t\r\n\r\n", 400),
            ("OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n", 200),
            ("GET x HTTP/1.1\r\nHost: t\r\n\r\n", 400),
            ("FOO / HTTP/1.1\r\nHost: t\r\n\r\n", 200),
            ("SIXTEEN-LETTERS! / HTTP/1.1\r\nHost: t\r\n\r\n", 501),
            // Methods are case-sensitive (RFC 9110 §9.1): `get` is an extension method.
            ("get / HTTP/1.1\r\nHost: t\r\n\r\n", 200),
        ];
        for (raw, want) in cases {
            assert_eq!(status(raw), *want, "{raw:?}");
        }
    }

    #[test]
    fn absolute_form_becomes_origin_form() {
        for (target, path, query) in
            [("http://t/a/b?x=1", "/a/b", Some("x=1")), ("HTTP://t", "/", None), ("https://t:8080?q", "/", Some("q"))]
        {
            let raw = format!("GET {target} HTTP/1.1\r\nHost: t\r\n\r\n");
            let (_, req) = parse(&raw).unwrap().unwrap();
            assert_eq!((req.path(), req.query()), (path, query), "{target}");
        }
    }

    #[test]
    fn framing_and_persistence() {
        let cases: &[(&str, BodyKind, bool, bool)] = &[
            ("GET / HTTP/1.1\r\nHost: t\r\n\r\n", BodyKind::Empty, true, false),
            ("GET / HTTP/1.1\r\nHost: t\r\nConnection: Close\r\n\r\n", BodyKind::Empty, false, false),
            ("GET / HTTP/1.0\r\n\r\n", BodyKind::Empty, false, false),
            ("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", BodyKind::Empty, true, false),
            ("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", BodyKind::Empty, true, false),
            (
                "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 7\r\nExpect: 100-Continue\r\n\r\n",
                BodyKind::Length(7),
                true,
                true,
            ),
            ("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n", BodyKind::Chunked, true, false),
        ];
        for (raw, body, keep_alive, expect) in cases {
            let (head, _) = parse(raw).unwrap().unwrap();
            assert_eq!((head.body, head.keep_alive, head.expect_continue), (*body, *keep_alive, *expect), "{raw:?}");
            assert_eq!(head.len, raw.len());
        }
    }

    #[test]
    fn limits() {
        let cfg = Config { max_head_size: 256, max_headers: 4, max_target_len: 32, ..Config::default() };
        let mut req = Request::empty();
        let long_target = format!("GET /{} HTTP/1.1\r\nHost: t\r\n\r\n", "a".repeat(40));
        assert!(matches!(parse_head(long_target.as_bytes(), &cfg, &mut req), Err(Error::TargetTooLong)));
        let endless_line = format!("GET /{}", "a".repeat(200));
        assert!(matches!(parse_head(endless_line.as_bytes(), &cfg, &mut req), Err(Error::TargetTooLong)));
        let many = format!("GET / HTTP/1.1\r\nHost: t\r\n{}\r\n", "X: y\r\n".repeat(4));
        assert!(matches!(parse_head(many.as_bytes(), &cfg, &mut req), Err(Error::TooManyHeaders)));
        let big = format!("GET / HTTP/1.1\r\nHost: t\r\nX: {}", "y".repeat(300));
        assert!(matches!(parse_head(big.as_bytes(), &cfg, &mut req), Err(Error::HeadTooLarge)));
        assert!(matches!(parse_head(&big.as_bytes()[..200], &cfg, &mut req), Ok(None)));
    }
}
