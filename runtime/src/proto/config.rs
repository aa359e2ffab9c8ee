//! The limits every connection reads, whatever its protocol: each default as a named constant
//! with its reason, and the `Config` that holds them. The server's own settings (connections,
//! shutdown, TLS, HTTP/2) are the `serve` layer's.

use std::sync::Arc;
use std::time::Duration;

use crate::proto::pressure::{Pressure, Relief};
use crate::proto::rate::MinRate;
use crate::types::net::IpNet;

/// Default limit on the request head (request line and header section): 16 KiB.
///
/// RFC 9110 §5.4 leaves the limit to the server and RFC 6585 §5 gives it a status (431). 16 KiB
/// holds a browser's cookies and a large bearer token with room to spare (Node.js uses the same),
/// while keeping what one slow client can make us buffer small.
pub const DEFAULT_MAX_HEAD_SIZE: usize = 16 * 1024;

/// Default limit on the number of header fields: 100 (as hyper). Real requests send 5 to 30.
pub const DEFAULT_MAX_HEADERS: usize = 100;

/// Default limit on the request target: 8 KiB. RFC 9112 §3 recommends supporting request lines of
/// at least 8000 octets; longer targets get 414 (RFC 9110 §15.5.15).
pub const DEFAULT_MAX_TARGET_LEN: usize = 8 * 1024;

/// Default limit on a request body: 2 MiB, for routes that set no `limit` of their own. Enough
/// for JSON APIs and form posts, which are read whole into memory. Larger bodies get 413 (RFC 9110
/// §15.5.14), before they are read when their length is declared.
pub const DEFAULT_MAX_BODY_SIZE: u64 = 2 * 1024 * 1024;

/// Default time to receive a request head once it has started (and, on a new connection, from
/// accept): 10 s. Long enough for any real client on a slow link; short enough that slow-loris
/// clients cannot hold connections for long. Answered with 408 (RFC 9110 §15.5.9).
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Default time to receive a request body once the route asks for it: 30 s, plus one second per
/// 8 KiB received (so an upload at 8 KiB/s or more, a phone's included, is never cut), and at
/// least [`DEFAULT_MIN_RATE`](crate::DEFAULT_MIN_RATE) over each window (so a trickle is cut
/// within seconds); 408.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Default time to send a response: 30 s for each write, plus one second per 8 KiB the client
/// takes meanwhile, at the minimum rate. A client that reads a large answer at 8 KiB/s or more is
/// never cut; a client that stops reading, or reads a trickle (a slow-read attack), loses the
/// connection within a rate window instead of holding it.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Default time an idle keep-alive connection is kept open (RFC 9112 §9.3): 75 s (as nginx).
/// Longer than the 60 s idle timeout of common load balancers, so that the proxy, not us, closes
/// first and never sends a request on a connection we are closing.
pub const DEFAULT_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(75);

/// The limits of a connection and its requests; see the `DEFAULT_*` constants for each default
/// and why.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) max_head_size: usize,
    pub(crate) max_headers: usize,
    pub(crate) max_target_len: usize,
    pub(crate) max_body_size: u64,
    pub(crate) header_read_timeout: Duration,
    pub(crate) body_read_timeout: Duration,
    pub(crate) keep_alive_timeout: Duration,
    pub(crate) max_requests_per_connection: Option<u64>,
    pub(crate) send_timeout: Duration,
    /// Peers whose `X-Forwarded-For`/`Forwarded` are believed; `None`: no one (the default).
    pub(crate) trusted_proxies: Option<Arc<[IpNet]>>,
    /// The least a request head, a request body or a response must move (`proto::rate`).
    pub(crate) min_rate: MinRate,
    /// How timeouts shrink under pressure; `None`: they never do.
    pub(crate) relief: Option<Relief>,
    /// The slots as the accept loop fills them (installed by it; none elsewhere).
    pub(crate) pressure: Arc<Pressure>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_head_size: DEFAULT_MAX_HEAD_SIZE,
            max_headers: DEFAULT_MAX_HEADERS,
            max_target_len: DEFAULT_MAX_TARGET_LEN,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            keep_alive_timeout: DEFAULT_KEEP_ALIVE_TIMEOUT,
            max_requests_per_connection: None,
            send_timeout: DEFAULT_SEND_TIMEOUT,
            trusted_proxies: None,
            min_rate: MinRate::default(),
            relief: Some(Relief::default()),
            pressure: Arc::new(Pressure::none()),
        }
    }
}
