//! Request body framing (RFC 9112 §6): a body of known length or chunked (§7.1), taken whole when
//! it came with its head, or fed to the handler's reader piece by piece while the handler runs.
//!
//! The chunked decoder works on whatever bytes are buffered and says how many it consumed, so the
//! reader can read more and call it again: running out of input is never an error.

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::Request;
use crate::proto::config::Config;
use crate::proto::encode;
use crate::proto::error::Error;
use crate::proto::io::{Io, Transport};
use crate::proto::parse::BodyKind;
use crate::proto::rate::RateClock;
use crate::types::feed::{BodyError, Feed};
use crate::types::grammar::{has_bare_lf, is_tchar};

/// Longest chunk-size line, extensions included. RFC 9112 §7.1.1 leaves the limit to us ("ought to
/// limit the total length of chunk extensions"); 4 KiB is far more than any real extension.
pub(crate) const MAX_CHUNK_LINE: usize = 4096;

/// Most trailer fields accepted (RFC 9112 §7.1.2); they are read and discarded.
pub(crate) const MAX_TRAILERS: usize = 32;

/// A chunk size has at most 16 hex digits: more would overflow `u64`.
const MAX_SIZE_DIGITS: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Size,
    Data(u64),
    DataEnd,
    Trailers,
    Done,
}

/// Decodes a chunked body into a byte vector, enforcing the body size limit on the decoded bytes.
#[derive(Debug)]
pub(crate) struct ChunkedDecoder {
    state: State,
    total: u64,
    limit: u64,
    max_trailer_section: usize,
}

impl ChunkedDecoder {
    pub(crate) fn new(limit: u64, max_trailer_section: usize) -> Self {
        Self { state: State::Size, total: 0, limit, max_trailer_section }
    }

    /// The limit on the decoded bytes.
    pub(crate) fn limit(&self) -> u64 {
        self.limit
    }

    /// Whether the last chunk and the trailer section have been read.
    pub(crate) fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Decodes as much of `buf` as it can, appending chunk data to `out`; returns the bytes consumed.
    pub(crate) fn decode(&mut self, buf: &[u8], out: &mut Vec<u8>) -> Result<usize, Error> {
        let mut pos = 0;
        loop {
            let rest = &buf[pos..];
            match self.state {
                State::Done => return Ok(pos),
                State::Size => {
                    let Some(line_end) = memchr::memchr(b'\n', rest) else {
                        if rest.len() >= MAX_CHUNK_LINE {
                            return Err(Error::BadChunk("chunk size line too long"));
                        }
                        return Ok(pos);
                    };
                    if line_end >= MAX_CHUNK_LINE {
                        return Err(Error::BadChunk("chunk size line too long"));
                    }
                    let size = parse_size_line(&rest[..line_end])?;
                    pos += line_end + 1;
                    if size == 0 {
                        self.state = State::Trailers;
                    } else {
                        self.total = self.total.checked_add(size).ok_or(Error::BodyTooLarge)?;
                        if self.total > self.limit {
                            return Err(Error::BodyTooLarge);
                        }
                        out.reserve(usize::try_from(size).unwrap_or(usize::MAX).min(64 * 1024));
                        self.state = State::Data(size);
                    }
                }
                State::Data(left) => {
                    if rest.is_empty() {
                        return Ok(pos);
                    }
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(rest.len());
                    out.extend_from_slice(&rest[..take]);
                    pos += take;
                    let left = left - take as u64;
                    self.state = if left == 0 { State::DataEnd } else { State::Data(left) };
                }
                State::DataEnd => match rest {
                    [b'\r', b'\n', ..] => {
                        pos += 2;
                        self.state = State::Size;
                    }
                    [] | [b'\r'] => return Ok(pos),
                    _ => return Err(Error::BadChunk("chunk data not followed by CRLF")),
                },
                State::Trailers => match parse_trailers(rest) {
                    // The limit holds however the section arrives: whole, or in pieces (below).
                    Ok(Some(n)) if n > self.max_trailer_section => return Err(Error::HeadTooLarge),
                    Ok(Some(n)) => {
                        if has_bare_lf(&rest[..n]) {
                            return Err(Error::BareLf);
                        }
                        pos += n;
                        self.state = State::Done;
                    }
                    Ok(None) if rest.len() >= self.max_trailer_section => return Err(Error::HeadTooLarge),
                    Ok(None) => return Ok(pos),
                    Err(e) => return Err(e),
                },
            }
        }
    }
}

/// Parses the trailer section (RFC 9112 §7.1.2) with the same field grammar as the head.
fn parse_trailers(buf: &[u8]) -> Result<Option<usize>, Error> {
    let mut fields = [httparse::EMPTY_HEADER; MAX_TRAILERS];
    match httparse::parse_headers(buf, &mut fields) {
        Ok(httparse::Status::Complete((n, _))) => Ok(Some(n)),
        Ok(httparse::Status::Partial) => Ok(None),
        Err(httparse::Error::TooManyHeaders) => Err(Error::TooManyHeaders),
        Err(_) => Err(Error::BadChunk("invalid trailer field")),
    }
}

/// `chunk-size [ chunk-ext ] CRLF` without the LF (RFC 9112 §7.1, §7.1.1).
fn parse_size_line(line: &[u8]) -> Result<u64, Error> {
    let Some((b'\r', line)) = line.split_last() else {
        return Err(Error::BadChunk("chunk size line must end in CRLF"));
    };
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        return Err(Error::BadChunk("invalid chunk size"));
    }
    if digits > MAX_SIZE_DIGITS {
        return Err(Error::BadChunk("chunk size overflows"));
    }
    let size = line[..digits].iter().fold(0u64, |n, &b| (n << 4) | u64::from(hex_value(b)));
    let ext = &line[digits..];
    // chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ); extensions are
    // ignored (§7.1.1) but must be well formed enough not to hide a CR or a control byte.
    let ext_start = ext.iter().position(|&b| b != b' ' && b != b'\t').unwrap_or(ext.len());
    match ext.get(ext_start) {
        None if ext.is_empty() => Ok(size),
        Some(b';') if ext[ext_start..].iter().all(|&b| b == b'\t' || (b' '..0x7f).contains(&b) || b >= 0x80) => {
            let name = ext[ext_start + 1..].iter().find(|&&b| b != b' ' && b != b'\t');
            if name.is_some_and(|&b| is_tchar(b)) { Ok(size) } else { Err(Error::BadChunk("invalid chunk extension")) }
        }
        _ => Err(Error::BadChunk("invalid chunk size")),
    }
}

fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    }
}

/// A body that was not in the read buffer with its head.
pub(crate) enum Pending {
    /// `Content-Length`: this many bytes.
    Length(u64),
    /// Chunked, not yet decoded.
    Chunked(ChunkedDecoder),
}

impl Pending {
    /// The declared length, if the body has one.
    pub(crate) fn declared(&self) -> Option<u64> {
        match self {
            Pending::Length(len) => Some(*len),
            Pending::Chunked(_) => None,
        }
    }
}

/// Pieces read from the socket for a streamed body with a known length.
const BODY_CHUNK: usize = 64 * 1024;

/// Takes a body that is already in the read buffer into the request (RFC 9112 §6.3); a body that
/// is not, or only in part, is left to stream while the handler runs: `Some(pending)`.
#[inline]
pub(crate) fn frame<S: Io>(
    io: &mut Transport<S>,
    kind: BodyKind,
    cfg: &Config,
    req: &mut Request,
) -> Result<Option<Pending>, Error> {
    // Most requests have no body: this match is inlined into the request loop, the framing of a
    // body is not.
    match kind {
        BodyKind::Empty => Ok(None),
        BodyKind::Length(len) => Ok(take_length(io, len, req)),
        BodyKind::Chunked => take_chunked(io, cfg, req),
    }
}

/// A body of `len` bytes, taken whole if it is all in the read buffer.
#[inline(never)]
fn take_length<S: Io>(io: &mut Transport<S>, len: u64, req: &mut Request) -> Option<Pending> {
    match usize::try_from(len) {
        Ok(n) if n <= io.input().len() => {
            req.set_body(Bytes::copy_from_slice(&io.input()[..n]));
            io.consume(n);
            None
        }
        _ => Some(Pending::Length(len)),
    }
}

/// A chunked body, taken whole if its last chunk is in the read buffer.
#[inline(never)]
fn take_chunked<S: Io>(io: &mut Transport<S>, cfg: &Config, req: &mut Request) -> Result<Option<Pending>, Error> {
    // The limit is enforced by the reader (the route's, or the server's).
    let mut decoder = ChunkedDecoder::new(u64::MAX, cfg.max_head_size);
    let mut body = Vec::new();
    let used = decoder.decode(io.input(), &mut body)?;
    if decoder.is_done() {
        io.consume(used);
        req.set_body(Bytes::from(body));
        return Ok(None);
    }
    Ok(Some(Pending::Chunked(ChunkedDecoder::new(u64::MAX, cfg.max_head_size))))
}

/// Feeds a pending body to its reader: nothing until the handler first asks (then `100
/// Continue`, if the client waits for it), then a piece at a time, each sent only when the
/// previous one was taken. The whole body has [`Config::body_read_timeout`], plus a second per
/// 8 KiB received, and must come at the minimum rate ([`RateClock`]); time spent waiting for
/// the reader to take a piece is not the client's, and starts a new window. Returns whether the body was read to its end; a body that
/// breaks (the client leaves, stalls, or sends a bad chunk) is reported to the reader as an error.
pub(crate) async fn pump<S: Io>(
    io: &mut Transport<S>,
    cfg: &Config,
    expect_continue: bool,
    mut pending: Pending,
    feed: Feed,
) -> bool {
    tokio::select! {
        () = feed.demand.notified() => {}
        () = feed.tx.closed() => return false,
    }
    let limit = feed.limit.load(std::sync::atomic::Ordering::Relaxed);
    if let Pending::Chunked(decoder) = &mut pending {
        *decoder = ChunkedDecoder::new(limit, cfg.max_head_size);
    }
    if expect_continue {
        // Responses to earlier pipelined requests go first: responses stay in order.
        io.out().extend_from_slice(encode::CONTINUE);
        if io.flush().await.is_err() {
            return false;
        }
    }
    let mut clock = RateClock::transfer(cfg.body_read_timeout, cfg.min_rate, &cfg.pressure);
    if expect_continue {
        clock.first_window_free();
    }
    loop {
        let next = match &mut pending {
            Pending::Length(left) => next_length(io, left, &mut clock).await,
            Pending::Chunked(decoder) => next_chunk(io, decoder, &mut clock).await,
        };
        let chunk = match next {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return true,
            Err(e) => {
                let _ = feed.tx.send(Err(e)).await;
                return false;
            }
        };
        let sent = match feed.tx.try_send(Ok(chunk)) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(chunk)) => {
                let sent = feed.tx.send(chunk).await.map_err(drop);
                clock.restart_window(Instant::now());
                sent
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(()),
        };
        if sent.is_err() {
            // The reader stopped (over its limit, or done with the body).
            return false;
        }
    }
}

/// What a failed read means to the body's reader.
fn broken(e: &Error) -> BodyError {
    match e {
        Error::Timeout => BodyError::TimedOut,
        _ => BodyError::Incomplete,
    }
}

/// The next piece of a body of known length; `None` once `left` is 0.
async fn next_length<S: Io>(
    io: &mut Transport<S>,
    left: &mut u64,
    clock: &mut RateClock,
) -> Result<Option<Bytes>, BodyError> {
    if *left == 0 {
        return Ok(None);
    }
    let want = usize::try_from(*left).unwrap_or(usize::MAX);
    let buffered = io.input();
    let chunk = if buffered.is_empty() {
        // Past the read buffer: straight from the socket into the piece.
        let piece = io.read_piece(want.min(BODY_CHUNK), clock).await.map_err(|e| broken(&e))?;
        if piece.is_empty() {
            return Err(BodyError::Incomplete);
        }
        piece
    } else {
        let take = buffered.len().min(want);
        let chunk = Bytes::copy_from_slice(&buffered[..take]);
        io.consume(take);
        chunk
    };
    *left -= chunk.len() as u64;
    Ok(Some(chunk))
}

/// The next decoded piece of a chunked body; `None` after the last chunk and the trailers.
async fn next_chunk<S: Io>(
    io: &mut Transport<S>,
    decoder: &mut ChunkedDecoder,
    clock: &mut RateClock,
) -> Result<Option<Bytes>, BodyError> {
    loop {
        let mut out = Vec::new();
        let used = decoder.decode(io.input(), &mut out).map_err(|e| match e {
            Error::BodyTooLarge => BodyError::TooLarge(decoder.limit()),
            Error::BadChunk(why) => BodyError::Malformed(why),
            _ => BodyError::Malformed("bad chunk"),
        })?;
        io.consume(used);
        if !out.is_empty() {
            return Ok(Some(Bytes::from(out)));
        }
        if decoder.is_done() {
            return Ok(None);
        }
        if io.read_more(clock).await.map_err(|e| broken(&e))? == 0 {
            return Err(BodyError::Incomplete);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(raw: &[u8]) -> Result<(Vec<u8>, usize), Error> {
        let mut dec = ChunkedDecoder::new(1024, 1024);
        let mut out = Vec::new();
        let n = dec.decode(raw, &mut out)?;
        if dec.is_done() { Ok((out, n)) } else { Err(Error::Closed) }
    }

    #[test]
    fn valid_bodies() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"5\r\nhello\r\n0\r\n\r\n", b"hello"),
            (b"5;foo=bar\r\nhello\r\n0\r\n\r\n", b"hello"),
            (b"5 ; foo\r\nhello\r\n0\r\n\r\n", b"hello"),
            (b"A\r\n0123456789\r\n1\r\n!\r\n0\r\n\r\n", b"0123456789!"),
            (b"5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n", b"hello"),
            (b"0\r\n\r\n", b""),
        ];
        for (raw, want) in cases {
            let (out, n) = decode_all(raw).unwrap_or_else(|e| panic!("{e:?}: {:?}", String::from_utf8_lossy(raw)));
            assert_eq!((out.as_slice(), n), (*want, raw.len()));
        }
    }

    #[test]
    fn invalid_bodies() {
        let cases: &[(&[u8], u16)] = &[
            (b"Z\r\nhello\r\n0\r\n\r\n", 400),
            (b"0x5\r\nhello\r\n0\r\n\r\n", 400),
            (b" 5\r\nhello\r\n0\r\n\r\n", 400),
            (b"5_0\r\nhello\r\n0\r\n\r\n", 400),
            (b"5\r\nhelloX0\r\n\r\n", 400),
            (b"5\r\nhello!!\r\n0\r\n\r\n", 400),
            (b"5\rhello\r\n0\r\n\r\n", 400),
            (b"5\nhello\r\n0\r\n\r\n", 400),
            (b"5\r\nhello\r\n\r\n0\r\n\r\n", 400),
            (b"5;\x01\r\nhello\r\n0\r\n\r\n", 400),
            (b"5 \r\nhello\r\n0\r\n\r\n", 400),
            (b"10000000000000000\r\n", 400),
            (b"401\r\n", 413),
            (b"5\r\nhello\r\n0\r\nX-T 1\r\n\r\n", 400),
        ];
        for (raw, want) in cases {
            let got = decode_all(raw).err().and_then(|e| e.status()).map(|s| s.as_u16());
            assert_eq!(got, Some(*want), "{:?}", String::from_utf8_lossy(raw));
        }
    }

    #[test]
    fn resumes_byte_by_byte() {
        let raw = b"5;x=1\r\nhello\r\n3\r\n, w\r\n0\r\nT: v\r\n\r\nNEXT";
        let mut dec = ChunkedDecoder::new(1024, 1024);
        let mut out = Vec::new();
        let mut pos = 0;
        for end in 1..=raw.len() {
            pos += dec.decode(&raw[pos..end], &mut out).unwrap();
            if dec.is_done() {
                break;
            }
        }
        assert!(dec.is_done());
        assert_eq!((out.as_slice(), &raw[pos..]), (&b"hello, w"[..], &b"NEXT"[..]));
    }

    #[test]
    fn long_extension_is_rejected_before_its_end() {
        let mut raw = b"5;x=".to_vec();
        raw.resize(MAX_CHUNK_LINE + 10, b'a');
        let mut dec = ChunkedDecoder::new(1024, 1024);
        assert!(matches!(dec.decode(&raw, &mut Vec::new()), Err(Error::BadChunk(_))));
    }
}
