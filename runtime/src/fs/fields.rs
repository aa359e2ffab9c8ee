//! Header fields: every line of a request's field, and values made from text formatted here.

use http::header::HeaderValue;

use crate::Request;

/// Every value of a header (all its lines), as text.
pub(super) fn header_values<'a>(req: &'a Request, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    req.headers()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
        .filter_map(|(_, v)| std::str::from_utf8(v).ok())
}

/// A header value from text we formatted ourselves (digits, hex, dates): always valid.
pub(super) fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static(""))
}
