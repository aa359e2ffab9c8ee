//! The `Date` header (RFC 9110 §6.6.1: an origin server with a clock MUST send it), rendered at most
//! once per second per worker thread and copied from a thread-local cache otherwise.
//!
//! Reading the clock costs a `clock_gettime` per response; a connection answering a batch of
//! pipelined requests without waiting in between reads it for the first response only (see
//! `check_clock` in [`append_date_field`]): no time has passed that a second-resolution date could
//! show, beyond the time spent computing the batch.

use std::cell::RefCell;
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

/// `Sun, 06 Nov 1994 08:49:37 GMT`: IMF-fixdate is always 29 bytes.
const DATE_LEN: usize = 29;

/// `date: ` + the date + CRLF.
const FIELD_LEN: usize = 6 + DATE_LEN + 2;

struct Cache {
    second: u64,
    field: [u8; FIELD_LEN],
}

thread_local! {
    static CACHE: RefCell<Cache> = const { RefCell::new(Cache { second: u64::MAX, field: *b"date: Thu, 01 Jan 1970 00:00:00 GMT\r\n" }) };
}

/// Appends the whole `date: ...\r\n` field. With `check_clock` false the date cached on this thread
/// is used as is (the caller knows it has not waited since it last checked the clock on this
/// thread); it is still read if nothing was cached yet.
pub(crate) fn append_date_field(out: &mut Vec<u8>, check_clock: bool) {
    CACHE.with_borrow_mut(|cache| {
        if check_clock || cache.second == u64::MAX {
            let now = SystemTime::now();
            let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
            if cache.second != second {
                let mut buf = &mut cache.field[6..6 + DATE_LEN];
                // Formats into the fixed array: no allocation, even once a second.
                let _ = write!(buf, "{}", httpdate::HttpDate::from(now));
                cache.second = second;
            }
        }
        out.extend_from_slice(&cache.field);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_an_imf_fixdate_that_parses_back() {
        for check_clock in [false, true, false] {
            let mut out = Vec::new();
            append_date_field(&mut out, check_clock);
            let text = std::str::from_utf8(&out).unwrap();
            assert_eq!(text.len(), FIELD_LEN);
            let date = text.strip_prefix("date: ").and_then(|t| t.strip_suffix("\r\n")).unwrap();
            assert!(date.ends_with(" GMT"), "{text}");
            let parsed = httpdate::parse_http_date(date).unwrap();
            let age = SystemTime::now().duration_since(parsed).unwrap_or_default();
            assert!(age.as_secs() < 5);
        }
    }
}
