//! Cookies (feature `cookies`): read them from a [`Request`], set and remove them on a
//! [`Response`], and keep them signed or private (encrypted) with a [`Key`], through the
//! [`cookie`](https://docs.rs/cookie) crate that actix-web and Rocket use.
//!
//! | to | call |
//! |---|---|
//! | read a cookie | [`Request::cookie`], [`Request::cookies`] |
//! | read a signed / private one | [`Request::signed_cookie`], [`Request::private_cookie`] |
//! | set one (`Set-Cookie`) | [`Response::with_cookie`], [`Response::add_cookie`] |
//! | remove one | [`Response::with_removed_cookie`], [`Response::remove_cookie`] |
//! | sign / encrypt one before setting it | [`sign`], [`encrypt`] |
//!
//! The request is the jar to read from and the response the jar to write to, so there is no jar
//! to carry between them. A signed cookie's value is readable by the client but cannot be changed
//! (HMAC-SHA256); a private cookie's value can be neither read nor changed (AES-256-GCM, with the
//! cookie's name as associated data, so a value cannot be moved to another name). A cookie that
//! fails either check reads as absent, exactly like a missing one.
//!
//! Reading is forgiving, writing is strict: a `Cookie` header is split at `;` and each pair parsed
//! alone, so a pair that is garbage (no `=`, an empty name, invalid UTF-8 or percent-encoding) is
//! skipped and the others still read. Names and values are percent-decoded when read and
//! percent-encoded when written, so any string round-trips. Several `Cookie` headers (as HTTP/2
//! sends them, RFC 9113 §8.2.3) are read as one list. A name sent twice: the first wins, as in
//! [`Request::header`].
//!
//! ```
//! use waymark_runtime::cookie::{Cookie, Key, SameSite, encrypt};
//! use waymark_runtime::{Method, Request, Response};
//!
//! let key = Key::generate(); // in an app: `Key::try_from(&secret[..])`, 64 bytes kept in the state
//!
//! // A response sets a plain cookie and a private one.
//! let res = Response::text("welcome")
//!     .with_cookie(Cookie::build(("theme", "dark")).path("/").same_site(SameSite::Lax))
//!     .with_cookie(encrypt(&key, ("session", "user=7")));
//! let set: Vec<&str> = res.headers().filter(|(n, _)| *n == "set-cookie").filter_map(|(_, v)| v.to_str().ok()).collect();
//! assert_eq!(set[0], "theme=dark; SameSite=Lax; Path=/");
//! assert!(!set[1].contains("user=7"));
//!
//! // The browser sends them back; a request reads them.
//! let header = set.iter().map(|c| c.split(';').next().unwrap_or_default()).collect::<Vec<_>>().join("; ");
//! let req = Request::new(Method::GET, "/").with_header("cookie", header);
//! assert_eq!(req.cookie("theme").map(|c| c.value().to_owned()), Some("dark".into()));
//! assert_eq!(req.private_cookie(&key, "session").map(|c| c.value().to_owned()), Some("user=7".into()));
//! assert!(req.private_cookie(&Key::generate(), "session").is_none()); // another key: absent
//! ```

use http::HeaderValue;
use http::header::SET_COOKIE;

pub use ::cookie::time;
pub use ::cookie::{Cookie, CookieBuilder, Expiration, Key, SameSite};

use crate::{Request, Response};

impl Request {
    /// The first cookie named `name` in the `Cookie` headers, percent-decoded; pairs that do not
    /// parse are skipped.
    ///
    /// ```
    /// use waymark_runtime::{Method, Request};
    ///
    /// let req = Request::new(Method::GET, "/").with_header("cookie", "=x; theme=dark; junk; lang=en%20GB");
    /// assert_eq!(req.cookie("theme").map(|c| c.value().to_owned()), Some("dark".into()));
    /// assert_eq!(req.cookie("lang").map(|c| c.value().to_owned()), Some("en GB".into()));
    /// assert!(req.cookie("junk").is_none());
    /// ```
    pub fn cookie(&self, name: &str) -> Option<Cookie<'_>> {
        self.cookies().find(|c| c.name() == name)
    }

    /// Every cookie of the `Cookie` headers that parses, in the order sent.
    ///
    /// ```
    /// use waymark_runtime::{Method, Request};
    ///
    /// let req = Request::new(Method::GET, "/").with_header("cookie", "a=1; b=2").with_header("cookie", "c=3");
    /// let names: Vec<String> = req.cookies().map(|c| c.name().to_owned()).collect();
    /// assert_eq!(names, ["a", "b", "c"]);
    /// ```
    pub fn cookies(&self) -> impl Iterator<Item = Cookie<'_>> + '_ {
        self.headers()
            .filter(|(name, _)| name.eq_ignore_ascii_case(b"cookie"))
            .flat_map(|(_, value)| value.split(|&b| b == b';'))
            .filter_map(|pair| std::str::from_utf8(pair).ok())
            .map(str::trim)
            .filter(|pair| !pair.is_empty())
            .filter_map(|pair| Cookie::parse_encoded(pair).ok())
    }

    /// The cookie named `name` whose value was signed with `key` (see [`sign`]), with the
    /// signature checked and taken off. A cookie whose signature does not check reads as absent;
    /// with a name sent twice, the first that checks wins.
    ///
    /// ```
    /// use waymark_runtime::cookie::{Key, sign};
    /// use waymark_runtime::{Method, Request};
    ///
    /// let key = Key::generate();
    /// let signed = sign(&key, ("user", "ann"));
    /// let req = Request::new(Method::GET, "/").with_header("cookie", signed.encoded().to_string());
    /// assert_eq!(req.signed_cookie(&key, "user").map(|c| c.value().to_owned()), Some("ann".into()));
    /// // The value in the clear is not signed: absent.
    /// let req = Request::new(Method::GET, "/").with_header("cookie", "user=root");
    /// assert!(req.signed_cookie(&key, "user").is_none());
    /// ```
    pub fn signed_cookie(&self, key: &Key, name: &str) -> Option<Cookie<'static>> {
        let jar = ::cookie::CookieJar::new();
        let signed = jar.signed(key);
        self.cookies().filter(|c| c.name() == name).find_map(|c| signed.verify(c.into_owned()))
    }

    /// The cookie named `name` whose value was encrypted with `key` (see [`encrypt`]), decrypted.
    /// A cookie that does not decrypt and authenticate reads as absent; with a name sent twice,
    /// the first that does wins.
    ///
    /// ```
    /// use waymark_runtime::cookie::{Key, encrypt};
    /// use waymark_runtime::{Method, Request};
    ///
    /// let key = Key::generate();
    /// let sealed = encrypt(&key, ("cart", "3 apples"));
    /// let req = Request::new(Method::GET, "/").with_header("cookie", sealed.encoded().to_string());
    /// assert_eq!(req.private_cookie(&key, "cart").map(|c| c.value().to_owned()), Some("3 apples".into()));
    /// ```
    pub fn private_cookie(&self, key: &Key, name: &str) -> Option<Cookie<'static>> {
        let jar = ::cookie::CookieJar::new();
        let private = jar.private(key);
        self.cookies().filter(|c| c.name() == name).find_map(|c| private.decrypt(c.into_owned()))
    }
}

impl Response {
    /// Adds a `Set-Cookie` header (builder style); earlier ones are kept, so a response can set
    /// several cookies.
    ///
    /// ```
    /// use waymark_runtime::Response;
    /// use waymark_runtime::cookie::{Cookie, time::Duration};
    ///
    /// let res = Response::text("ok")
    ///     .with_cookie(("lang", "en GB"))
    ///     .with_cookie(Cookie::build(("seen", "1")).max_age(Duration::days(30)).http_only(true));
    /// let set: Vec<_> = res.headers().filter(|(n, _)| *n == "set-cookie").map(|(_, v)| v.to_str().unwrap()).collect();
    /// assert_eq!(set, ["lang=en%20GB", "seen=1; HttpOnly; Max-Age=2592000"]);
    /// ```
    #[must_use]
    pub fn with_cookie<'c>(mut self, cookie: impl Into<Cookie<'c>>) -> Self {
        self.add_cookie(cookie);
        self
    }

    /// Adds a `Set-Cookie` header, keeping earlier ones. The name and value are percent-encoded;
    /// a cookie whose attributes cannot be a header value (a control character in its path or
    /// domain) is not sent, and an error is logged.
    ///
    /// ```
    /// use waymark_runtime::Response;
    ///
    /// let mut res = Response::text("ok");
    /// res.add_cookie(("a", "1"));
    /// res.add_cookie(("b", "2"));
    /// assert_eq!(res.headers().filter(|(n, _)| *n == "set-cookie").count(), 2);
    /// ```
    pub fn add_cookie<'c>(&mut self, cookie: impl Into<Cookie<'c>>) {
        let cookie = cookie.into();
        match HeaderValue::try_from(cookie.encoded().to_string()) {
            Ok(value) => self.append_header(SET_COOKIE, value),
            Err(_) => tracing::error!(cookie = cookie.name(), "cookie not sent: not a valid header value"),
        }
    }

    /// Tells the client to drop a cookie (builder style): an empty value, `Max-Age=0` and an
    /// expiry in the past. Give the same path and domain the cookie was set with.
    ///
    /// ```
    /// use waymark_runtime::Response;
    /// use waymark_runtime::cookie::Cookie;
    ///
    /// let res = Response::text("bye").with_removed_cookie(Cookie::build("session").path("/"));
    /// let set = res.header("set-cookie").unwrap();
    /// assert!(set.starts_with("session=; Path=/; Max-Age=0; Expires="), "{set}");
    /// ```
    #[must_use]
    pub fn with_removed_cookie<'c>(mut self, cookie: impl Into<Cookie<'c>>) -> Self {
        self.remove_cookie(cookie);
        self
    }

    /// Tells the client to drop a cookie; see [`Response::with_removed_cookie`].
    ///
    /// ```
    /// use waymark_runtime::Response;
    ///
    /// let mut res = Response::text("bye");
    /// res.remove_cookie("session");
    /// assert!(res.header("set-cookie").unwrap().starts_with("session=; Max-Age=0"));
    /// ```
    pub fn remove_cookie<'c>(&mut self, cookie: impl Into<Cookie<'c>>) {
        let mut cookie = cookie.into();
        cookie.make_removal();
        self.add_cookie(cookie);
    }
}

/// The cookie with its value signed with `key` (HMAC-SHA256, the signature before the value):
/// the client can read the value but not change it. Read it back with
/// [`Request::signed_cookie`].
///
/// ```
/// use waymark_runtime::cookie::{Key, sign};
///
/// let key = Key::generate();
/// let cookie = sign(&key, ("user", "ann"));
/// assert!(cookie.value().ends_with("ann") && cookie.value() != "ann");
/// ```
pub fn sign<'c>(key: &Key, cookie: impl Into<Cookie<'c>>) -> Cookie<'static> {
    seal(cookie.into().into_owned(), |jar, c| jar.signed_mut(key).add(c))
}

/// The cookie with its value encrypted with `key` (AES-256-GCM, a fresh nonce each time,
/// authenticated with the cookie's name): the client can neither read nor change the value. Read
/// it back with [`Request::private_cookie`].
///
/// ```
/// use waymark_runtime::cookie::{Key, encrypt};
///
/// let key = Key::generate();
/// let cookie = encrypt(&key, ("cart", "3 apples"));
/// assert!(!cookie.value().contains("apples"));
/// ```
pub fn encrypt<'c>(key: &Key, cookie: impl Into<Cookie<'c>>) -> Cookie<'static> {
    seal(cookie.into().into_owned(), |jar, c| jar.private_mut(key).add(c))
}

/// Runs the cookie through a child jar of the `cookie` crate, which owns the signing and
/// encryption code, and takes it back out.
fn seal(cookie: Cookie<'static>, add: impl FnOnce(&mut ::cookie::CookieJar, Cookie<'static>)) -> Cookie<'static> {
    let mut jar = ::cookie::CookieJar::new();
    let fallback = Cookie::new(cookie.name().to_owned(), String::new());
    add(&mut jar, cookie);
    // The jar holds exactly the cookie just added; the fallback (an empty value) is unreachable.
    jar.delta().next().cloned().unwrap_or(fallback)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    fn req(header: &[u8]) -> Request {
        Request::new(Method::GET, "/").with_header("cookie", header)
    }

    fn value(req: &Request, name: &str) -> Option<String> {
        req.cookie(name).map(|c| c.value().to_owned())
    }

    #[test]
    fn garbage_is_skipped_pair_by_pair() {
        let cases: &[(&[u8], &str, Option<&str>)] = &[
            (b"a=1", "a", Some("1")),
            (b"a=1; b=2", "b", Some("2")),
            (b"a=1;b=2", "b", Some("2")),
            (b"  a = 1 ;", "a", Some("1")),
            (b"a=", "a", Some("")),
            (b"a=1; a=2", "a", Some("1")),
            (b"a=x%20y", "a", Some("x y")),
            (b"a=\"q\"", "a", Some("\"q\"")),
            (b"junk; a=1", "a", Some("1")),
            (b"=1; a=2", "a", Some("2")),
            (b";;; a=3 ;;", "a", Some("3")),
            (b"\xff\xfe=1; a=4", "a", Some("4")),
            (b"a=\xff; b=5", "b", Some("5")),
            (b"a=\xff; b=5", "a", None),
            (b"a=%FF; b=6", "b", Some("6")),
            (b"a=%FF; b=6", "a", None),
            (b"junk", "junk", None),
            (b"", "a", None),
            (b"A=1", "a", None),
        ];
        for (header, name, want) in cases {
            assert_eq!(value(&req(header), name).as_deref(), *want, "{:?} {name}", String::from_utf8_lossy(header));
        }
    }

    #[test]
    fn several_cookie_headers_are_one_list() {
        let req = req(b"a=1").with_header("Cookie", "b=2; a=3");
        assert_eq!((value(&req, "a"), value(&req, "b")), (Some("1".into()), Some("2".into())));
        assert_eq!(req.cookies().count(), 3);
        assert!(Request::new(Method::GET, "/").cookie("a").is_none());
    }

    /// Flips one character of the value at `at` to another character of the base64 alphabet, as
    /// an attacker editing the cookie would.
    fn tamper(cookie: &Cookie<'_>, at: usize) -> String {
        let mut value = cookie.value().as_bytes().to_vec();
        value[at] = if value[at] == b'A' { b'B' } else { b'A' };
        let value = String::from_utf8(value).unwrap();
        Cookie::new(cookie.name(), value).encoded().to_string()
    }

    #[test]
    fn tampered_signed_and_private_cookies_read_as_absent() {
        let key = Key::generate();
        let signed = sign(&key, ("user", "ann"));
        let sealed = encrypt(&key, ("user", "ann"));
        let header = |c: &Cookie<'_>| req(c.encoded().to_string().as_bytes());
        assert_eq!(header(&signed).signed_cookie(&key, "user").map(|c| c.value().to_owned()), Some("ann".into()));
        assert_eq!(header(&sealed).private_cookie(&key, "user").map(|c| c.value().to_owned()), Some("ann".into()));
        // Each byte of the signature, and the value after it.
        for at in 0..signed.value().len() {
            let req = req(tamper(&signed, at).as_bytes());
            assert!(req.signed_cookie(&key, "user").is_none(), "signed, byte {at}");
        }
        for at in 0..sealed.value().len() {
            let req = req(tamper(&sealed, at).as_bytes());
            assert!(req.private_cookie(&key, "user").is_none(), "private, byte {at}");
        }
        // The value in the clear, another key, a sealed value under another name, a signed value
        // read as private and the other way round: all absent.
        let other = Key::generate();
        assert!(req(b"user=ann").signed_cookie(&key, "user").is_none());
        assert!(req(b"user=ann").private_cookie(&key, "user").is_none());
        assert!(header(&signed).signed_cookie(&other, "user").is_none());
        assert!(header(&sealed).private_cookie(&other, "user").is_none());
        let moved = Cookie::new("admin", sealed.value().to_owned()).encoded().to_string();
        assert!(req(moved.as_bytes()).private_cookie(&key, "admin").is_none());
        assert!(header(&signed).private_cookie(&key, "user").is_none());
        assert!(header(&sealed).signed_cookie(&key, "user").is_none());
        // A forged one first, the real one second: the real one is found.
        let both = format!("user=forged; {}", signed.encoded());
        assert_eq!(req(both.as_bytes()).signed_cookie(&key, "user").map(|c| c.value().to_owned()), Some("ann".into()));
    }

    #[test]
    fn set_cookie_output() {
        let cases: Vec<(Cookie<'static>, &str)> = vec![
            (Cookie::new("a", "1"), "a=1"),
            (Cookie::new("a b", "x;y z"), "a%20b=x%3By%20z"),
            (
                Cookie::build(("s", "v")).path("/app").domain("example.com").secure(true).into(),
                "s=v; Secure; Path=/app; Domain=example.com",
            ),
            (
                Cookie::build(("s", "v")).same_site(SameSite::Strict).http_only(true).into(),
                "s=v; HttpOnly; SameSite=Strict",
            ),
            (Cookie::build(("s", "v")).same_site(SameSite::None).into(), "s=v; SameSite=None; Secure"),
            (Cookie::build(("s", "v")).max_age(time::Duration::minutes(1)).into(), "s=v; Max-Age=60"),
        ];
        for (cookie, want) in cases {
            let res = Response::text("").with_cookie(cookie);
            assert_eq!(res.header("set-cookie"), Some(want));
        }
        let res = Response::text("").with_cookie(("a", "1")).with_cookie(("b", "2")).with_removed_cookie("a");
        let set: Vec<_> = res.headers().filter(|(n, _)| *n == SET_COOKIE).map(|(_, v)| v.to_str().unwrap()).collect();
        assert_eq!(set.len(), 3);
        assert_eq!(&set[..2], ["a=1", "b=2"]);
        assert!(set[2].starts_with("a=; Max-Age=0; Expires="), "{}", set[2]);
        // A path with a newline cannot be a header: nothing is sent.
        let res = Response::text("").with_cookie(Cookie::build(("a", "1")).path("/\n"));
        assert_eq!(res.header("set-cookie"), None);
    }

    #[test]
    fn what_is_set_reads_back() {
        let key = Key::generate();
        let values = ["plain", "with space", "semi;colon", "ünïcode", "%41", ""];
        for v in values {
            let res = Response::text("")
                .with_cookie(("p", v))
                .with_cookie(sign(&key, ("s", v)))
                .with_cookie(encrypt(&key, ("e", v)));
            let header: Vec<_> = res
                .headers()
                .filter(|(n, _)| *n == SET_COOKIE)
                .map(|(_, v)| v.to_str().unwrap().split(';').next().unwrap().to_owned())
                .collect();
            let req = req(header.join("; ").as_bytes());
            assert_eq!(value(&req, "p").as_deref(), Some(v));
            assert_eq!(req.signed_cookie(&key, "s").map(|c| c.value().to_owned()).as_deref(), Some(v));
            assert_eq!(req.private_cookie(&key, "e").map(|c| c.value().to_owned()).as_deref(), Some(v));
        }
    }
}
