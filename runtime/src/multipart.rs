//! `multipart/form-data` bodies (feature `multipart`): HTML forms with files, read part by part
//! through [multer](https://docs.rs/multer), the parser axum uses.
//!
//! A route binds `body: Multipart`; the handler asks for one [`Field`] after another and reads
//! each as it comes (in chunks, or whole), so a part is never kept after it is read. Limits:
//!
//! | limit | set by | over it |
//! |---|---|---|
//! | the whole body | the route's `limit` (else the server's body limit) | `413` |
//! | every part | [`Multipart::part_limit`] | `413` |
//! | one named part | [`Multipart::limit_for`] (beats `part_limit`) | `413` |
//!
//! What the client sends wrong is a [`Rejection`], never a panic: another content type is a `415`
//! before the handler runs, a `multipart/form-data` type without a `boundary` a `400`; a body
//! that breaks the format (truncated, no closing delimiter, bad part headers) is a `400` from the
//! `next_field` or read call that meets it, and a part or body over its limit a `413`. A handler
//! that returns `Result<_, Rejection>` passes them on with `?`.
//!
//! ```
//! use waymark_runtime::multipart::Multipart;
//! use waymark_runtime::{FromBody, Method, Rejection, Request};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Rejection> {
//! let body = "--XyZ\r\n\
//!     Content-Disposition: form-data; name=\"title\"\r\n\r\n\
//!     holiday\r\n\
//!     --XyZ\r\n\
//!     Content-Disposition: form-data; name=\"photo\"; filename=\"beach.jpg\"\r\n\
//!     Content-Type: image/jpeg\r\n\r\n\
//!     \u{ff}\u{d8}...\r\n\
//!     --XyZ--\r\n";
//! let req = Request::new(Method::POST, "/upload")
//!     .with_header("content-type", "multipart/form-data; boundary=XyZ")
//!     .with_body(body);
//!
//! let mut form = Multipart::from_body(&req, None).await?.part_limit(1024 * 1024);
//! let mut seen = Vec::new();
//! while let Some(field) = form.next_field().await? {
//!     let name = field.name().unwrap_or_default().to_owned();
//!     let file = field.file_name().map(str::to_owned);
//!     let size = field.bytes().await?.len();
//!     seen.push((name, file, size));
//! }
//! assert_eq!(seen, [("title".into(), None, 7), ("photo".into(), Some("beach.jpg".into()), 7)]);
//! # Ok(()) }
//! ```

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;

use bytes::Bytes;
use futures_core::Stream;

use crate::extract::expect_media_type;
use crate::{FromBody, Rejection, Request};

const MEDIA_TYPE: &str = "multipart/form-data";

/// The request body as a stream of chunks, which is all multer needs.
type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// The one place the body is taken from the request: streamed from the connection as multer asks
/// (a body that came with its head is one chunk), within the route's limit.
#[allow(clippy::unused_async, reason = "one signature whether the body is streamed or buffered")]
async fn body_stream(req: &Request, limit: Option<u64>) -> Result<BodyStream, Rejection> {
    let body = crate::incoming::BodyStream::of(req, limit)?;
    Ok(Box::pin(futures_util::StreamExt::map(body, |chunk| chunk.map_err(std::io::Error::other))))
}

/// A `multipart/form-data` body, read one [`Field`] at a time: bind it with `body: Multipart`.
///
/// Set per-part limits before the first [`next_field`](Multipart::next_field); the whole body is
/// bounded by the route's `limit`.
///
/// ```
/// use waymark_runtime::multipart::Multipart;
/// use waymark_runtime::{FromBody, Method, Request, StatusCode};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let req = |ct: &str| Request::new(Method::POST, "/").with_header("content-type", ct).with_body("--b--\r\n");
/// // Not multipart: 415. Multipart without a boundary: 400.
/// let err = Multipart::from_body(&req("application/json"), None).await.unwrap_err();
/// assert_eq!(err.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
/// let err = Multipart::from_body(&req("multipart/form-data"), None).await.unwrap_err();
/// assert_eq!(err.status(), StatusCode::BAD_REQUEST);
/// // A form with no parts at all.
/// let mut form = Multipart::from_body(&req("multipart/form-data; boundary=b"), None).await.unwrap();
/// assert!(form.next_field().await.unwrap().is_none());
/// # }
/// ```
pub struct Multipart {
    /// The body and limits until the first field is asked for; then the parser.
    start: Option<Start>,
    parser: Option<multer::Multipart<'static>>,
}

struct Start {
    body: BodyStream,
    boundary: String,
    whole: Option<u64>,
    per_part: Option<u64>,
    named: Vec<(String, u64)>,
}

impl Start {
    fn parser(self) -> multer::Multipart<'static> {
        let mut size = multer::SizeLimit::new();
        if let Some(limit) = self.whole {
            size = size.whole_stream(limit);
        }
        if let Some(limit) = self.per_part {
            size = size.per_field(limit);
        }
        for (name, limit) in self.named {
            size = size.for_field(name, limit);
        }
        let constraints = multer::Constraints::new().size_limit(size);
        multer::Multipart::with_constraints(self.body, self.boundary, constraints)
    }
}

impl Multipart {
    /// Limits every part's data to `bytes` (headers aside); a larger part is a `413` when it is
    /// read. Set it before the first field.
    ///
    /// ```
    /// use waymark_runtime::multipart::Multipart;
    /// use waymark_runtime::{FromBody, Method, Request, StatusCode};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let body = "--b\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nfar too long\r\n--b--\r\n";
    /// let req = Request::new(Method::POST, "/")
    ///     .with_header("content-type", "multipart/form-data; boundary=b")
    ///     .with_body(body);
    /// let mut form = Multipart::from_body(&req, None).await.unwrap().part_limit(4);
    /// let field = form.next_field().await.unwrap().unwrap();
    /// assert_eq!(field.bytes().await.unwrap_err().status(), StatusCode::PAYLOAD_TOO_LARGE);
    /// # }
    /// ```
    #[must_use]
    pub fn part_limit(mut self, bytes: u64) -> Self {
        if let Some(start) = &mut self.start {
            start.per_part = Some(bytes);
        }
        self
    }

    /// Limits the data of the parts named `name` to `bytes`, instead of the
    /// [`part_limit`](Multipart::part_limit). Set it before the first field.
    ///
    /// ```
    /// use waymark_runtime::multipart::Multipart;
    /// use waymark_runtime::{FromBody, Method, Request};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let body = "--b\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"a.png\"\r\n\r\n0123456789\r\n--b--\r\n";
    /// let req = Request::new(Method::POST, "/")
    ///     .with_header("content-type", "multipart/form-data; boundary=b")
    ///     .with_body(body);
    /// let mut form = Multipart::from_body(&req, None).await.unwrap().part_limit(4).limit_for("avatar", 64);
    /// let avatar = form.next_field().await.unwrap().unwrap();
    /// assert_eq!(avatar.bytes().await.unwrap().len(), 10);
    /// # }
    /// ```
    #[must_use]
    pub fn limit_for(mut self, name: &str, bytes: u64) -> Self {
        if let Some(start) = &mut self.start {
            start.named.push((name.to_owned(), bytes));
        }
        self
    }

    /// The next part, or `None` after the last one. The field borrows the body: read it (or drop
    /// it, which skips the rest of its data) before asking for the next.
    ///
    /// # Errors
    /// A `400` [`Rejection::Body`] for a body that breaks the format, a `413` over the whole-body
    /// limit.
    ///
    /// ```
    /// use waymark_runtime::multipart::Multipart;
    /// use waymark_runtime::{FromBody, Method, Request, StatusCode};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// // Cut off in the middle of the first part's headers.
    /// let req = Request::new(Method::POST, "/")
    ///     .with_header("content-type", "multipart/form-data; boundary=b")
    ///     .with_body("--b\r\nContent-Disposition: form-da");
    /// let mut form = Multipart::from_body(&req, None).await.unwrap();
    /// assert_eq!(form.next_field().await.unwrap_err().status(), StatusCode::BAD_REQUEST);
    /// # }
    /// ```
    pub async fn next_field(&mut self) -> Result<Option<Field<'_>>, Rejection> {
        if let Some(start) = self.start.take() {
            self.parser = Some(start.parser());
        }
        let Some(parser) = &mut self.parser else { return Ok(None) };
        match parser.next_field().await {
            Ok(Some(inner)) => Ok(Some(Field { inner, _body: PhantomData })),
            Ok(None) => Ok(None),
            Err(e) => Err(rejection(e)),
        }
    }
}

impl FromBody for Multipart {
    const MEDIA_TYPE: Option<&'static str> = Some(MEDIA_TYPE);

    async fn from_body(req: &Request, limit: Option<u64>) -> Result<Self, Rejection> {
        expect_media_type(req, MEDIA_TYPE)?;
        let content_type = req.header("content-type").unwrap_or_default();
        let boundary = multer::parse_boundary(content_type).map_err(rejection)?;
        let body = body_stream(req, limit).await?;
        let start = Start { body, boundary, whole: limit, per_part: None, named: Vec::new() };
        Ok(Multipart { start: Some(start), parser: None })
    }
}

impl fmt::Debug for Multipart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Multipart");
        if let Some(start) = &self.start {
            s.field("boundary", &start.boundary)
                .field("whole", &start.whole)
                .field("per_part", &start.per_part)
                .field("named", &start.named);
        }
        s.field("reading", &self.parser.is_some()).finish()
    }
}

/// One part of a [`Multipart`] body: its name, file name and content type, and its data, read in
/// chunks or whole.
///
/// ```
/// use waymark_runtime::multipart::Multipart;
/// use waymark_runtime::{FromBody, Method, Request};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let body = "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n";
/// let req = Request::new(Method::POST, "/")
///     .with_header("content-type", "multipart/form-data; boundary=b")
///     .with_body(body);
/// let mut form = Multipart::from_body(&req, None).await.unwrap();
/// let mut field = form.next_field().await.unwrap().unwrap();
/// assert_eq!((field.name(), field.file_name(), field.content_type()), (Some("f"), Some("a.txt"), Some("text/plain")));
/// let mut data = Vec::new();
/// while let Some(chunk) = field.chunk().await.unwrap() {
///     data.extend_from_slice(&chunk);
/// }
/// assert_eq!(data, b"hello");
/// # }
/// ```
#[derive(Debug)]
pub struct Field<'a> {
    inner: multer::Field<'static>,
    /// Borrows the body, so that one field is read at a time.
    _body: PhantomData<&'a mut Multipart>,
}

impl Field<'_> {
    /// The `name` of the part's `Content-Disposition`: the form control's name.
    pub fn name(&self) -> Option<&str> {
        self.inner.name()
    }

    /// The `filename` of the part's `Content-Disposition`, for a file, as the client sent it: do
    /// not use it as a path.
    pub fn file_name(&self) -> Option<&str> {
        self.inner.file_name()
    }

    /// The part's `Content-Type`, if it has one.
    pub fn content_type(&self) -> Option<&str> {
        self.inner.content_type().map(AsRef::as_ref)
    }

    /// A header of the part, looked up case-insensitively, if it is valid UTF-8.
    ///
    /// ```
    /// use waymark_runtime::multipart::Multipart;
    /// use waymark_runtime::{FromBody, Method, Request};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let body = "--b\r\nContent-Disposition: form-data; name=\"f\"\r\nX-Note: hi\r\n\r\n\r\n--b--\r\n";
    /// let req = Request::new(Method::POST, "/").with_header("content-type", "multipart/form-data; boundary=b").with_body(body);
    /// let mut form = Multipart::from_body(&req, None).await.unwrap();
    /// assert_eq!(form.next_field().await.unwrap().unwrap().header("x-note"), Some("hi"));
    /// # }
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.inner.headers().get(name).and_then(|v| v.to_str().ok())
    }

    /// The next chunk of the part's data, or `None` at its end.
    ///
    /// # Errors
    /// `400` for a body that ends inside the part, `413` over the part's or the body's limit.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Rejection> {
        self.inner.chunk().await.map_err(rejection)
    }

    /// The part's whole data.
    ///
    /// # Errors
    /// As [`chunk`](Field::chunk).
    pub async fn bytes(self) -> Result<Bytes, Rejection> {
        self.inner.bytes().await.map_err(rejection)
    }

    /// The part's data as text, decoded by the `charset` of its content type (UTF-8 if none);
    /// malformed sequences become U+FFFD, as browsers decode form data.
    ///
    /// # Errors
    /// As [`chunk`](Field::chunk).
    ///
    /// ```
    /// use waymark_runtime::multipart::Multipart;
    /// use waymark_runtime::{FromBody, Method, Request};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let body = "--b\r\nContent-Disposition: form-data; name=\"t\"\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\ncaf\u{e9}\r\n--b--\r\n";
    /// let body = body.chars().map(|c| c as u8).collect::<Vec<u8>>(); // Latin-1 on the wire
    /// let req = Request::new(Method::POST, "/").with_header("content-type", "multipart/form-data; boundary=b").with_body(body);
    /// let mut form = Multipart::from_body(&req, None).await.unwrap();
    /// assert_eq!(form.next_field().await.unwrap().unwrap().text().await.unwrap(), "café");
    /// # }
    /// ```
    pub async fn text(self) -> Result<String, Rejection> {
        self.inner.text().await.map_err(rejection)
    }
}

/// multer's errors as the answers they call for: over a limit `413`, anything else the client
/// got wrong `400`.
fn rejection(e: multer::Error) -> Rejection {
    match e {
        multer::Error::FieldSizeExceeded { limit, .. } | multer::Error::StreamSizeExceeded { limit } => {
            Rejection::PayloadTooLarge { limit }
        }
        e => Rejection::body("multipart", e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{Method, StatusCode};

    const CT: &str = "multipart/form-data; boundary=X";

    fn req(ct: Option<&str>, body: impl Into<Bytes>) -> Request {
        let req = Request::new(Method::POST, "/").with_body(body);
        match ct {
            Some(ct) => req.with_header("content-type", ct),
            None => req,
        }
    }

    fn part(name: &str, data: &str) -> String {
        format!("--X\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{data}\r\n")
    }

    /// Reads every field whole; the first rejection met, by the read that met it.
    async fn read_all(
        req: &Request,
        limit: Option<u64>,
        part_limit: Option<u64>,
    ) -> Result<Vec<(String, Bytes)>, Rejection> {
        let mut form = Multipart::from_body(req, limit).await?;
        if let Some(n) = part_limit {
            form = form.part_limit(n);
        }
        let mut out = Vec::new();
        while let Some(field) = form.next_field().await? {
            let name = field.name().unwrap_or_default().to_owned();
            out.push((name, field.bytes().await?));
        }
        Ok(out)
    }

    /// Content type, body, route limit, part limit: how many fields read, or the status.
    type Case<'a> = (Option<&'a str>, String, Option<u64>, Option<u64>, Result<usize, StatusCode>);

    #[tokio::test]
    async fn answers_for_bad_bodies() {
        let good = format!("{}{}--X--\r\n", part("a", "1"), part("b", "22"));
        let cases: Vec<Case<'_>> = vec![
            (Some(CT), good.clone(), None, None, Ok(2)),
            (Some("Multipart/Form-Data; boundary=\"X\""), good.clone(), None, None, Ok(2)),
            (Some(CT), "--X--\r\n".into(), None, None, Ok(0)),
            (None, good.clone(), None, None, Err(StatusCode::UNSUPPORTED_MEDIA_TYPE)),
            (Some("text/plain"), good.clone(), None, None, Err(StatusCode::UNSUPPORTED_MEDIA_TYPE)),
            (Some("multipart/mixed; boundary=X"), good.clone(), None, None, Err(StatusCode::UNSUPPORTED_MEDIA_TYPE)),
            (Some("multipart/form-data"), good.clone(), None, None, Err(StatusCode::BAD_REQUEST)),
            (Some("multipart/form-data; charset=utf-8"), good.clone(), None, None, Err(StatusCode::BAD_REQUEST)),
            // Another boundary than the body's, none at all, cut off at each stage.
            (Some("multipart/form-data; boundary=Y"), good.clone(), None, None, Err(StatusCode::BAD_REQUEST)),
            (Some(CT), String::new(), None, None, Err(StatusCode::BAD_REQUEST)),
            (Some(CT), "garbage".into(), None, None, Err(StatusCode::BAD_REQUEST)),
            (Some(CT), "--X\r\nContent-Disp".into(), None, None, Err(StatusCode::BAD_REQUEST)),
            (
                Some(CT),
                "--X\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhal".into(),
                None,
                None,
                Err(StatusCode::BAD_REQUEST),
            ),
            (Some(CT), part("a", "1"), None, None, Err(StatusCode::BAD_REQUEST)),
            (Some(CT), good[..good.len() - 4].to_owned(), None, None, Err(StatusCode::BAD_REQUEST)),
            (Some(CT), "--X\r\n\x00\x01: \r\n\r\n\r\n--X--\r\n".into(), None, None, Err(StatusCode::BAD_REQUEST)),
            // Limits: the whole body (the route's), and each part.
            (Some(CT), good.clone(), Some(good.len() as u64), None, Ok(2)),
            (Some(CT), good.clone(), Some(good.len() as u64 - 1), None, Err(StatusCode::PAYLOAD_TOO_LARGE)),
            (Some(CT), good.clone(), None, Some(2), Ok(2)),
            (Some(CT), good.clone(), None, Some(1), Err(StatusCode::PAYLOAD_TOO_LARGE)),
        ];
        for (ct, body, limit, part_limit, want) in cases {
            let got =
                read_all(&req(ct, body.clone()), limit, part_limit).await.map(|f| f.len()).map_err(|e| e.status());
            assert_eq!(got, want, "{ct:?} {body:?} {limit:?} {part_limit:?}");
        }
    }

    #[tokio::test]
    async fn fields_in_order_with_names_files_and_data() {
        let mut body = part("text", "héllo").into_bytes();
        body.extend_from_slice(b"--X\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n");
        body.extend_from_slice(b"Content-Type: application/octet-stream\r\n\r\n\x00\xff--X\r\n");
        body.extend_from_slice(format!("{}--X--\r\n", part("text", "again")).as_bytes());
        let fields = read_all(&req(Some(CT), body), None, None).await.unwrap();
        let names: Vec<_> = fields.iter().map(|(n, b)| (n.as_str(), &b[..])).collect();
        assert_eq!(names, [("text", "héllo".as_bytes()), ("file", b"\x00\xff--X"), ("text", b"again")]);
    }

    #[tokio::test]
    async fn named_limits_beat_the_part_limit_and_a_dropped_field_is_skipped() {
        let body = format!("{}{}--X--\r\n", part("big", "0123456789"), part("small", "0123456789"));
        let mut form = Multipart::from_body(&req(Some(CT), body.clone()), None)
            .await
            .unwrap()
            .part_limit(100)
            .limit_for("small", 5);
        let big = form.next_field().await.unwrap().unwrap();
        assert_eq!(big.name(), Some("big"));
        drop(big);
        let small = form.next_field().await.unwrap().unwrap();
        assert_eq!(small.bytes().await.unwrap_err(), Rejection::PayloadTooLarge { limit: 5 });
        // Limits set after the first field are too late and change nothing.
        let mut form = Multipart::from_body(&req(Some(CT), body), None).await.unwrap();
        let _ = form.next_field().await.unwrap();
        let mut form = form.part_limit(1);
        assert_eq!(form.next_field().await.unwrap().unwrap().bytes().await.unwrap().len(), 10);
    }
}
