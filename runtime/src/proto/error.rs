//! Everything that can go wrong while reading a request, and the status each one is answered with.

use std::io;

use http::StatusCode;

/// Why a connection stops serving: a protocol error answered with a status, or a transport
/// condition answered with nothing.
///
/// Every protocol error closes the connection after its response: once the framing of one
/// request is in doubt, nothing after it on the connection can be trusted (RFC 9112 §6.3, §11.2).
#[derive(Debug)]
pub(crate) enum Error {
    /// The request line or a header line does not follow the grammar (RFC 9112 §3, §5).
    BadSyntax(&'static str),
    /// A line ended in a bare LF; we accept CRLF only, everywhere (RFC 9112 §2.2 allows either
    /// choice; the strict one leaves no room for disagreeing with a proxy in front of us).
    BareLf,
    /// The request target has a byte outside visible ASCII, or a form the method does not allow
    /// (RFC 9112 §3.2).
    BadTarget,
    /// `HTTP/x.y` with a version we do not speak (RFC 9110 §15.6.6).
    UnsupportedVersion,
    /// A method outside RFC 9110 §9 and PATCH (RFC 5789): 501 (RFC 9110 §9.1).
    UnknownMethod,
    /// An HTTP/1.1 request without `Host` (RFC 9112 §3.2).
    MissingHost,
    /// More than one `Host` (RFC 9112 §3.2).
    DuplicateHost,
    /// A `Host` that is not `uri-host [":" port]` (RFC 9110 §7.2).
    InvalidHost,
    /// `Content-Length` that is not plain digits, overflows, or repeats with another value
    /// (RFC 9110 §8.6, RFC 9112 §6.3 item 5).
    BadContentLength,
    /// Both `Content-Length` and `Transfer-Encoding` (RFC 9112 §6.1: a smuggling signature).
    LengthAndChunked,
    /// `Transfer-Encoding` whose final coding is not `chunked`, or `chunked` twice (RFC 9112 §6.3
    /// item 4, §6.1).
    ChunkedNotFinal,
    /// A syntactically valid transfer coding other than `chunked` (RFC 9112 §6.1: 501).
    UnsupportedCoding,
    /// `Transfer-Encoding` in an HTTP/1.0 request (RFC 9112 §6.1).
    TransferEncodingHttp10,
    /// A malformed chunk size, extension, data terminator or trailer (RFC 9112 §7.1).
    BadChunk(&'static str),
    /// An `Expect` other than `100-continue` (RFC 9110 §10.1.1).
    ExpectationFailed,
    /// The request target is longer than the configured limit (RFC 9112 §3, RFC 9110 §15.5.15).
    TargetTooLong,
    /// The header section is larger than the configured limit (RFC 6585 §5).
    HeadTooLarge,
    /// More header fields than the configured limit (RFC 6585 §5).
    TooManyHeaders,
    /// The body is larger than the configured limit (RFC 9110 §15.5.14).
    BodyTooLarge,
    /// The rest of a started request did not arrive in time (RFC 9110 §15.5.9).
    Timeout,
    /// The peer closed the connection in the middle of a request: nobody to answer.
    Closed,
    /// The socket failed: nobody to answer.
    Io(io::Error),
}

impl Error {
    /// The status to answer with, or `None` when there is no one to answer.
    pub(crate) fn status(&self) -> Option<StatusCode> {
        Some(match self {
            Error::BadSyntax(_)
            | Error::BareLf
            | Error::BadTarget
            | Error::MissingHost
            | Error::DuplicateHost
            | Error::InvalidHost
            | Error::BadContentLength
            | Error::LengthAndChunked
            | Error::ChunkedNotFinal
            | Error::TransferEncodingHttp10
            | Error::BadChunk(_) => StatusCode::BAD_REQUEST,
            Error::UnsupportedCoding | Error::UnknownMethod => StatusCode::NOT_IMPLEMENTED,
            Error::UnsupportedVersion => StatusCode::HTTP_VERSION_NOT_SUPPORTED,
            Error::ExpectationFailed => StatusCode::EXPECTATION_FAILED,
            Error::TargetTooLong => StatusCode::URI_TOO_LONG,
            Error::HeadTooLarge | Error::TooManyHeaders => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Error::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Timeout => StatusCode::REQUEST_TIMEOUT,
            Error::Closed | Error::Io(_) => return None,
        })
    }

    /// A short plain-text explanation for the response body.
    pub(crate) fn message(&self) -> &'static str {
        match self {
            Error::BadSyntax(what) | Error::BadChunk(what) => what,
            Error::BareLf => "line ends in a bare LF; CRLF is required",
            Error::BadTarget => "invalid request target",
            Error::UnsupportedVersion => "HTTP version not supported",
            Error::UnknownMethod => "method not implemented",
            Error::MissingHost => "missing Host header",
            Error::DuplicateHost => "more than one Host header",
            Error::InvalidHost => "invalid Host header",
            Error::BadContentLength => "invalid Content-Length",
            Error::LengthAndChunked => "both Content-Length and Transfer-Encoding",
            Error::ChunkedNotFinal => "Transfer-Encoding must end in a single chunked",
            Error::UnsupportedCoding => "unsupported transfer coding",
            Error::TransferEncodingHttp10 => "Transfer-Encoding in an HTTP/1.0 request",
            Error::ExpectationFailed => "unsupported Expect value",
            Error::TargetTooLong => "request target too long",
            Error::HeadTooLarge => "request header section too large",
            Error::TooManyHeaders => "too many request headers",
            Error::BodyTooLarge => "request body too large",
            Error::Timeout => "request not received in time",
            Error::Closed => "connection closed mid-request",
            Error::Io(_) => "i/o error",
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let cases = [
            (Error::BareLf, Some(400)),
            (Error::UnsupportedCoding, Some(501)),
            (Error::UnsupportedVersion, Some(505)),
            (Error::TargetTooLong, Some(414)),
            (Error::TooManyHeaders, Some(431)),
            (Error::HeadTooLarge, Some(431)),
            (Error::BodyTooLarge, Some(413)),
            (Error::Timeout, Some(408)),
            (Error::ExpectationFailed, Some(417)),
            (Error::Closed, None),
        ];
        for (e, want) in cases {
            assert_eq!(e.status().map(|s| s.as_u16()), want, "{e:?}");
            assert!(!e.message().is_empty());
        }
    }
}
