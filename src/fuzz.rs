//! The fuzz checks of the facade: the generated dispatcher, the URL builders' round trip and the
//! static-file path type. Each takes arbitrary bytes and panics when an invariant breaks; the
//! cargo-fuzz targets under `fuzz/` and the stable corpus replay test call the same functions,
//! with the runtime's checks of the wire protocol, re-exported here. Not a public API: only the
//! `fuzz` feature compiles it.

use std::future::Future;
use std::path::{Component, Path};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use crate::fs::{PathError, SafePath};
use crate::{Method, Request, Response, StatusCode, routes};

pub use waymark_runtime::__fuzz::{chunked, connection, head};

routes! {
    /// Every segment and query kind: literal, untyped, typed, `String`, `&str`, `char`, untyped and
    /// typed catch-alls; required, optional, defaulted and repeated query parameters; a base path,
    /// a scope with a parameter, a trailing slash, and several methods on one path.
    pub(crate) Every at "/base";
    GET "" as root => async { "root".to_owned() },
    GET "/lit/{a: u32}/{b}/{c: String}/{*rest}?{q: String}&{o: Option<String>}&{d: i64 = -1}&{t: Vec<String>}" as all
        => async move { format!("all|{a}|{b}|{c}|{rest}|{q}|{o:?}|{d}|{t:?}") },
    POST "/lit/{a: u32}" as post => async move { format!("post|{a}") },
    scope "/s/{n: i64}" {
        GET "/t/{*path: String}?{flag: Option<bool>}" as scoped => async move { format!("scoped|{n}|{path}|{flag:?}") },
        GET "/{ch: char}/" as trailing => async move { format!("trailing|{n}|{ch}") },
        DELETE "/{s: &str}" as named => async move { format!("named|{n}|{s}") },
        PUT "/{s: &str}" => async move { format!("put|{n}|{s}") },
    }
}

const METHODS: [Method; 9] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::OPTIONS,
    Method::PATCH,
    Method::TRACE,
    Method::CONNECT,
];

/// Calls the table in process. Every handler is ready at once, so one poll must finish it.
fn call(method: Method, target: &str) -> Response {
    let app = Every::new();
    let fut = pin!(app.call(Request::new(method, target)));
    match fut.poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(res) => res,
        Poll::Pending => panic!("the dispatcher waited on nothing"),
    }
}

fn body(res: &Response) -> &[u8] {
    res.body_bytes().map_or(&[], |b| &b[..])
}

/// The dispatcher on an arbitrary method (the first byte: one of the nine, or an extension method
/// spelled by the bytes up to the first space) and target (the rest, as lossy UTF-8).
///
/// Never panics; answers 200, 204 (`OPTIONS`), 400, 404 or 405 (with `Allow`); `HEAD` answers
/// as `GET` does, without the body.
///
/// ```
/// waymark::__fuzz::dispatch(b"\x00/base/lit/1/b/c/d?q=x&t=1&t=2");
/// ```
///
/// # Panics
///
/// When an invariant breaks.
pub fn dispatch(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else { return };
    let (method, target) = match METHODS.get(usize::from(pick)) {
        Some(m) => (m.clone(), rest),
        None => {
            let end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
            let Ok(m) = Method::from_bytes(&rest[..end]) else { return };
            (m, rest.get(end + 1..).unwrap_or(&[]))
        }
    };
    let target = String::from_utf8_lossy(target);
    let res = call(method.clone(), &target);
    let status = res.status();
    let expected = [StatusCode::OK, StatusCode::BAD_REQUEST, StatusCode::NOT_FOUND, StatusCode::METHOD_NOT_ALLOWED];
    assert!(
        expected.contains(&status) || (status == StatusCode::NO_CONTENT && method == Method::OPTIONS),
        "{method} {target:?}: {status}"
    );
    if status == StatusCode::METHOD_NOT_ALLOWED || status == StatusCode::NO_CONTENT {
        assert!(res.header("allow").is_some_and(|a| !a.is_empty()), "{method} {target:?}: {status} without Allow");
    }
    if method == Method::GET {
        let head = call(Method::HEAD, &target);
        assert_eq!(head.status(), status, "HEAD {target:?}");
        assert!(body(&head).is_empty(), "HEAD {target:?} has a body");
    }
}

/// Reads values from fuzz input: fixed-width integers and length-prefixed lossy UTF-8 text.
struct Values<'a>(&'a [u8]);

impl Values<'_> {
    fn bytes(&mut self, n: usize) -> &[u8] {
        let (taken, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        taken
    }

    fn byte(&mut self) -> u8 {
        self.bytes(1).first().copied().unwrap_or(0)
    }

    fn u64(&mut self) -> u64 {
        let mut raw = [0u8; 8];
        let taken = self.bytes(8);
        raw[..taken.len()].copy_from_slice(taken);
        u64::from_le_bytes(raw)
    }

    fn text(&mut self) -> String {
        let n = usize::from(self.byte() % 24);
        String::from_utf8_lossy(self.bytes(n)).into_owned()
    }

    fn option_text(&mut self) -> Option<String> {
        (self.byte() & 1 == 1).then(|| self.text())
    }
}

fn refused_segment(s: &str) -> bool {
    matches!(s, "" | "." | "..")
}

fn refused_catch_all(s: &str) -> bool {
    s.is_empty() || s.split('/').any(|p| p == "." || p == "..")
}

/// The URL builders' round trip: values from the data, `try_NAME_url`, the dispatcher, the same
/// values back; or a refusal, exactly when the documented rule ([`crate::url`]) refuses.
///
/// ```
/// waymark::__fuzz::url_round_trip(b"\x00\x07\x00\x00\x00\x00\x00\x00\x00\x01b\x01c\x02d/e");
/// ```
///
/// # Panics
///
/// When an invariant breaks.
#[expect(clippy::cast_possible_truncation, clippy::cast_possible_wrap, reason = "arbitrary values from raw bits")]
#[expect(clippy::many_single_char_names, reason = "the values are named as the route's parameters")]
pub fn url_round_trip(data: &[u8]) {
    let mut input = Values(data);
    let (built, refused, want) = match input.byte() % 4 {
        0 => {
            let (a, b, c, rest, q, o) =
                (input.u64() as u32, input.text(), input.text(), input.text(), input.text(), input.option_text());
            let d = (input.byte() & 1 == 1).then(|| input.u64() as i64);
            let t: Vec<String> = (0..input.byte() % 4).map(|_| input.text()).collect();
            let built = Every::try_all_url(a, &b, c.clone(), &rest, q.clone(), o.clone(), d, &t);
            let refused = refused_segment(&b) || refused_segment(&c) || refused_catch_all(&rest);
            (built, refused, format!("all|{a}|{b}|{c}|{rest}|{q}|{o:?}|{}|{t:?}", d.unwrap_or(-1)))
        }
        1 => {
            let (n, path) = (input.u64() as i64, input.text());
            let flag = match input.byte() % 3 {
                0 => None,
                f => Some(f == 1),
            };
            (
                Every::try_scoped_url(n, path.clone(), flag),
                refused_catch_all(&path),
                format!("scoped|{n}|{path}|{flag:?}"),
            )
        }
        2 => {
            let n = input.u64() as i64;
            let ch = input.text().chars().next().unwrap_or('.');
            (Every::try_trailing_url(n, ch), ch == '.', format!("trailing|{n}|{ch}"))
        }
        _ => {
            let (n, s) = (input.u64() as i64, input.text());
            (Every::try_named_url(n, &s), refused_segment(&s), format!("named|{n}|{s}"))
        }
    };
    let url = match built {
        Ok(url) => url,
        Err(e) => {
            assert!(refused, "refused, against the documented rule: {e}");
            return;
        }
    };
    assert!(!refused, "built {url:?}, which the documented rule refuses");
    let method = if want.starts_with("named|") { Method::DELETE } else { Method::GET };
    let res = call(method, &url);
    assert_eq!((res.status(), body(&res)), (StatusCode::OK, want.as_bytes()), "{url}");
}

/// The static-file path type on arbitrary text (lossy UTF-8): accepted exactly when a simple
/// reference rule accepts, with the same error otherwise; an accepted path joined to a root stays
/// below it, one plain name per segment, and prints back to itself.
///
/// ```
/// waymark::__fuzz::safe_path(b"css/site.css");
/// waymark::__fuzz::safe_path(b"../etc/passwd");
/// ```
///
/// # Panics
///
/// When an invariant breaks.
pub fn safe_path(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let got = SafePath::new(&text);
    // Windows reserves more names (`CON`, `a.`); the reference leaves them out.
    if !(cfg!(windows) && got == Err(PathError::Reserved)) {
        assert_eq!(got.as_ref().err().copied(), reference(&text), "{text:?}");
    }
    let Ok(path) = got else { return };
    let root = Path::new("/srv/root");
    let joined = path.join_to(root);
    let shown = joined.display();
    let below = joined.strip_prefix(root).unwrap_or_else(|_| panic!("{text:?} joins to {shown}"));
    let names: Vec<_> = below.components().collect();
    assert_eq!(names.len(), path.segments().count(), "{text:?} joins to {shown}");
    for c in names {
        let Component::Normal(name) = c else { panic!("{text:?} joins to {shown}: {c:?}") };
        let name = name.to_str().unwrap_or_else(|| panic!("{shown} is not UTF-8"));
        assert!(!matches!(name, "" | "." | "..") && !name.contains(['\0', '\\', '/']), "{text:?} joins to {shown}");
    }
    assert!(!path.as_str().split('/').any(str::is_empty), "{text:?}: an empty segment");
    assert_eq!(SafePath::new(&path.to_string()).as_ref(), Ok(&path), "{text:?} does not print back to itself");
}

/// The rule of `SafePath::new`, written plainly: the first error in reading order.
fn reference(text: &str) -> Option<PathError> {
    if text.is_empty() {
        return Some(PathError::Empty);
    }
    let path = text.strip_suffix('/').unwrap_or(text);
    for segment in path.split('/') {
        match segment {
            "" => return Some(PathError::EmptySegment),
            "." => return Some(PathError::Dot),
            ".." => return Some(PathError::DotDot),
            _ => {}
        }
        for c in segment.chars() {
            if c == '\\' {
                return Some(PathError::Backslash);
            }
            if c == ':' {
                return Some(PathError::Colon);
            }
            if c.is_control() {
                return Some(PathError::Control);
            }
        }
    }
    None
}
