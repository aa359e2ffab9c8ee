//! Authentication guards: [`Bearer`], a token from `Authorization: Bearer TOKEN` (RFC 6750).
//!
//! A guard of type `Bearer` refuses a request without a well-formed header with
//! [`Unauthorized`]: `401` with `WWW-Authenticate: Bearer`. Checking the token is the
//! application's job: compare it (in constant time) or look it up in a guard of its own built on
//! this one. `Bearer` implements [`Security`](crate::openapi::Security), so the routes it guards
//! say so in the OpenAPI document.
//!
//! ```
//! use waymark::auth::Bearer;
//! use waymark::{Method, Request, StatusCode, routes};
//!
//! routes! {
//!     Api;
//!     scope {
//!         guard user: Bearer = Bearer::from_request(req);
//!         GET "/me" => async move { format!("token {}", user.token()) },
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let res = Api::new().call(Request::new(Method::GET, "/me")).await;
//! assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
//! assert_eq!(res.header("www-authenticate"), Some("Bearer"));
//! let res = Api::new().call(Request::new(Method::GET, "/me").with_header("authorization", "Bearer abc")).await;
//! assert_eq!(res.body_bytes().map(|b| &b[..]), Some(&b"token abc"[..]));
//! assert_eq!(Api::openapi()["paths"]["/me"]["get"]["security"][0]["bearer"], serde_json::json!([]));
//! # }
//! ```

use std::fmt;

use http::StatusCode;
use http::header::{HeaderValue, WWW_AUTHENTICATE};
use serde_json::{Value, json};

use crate::openapi::{Answers, Responses, Schemas, Security};
use crate::{IntoResponse, Request, Response};

/// A bearer token from `Authorization: Bearer TOKEN` (RFC 6750 §2.1).
#[derive(Clone, PartialEq, Eq)]
pub struct Bearer {
    token: String,
}

impl Bearer {
    /// The request's bearer token; [`Unauthorized`] when the header is missing, names another
    /// scheme, or holds no token. A future, so that it reads as a guard expression.
    ///
    /// # Errors
    /// [`Unauthorized`], which answers `401` with `WWW-Authenticate: Bearer`.
    pub async fn from_request(req: &Request) -> Result<Bearer, Unauthorized> {
        Self::parse(req.header_bytes("authorization").ok_or(Unauthorized)?).ok_or(Unauthorized)
    }

    /// The token of an `Authorization` value: the scheme `Bearer` in any case, one or more
    /// spaces, then a `token68` (RFC 9110 §11.2: letters, digits, `-._~+/`, then `=` padding).
    fn parse(value: &[u8]) -> Option<Bearer> {
        let (scheme, rest) = value.split_at_checked(6)?;
        if !scheme.eq_ignore_ascii_case(b"bearer") || !rest.starts_with(b" ") {
            return None;
        }
        let token = rest.trim_ascii_start();
        let body = token.iter().position(|&b| b == b'=').map_or(token, |end| &token[..end]);
        let padding_ok = token[body.len()..].iter().all(|&b| b == b'=');
        let token68 = body.iter().all(|&b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
        if body.is_empty() || !padding_ok || !token68 {
            return None;
        }
        Some(Bearer { token: String::from_utf8_lossy(token).into_owned() })
    }

    /// The token, as sent.
    pub fn token(&self) -> &str {
        &self.token
    }
}

/// The token stays out of logs.
impl fmt::Debug for Bearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bearer").finish_non_exhaustive()
    }
}

impl Security for Bearer {
    const NAME: &'static str = "bearer";

    fn scheme() -> Value {
        json!({ "type": "http", "scheme": "bearer" })
    }
}

/// No usable bearer token: `401 Unauthorized` with `WWW-Authenticate: Bearer` (RFC 6750 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unauthorized;

impl fmt::Display for Unauthorized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a bearer token is required")
    }
}

impl std::error::Error for Unauthorized {}

impl IntoResponse for Unauthorized {
    fn into_response(self) -> Response {
        Response::text("a bearer token is required\n")
            .with_status(StatusCode::UNAUTHORIZED)
            .with_header(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    }
}

impl Responses for Unauthorized {
    fn responses(out: &mut Answers, _: &mut Schemas) {
        out.add(StatusCode::UNAUTHORIZED, "No bearer token, or a malformed one.", None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_values() {
        let cases: &[(&[u8], Option<&str>)] = &[
            (b"Bearer abc", Some("abc")),
            (b"bearer abc", Some("abc")),
            (b"BEARER   a.b-c_d~e+f/g==", Some("a.b-c_d~e+f/g==")),
            (b"Bearer ", None),
            (b"Bearer", None),
            (b"Bearerabc", None),
            (b"Basic YWxhZGRpbjpvcGVuc2VzYW1l", None),
            (b"Bearer a b", None),
            (b"Bearer a=b", None),
            (b"Bearer ==", None),
            (b"Bearer \xff", None),
            (b"", None),
        ];
        for &(value, want) in cases {
            let got = Bearer::parse(value);
            assert_eq!(got.as_ref().map(Bearer::token), want, "{}", String::from_utf8_lossy(value));
        }
    }

    #[test]
    fn refusal_is_401_with_the_challenge() {
        let res = Unauthorized.into_response();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(res.header("www-authenticate"), Some("Bearer"));
    }
}
