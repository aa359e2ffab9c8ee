//! Byte ranges (RFC 9110 §14): one `bytes=` range of a representation, and the `Content-Range`
//! of the `206` or `416` that answers it.

use std::ops::Range;

use http::header::HeaderValue;

use crate::fs::fields::header_value;

/// What a `Range` header asks of a representation, as [`parse_range`] reads it.
///
/// ```
/// use waymark_runtime::StatusCode;
/// use waymark_runtime::fs::range::{RangeSpec, parse_range};
///
/// let status = match parse_range("bytes=0-99", 1000) {
///     RangeSpec::Ignore => StatusCode::OK,
///     RangeSpec::Unsatisfiable => StatusCode::RANGE_NOT_SATISFIABLE,
///     RangeSpec::Bytes(_) => StatusCode::PARTIAL_CONTENT,
/// };
/// assert_eq!(status, StatusCode::PARTIAL_CONTENT);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeSpec {
    /// Not a single valid byte range: serve the whole representation (RFC 9110 §14.2 lets a
    /// server ignore `Range`; multiple ranges are answered this way too).
    Ignore,
    /// No byte of the range exists: answer `416` with [`unsatisfied_range`] (RFC 9110 §15.5.17).
    Unsatisfiable,
    /// These bytes, never empty and never past the end: answer `206` with [`content_range`].
    Bytes(Range<u64>),
}

/// One `bytes=` range of a representation of `len` bytes (RFC 9110 §14.1.2): `a-b`, `a-` or
/// `-n`, a last position past the end clamped to it. A handler serving bytes of its own answers
/// `206` with [`content_range`], or `416` with [`unsatisfied_range`].
///
/// ```
/// use waymark_runtime::fs::range::{RangeSpec, parse_range};
///
/// assert_eq!(parse_range("bytes=2-4", 10), RangeSpec::Bytes(2..5));
/// assert_eq!(parse_range("bytes=-3", 10), RangeSpec::Bytes(7..10));
/// assert_eq!(parse_range("bytes=5-99", 10), RangeSpec::Bytes(5..10));
/// assert_eq!(parse_range("bytes=10-", 10), RangeSpec::Unsatisfiable);
/// assert_eq!(parse_range("bytes=0-1,4-5", 10), RangeSpec::Ignore);
/// ```
pub fn parse_range(value: &str, len: u64) -> RangeSpec {
    let Some((unit, spec)) = value.trim().split_once('=') else { return RangeSpec::Ignore };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') || len == 0 {
        return RangeSpec::Ignore;
    }
    let Some((first, last)) = spec.trim().split_once('-') else { return RangeSpec::Ignore };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        let Some(suffix) = digits(last) else { return RangeSpec::Ignore };
        if suffix == 0 {
            return RangeSpec::Unsatisfiable;
        }
        return RangeSpec::Bytes(len - suffix.min(len)..len);
    }
    let Some(first) = digits(first) else { return RangeSpec::Ignore };
    let last = if last.is_empty() {
        None
    } else {
        match digits(last) {
            Some(l) if l >= first => Some(l),
            _ => return RangeSpec::Ignore,
        }
    };
    if first >= len {
        return RangeSpec::Unsatisfiable;
    }
    let end = last.map_or(len, |l| l.saturating_add(1).min(len));
    RangeSpec::Bytes(first..end)
}

/// The `Content-Range` of a `206` (RFC 9110 §14.4): `bytes FIRST-LAST/LEN`, for a non-empty
/// `range` of a representation of `len` bytes, such as [`parse_range`] gives.
///
/// ```
/// use waymark_runtime::fs::range::content_range;
///
/// assert_eq!(content_range(&(2..5), 10), "bytes 2-4/10");
/// ```
pub fn content_range(range: &Range<u64>, len: u64) -> HeaderValue {
    header_value(&format!("bytes {}-{}/{len}", range.start, range.end.saturating_sub(1)))
}

/// The `Content-Range` of a `416` (RFC 9110 §14.4, §15.5.17): `bytes */LEN`, where `LEN` is the
/// length of the representation.
///
/// ```
/// use waymark_runtime::fs::range::unsatisfied_range;
///
/// assert_eq!(unsatisfied_range(10), "bytes */10");
/// ```
pub fn unsatisfied_range(len: u64) -> HeaderValue {
    header_value(&format!("bytes */{len}"))
}

/// Decimal digits as a number, saturating (a huge first position is simply past the end).
fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0u64, |n, b| n.saturating_mul(10).saturating_add(u64::from(b - b'0'))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        use RangeSpec::{Bytes as B, Ignore, Unsatisfiable};
        let cases = [
            ("bytes=0-0", 10, B(0..1)),
            ("bytes=2-4", 10, B(2..5)),
            ("bytes=2-", 10, B(2..10)),
            ("bytes=-3", 10, B(7..10)),
            ("bytes=-30", 10, B(0..10)),
            ("bytes=5-100", 10, B(5..10)),
            ("bytes=9-9", 10, B(9..10)),
            ("Bytes = 1-2", 10, B(1..3)),
            ("bytes=0-99999999999999999999999", 10, B(0..10)),
            ("bytes=10-", 10, Unsatisfiable),
            ("bytes=10-20", 10, Unsatisfiable),
            ("bytes=99999999999999999999999-", 10, Unsatisfiable),
            ("bytes=-0", 10, Unsatisfiable),
            ("bytes=4-2", 10, Ignore),
            ("bytes=0-1,3-4", 10, Ignore),
            ("bytes=a-b", 10, Ignore),
            ("bytes=-", 10, Ignore),
            ("bytes=1", 10, Ignore),
            ("bytes=+1-2", 10, Ignore),
            ("items=0-1", 10, Ignore),
            ("0-1", 10, Ignore),
            ("bytes=0-1", 0, Ignore),
        ];
        for (value, len, want) in cases {
            assert_eq!(parse_range(value, len), want, "{value} of {len}");
        }
    }
}
