//! Conditional requests (RFC 9110 §13): `If-Match`, `If-Unmodified-Since`, `If-None-Match` and
//! `If-Modified-Since` against the validators of a representation, in the order of §13.2.2, then
//! `Range` guarded by `If-Range`.

use std::ops::Range;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::Request;
use crate::fs::fields::header_values;
use crate::fs::range::{RangeSpec, parse_range};

/// The preconditions and range of a request, copied out so the decision can run where the
/// validators are known ([`Dir`](crate::fs::Dir) decides off the async threads).
///
/// Any handler that can name its representation's validators answers conditional requests with
/// it:
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
///
/// use waymark_runtime::fs::conditional::{Conditions, Outcome, Representation};
/// use waymark_runtime::{Method, Request};
///
/// let modified = UNIX_EPOCH + Duration::from_secs(1_000_000);
/// let page = Representation { len: 5, etag: "v7", modified: Some(modified) };
///
/// let req = Request::new(Method::GET, "/page").with_header("if-none-match", "\"v6\", \"v7\"");
/// assert_eq!(Conditions::from_request(&req).evaluate(&page, false), Outcome::NotModified);
///
/// let req = Request::new(Method::GET, "/page").with_header("if-match", "\"v6\"");
/// assert_eq!(Conditions::from_request(&req).evaluate(&page, false), Outcome::PreconditionFailed);
///
/// let req = Request::new(Method::GET, "/page").with_header("range", "bytes=1-2");
/// assert_eq!(Conditions::from_request(&req).evaluate(&page, false), Outcome::Send(Some(1..3)));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Conditions {
    /// `If-Match`, its lines joined by `,`.
    pub if_match: Option<String>,
    /// `If-None-Match`, its lines joined by `,`.
    pub if_none_match: Option<String>,
    /// `If-Modified-Since`, when it is a valid HTTP date.
    pub if_modified_since: Option<SystemTime>,
    /// `If-Unmodified-Since`, when it is a valid HTTP date.
    pub if_unmodified_since: Option<SystemTime>,
    /// `If-Range`, as sent.
    pub if_range: Option<String>,
    /// `Range`, as sent.
    pub range: Option<String>,
}

/// The representation a `GET` would send, as far as preconditions and ranges look at it.
///
/// ```
/// use std::time::SystemTime;
///
/// use waymark_runtime::fs::conditional::{Conditions, Outcome, Representation};
///
/// let report = Representation { len: 1024, etag: "r-42", modified: Some(SystemTime::now()) };
/// assert_eq!(Conditions::default().evaluate(&report, false), Outcome::Send(None));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Representation<'a> {
    /// Its length in bytes, which a range is resolved against.
    pub len: u64,
    /// The opaque part of its strong entity tag, without the quotes: `abc` for `ETag: "abc"`.
    pub etag: &'a str,
    /// Its `Last-Modified` time, if it has one.
    pub modified: Option<SystemTime>,
}

/// What to answer, as [`Conditions::evaluate`] decides.
///
/// ```
/// use waymark_runtime::StatusCode;
/// use waymark_runtime::fs::conditional::Outcome;
///
/// fn status(outcome: &Outcome) -> StatusCode {
///     match outcome {
///         Outcome::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
///         Outcome::NotModified => StatusCode::NOT_MODIFIED,
///         Outcome::Unsatisfiable => StatusCode::RANGE_NOT_SATISFIABLE,
///         Outcome::Send(None) => StatusCode::OK,
///         Outcome::Send(Some(_)) => StatusCode::PARTIAL_CONTENT,
///     }
/// }
/// assert_eq!(status(&Outcome::Send(Some(0..10))), StatusCode::PARTIAL_CONTENT);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `412 Precondition Failed`: `If-Match` or `If-Unmodified-Since` failed.
    PreconditionFailed,
    /// `304 Not Modified`, with the `ETag` and `Last-Modified` a `200` would carry (RFC 9110
    /// §15.4.5).
    NotModified,
    /// `416 Range Not Satisfiable`, with
    /// [`unsatisfied_range`](crate::fs::range::unsatisfied_range) as its `Content-Range`.
    Unsatisfiable,
    /// The whole representation (`200`), or one range of it (`206`, with
    /// [`content_range`](crate::fs::range::content_range) as its `Content-Range`).
    Send(Option<Range<u64>>),
}

impl Conditions {
    /// Copies the conditional fields and `Range` out of a request.
    ///
    /// ```
    /// use waymark_runtime::fs::conditional::Conditions;
    /// use waymark_runtime::{Method, Request};
    ///
    /// let req = Request::new(Method::GET, "/")
    ///     .with_header("if-none-match", "\"a\"")
    ///     .with_header("if-none-match", "\"b\"")
    ///     .with_header("if-modified-since", "yesterday");
    /// let conditions = Conditions::from_request(&req);
    /// assert_eq!(conditions.if_none_match.as_deref(), Some("\"a\",\"b\""));
    /// assert_eq!(conditions.if_modified_since, None);
    /// ```
    pub fn from_request(req: &Request) -> Self {
        let list = |name| {
            let mut values = header_values(req, name).peekable();
            values.peek()?;
            Some(values.collect::<Vec<_>>().join(","))
        };
        // An invalid date is ignored (RFC 9110 §13.1.3, §13.1.4).
        let date = |name| req.header(name).and_then(|v| httpdate::parse_http_date(v.trim()).ok());
        Self {
            if_match: list("if-match"),
            if_none_match: list("if-none-match"),
            if_modified_since: date("if-modified-since"),
            if_unmodified_since: date("if-unmodified-since"),
            if_range: req.header("if-range").map(str::to_owned),
            range: req.header("range").map(str::to_owned),
        }
    }

    /// RFC 9110 §13.2.2, in its order: `If-Match` (else `If-Unmodified-Since`), then
    /// `If-None-Match` (else `If-Modified-Since`), then `Range` guarded by `If-Range`. Dates
    /// compare at the one-second resolution of HTTP dates; `head` is whether the request is a
    /// `HEAD`, which is never given a range.
    ///
    /// For `GET` and `HEAD`, and only where the answer would otherwise be a `2xx` (RFC 9110
    /// §13.2.1). Another method answers `412`, not `304`, when `If-None-Match` matches (§13.1.2):
    /// [`etag_list_matches`] is the piece to build that from.
    ///
    /// ```
    /// use waymark_runtime::fs::conditional::{Conditions, Outcome, Representation};
    /// use waymark_runtime::{Method, Request};
    ///
    /// let file = Representation { len: 10, etag: "abc", modified: None };
    /// let req = Request::new(Method::GET, "/").with_header("range", "bytes=20-");
    /// assert_eq!(Conditions::from_request(&req).evaluate(&file, false), Outcome::Unsatisfiable);
    /// assert_eq!(Conditions::from_request(&req).evaluate(&file, true), Outcome::Send(None));
    ///
    /// let req = req.with_header("if-range", "\"old\"");
    /// assert_eq!(Conditions::from_request(&req).evaluate(&file, false), Outcome::Send(None));
    /// ```
    pub fn evaluate(&self, selected: &Representation<'_>, head: bool) -> Outcome {
        // Dates compare at the one-second resolution of HTTP dates.
        let modified = selected.modified.map(truncate_to_second);
        if let Some(list) = &self.if_match {
            if !etag_list_matches(list, selected.etag, true) {
                return Outcome::PreconditionFailed;
            }
        } else if let (Some(since), Some(modified)) = (self.if_unmodified_since, modified)
            && modified > since
        {
            return Outcome::PreconditionFailed;
        }
        if let Some(list) = &self.if_none_match {
            if etag_list_matches(list, selected.etag, false) {
                return Outcome::NotModified;
            }
        } else if let (Some(since), Some(modified)) = (self.if_modified_since, modified)
            && modified <= since
        {
            return Outcome::NotModified;
        }
        // Range is defined for GET only (RFC 9110 §14.2).
        let Some(range) = self.range.as_deref().filter(|_| !head) else { return Outcome::Send(None) };
        if let Some(if_range) = &self.if_range
            && !if_range_matches(if_range.trim(), selected.etag, modified)
        {
            return Outcome::Send(None);
        }
        match parse_range(range, selected.len) {
            RangeSpec::Ignore => Outcome::Send(None),
            RangeSpec::Unsatisfiable => Outcome::Unsatisfiable,
            RangeSpec::Bytes(r) => Outcome::Send(Some(r)),
        }
    }
}

fn truncate_to_second(t: SystemTime) -> SystemTime {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => UNIX_EPOCH + std::time::Duration::from_secs(d.as_secs()),
        Err(_) => t,
    }
}

/// Whether an `If-Match`/`If-None-Match` list holds `*` or a tag equal to ours (`ours` is the
/// opaque part of a strong tag). The strong comparison, which `If-Match` uses, never matches a weak
/// tag; the weak one, which `If-None-Match` uses, does (RFC 9110 §8.8.3.2). A malformed list stops
/// matching where it breaks.
///
/// ```
/// use waymark_runtime::fs::conditional::etag_list_matches;
///
/// assert!(etag_list_matches("\"a\", W/\"b\"", "b", false));
/// assert!(!etag_list_matches("\"a\", W/\"b\"", "b", true));
/// assert!(etag_list_matches("*", "b", true));
/// ```
pub fn etag_list_matches(list: &str, ours: &str, strong: bool) -> bool {
    let mut rest = list;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return false;
        }
        if rest.starts_with('*') {
            return true;
        }
        let (weak, tagged) = match rest.strip_prefix("W/") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let Some(quoted) = tagged.strip_prefix('"') else { return false };
        let Some(end) = quoted.find('"') else { return false };
        if &quoted[..end] == ours && !(strong && weak) {
            return true;
        }
        rest = &quoted[end + 1..];
    }
}

/// `If-Range` (RFC 9110 §13.1.5): a strong tag equal to ours, or a date equal to our
/// `Last-Modified`. Anything else, a weak tag included, means "send it all".
fn if_range_matches(value: &str, ours: &str, modified: Option<SystemTime>) -> bool {
    if value.starts_with('"') {
        return value.len() >= 2 && value.ends_with('"') && &value[1..value.len() - 1] == ours;
    }
    if value.starts_with("W/") {
        return false;
    }
    match (httpdate::parse_http_date(value), modified) {
        (Ok(date), Some(modified)) => date == modified,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etag_lists() {
        let cases = [
            ("\"abc\"", true, true),
            ("\"x\", \"abc\"", true, true),
            ("W/\"abc\"", true, false),
            ("W/\"abc\"", false, true),
            ("*", true, true),
            ("\"abcd\"", false, false),
            ("\"a,bc\", \"abc\"", true, true),
            ("abc", false, false),
            ("\"unterminated", false, false),
            ("", false, false),
        ];
        for (list, strong, want) in cases {
            assert_eq!(etag_list_matches(list, "abc", strong), want, "{list} strong={strong}");
        }
    }

    fn selected(len: u64) -> Representation<'static> {
        Representation {
            len,
            etag: "tag",
            modified: Some(UNIX_EPOCH + std::time::Duration::from_millis(1_000_000_500)),
        }
    }

    #[test]
    fn preconditions_in_rfc_order() {
        // Last-Modified is 1_000_000 s after the epoch (plus 0.5 s, which HTTP dates cannot carry).
        let at = |s: u64| Some(UNIX_EPOCH + std::time::Duration::from_secs(s));
        let s = |v: &str| Some(v.to_owned());
        let full = Outcome::Send(None);
        let cases: Vec<(Conditions, bool, Outcome)> = vec![
            (Conditions::default(), false, Outcome::Send(None)),
            (Conditions { if_match: s("\"tag\""), ..Default::default() }, false, Outcome::Send(None)),
            (Conditions { if_match: s("\"other\""), ..Default::default() }, false, Outcome::PreconditionFailed),
            (Conditions { if_match: s("W/\"tag\""), ..Default::default() }, false, Outcome::PreconditionFailed),
            (Conditions { if_match: s("*"), ..Default::default() }, false, Outcome::Send(None)),
            (Conditions { if_unmodified_since: at(999_999), ..Default::default() }, false, Outcome::PreconditionFailed),
            (Conditions { if_unmodified_since: at(1_000_000), ..Default::default() }, false, Outcome::Send(None)),
            // If-Match present: If-Unmodified-Since is not looked at.
            (
                Conditions { if_match: s("\"tag\""), if_unmodified_since: at(1), ..Default::default() },
                false,
                Outcome::Send(None),
            ),
            (Conditions { if_none_match: s("\"tag\""), ..Default::default() }, false, Outcome::NotModified),
            (Conditions { if_none_match: s("W/\"tag\""), ..Default::default() }, true, Outcome::NotModified),
            (Conditions { if_none_match: s("*"), ..Default::default() }, false, Outcome::NotModified),
            (Conditions { if_none_match: s("\"old\""), ..Default::default() }, false, Outcome::Send(None)),
            (Conditions { if_modified_since: at(1_000_000), ..Default::default() }, false, Outcome::NotModified),
            (Conditions { if_modified_since: at(2_000_000), ..Default::default() }, false, Outcome::NotModified),
            (Conditions { if_modified_since: at(999_999), ..Default::default() }, false, Outcome::Send(None)),
            // If-None-Match present: If-Modified-Since is not looked at.
            (
                Conditions { if_none_match: s("\"old\""), if_modified_since: at(2_000_000), ..Default::default() },
                false,
                Outcome::Send(None),
            ),
            // 412 wins over 304.
            (
                Conditions { if_match: s("\"x\""), if_none_match: s("\"tag\""), ..Default::default() },
                false,
                Outcome::PreconditionFailed,
            ),
            (Conditions { range: s("bytes=0-1"), ..Default::default() }, false, Outcome::Send(Some(0..2))),
            (Conditions { range: s("bytes=0-1"), ..Default::default() }, true, full),
            (Conditions { range: s("bytes=20-"), ..Default::default() }, false, Outcome::Unsatisfiable),
            (
                Conditions { range: s("bytes=0-1"), if_range: s("\"tag\""), ..Default::default() },
                false,
                Outcome::Send(Some(0..2)),
            ),
            (
                Conditions { range: s("bytes=0-1"), if_range: s("\"old\""), ..Default::default() },
                false,
                Outcome::Send(None),
            ),
            (
                Conditions { range: s("bytes=0-1"), if_range: s("W/\"tag\""), ..Default::default() },
                false,
                Outcome::Send(None),
            ),
            (
                Conditions {
                    range: s("bytes=0-1"),
                    if_range: s("Mon, 12 Jan 1970 13:46:40 GMT"),
                    ..Default::default()
                },
                false,
                Outcome::Send(Some(0..2)),
            ),
            (
                Conditions {
                    range: s("bytes=0-1"),
                    if_range: s("Mon, 12 Jan 1970 13:46:41 GMT"),
                    ..Default::default()
                },
                false,
                Outcome::Send(None),
            ),
            (
                Conditions { range: s("bytes=20-"), if_range: s("\"old\""), ..Default::default() },
                false,
                Outcome::Send(None),
            ),
        ];
        for (conditions, head, want) in cases {
            assert_eq!(conditions.evaluate(&selected(10), head), want, "{conditions:?} head={head}");
        }
    }
}
