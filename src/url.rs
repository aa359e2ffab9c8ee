//! Typed URLs: what `as NAME` on a route generates, and the one percent-encoder of the crate.
//!
//! A named route gets two builders on the generated type, `NAME_url(..) -> String` and
//! `try_NAME_url(..) -> Result<String, UrlError>`. Their arguments are the route's path
//! parameters in pattern order, by their declared types (`&str` for untyped and catch-all
//! parameters), then its query parameters: required ones as `T`, optional and defaulted ones as
//! `Option<T>` (`None` leaves them out). The URL holds the table's base path and every scope
//! prefix; each value is written with `Display` and percent-encoded (everything but the RFC 3986
//! unreserved characters), so that dispatching the URL gives the route the same values back. A
//! catch-all keeps its `/` separators.
//!
//! # Values no route could take back
//!
//! Some values cannot travel in a path: the builder refuses them rather than send a link that
//! reaches another route or none. `try_NAME_url` returns a [`UrlError`]; `NAME_url` panics with
//! the same message (use it with values your code chose, such as ids; use `try_` with values a
//! client sent). The rule:
//! - a path parameter whose text is empty: no route matches an empty segment;
//! - a path parameter whose text is `.` or `..`, and a catch-all with such a piece between its
//!   `/`: clients remove dot-segments before sending (RFC 3986 §5.2.4), even percent-encoded;
//! - an empty catch-all: a catch-all matches one or more segments.
//!
//! A parameter type's `Display` must write what its `FromStr` reads (true of the integers, `bool`,
//! `char`, `String`, `IpAddr`, ...); the floats are the exception to know about: `f64::NAN` is
//! written `NaN`, which parses back, but `-0.0` comes back as `-0`.
//!
//! ```
//! use waymark::{Method, Request, routes};
//!
//! routes! {
//!     pub Api at "/api";
//!     GET "/users/{id: u64}/files/{*path}?{download: Option<bool>}" as file
//!         => async move { format!("{id} {path} {download:?}") },
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! assert_eq!(Api::file_url(7, "a b/c.txt", Some(true)), "/api/users/7/files/a%20b/c.txt?download=true");
//! assert_eq!(Api::file_url(7, "c", None), "/api/users/7/files/c");
//! assert!(Api::try_file_url(7, "", None).is_err());
//! let res = Api::new().call(Request::new(Method::GET, &Api::file_url(7, "a b/c.txt", None))).await;
//! assert_eq!(res.body_bytes().map(|b| &b[..]), Some(&b"7 a b/c.txt None"[..]));
//! # }
//! ```

use std::fmt::{self, Display, Write as _};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but the unreserved characters of RFC 3986 §2.3 is percent-encoded, in a path
/// segment and in a query.
pub(crate) const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// A value a URL builder refused: no route could take it back (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlError {
    route: &'static str,
    param: &'static str,
    reason: &'static str,
}

impl UrlError {
    /// The route's pattern, e.g. `/files/{*path}`.
    pub fn route(&self) -> &'static str {
        self.route
    }

    /// The parameter whose value was refused.
    pub fn param(&self) -> &'static str {
        self.param
    }
}

impl Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot build a URL for `{}`: parameter `{}` {}", self.route, self.param, self.reason)
    }
}

impl std::error::Error for UrlError {}

/// Builds one URL; what generated `NAME_url` functions call. Not a public API.
#[doc(hidden)]
#[derive(Debug)]
pub struct UrlBuilder {
    out: String,
    route: &'static str,
    has_query: bool,
    scratch: String,
}

impl UrlBuilder {
    /// A builder for the route `route` (its full pattern, for errors).
    pub fn new(route: &'static str) -> Self {
        Self { out: String::with_capacity(route.len() + 16), route, has_query: false, scratch: String::new() }
    }

    /// Appends literal path text, already valid (`/bookmarks`).
    pub fn literal(&mut self, text: &'static str) {
        self.out.push_str(text);
    }

    fn text(&mut self, value: &(impl Display + ?Sized)) -> String {
        let mut s = std::mem::take(&mut self.scratch);
        s.clear();
        let _ = write!(s, "{value}");
        s
    }

    fn refuse(&self, param: &'static str, reason: &'static str) -> UrlError {
        UrlError { route: self.route, param, reason }
    }

    /// Appends `/` and one encoded segment.
    ///
    /// # Errors
    /// The value's text is empty, `.` or `..`.
    pub fn segment(&mut self, param: &'static str, value: &(impl Display + ?Sized)) -> Result<(), UrlError> {
        let text = self.text(value);
        let refused = match text.as_str() {
            "" => Some("is empty, and no route matches an empty segment"),
            "." | ".." => Some("is `.` or `..`, which clients remove from a path (RFC 3986 §5.2.4)"),
            _ => None,
        };
        if let Some(reason) = refused {
            return Err(self.refuse(param, reason));
        }
        self.out.push('/');
        self.out.extend(utf8_percent_encode(&text, COMPONENT));
        self.scratch = text;
        Ok(())
    }

    /// Appends `/` and the rest of the path, each piece between `/` encoded.
    ///
    /// # Errors
    /// The value's text is empty, or a piece is `.` or `..`.
    pub fn catch_all(&mut self, param: &'static str, value: &(impl Display + ?Sized)) -> Result<(), UrlError> {
        let text = self.text(value);
        if text.is_empty() {
            return Err(self.refuse(param, "is empty, and a catch-all matches one or more segments"));
        }
        if text.split('/').any(|piece| piece == "." || piece == "..") {
            return Err(
                self.refuse(param, "has a `.` or `..` piece, which clients remove from a path (RFC 3986 §5.2.4)")
            );
        }
        for piece in text.split('/') {
            self.out.push('/');
            self.out.extend(utf8_percent_encode(piece, COMPONENT));
        }
        self.scratch = text;
        Ok(())
    }

    /// Appends `name=value` to the query.
    pub fn query(&mut self, name: &'static str, value: &(impl Display + ?Sized)) {
        let text = self.text(value);
        self.out.push(if self.has_query { '&' } else { '?' });
        self.has_query = true;
        self.out.push_str(name);
        self.out.push('=');
        self.out.extend(utf8_percent_encode(&text, COMPONENT));
        self.scratch = text;
    }

    /// The URL; `/` when nothing was appended (the root of a table without a base path).
    pub fn finish(mut self) -> String {
        if self.out.is_empty() || self.out.starts_with('?') {
            self.out.insert(0, '/');
        }
        self.out
    }
}

/// `NAME_url`: the URL, or a panic with the refusal's message.
#[doc(hidden)]
#[track_caller]
pub fn expect(url: Result<String, UrlError>) -> String {
    match url {
        Ok(url) => url,
        Err(e) => panic!("{e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_all_but_unreserved() {
        let cases =
            [("abcXYZ019-._~", "abcXYZ019-._~"), ("a b", "a%20b"), ("é/?&=+", "%C3%A9%2F%3F%26%3D%2B"), ("", "")];
        for (raw, want) in cases {
            assert_eq!(utf8_percent_encode(raw, COMPONENT).to_string(), want, "{raw}");
        }
    }

    #[test]
    fn refuses_what_no_route_takes_back() {
        let mut b = UrlBuilder::new("/f/{x}/{*rest}");
        for bad in ["", ".", ".."] {
            assert_eq!(b.segment("x", bad).map_err(|e| e.param()), Err("x"), "{bad:?}");
        }
        for bad in ["", ".", "a/..", "./a", "a/./b"] {
            assert!(b.catch_all("rest", bad).is_err(), "{bad:?}");
        }
        assert_eq!(b.finish(), "/");
        let mut b = UrlBuilder::new("/f/{*rest}");
        b.literal("/f");
        b.catch_all("rest", "a/ b//c/").unwrap();
        b.query("q", "x&y");
        b.query("n", &7);
        assert_eq!(b.finish(), "/f/a/%20b//c/?q=x%26y&n=7");
    }
}
