//! What [`TestResponse`](super::TestResponse), [`TestStream`](super::TestStream) and the
//! WebSocket client share: the request line they answer, the status and the headers, with the
//! lookups and the checks their assertions make.

use std::fmt;

use crate::header::{HeaderName, HeaderValue};
use crate::{Method, Request, Response, StatusCode};

#[derive(Clone)]
pub(super) struct Head {
    pub(super) method: Method,
    pub(super) target: String,
    pub(super) status: StatusCode,
    pub(super) headers: Vec<(HeaderName, HeaderValue)>,
}

impl Head {
    /// The head of `res`, the answer to `req`.
    pub(super) fn of(req: &Request, res: &Response) -> Self {
        Head {
            method: req.method().clone(),
            target: req.target().to_owned(),
            status: res.status(),
            headers: res.headers().map(|(n, v)| (n.clone(), v.clone())).collect(),
        }
    }

    /// The values of the headers named `name` (case-insensitively), in order.
    pub(super) fn values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a HeaderValue> {
        self.headers.iter().filter(move |(n, _)| n.as_str().eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    /// The first value of a header, if present and UTF-8.
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.values(name).next()?.to_str().ok()
    }

    /// Why the status is not `expected`, if it is not.
    pub(super) fn status_mismatch(&self, expected: StatusCode) -> Option<String> {
        (self.status != expected).then(|| format!("expected status {expected}, got {}", self.status))
    }

    /// Why the header `name` is not `expected`, if it is not.
    pub(super) fn header_mismatch(&self, name: &str, expected: &str) -> Option<String> {
        match self.header(name) {
            Some(actual) if actual == expected => None,
            Some(actual) => Some(format!("expected header `{name}: {expected}`, got `{name}: {actual}`")),
            None => Some(format!("expected header `{name}: {expected}`, but it is absent")),
        }
    }
}

/// The status line and the headers, as a client would see them.
impl fmt::Display for Head {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "--- response: {}", self.status)?;
        for (name, value) in &self.headers {
            writeln!(f, "{name}: {}", String::from_utf8_lossy(value.as_bytes()))?;
        }
        Ok(())
    }
}
