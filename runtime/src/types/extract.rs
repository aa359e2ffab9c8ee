//! Request bodies as typed values ([`FromBody`]), and what the router and the extractors answer
//! when a request does not fit the table ([`Rejection`]).

use std::fmt;
use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use http::header::{ALLOW, HeaderValue};
use serde::de::DeserializeOwned;

use crate::types::incoming::{BodyError, BodyStream};
use crate::{IntoResponse, Json, Request, Response};

/// Why a request was refused before any handler ran, as data: which parameter, what was expected,
/// what was sent.
///
/// Its [`IntoResponse`] is the default answer (plain text, the status of [`Rejection::status`]).
/// A table can answer in its own shape instead with `rejection => EXPR,`, an expression over the
/// binding `rejection: Rejection` (and `req`, the state):
///
/// ```
/// use waymark::{Json, Method, Rejection, Request, Response, IntoResponse, routes};
///
/// async fn json_error(rejection: Rejection) -> Response {
///     let body = serde_json::json!({ "error": rejection.to_string(), "status": rejection.status().as_u16() });
///     (rejection.status(), Json(body)).into_response()
/// }
///
/// routes! {
///     Api;
///     GET "/items/{id: u32}?{limit: u8 = 10}" => async move { format!("{id} {limit}") },
///     rejection => json_error(rejection),
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let res = Api::new().call(Request::new(Method::GET, "/items/x")).await;
/// assert_eq!(res.status().as_u16(), 400);
/// assert_eq!(res.header("content-type"), Some("application/json"));
/// let res = Api::new().call(Request::new(Method::GET, "/nope")).await;
/// assert_eq!(res.status().as_u16(), 404);
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// A path parameter did not parse as its declared type (`400`).
    PathParam {
        /// The parameter's name.
        name: &'static str,
        /// Its declared type, e.g. `u64`.
        expected: &'static str,
        /// The segment as sent, still percent-encoded.
        raw: String,
    },
    /// A query parameter was missing (`raw` is `None`) or did not parse (`400`).
    Query {
        /// The parameter's name.
        name: &'static str,
        /// Its declared type.
        expected: &'static str,
        /// The value as sent, decoded.
        raw: Option<String>,
    },
    /// A path or query parameter parsed, but its value is outside the range the table declares
    /// for it, as in `{limit: u32 in 1..=100}` (`400`).
    ///
    /// ```
    /// use waymark::{Method, Rejection, Request, routes};
    ///
    /// routes! {
    ///     Api;
    ///     GET "/notes?{limit: u32 in 1..=100 = 20}" => async move { format!("{limit}") },
    ///     rejection => async move {
    ///         assert_eq!(rejection, Rejection::OutOfRange { name: "limit", range: "1..=100", value: "500".into(), in_query: true });
    ///         rejection
    ///     },
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = Api::new().call(Request::new(Method::GET, "/notes?limit=500")).await;
    /// assert_eq!(res.status().as_u16(), 400);
    /// assert_eq!(res.body_bytes().unwrap(), "query parameter `limit` must be in 1..=100, got `500`");
    /// # }
    /// ```
    OutOfRange {
        /// The parameter's name.
        name: &'static str,
        /// The range as the table writes it, e.g. `1..=100`.
        range: &'static str,
        /// The value, as parsed and printed again (`007` is `7`).
        value: String,
        /// Whether the parameter is in the query (else in the path).
        in_query: bool,
    },
    /// The body did not parse as the route's body type (`400`).
    Body {
        /// What the body had to be, e.g. `JSON`.
        expected: &'static str,
        /// What went wrong.
        message: String,
    },
    /// The request's content type is not the one the body type reads (`415`).
    UnsupportedMediaType {
        /// The media type expected.
        expected: &'static str,
        /// The `content-type` sent, if any.
        found: Option<String>,
    },
    /// The body is over the route's limit (`413`).
    PayloadTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The client stopped sending the body before its end (`408`).
    RequestTimeout,
    /// No route has the path's shape (`404`), and the table has no `fallback`.
    NotFound,
    /// Routes of other methods take the path (`405`).
    MethodNotAllowed {
        /// The methods that do, for `Allow`.
        allow: Vec<&'static str>,
    },
    /// The route did not answer within the `timeout` the table gives it, and what it was doing
    /// was stopped (`503 Service Unavailable`). The crate docs ("Timeouts") say what is timed,
    /// and why `503`: the server could not answer in time; no gateway (`504`) is involved, and
    /// the client was not slow (`408`). No `Retry-After` is sent by default, since the router
    /// cannot know when the cause will pass; a `rejection` hook may add one.
    ///
    /// ```
    /// use std::time::Duration;
    /// use waymark::{Method, Rejection, Request, routes};
    ///
    /// routes! {
    ///     Api;
    ///     GET "/slow" timeout 50 ms => async { tokio::time::sleep(Duration::from_secs(60)).await; "late" },
    ///     rejection => async move {
    ///         assert_eq!(rejection, Rejection::RouteTimeout { after: Duration::from_millis(50) });
    ///         rejection
    ///     },
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let res = Api::new().call(Request::new(Method::GET, "/slow")).await;
    /// assert_eq!(res.status().as_u16(), 503);
    /// assert_eq!(res.body_bytes().unwrap(), "no answer within 50 ms");
    /// # }
    /// ```
    RouteTimeout {
        /// The route's timeout.
        after: Duration,
    },
}

impl Rejection {
    /// The status of the default answer.
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::PathParam { .. }
            | Rejection::Query { .. }
            | Rejection::OutOfRange { .. }
            | Rejection::Body { .. } => StatusCode::BAD_REQUEST,
            Rejection::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Rejection::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Rejection::NotFound => StatusCode::NOT_FOUND,
            Rejection::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Rejection::RouteTimeout { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The parameter the rejection is about, if any.
    pub fn param(&self) -> Option<&'static str> {
        match self {
            Rejection::PathParam { name, .. } | Rejection::Query { name, .. } | Rejection::OutOfRange { name, .. } => {
                Some(name)
            }
            _ => None,
        }
    }

    /// A body that did not parse; for [`FromBody`] implementations.
    pub fn body(expected: &'static str, message: impl fmt::Display) -> Self {
        Rejection::Body { expected, message: message.to_string() }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::PathParam { name, expected, .. } => {
                write!(f, "invalid path parameter `{name}`: expected `{expected}`")
            }
            Rejection::Query { name, expected, raw: None } => {
                write!(f, "missing query parameter `{name}` of type `{expected}`")
            }
            Rejection::Query { name, expected, raw: Some(_) } => {
                write!(f, "invalid query parameter `{name}`: expected `{expected}`")
            }
            Rejection::OutOfRange { name, range, value, in_query } => {
                let at = if *in_query { "query" } else { "path" };
                write!(f, "{at} parameter `{name}` must be in {range}, got `{value}`")
            }
            Rejection::Body { expected, message } => write!(f, "invalid {expected} body: {message}"),
            Rejection::UnsupportedMediaType { expected, .. } => write!(f, "expected `content-type: {expected}`"),
            Rejection::PayloadTooLarge { limit } => write!(f, "request body is larger than {limit} bytes"),
            Rejection::RequestTimeout => f.write_str("request body not received in time"),
            Rejection::NotFound => f.write_str("not found"),
            Rejection::MethodNotAllowed { .. } => f.write_str("method not allowed"),
            Rejection::RouteTimeout { after } => write!(f, "no answer within {}", Time(*after)),
        }
    }
}

impl std::error::Error for Rejection {}

/// A duration in the largest of the units `timeout` takes that writes it whole: `5 s`, `1500 ms`.
struct Time(Duration);

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        match (ms, ms % 60_000, ms % 1000) {
            (0, ..) => write!(f, "{} µs", self.0.as_micros()),
            (_, 0, _) => write!(f, "{} min", ms / 60_000),
            (_, _, 0) => write!(f, "{} s", ms / 1000),
            _ => write!(f, "{ms} ms"),
        }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        // A 404 allocates nothing: scanners send many.
        let res = match &self {
            Rejection::NotFound => (self.status(), "not found").into_response(),
            _ => (self.status(), self.to_string()).into_response(),
        };
        match &self {
            Rejection::MethodNotAllowed { allow } => {
                let list = allow.join(", ");
                res.with_header(ALLOW, HeaderValue::from_str(&list).unwrap_or(HeaderValue::from_static("")))
            }
            _ => res,
        }
    }
}

/// A request body a route can bind with `body: T`: implement it to read your own body types.
///
/// `from_body` gets the request and the route's body limit; it checks the content type it
/// needs (answering [`Rejection::UnsupportedMediaType`]), and parses. `MEDIA_TYPE` is what the
/// OpenAPI document says the route takes.
///
/// ```
/// use waymark::{FromBody, Method, Rejection, Request, routes};
///
/// /// A comma-separated list of numbers, as `text/csv`.
/// struct Numbers(Vec<u32>);
///
/// impl FromBody for Numbers {
///     const MEDIA_TYPE: Option<&'static str> = Some("text/csv");
///
///     async fn from_body(req: &Request, limit: Option<u64>) -> Result<Self, Rejection> {
///         let bytes = waymark::extract::read_bytes(req, limit).await?;
///         let text = std::str::from_utf8(&bytes).map_err(|e| Rejection::body("CSV", e))?;
///         text.split(',').map(|n| n.trim().parse().map_err(|e| Rejection::body("CSV", e))).collect::<Result<_, _>>().map(Numbers)
///     }
/// }
///
/// routes! {
///     Api;
///     POST "/sum" body: Numbers => async move { body.0.iter().sum::<u32>().to_string() },
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let res = Api::new().call(Request::new(Method::POST, "/sum").with_body("1, 2, 3")).await;
/// assert_eq!(res.body_bytes().map(|b| &b[..]), Some(&b"6"[..]));
/// let res = Api::new().call(Request::new(Method::POST, "/sum").with_body("1, x")).await;
/// assert_eq!(res.status().as_u16(), 400);
/// # }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read from a request body",
    label = "unsupported `body:` type",
    note = "use `Json<T>` (with `T: serde::Deserialize`), `Form<T>`, `String`, `Vec<u8>` or `Bytes`, or implement `waymark::FromBody` for `{Self}`"
)]
pub trait FromBody: Sized + Send {
    /// The media type the body is read as, for documentation (`None`: any).
    const MEDIA_TYPE: Option<&'static str>;

    /// Reads the body, or says why not. `limit` is the route's body limit, if it declares one.
    fn from_body(req: &Request, limit: Option<u64>) -> impl Future<Output = Result<Self, Rejection>> + Send;
}

/// The whole body, within `limit` (the route's; `None` for the server's body limit).
///
/// # Errors
/// [`Rejection::PayloadTooLarge`] over the limit, [`Rejection::Body`] for a body that did not
/// arrive whole.
pub async fn read_bytes(req: &Request, limit: Option<u64>) -> Result<Bytes, Rejection> {
    Ok(BodyStream::of(req, limit)?.collect().await?)
}

/// Checks the request's content type: `expected` (`type/subtype`), or a `+suffix` of it
/// (`application/vnd.api+json` for JSON), parameters aside.
///
/// # Errors
/// [`Rejection::UnsupportedMediaType`] for another type or none.
pub fn expect_media_type(req: &Request, expected: &'static str) -> Result<(), Rejection> {
    let found = req.header("content-type");
    let fits = found.is_some_and(|ct| {
        let essence = ct.split(';').next().unwrap_or("").trim();
        let (Some((ty, sub)), Some((want_ty, want_sub))) = (essence.split_once('/'), expected.split_once('/')) else {
            return false;
        };
        ty.eq_ignore_ascii_case(want_ty)
            && (sub.eq_ignore_ascii_case(want_sub)
                || sub.len() > want_sub.len() + 1
                    && sub.as_bytes()[sub.len() - want_sub.len() - 1] == b'+'
                    && sub[sub.len() - want_sub.len()..].eq_ignore_ascii_case(want_sub))
    });
    if fits { Ok(()) } else { Err(Rejection::UnsupportedMediaType { expected, found: found.map(str::to_owned) }) }
}

impl<T: DeserializeOwned + Send> FromBody for Json<T> {
    const MEDIA_TYPE: Option<&'static str> = Some("application/json");

    async fn from_body(req: &Request, limit: Option<u64>) -> Result<Self, Rejection> {
        expect_media_type(req, "application/json")?;
        let bytes = read_bytes(req, limit).await?;
        serde_json::from_slice(&bytes).map(Json).map_err(|e| Rejection::body("JSON", e))
    }
}

/// A form body (`application/x-www-form-urlencoded`, as an HTML form posts it), parsed with
/// `serde_urlencoded` into `T`.
///
/// ```
/// use waymark::{Form, Method, Request, routes};
///
/// #[derive(serde::Deserialize)]
/// struct Login { user: String, remember: Option<bool> }
///
/// routes! {
///     Api;
///     POST "/login" body: Form<Login> => async move { format!("{} {:?}", body.0.user, body.0.remember) },
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let req = Request::new(Method::POST, "/login")
///     .with_header("content-type", "application/x-www-form-urlencoded")
///     .with_body("user=ann+b&remember=true");
/// let res = Api::new().call(req).await;
/// assert_eq!(res.body_bytes().map(|b| &b[..]), Some(&b"ann b Some(true)"[..]));
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Form<T>(pub T);

impl<T: DeserializeOwned + Send> FromBody for Form<T> {
    const MEDIA_TYPE: Option<&'static str> = Some("application/x-www-form-urlencoded");

    async fn from_body(req: &Request, limit: Option<u64>) -> Result<Self, Rejection> {
        expect_media_type(req, "application/x-www-form-urlencoded")?;
        let bytes = read_bytes(req, limit).await?;
        serde_urlencoded::from_bytes(&bytes).map(Form).map_err(|e| Rejection::body("form", e))
    }
}

impl FromBody for String {
    const MEDIA_TYPE: Option<&'static str> = Some("text/plain");

    async fn from_body(req: &Request, limit: Option<u64>) -> Result<Self, Rejection> {
        let bytes = read_bytes(req, limit).await?;
        String::from_utf8(bytes.to_vec()).map_err(|_| Rejection::body("UTF-8", "not valid UTF-8"))
    }
}

impl FromBody for Vec<u8> {
    const MEDIA_TYPE: Option<&'static str> = None;

    async fn from_body(req: &Request, limit: Option<u64>) -> Result<Self, Rejection> {
        read_bytes(req, limit).await.map(|b| b.to_vec())
    }
}

impl FromBody for Bytes {
    const MEDIA_TYPE: Option<&'static str> = None;

    async fn from_body(req: &Request, limit: Option<u64>) -> Result<Self, Rejection> {
        read_bytes(req, limit).await
    }
}

impl From<BodyError> for Rejection {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge(limit) => Rejection::PayloadTooLarge { limit },
            BodyError::TimedOut => Rejection::RequestTimeout,
            other => Rejection::body("complete", other),
        }
    }
}

impl FromBody for BodyStream {
    const MEDIA_TYPE: Option<&'static str> = None;

    async fn from_body(req: &Request, limit: Option<u64>) -> Result<Self, Rejection> {
        BodyStream::of(req, limit).map_err(Rejection::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    fn with_type(ct: Option<&str>) -> Request {
        let req = Request::new(Method::POST, "/");
        match ct {
            Some(ct) => req.with_header("content-type", ct),
            None => req,
        }
    }

    #[test]
    fn media_types() {
        let cases = [
            (Some("application/json"), true),
            (Some("application/json; charset=utf-8"), true),
            (Some("Application/JSON"), true),
            (Some("application/vnd.api+json"), true),
            (Some("text/json"), false),
            (Some("application/jsonx"), false),
            (Some("application/+json"), false),
            (Some("+json"), false),
            (None, false),
        ];
        for (ct, want) in cases {
            assert_eq!(expect_media_type(&with_type(ct), "application/json").is_ok(), want, "{ct:?}");
        }
    }

    #[tokio::test]
    async fn rejections_as_data_and_text() {
        let req = Request::new(Method::POST, "/").with_body("x=1&x=");
        let err = Form::<std::collections::HashMap<String, u8>>::from_body(&req, None).await.unwrap_err();
        assert_eq!(err.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let req = req.with_header("content-type", "application/x-www-form-urlencoded");
        let err = Form::<std::collections::HashMap<String, u8>>::from_body(&req, None).await.unwrap_err();
        assert!(matches!(&err, Rejection::Body { expected: "form", .. }), "{err:?}");
        let err = Bytes::from_body(&req, Some(3)).await.unwrap_err();
        assert_eq!(
            (err.status(), err.to_string().as_str()),
            (StatusCode::PAYLOAD_TOO_LARGE, "request body is larger than 3 bytes")
        );
        let res = Rejection::MethodNotAllowed { allow: vec!["GET", "HEAD"] }.into_response();
        assert_eq!((res.status(), res.header("allow")), (StatusCode::METHOD_NOT_ALLOWED, Some("GET, HEAD")));
    }
}
