//! Conversions between waymark's [`Request`]/[`Response`] and the `http` crate's types, for the
//! servers and services that speak `http::Request<B>`: hyper's HTTP/2 connection and tower.
//!
//! The native HTTP/1.1 path never comes here: these conversions copy headers into an
//! `http::HeaderMap` and back, which is what hyper and tower expect.

use std::convert::Infallible;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes};
use http::header::{CONNECTION, CONTENT_LENGTH, HOST, HeaderMap, HeaderName, HeaderValue, TRANSFER_ENCODING, UPGRADE};
use http::{Method, StatusCode};
use http_body::Frame;
use http_body_util::BodyExt;

use crate::proto::config::Config;
use crate::proto::error::Error;
use crate::types::call::{CatchUnwind, answer};
use crate::types::peer::Peer;
use crate::{App, Body, Request, Response};

/// A waymark response body as an [`http_body::Body`]: the whole body in one frame, or the chunks
/// of a [`Body::Stream`] as they come.
///
/// It is the body type of the responses that [`AppService`](crate::tower::AppService) returns,
/// and of the responses waymark hands to hyper for HTTP/2.
pub struct HttpBody {
    inner: Inner,
}

enum Inner {
    Full(Option<Bytes>),
    Stream(tokio::sync::mpsc::Receiver<Bytes>),
    /// Read into a stream when first polled, so that a body given back unread
    /// ([`HttpBody::into_body`]) is still a file.
    File(Option<crate::types::file::FileBody>),
}

impl HttpBody {
    pub(crate) fn new(body: Body) -> Self {
        let inner = match body {
            Body::Full(bytes) if bytes.is_empty() => Inner::Full(None),
            Body::Full(bytes) => Inner::Full(Some(bytes)),
            Body::Stream(rx) => Inner::Stream(rx),
            Body::File(file) => Inner::File(Some(file)),
        };
        Self { inner }
    }

    /// The waymark body again, with what is left of it.
    #[cfg(feature = "tower")]
    pub(crate) fn into_body(self) -> Body {
        match self.inner {
            Inner::Full(bytes) => Body::Full(bytes.unwrap_or_default()),
            Inner::Stream(rx) => Body::Stream(rx),
            Inner::File(Some(file)) => Body::File(file),
            Inner::File(None) => Body::empty(),
        }
    }

    fn empty() -> Self {
        Self { inner: Inner::Full(None) }
    }
}

/// An empty body (tower-http's `CorsLayer` makes preflight answers with it).
impl Default for HttpBody {
    fn default() -> Self {
        Self::empty()
    }
}

impl std::fmt::Debug for HttpBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            Inner::Full(bytes) => f.debug_tuple("HttpBody::Full").field(bytes).finish(),
            Inner::Stream(_) => f.write_str("HttpBody::Stream"),
            Inner::File(_) => f.write_str("HttpBody::File"),
        }
    }
}

impl http_body::Body for HttpBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if let Inner::File(file) = &mut self.inner {
            self.inner = file.take().map_or(Inner::Full(None), |file| Inner::Stream(file.into_stream()));
        }
        match &mut self.inner {
            Inner::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Inner::File(_) => Poll::Ready(None),
            Inner::Stream(rx) => loop {
                match rx.poll_recv(cx) {
                    // An empty chunk carries nothing; skip it, as the HTTP/1.1 writer does.
                    Poll::Ready(Some(chunk)) if chunk.is_empty() => {}
                    Poll::Ready(chunk) => return Poll::Ready(chunk.map(|b| Ok(Frame::data(b)))),
                    Poll::Pending => return Poll::Pending,
                }
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.inner, Inner::Full(None))
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match &self.inner {
            Inner::Full(bytes) => http_body::SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Inner::File(Some(file)) => http_body::SizeHint::with_exact(file.len()),
            Inner::Stream(_) | Inner::File(None) => http_body::SizeHint::default(),
        }
    }
}

/// The error a server answers for a request it cannot hand to the application.
fn error_response(e: &Error) -> http::Response<HttpBody> {
    let status = e.status().unwrap_or(StatusCode::BAD_REQUEST);
    let res = Response::text(format!("{}\n", e.message())).with_status(status);
    into_http(res, false)
}

/// Answers one `http::Request` with `app`, applying the server's limits to what the client sent:
/// request target (414), header count (431), body size (413), body read time (408). A handler
/// that panics gets a 500.
///
/// A request refused before its body was read: a small body (up to [`DRAIN_LIMIT`]) is read and
/// discarded first, so that the client has sent everything when the answer comes; a larger one is
/// given back unread. Over HTTP/2, dropping it only after the response has been sent lets hyper
/// end the stream with `RST_STREAM(NO_ERROR)`, which tells the client to stop sending (RFC 9113
/// §8.1); dropping it earlier cancels the stream, and the client may never see the response. Some
/// clients (curl before 8) report even the `NO_ERROR` reset as a failure, hence the draining.
pub(crate) async fn handle<A, B>(
    app: &A,
    req: http::Request<B>,
    peer: Option<Peer>,
    cfg: &Config,
) -> (http::Response<HttpBody>, Option<Pin<Box<B>>>)
where
    A: App,
    B: http_body::Body<Data: Send> + Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    // This future is moved whole on its way into hyper's stream (and, under tower, into whatever
    // runs it), so the rare paths, a refusal and a request with a body, are boxed: the common
    // one (a head, then the handler) stays small.
    let (mut request, head, body) = match prepare(req, peer, cfg) {
        Ok(prepared) => prepared,
        Err((e, body)) => return (error_response(&e), Box::pin(drain(body)).await),
    };
    if !body.is_end_stream() {
        match Box::pin(read_body(body, cfg)).await {
            Ok(bytes) => request.set_body(bytes),
            Err(e) => return (error_response(&e), None),
        }
    }
    let handler = pin!(app.handle(&request));
    let mut waited = false;
    let res = answer(&request, CatchUnwind { inner: handler, waited: &mut waited }.await);
    (into_http(res, head), None)
}

/// The request's head as a waymark [`Request`], whether it is a `HEAD`, and its body; or why it
/// is refused, with the body.
fn prepare<B>(req: http::Request<B>, peer: Option<Peer>, cfg: &Config) -> Result<(Request, bool, B), (Error, B)> {
    let (parts, body) = req.into_parts();
    let checked = to_request(&parts, peer, cfg)
        .and_then(|request| declared_length_fits(parts.headers.get(CONTENT_LENGTH), cfg).map(|()| request));
    match checked {
        Ok(request) => Ok((request, parts.method == Method::HEAD, body)),
        Err(e) => Err((e, body)),
    }
}

/// Most bytes of a refused request body read and discarded before the answer (one HTTP/2 initial
/// flow-control window), and the most time spent on it.
const DRAIN_LIMIT: u64 = 64 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(1);

/// Reads and discards a small request body; gives back one that is too large or too slow.
async fn drain<B: http_body::Body>(body: B) -> Option<Pin<Box<B>>> {
    let mut body = Box::pin(body);
    if body.size_hint().lower() > DRAIN_LIMIT {
        return Some(body);
    }
    let mut left = DRAIN_LIMIT;
    let drained = tokio::time::timeout(DRAIN_TIME, async {
        loop {
            match body.frame().await {
                None => return true,
                Some(Err(_)) => return false,
                Some(Ok(frame)) => {
                    let len = frame.data_ref().map_or(0, |d| d.remaining() as u64);
                    match left.checked_sub(len) {
                        Some(rest) => left = rest,
                        None => return false,
                    }
                }
            }
        }
    })
    .await;
    if drained == Ok(true) { None } else { Some(body) }
}

/// A declared length over the limit is refused before a byte of the body is read.
fn declared_length_fits(length: Option<&HeaderValue>, cfg: &Config) -> Result<(), Error> {
    if let Some(length) = length {
        let length: u64 = length.to_str().ok().and_then(|s| s.parse().ok()).ok_or(Error::BadContentLength)?;
        if length > cfg.max_body_size {
            return Err(Error::BodyTooLarge);
        }
    }
    Ok(())
}

/// The head of an `http::Request` as a waymark [`Request`] (without its body).
fn to_request(parts: &http::request::Parts, peer: Option<Peer>, cfg: &Config) -> Result<Request, Error> {
    let target = match parts.uri.path_and_query() {
        Some(pq) => pq.as_str(),
        // RFC 9113 §8.3.1: `OPTIONS *` is sent with `:path` `*`, which `http` keeps as a path.
        None => "/",
    };
    if target.len() > cfg.max_target_len {
        return Err(Error::TargetTooLong);
    }
    if parts.headers.len() > cfg.max_headers {
        return Err(Error::TooManyHeaders);
    }
    let mut req = Request::new(parts.method.clone(), target).with_version(parts.version);
    // Sized once, rather than grown field by field.
    let bytes = parts.headers.iter().map(|(name, value)| name.as_str().len() + value.len()).sum::<usize>();
    req.reserve_headers(parts.headers.len() + 1, bytes + parts.uri.authority().map_or(0, |a| a.as_str().len() + 4));
    if let Some(peer) = peer {
        req.set_peer(peer);
        req.set_trusted_proxies(cfg.trusted_proxies.clone());
    }
    // RFC 9113 §8.3.1: HTTP/2 carries the authority in `:authority`, and a `Host` field, when both
    // are present, must agree with it. Handlers read `host`, so it is made one when missing.
    if !parts.headers.contains_key(HOST)
        && let Some(authority) = parts.uri.authority()
    {
        req.push_header(b"host", authority.as_str().as_bytes());
    }
    for (name, value) in &parts.headers {
        req.push_header(name.as_str().as_bytes(), value.as_bytes());
    }
    Ok(req)
}

/// Reads a whole request body, within the body size limit and the body read timeout.
async fn read_body<B>(body: B, cfg: &Config) -> Result<Bytes, Error>
where
    B: http_body::Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if body.is_end_stream() {
        return Ok(Bytes::new());
    }
    let limit = usize::try_from(cfg.max_body_size).unwrap_or(usize::MAX);
    let collect = http_body_util::Limited::new(body, limit).collect();
    match tokio::time::timeout(cfg.body_read_timeout, collect).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(Error::BodyTooLarge),
        Ok(Err(e)) => {
            tracing::trace!(error = %e, "request body failed");
            Err(Error::Closed)
        }
        Err(_) => Err(Error::Timeout),
    }
}

/// Header fields that name connection-specific semantics: HTTP/2 forbids them (RFC 9113
/// §8.2.2), and in a tower stack the server below decides framing.
fn connection_specific(name: &HeaderName) -> bool {
    *name == CONNECTION
        || *name == TRANSFER_ENCODING
        || *name == UPGRADE
        || name.as_str() == "keep-alive"
        || name.as_str() == "proxy-connection"
}

/// A waymark [`Response`] as an `http::Response`. For a `HEAD` request the body is left out and a
/// known length is kept in `content-length` (RFC 9110 §9.3.2).
pub(crate) fn into_http(mut res: Response, head: bool) -> http::Response<HttpBody> {
    let body = res.take_body();
    let status = res.status();
    // One allocation for the fields, a `content-length` of ours and the `date` hyper adds.
    let mut headers = HeaderMap::with_capacity(res.headers().size_hint().0 + 2);
    // The length is measured here; a length the handler gave is kept only where there is no
    // body to measure (a HEAD or 304 answer), as on HTTP/1.1.
    let mut given_length = None;
    for (name, value) in res.headers() {
        if *name == CONTENT_LENGTH {
            given_length = Some(value);
        } else if !connection_specific(name) {
            headers.append(name.clone(), value.clone());
        }
    }
    let measured = match &body {
        Body::Full(bytes) => Some(bytes.len()),
        _ => None,
    };
    let mut out = http::Response::new(HttpBody::empty());
    if status == StatusCode::NO_CONTENT || status.is_informational() {
        // No length at all.
    } else if head || status == StatusCode::NOT_MODIFIED {
        match (measured, given_length) {
            (Some(len), _) if len > 0 => {
                headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
            }
            (_, Some(given)) => {
                headers.insert(CONTENT_LENGTH, given.clone());
            }
            _ => {}
        }
    } else {
        if let Some(len) = measured {
            headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
        }
        *out.body_mut() = HttpBody::new(body);
    }
    *out.status_mut() = status;
    *out.headers_mut() = headers;
    out
}

#[cfg(feature = "tower")]
/// A waymark [`Request`] as an `http::Request` with the whole body, for a tower service.
///
/// # Errors
///
/// When the target is not a valid URI (it came through the parser, so only for a request built by
/// hand).
pub(crate) fn from_request(req: &Request) -> Result<http::Request<http_body_util::Full<Bytes>>, http::Error> {
    to_http(req, http_body_util::Full::new(req.body().clone()))
}

#[cfg(feature = "tower")]
/// A waymark [`Request`]'s head as an `http::Request` with `body`: method, target, version,
/// headers, and the peer address as a `SocketAddr` extension.
///
/// # Errors
///
/// As [`from_request`].
pub(crate) fn to_http<B>(req: &Request, body: B) -> Result<http::Request<B>, http::Error> {
    // Field by field rather than through `http::request::Builder`, which moves the whole
    // request through a `Result` at each step (callgrind: half of this function's cost).
    let mut out = http::Request::new(body);
    *out.method_mut() = req.method().clone();
    *out.uri_mut() = http::Uri::try_from(req.target())?;
    *out.version_mut() = req.version();
    let headers = out.headers_mut();
    headers.reserve(req.headers().count());
    for (name, value) in req.headers() {
        headers.append(HeaderName::from_bytes(name)?, HeaderValue::from_bytes(value)?);
    }
    if let Some(peer) = req.peer_addr() {
        out.extensions_mut().insert(peer);
    }
    Ok(out)
}

#[cfg(feature = "tower")]
/// A waymark [`Response`]'s status and headers, as they are, with `body`: what a tower layer
/// sees of the table's answer.
pub(crate) fn head_to_http(res: &Response, body: HttpBody) -> http::Response<HttpBody> {
    let mut out = http::Response::new(body);
    *out.status_mut() = res.status();
    let headers = out.headers_mut();
    for (name, value) in res.headers() {
        headers.append(name.clone(), value.clone());
    }
    out
}

#[cfg(feature = "tower")]
/// What the layers answered, as a waymark [`Response`]: the status and headers from `res`, over
/// the table's own response when there is one (it keeps what only waymark knows, an upgrade).
pub(crate) fn merge_head(kept: Option<Response>, res: http::Response<Body>) -> Response {
    let (parts, body) = res.into_parts();
    let mut out = kept.unwrap_or_else(|| Response::new(Body::empty()));
    out.set_status(parts.status);
    out.replace_headers(&parts.headers);
    out.set_body(body);
    out
}

#[cfg(feature = "tower")]
/// An `http::Response` as a waymark [`Response`], with its body read whole.
pub(crate) async fn from_http<B>(res: http::Response<B>) -> Response
where
    B: http_body::Body,
    B::Error: std::fmt::Display,
{
    let (parts, body) = res.into_parts();
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            tracing::error!(error = %e, "service response body failed; answering 500");
            return Response::text("internal server error\n").with_status(StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    let mut res = Response::new(bytes).with_status(parts.status);
    // `HeaderMap::into_iter` names a field once, then gives `None` for each further value.
    let mut current: Option<HeaderName> = None;
    for (name, value) in parts.headers {
        if name.is_some() {
            current = name;
        }
        if let Some(name) = &current {
            res.append_header(name.clone(), value);
        }
    }
    res
}
