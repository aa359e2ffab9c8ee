use std::fmt;

use bytes::Bytes;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use serde::Serialize;

pub use crate::types::file::FileBody;
use crate::types::upgrade::OnUpgrade;

pub(crate) const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");
const JSON: HeaderValue = HeaderValue::from_static("application/json");
const OCTETS: HeaderValue = HeaderValue::from_static("application/octet-stream");

/// An HTTP response: status, headers and body.
///
/// Handlers rarely build one by hand: anything that implements [`IntoResponse`] will do.
///
/// ```
/// use waymark_runtime::{Response, StatusCode};
/// use waymark_runtime::header::{HeaderValue, CACHE_CONTROL};
///
/// let res = Response::text("created")
///     .with_status(StatusCode::CREATED)
///     .with_header(CACHE_CONTROL, HeaderValue::from_static("no-store"));
/// assert_eq!(res.status(), StatusCode::CREATED);
/// assert_eq!(res.header("cache-control"), Some("no-store"));
/// ```
pub struct Response {
    status: StatusCode,
    // Kept apart from `headers` so that the common response (one content type, no other header)
    // does not allocate a header vector.
    content_type: Option<HeaderValue>,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Body,
    /// For a `101 Switching Protocols`: what takes the connection over once the head is sent.
    /// Only with the `ws` feature, and thin (one pointer): every response carries the field, and
    /// its size is paid on each move (callgrind: 16 bytes cost 17 instructions per request).
    #[cfg(feature = "ws")]
    upgrade: Option<Box<OnUpgrade>>,
}

/// A response body: bytes known up front, or a stream of chunks sent with chunked encoding.
///
/// Non-exhaustive, so that other kinds of body (a file sent without copying, say) can come
/// without breaking a `match`; [`Body::collect`] reads any body whole.
#[non_exhaustive]
pub enum Body {
    /// The whole body; `Bytes::from_static` keeps a static body free of allocation.
    Full(Bytes),
    /// Chunks produced while the response is written; an empty chunk is skipped and the body
    /// ends when every sender is dropped.
    Stream(tokio::sync::mpsc::Receiver<Bytes>),
    /// Part of a file, sent with its length; see [`Body::file`].
    File(FileBody),
}

impl Body {
    /// An empty body.
    pub const fn empty() -> Self {
        Body::Full(Bytes::new())
    }

    /// The whole body: the bytes, or every chunk of the stream until it ends.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let (tx, body) = waymark_runtime::Body::channel(2);
    /// tokio::spawn(async move {
    ///     for part in ["a", "b"] {
    ///         let _ = tx.send(waymark_runtime::Bytes::from(part)).await;
    ///     }
    /// });
    /// assert_eq!(body.collect().await, "ab");
    /// # }
    /// ```
    pub async fn collect(self) -> Bytes {
        let mut chunks = match self {
            Body::Full(bytes) => return bytes,
            Body::File(file) => file.into_stream(),
            Body::Stream(chunks) => chunks,
        };
        let mut all = Vec::new();
        while let Some(chunk) = chunks.recv().await {
            all.extend_from_slice(&chunk);
        }
        Bytes::from(all)
    }

    /// A streaming body and the sender that feeds it; `capacity` chunks may wait unsent.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use waymark_runtime::{Body, Bytes, Response};
    ///
    /// let (tx, body) = Body::channel(4);
    /// tokio::spawn(async move {
    ///     for i in 0..3 {
    ///         if tx.send(Bytes::from(format!("line {i}\n"))).await.is_err() {
    ///             break; // the client went away
    ///         }
    ///     }
    /// });
    /// let res = Response::new(body);
    /// # let _ = res; }
    /// ```
    pub fn channel(capacity: usize) -> (tokio::sync::mpsc::Sender<Bytes>, Body) {
        let (tx, rx) = tokio::sync::mpsc::channel(capacity.max(1));
        (tx, Body::Stream(rx))
    }

    /// `len` bytes of `file` from its current position, sent with a `Content-Length`. On a plain
    /// TCP connection on Linux the kernel copies them from the page cache to the socket
    /// (`sendfile`), with no copy through this process; over TLS or HTTP/2 they are read in
    /// 64 KiB pieces on the blocking pool. [`fs::Dir`](crate::fs::Dir) sends its large files so.
    ///
    /// A file that turns out shorter than `len` ends the response early, and the connection
    /// closes (the client sees a short body, not a wrong one).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::io::{Seek, SeekFrom};
    /// use waymark_runtime::{Body, Response};
    ///
    /// # let path = std::env::temp_dir().join(format!("waymark-body-file-{}", std::process::id()));
    /// # std::fs::write(&path, "0123456789")?;
    /// let mut file = std::fs::File::open(&path)?;
    /// file.seek(SeekFrom::Start(2))?;
    /// let mut res = Response::new(Body::file(file, 5));
    /// assert_eq!(res.take_body().collect().await, "23456");
    /// # std::fs::remove_file(&path)?;
    /// # Ok(()) }
    /// ```
    pub fn file(file: std::fs::File, len: u64) -> Body {
        Body::File(FileBody::new(file, len))
    }

    /// The length, when the body is fully known.
    pub fn len(&self) -> Option<usize> {
        match self {
            Body::Full(b) => Some(b.len()),
            Body::File(f) => usize::try_from(f.len()).ok(),
            Body::Stream(_) => None,
        }
    }

    /// Whether the body is known and empty.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Full(b) => f.debug_tuple("Full").field(b).finish(),
            Body::Stream(_) => f.write_str("Stream"),
            Body::File(file) => file.fmt(f),
        }
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Body::Full(Bytes::from_static(s.as_bytes()))
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Body::Full(Bytes::from(s))
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Self {
        Body::Full(Bytes::from(v))
    }
}

impl From<&'static [u8]> for Body {
    fn from(v: &'static [u8]) -> Self {
        Body::Full(Bytes::from_static(v))
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Body::Full(b)
    }
}

impl Response {
    /// A `200 OK` response with the given body and no content type.
    pub fn new(body: impl Into<Body>) -> Self {
        Self {
            status: StatusCode::OK,
            content_type: None,
            headers: Vec::new(),
            body: body.into(),
            #[cfg(feature = "ws")]
            upgrade: None,
        }
    }

    /// A `200 OK` plain-text response.
    pub fn text(body: impl Into<Body>) -> Self {
        Self::new(body).with_content_type(TEXT)
    }

    /// A response with only a status and an empty body.
    pub fn status_only(status: StatusCode) -> Self {
        Self::new(Body::empty()).with_status(status)
    }

    /// Replaces the status (builder style).
    #[must_use]
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Sets a header, replacing any earlier value of it (builder style).
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.insert_header(name, value);
        self
    }

    fn with_content_type(self, value: HeaderValue) -> Self {
        self.with_header(CONTENT_TYPE, value)
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Changes the status.
    pub fn set_status(&mut self, status: StatusCode) {
        self.status = status;
    }

    /// Sets a header, replacing any earlier value of it.
    pub fn insert_header(&mut self, name: HeaderName, value: HeaderValue) {
        if name != CONTENT_TYPE {
            self.headers.retain(|(n, _)| *n != name);
        }
        self.append_header(name, value);
    }

    /// Adds a header, keeping earlier values of it (for `set-cookie` and the like). A response
    /// has one content type: setting it again replaces it.
    pub fn append_header(&mut self, name: HeaderName, value: HeaderValue) {
        if name == CONTENT_TYPE {
            self.content_type = Some(value);
        } else {
            self.headers.push((name, value));
        }
    }

    /// The first value of a header, looked up case-insensitively, if it is valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers().find(|(n, _)| n.as_str().eq_ignore_ascii_case(name)).and_then(|(_, v)| v.to_str().ok())
    }

    /// Every header, the content type first.
    pub fn headers(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> + '_ {
        self.content_type.iter().map(|v| (&CONTENT_TYPE, v)).chain(self.headers.iter().map(|(n, v)| (n, v)))
    }

    /// The body.
    pub fn body(&self) -> &Body {
        &self.body
    }

    /// Takes the body out, leaving an empty one.
    pub fn take_body(&mut self) -> Body {
        std::mem::replace(&mut self.body, Body::empty())
    }

    /// The body bytes, when the body is in memory (not a stream or a file).
    pub fn body_bytes(&self) -> Option<&Bytes> {
        match &self.body {
            Body::Full(b) => Some(b),
            Body::Stream(_) | Body::File(_) => None,
        }
    }
}

impl Response {
    /// Replaces every header with those of `headers` (what a tower layer answered).
    #[cfg(feature = "tower")]
    pub(crate) fn replace_headers(&mut self, headers: &http::HeaderMap) {
        self.content_type = None;
        self.headers.clear();
        self.headers.reserve(headers.len());
        for (name, value) in headers {
            self.append_header(name.clone(), value.clone());
        }
    }

    /// Replaces the body.
    #[cfg(feature = "tower")]
    pub(crate) fn set_body(&mut self, body: Body) {
        self.body = body;
    }
}

impl Response {
    /// A `101 Switching Protocols` answer whose connection `run` takes over once the head is
    /// written (HTTP/1.1 only: an HTTP/2 connection answers it with an error).
    #[cfg(feature = "ws")]
    pub(crate) fn switching(run: OnUpgrade) -> Self {
        let mut res = Response::status_only(StatusCode::SWITCHING_PROTOCOLS);
        res.upgrade = Some(Box::new(run));
        res
    }

    /// What takes the connection over after this `101`, if anything.
    #[inline]
    #[allow(clippy::unused_self, clippy::unnecessary_wraps, reason = "the same call with or without the `ws` feature")]
    pub(crate) fn take_upgrade(&mut self) -> Option<OnUpgrade> {
        #[cfg(feature = "ws")]
        return self.upgrade.take().map(|run| *run);
        #[cfg(not(feature = "ws"))]
        None
    }

    #[inline]
    #[allow(clippy::unused_self, reason = "the same call with or without the `ws` feature")]
    pub(crate) fn is_upgrade(&self) -> bool {
        #[cfg(feature = "ws")]
        return self.upgrade.is_some();
        #[cfg(not(feature = "ws"))]
        false
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers().collect::<Vec<_>>())
            .field("body", &self.body)
            .finish_non_exhaustive()
    }
}

/// Turns a handler's output into a [`Response`].
///
/// Implemented for text (`&'static str`, `String`: `text/plain`), bytes (`Vec<u8>`, `Bytes`,
/// `&'static [u8]`: `application/octet-stream`), [`Json`], [`Html`], [`StatusCode`], `()`
/// (empty `200`), `(StatusCode, T)`, [`Response`] and `Result<T, E>` where both sides convert.
///
/// ```
/// use waymark_runtime::{IntoResponse, Response, StatusCode};
///
/// struct Teapot;
///
/// impl IntoResponse for Teapot {
///     fn into_response(self) -> Response {
///         (StatusCode::IM_A_TEAPOT, "short and stout").into_response()
///     }
/// }
/// assert_eq!(Teapot.into_response().status(), StatusCode::IM_A_TEAPOT);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be turned into a response",
    label = "the handler's output must implement `IntoResponse`",
    note = "return a `&'static str`, `String`, `Json<T>`, `Html<T>`, `StatusCode`, `(StatusCode, T)`, `Response`, or a `Result` of those; or implement `waymark::IntoResponse` for `{Self}`"
)]
pub trait IntoResponse {
    /// Converts `self` into a response.
    fn into_response(self) -> Response;
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl IntoResponse for &'static str {
    fn into_response(self) -> Response {
        Response::text(self)
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        Response::text(self)
    }
}

impl IntoResponse for Vec<u8> {
    fn into_response(self) -> Response {
        Response::new(self).with_content_type(OCTETS)
    }
}

impl IntoResponse for &'static [u8] {
    fn into_response(self) -> Response {
        Response::new(self).with_content_type(OCTETS)
    }
}

impl IntoResponse for Bytes {
    fn into_response(self) -> Response {
        Response::new(self).with_content_type(OCTETS)
    }
}

impl IntoResponse for Body {
    fn into_response(self) -> Response {
        Response::new(self).with_content_type(OCTETS)
    }
}

impl IntoResponse for () {
    fn into_response(self) -> Response {
        Response::new(Body::empty())
    }
}

impl IntoResponse for StatusCode {
    fn into_response(self) -> Response {
        Response::status_only(self)
    }
}

impl<T: IntoResponse> IntoResponse for (StatusCode, T) {
    fn into_response(self) -> Response {
        self.1.into_response().with_status(self.0)
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(t) => t.into_response(),
            Err(e) => e.into_response(),
        }
    }
}

/// `None` is an empty `404 Not Found`; `Some(t)` is `t`'s answer. Documented as `t`'s answers
/// plus `404`.
///
/// ```
/// use waymark_runtime::{IntoResponse, StatusCode};
///
/// assert_eq!(None::<String>.into_response().status(), StatusCode::NOT_FOUND);
/// assert_eq!(Some("here").into_response().status(), StatusCode::OK);
/// ```
impl<T: IntoResponse> IntoResponse for Option<T> {
    fn into_response(self) -> Response {
        match self {
            Some(t) => t.into_response(),
            None => Response::status_only(StatusCode::NOT_FOUND),
        }
    }
}

/// `201 Created` with `T`'s body and headers (RFC 9110 §15.3.2); documented as `T`'s answer with
/// status 201.
///
/// ```
/// use waymark_runtime::{Created, IntoResponse, Json, StatusCode};
///
/// let res = Created(Json(7)).into_response();
/// assert_eq!(res.status(), StatusCode::CREATED);
/// assert_eq!(res.header("content-type"), Some("application/json"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Created<T>(pub T);

impl<T: IntoResponse> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        self.0.into_response().with_status(StatusCode::CREATED)
    }
}

/// `204 No Content` (RFC 9110 §15.3.5): done, nothing to send.
///
/// ```
/// use waymark_runtime::{IntoResponse, NoContent, StatusCode};
///
/// let res = NoContent.into_response();
/// assert_eq!(res.status(), StatusCode::NO_CONTENT);
/// assert_eq!(res.body_bytes().map(|b| b.len()), Some(0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoContent;

impl IntoResponse for NoContent {
    fn into_response(self) -> Response {
        Response::status_only(StatusCode::NO_CONTENT)
    }
}

/// A JSON body: as a handler output it serializes with `serde_json` (`application/json`); as a
/// `body: Json<T>` binding it deserializes the request body, answering `415` when the request's
/// content type is not JSON and `400` when the body does not parse as `T`.
///
/// ```
/// use waymark_runtime::{IntoResponse, Json};
///
/// let res = Json(vec![1, 2, 3]).into_response();
/// assert_eq!(res.header("content-type"), Some("application/json"));
/// assert_eq!(res.body_bytes().unwrap().as_ref(), b"[1,2,3]");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serialize_json(&self.0) {
            Ok(bytes) => Response::new(bytes).with_content_type(JSON),
            Err(e) => {
                tracing::error!(error = %e, "response failed to serialize as JSON");
                Response::status_only(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }
}

thread_local! {
    /// Where this thread serializes JSON responses. Each body is split off as `Bytes` sharing the
    /// arena's allocation; once the responses written from it are dropped, `reserve` takes the
    /// space back, so a steady stream of small JSON responses allocates nothing per response.
    static JSON_ARENA: std::cell::RefCell<bytes::BytesMut> = std::cell::RefCell::new(bytes::BytesMut::new());
}

/// Room kept free in the arena before serializing; a larger body grows it as it is written.
const JSON_ARENA_RESERVE: usize = 4096;

fn serialize_json<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Bytes> {
    use bytes::BufMut;
    JSON_ARENA.with(|arena| {
        let mut arena = arena.borrow_mut();
        arena.reserve(JSON_ARENA_RESERVE);
        let written = serde_json::to_writer((&mut *arena).writer(), value);
        let body = arena.split().freeze();
        written.map(|()| body)
    })
}

/// An HTML body (`text/html; charset=utf-8`).
///
/// ```
/// use waymark_runtime::{Html, IntoResponse};
///
/// let res = Html("<h1>hi</h1>").into_response();
/// assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Html<T>(pub T);

impl<T: Into<Body>> IntoResponse for Html<T> {
    fn into_response(self) -> Response {
        Response::new(self.0).with_content_type(HTML)
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_set_status_type_and_body() {
        let cases: Vec<(Response, StatusCode, Option<&str>, &[u8])> = vec![
            ("hi".into_response(), StatusCode::OK, Some("text/plain; charset=utf-8"), b"hi"),
            (String::from("s").into_response(), StatusCode::OK, Some("text/plain; charset=utf-8"), b"s"),
            (vec![1u8].into_response(), StatusCode::OK, Some("application/octet-stream"), &[1]),
            (StatusCode::NO_CONTENT.into_response(), StatusCode::NO_CONTENT, None, b""),
            ((StatusCode::CREATED, "c").into_response(), StatusCode::CREATED, Some("text/plain; charset=utf-8"), b"c"),
            (
                Err::<&str, _>((StatusCode::NOT_FOUND, "no")).into_response(),
                StatusCode::NOT_FOUND,
                Some("text/plain; charset=utf-8"),
                b"no",
            ),
            (
                Json(serde_json::json!({"a": 1})).into_response(),
                StatusCode::OK,
                Some("application/json"),
                br#"{"a":1}"#,
            ),
            (().into_response(), StatusCode::OK, None, b""),
        ];
        for (res, status, ct, body) in cases {
            assert_eq!(res.status(), status);
            assert_eq!(res.header("content-type"), ct);
            assert_eq!(res.body_bytes().map(AsRef::as_ref), Some(body));
        }
    }

    #[test]
    fn json_bodies_from_the_arena_are_independent() {
        struct Fails;
        impl Serialize for Fails {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("no"))
            }
        }

        let a = Json(serde_json::json!({"a": 1})).into_response();
        let b = Json(vec!["x"; 2000]).into_response();
        let c = Json("c").into_response();
        assert_eq!(a.body_bytes().map(AsRef::as_ref), Some(&br#"{"a":1}"#[..]));
        assert_eq!(b.body_bytes().map(Bytes::len), Some(2 + 2000 * 4 - 1));
        assert_eq!(c.body_bytes().map(AsRef::as_ref), Some(&br#""c""#[..]));
        assert_eq!(Json(Fails).into_response().status(), StatusCode::INTERNAL_SERVER_ERROR);
        // A failed serialization leaves nothing behind in the arena for the next body.
        assert_eq!(Json(1).into_response().body_bytes().map(AsRef::as_ref), Some(&b"1"[..]));
    }

    #[test]
    fn insert_replaces_and_append_keeps() {
        let name = HeaderName::from_static("x-a");
        let mut res = Response::text("x");
        res.insert_header(name.clone(), HeaderValue::from_static("1"));
        res.insert_header(name.clone(), HeaderValue::from_static("2"));
        res.append_header(name.clone(), HeaderValue::from_static("3"));
        let values: Vec<_> = res.headers().filter(|(n, _)| **n == name).map(|(_, v)| v.to_str().unwrap()).collect();
        assert_eq!(values, ["2", "3"]);
        res.insert_header(CONTENT_TYPE, JSON);
        assert_eq!(res.header("Content-Type"), Some("application/json"));
        assert_eq!(res.headers().count(), 3);
    }
}
