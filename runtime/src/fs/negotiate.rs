//! Content negotiation by `Accept-Encoding` (RFC 9110 §12.5.3): which precompressed variant of a
//! file a client takes, if any.

use crate::Request;
use crate::fs::fields::header_values;

/// A content coding a precompressed file can have: `FILE.br` or `FILE.gz` beside `FILE`.
///
/// ```
/// use waymark_runtime::fs::negotiate::Encoding;
///
/// assert_eq!(Encoding::Br.token(), "br");
/// assert_eq!(Encoding::Gzip.suffix(), "gz");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Brotli: `Content-Encoding: br`, a file ending in `.br`.
    Br,
    /// gzip: `Content-Encoding: gzip`, a file ending in `.gz`.
    Gzip,
}

impl Encoding {
    /// The coding's name in `Content-Encoding`.
    ///
    /// ```
    /// use waymark_runtime::fs::negotiate::Encoding;
    ///
    /// assert_eq!(Encoding::Gzip.token(), "gzip");
    /// ```
    pub fn token(self) -> &'static str {
        match self {
            Encoding::Br => "br",
            Encoding::Gzip => "gzip",
        }
    }

    /// The extension, without its dot, of a file precompressed with this coding.
    ///
    /// ```
    /// use waymark_runtime::fs::negotiate::Encoding;
    ///
    /// assert_eq!(Encoding::Br.suffix(), "br");
    /// ```
    pub fn suffix(self) -> &'static str {
        match self {
            Encoding::Br => "br",
            Encoding::Gzip => "gz",
        }
    }
}

/// The codings of `Accept-Encoding` we have variants for, most preferred first: by the client's
/// weight, then `br` before `gzip` (smaller). A coding is acceptable if listed with a non-zero
/// weight, or covered by a non-zero `*` and not listed (RFC 9110 §12.5.3); a malformed weight
/// counts as zero, since the file itself is always acceptable.
///
/// A handler that keeps its own compressed bytes can choose among them the way [`Dir`] does:
///
/// ```
/// use waymark_runtime::fs::negotiate::{Encoding, accepted_encodings};
/// use waymark_runtime::{Method, Request};
///
/// let req = Request::new(Method::GET, "/app.js").with_header("accept-encoding", "gzip, br;q=0.8");
/// assert_eq!(accepted_encodings(&req), [Some(Encoding::Gzip), Some(Encoding::Br)]);
///
/// let req = Request::new(Method::GET, "/app.js").with_header("accept-encoding", "br;q=0, *");
/// assert_eq!(accepted_encodings(&req), [Some(Encoding::Gzip), None]);
///
/// let req = Request::new(Method::GET, "/app.js");
/// assert_eq!(accepted_encodings(&req), [None, None]);
/// ```
///
/// [`Dir`]: crate::fs::Dir
pub fn accepted_encodings(req: &Request) -> [Option<Encoding>; 2] {
    let mut listed = [None::<u16>; 2];
    let mut star = None::<u16>;
    for value in header_values(req, "accept-encoding") {
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let weight = parts.find_map(qvalue).unwrap_or(1000);
            if coding.eq_ignore_ascii_case("br") {
                listed[0] = Some(weight);
            } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                listed[1] = Some(weight);
            } else if coding == "*" {
                star = Some(weight);
            }
        }
    }
    let [br, gzip] = listed.map(|w| w.or(star).unwrap_or(0));
    let mut order = [(br, Encoding::Br), (gzip, Encoding::Gzip)];
    if gzip > br {
        order.swap(0, 1);
    }
    let mut accepted = order.into_iter().filter(|(w, _)| *w > 0).map(|(_, enc)| enc);
    [accepted.next(), accepted.next()]
}

/// The weight of a `q=` parameter in thousandths (RFC 9110 §12.4.2), a malformed one as zero;
/// `None` when `param` is another parameter.
///
/// ```
/// use waymark_runtime::fs::negotiate::qvalue;
///
/// assert_eq!(qvalue("q=0.5"), Some(500));
/// assert_eq!(qvalue(" Q = 1 "), Some(1000));
/// assert_eq!(qvalue("q=high"), Some(0));
/// assert_eq!(qvalue("level=1"), None);
/// ```
pub fn qvalue(param: &str) -> Option<u16> {
    let (name, value) = param.split_once('=')?;
    if !name.trim().eq_ignore_ascii_case("q") {
        return None;
    }
    let value = value.trim();
    let (whole, frac) = value.split_once('.').unwrap_or((value, ""));
    let valid = matches!(whole, "0" | "1") && frac.len() <= 3 && frac.bytes().all(|b| b.is_ascii_digit());
    if !valid {
        return Some(0);
    }
    let thousandths =
        frac.bytes().chain(std::iter::repeat(b'0')).take(3).fold(0u16, |n, b| n * 10 + u16::from(b - b'0'));
    let weight = if whole == "1" { 1000 } else { thousandths };
    Some(if whole == "0" || thousandths == 0 { weight } else { 0 })
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;

    #[test]
    fn accept_encoding() {
        use Encoding::{Br, Gzip};
        let cases: &[(&[&str], [Option<Encoding>; 2])] = &[
            (&[], [None, None]),
            (&["gzip"], [Some(Gzip), None]),
            (&["gzip, deflate, br"], [Some(Br), Some(Gzip)]),
            (&["br;q=0, gzip;q=0.5"], [Some(Gzip), None]),
            (&["gzip;q=1, br;q=0.5"], [Some(Gzip), Some(Br)]),
            (&["gzip;q=0.5, br;q=0.5"], [Some(Br), Some(Gzip)]),
            (&["br;q=0.000"], [None, None]),
            (&["br;q=0.001"], [Some(Br), None]),
            (&["br;q=2"], [None, None]),
            (&["br;q=0.0001"], [None, None]),
            (&["br;level=1;q=1.000"], [Some(Br), None]),
            (&["*"], [Some(Br), Some(Gzip)]),
            (&["*;q=0, gzip"], [Some(Gzip), None]),
            (&["*;q=0.1, gzip;q=0.5"], [Some(Gzip), Some(Br)]),
            (&["GZIP", "Br"], [Some(Br), Some(Gzip)]),
            (&["identity"], [None, None]),
            (&["x-gzip"], [Some(Gzip), None]),
        ];
        for (values, want) in cases {
            let mut req = Request::new(Method::GET, "/");
            for v in *values {
                req = req.with_header("accept-encoding", v);
            }
            assert_eq!(accepted_encodings(&req), *want, "{values:?}");
        }
    }

    #[test]
    fn qvalues() {
        let cases = [
            ("q=0", Some(0)),
            (" Q = 0.0 ", Some(0)),
            ("q=0.", Some(0)),
            ("q=0.5", Some(500)),
            ("q=0.125", Some(125)),
            ("q=1", Some(1000)),
            ("q=1.000", Some(1000)),
            ("q=1.5", Some(0)),
            ("q=2", Some(0)),
            ("q=0.1234", Some(0)),
            ("q=", Some(0)),
            ("level=1", None),
        ];
        for (p, want) in cases {
            assert_eq!(qvalue(p), want, "{p}");
        }
    }
}
