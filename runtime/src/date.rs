//! The `Date` header (RFC 9110 §6.6.1: an origin server with a clock MUST send it), rendered at most
//! once per second per worker thread and copied from a thread-local cache otherwise.

use std::cell::RefCell;
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

/// `Sun, 06 Nov 1994 08:49:37 GMT`: IMF-fixdate is always 29 bytes.
const DATE_LEN: usize = 29;

struct Cache {
    second: u64,
    rendered: [u8; DATE_LEN],
}

thread_local! {
    static CACHE: RefCell<Cache> = const { RefCell::new(Cache { second: u64::MAX, rendered: [b' '; DATE_LEN] }) };
}

/// Appends the current date in IMF-fixdate form.
pub(crate) fn append_date(out: &mut Vec<u8>) {
    let now = SystemTime::now();
    let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.second != second {
            let mut buf = &mut cache.rendered[..];
            // Formats into the fixed array: no allocation, even once a second.
            let _ = write!(buf, "{}", httpdate::HttpDate::from(now));
            cache.second = second;
        }
        out.extend_from_slice(&cache.rendered);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_an_imf_fixdate_that_parses_back() {
        let mut out = Vec::new();
        append_date(&mut out);
        let text = std::str::from_utf8(&out).unwrap();
        assert_eq!(text.len(), DATE_LEN);
        assert!(text.ends_with(" GMT"), "{text}");
        let parsed = httpdate::parse_http_date(text).unwrap();
        let age = SystemTime::now().duration_since(parsed).unwrap_or_default();
        assert!(age.as_secs() < 5);
    }
}
