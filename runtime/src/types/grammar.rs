//! The small pieces of HTTP grammar (RFC 9110 §5.6, RFC 9112 §2.2) that the head parser, the
//! chunked decoder and the response encoder share. It imports nothing from the crate, so none of
//! them imports another for it.

/// Whether a line ends in a bare LF (RFC 9112 §2.2: we reject it rather than guess).
pub(crate) fn has_bare_lf(head: &[u8]) -> bool {
    memchr::memchr_iter(b'\n', head).any(|i| i == 0 || head[i - 1] != b'\r')
}

/// The non-empty elements of a comma-separated list, trimmed (RFC 9110 §5.6.1: empty elements
/// are ignored).
pub(crate) fn list(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.split(|&b| b == b',').map(trim_ows).filter(|t| !t.is_empty())
}

/// `v` without leading and trailing optional whitespace (RFC 9110 §5.6.3).
pub(crate) fn trim_ows(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// `tchar` of RFC 9110 §5.6.2.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}
