//! A streamed request body's channel: the connection's end ([`Feed`]) and the request's end
//! ([`Incoming`]), which [`BodyStream`](crate::incoming::BodyStream) reads. Below both the
//! request and the reader, so that each can name it.

use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::{Notify, mpsc};

/// Why a body could not be read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyError {
    /// The body is over the limit (in bytes).
    TooLarge(u64),
    /// The client closed the connection before the end of the body.
    Incomplete,
    /// The client stopped sending for too long.
    TimedOut,
    /// The body's framing is broken (a bad chunk).
    Malformed(&'static str),
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::TooLarge(limit) => write!(f, "request body is larger than {limit} bytes"),
            BodyError::Incomplete => f.write_str("the client closed the connection before the end of the body"),
            BodyError::TimedOut => f.write_str("the client stopped sending the body"),
            BodyError::Malformed(why) => write!(f, "malformed body: {why}"),
        }
    }
}

impl std::error::Error for BodyError {}

/// The connection's side of a streamed body.
pub(crate) struct Feed {
    pub(crate) tx: mpsc::Sender<Result<Bytes, BodyError>>,
    pub(crate) demand: Arc<Notify>,
    /// The reader's limit, set before it first asks: a chunked body is cut at the chunk that
    /// would pass it, before that chunk is read.
    pub(crate) limit: Arc<AtomicU64>,
}

/// The request's side: taken once, by the first reader.
#[derive(Debug)]
pub(crate) struct Incoming {
    pub(crate) rx: Mutex<Option<mpsc::Receiver<Result<Bytes, BodyError>>>>,
    pub(crate) demand: Arc<Notify>,
    pub(crate) limit: Arc<AtomicU64>,
    /// `Content-Length`, if the client declared one.
    pub(crate) declared: Option<u64>,
    /// The server's body limit, for routes that set none.
    pub(crate) default_limit: u64,
}

/// A body streamed from the connection, and the connection's end of it.
pub(crate) fn channel(declared: Option<u64>, default_limit: u64) -> (Feed, Incoming) {
    let (tx, rx) = mpsc::channel(1);
    let (demand, limit) = (Arc::new(Notify::new()), Arc::new(AtomicU64::new(default_limit)));
    let incoming = Incoming {
        rx: Mutex::new(Some(rx)),
        demand: Arc::clone(&demand),
        limit: Arc::clone(&limit),
        declared,
        default_limit,
    };
    (Feed { tx, demand, limit }, incoming)
}
