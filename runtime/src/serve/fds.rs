//! File descriptors: the open-files limit raised at start (as Go does since 1.19), the number of
//! connections fitted within it, and a spare descriptor for when they run out anyway (as libuv
//! and nginx keep one): on `EMFILE`/`ENFILE` the spare is closed, the waiting connection
//! accepted and answered `503` with `Retry-After`, and the spare taken again, instead of leaving
//! the client to hang in the listen backlog.

use std::io;
use std::sync::OnceLock;

use tokio::net::TcpListener;

/// Descriptors kept for everything but connections (the runtime, files served, logs, the
/// spare), out of the open-files limit when `max_connections` is fitted within it: an eighth of
/// the limit, at least 16.
fn reserved(limit: u64) -> u64 {
    (limit / 8).max(16)
}

/// The answer to a connection accepted with the spare descriptor.
const BUSY: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nretry-after: 1\r\nconnection: close\r\n\r\n";

/// Most connections turned away per `EMFILE`: the backlog's, not forever.
const TURN_AWAY_BATCH: usize = 64;

/// Raises the soft open-files limit to the hard one, once per process, and logs both; returns
/// the soft limit in force (`None` where it cannot be read).
pub(crate) fn raise_limit() -> Option<u64> {
    static LIMIT: OnceLock<Option<u64>> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        #[cfg(unix)]
        {
            use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
            let Rlimit { current, maximum } = getrlimit(Resource::Nofile);
            let soft = current?;
            let raised = match maximum {
                Some(hard) if hard > soft => {
                    match setrlimit(Resource::Nofile, Rlimit { current: Some(hard), maximum }) {
                        Ok(()) => hard,
                        Err(e) => {
                            tracing::warn!(soft, hard, error = %e, "could not raise the open-files limit");
                            soft
                        }
                    }
                }
                _ => soft,
            };
            tracing::info!(soft_was = soft, hard = ?maximum, now = raised, "open-files limit");
            Some(raised)
        }
        #[cfg(not(unix))]
        None
    })
}

/// `max` connections, or fewer if the open-files limit cannot hold them (only when `fit`: a
/// limit the user set is kept, with a warning).
pub(crate) fn fit_connections(max: usize, fit: bool) -> usize {
    let Some(limit) = raise_limit() else { return max };
    let room = usize::try_from(limit.saturating_sub(reserved(limit))).unwrap_or(usize::MAX).max(1);
    if max <= room {
        return max;
    }
    if fit {
        tracing::info!(
            max_connections = room,
            open_files = limit,
            "max_connections fitted within the open-files limit"
        );
        room
    } else {
        tracing::warn!(
            max_connections = max,
            open_files = limit,
            "max_connections is above what the open-files limit holds"
        );
        max
    }
}

/// A descriptor held to be given up when accepting fails for want of one.
pub(crate) struct Spare(Option<std::fs::File>);

impl Spare {
    pub(crate) fn new() -> Self {
        Spare(open_spare())
    }

    /// After an accept error: if it was for want of descriptors, closes the spare, accepts and
    /// answers `503` to the connections waiting (up to [`TURN_AWAY_BATCH`]), and takes the spare
    /// again. Returns how many were answered: none means the caller should back off.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn turn_away(&mut self, listener: &TcpListener, e: &io::Error) -> usize {
        use std::io::{Read, Write};
        let out_of_fds = matches!(e.raw_os_error(), Some(code) if code == emfile() || code == enfile());
        if !out_of_fds || self.0.is_none() {
            return 0;
        }
        self.0 = None;
        let socket = socket2::SockRef::from(listener);
        let mut answered = 0;
        while answered < TURN_AWAY_BATCH {
            let Ok((conn, _)) = socket.accept() else { break };
            let _ = conn.set_nonblocking(true);
            // What the client already sent is read first: closing over unread input would send a
            // reset, which can destroy the answer before the client reads it.
            let _ = (&conn).read(&mut [0; 2048]);
            let _ = (&conn).write(BUSY);
            let _ = conn.shutdown(std::net::Shutdown::Write);
            answered += 1;
        }
        self.0 = open_spare();
        if answered > 0 {
            tracing::debug!(answered, "out of descriptors: answered 503 with the spare");
        }
        answered
    }
}

fn open_spare() -> Option<std::fs::File> {
    std::fs::File::open(if cfg!(windows) { "NUL" } else { "/dev/null" }).ok()
}

/// `EMFILE` and `ENFILE` (the process's and the system's limit), as the kernel numbers them.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn emfile() -> i32 {
    rustix::io::Errno::MFILE.raw_os_error()
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn enfile() -> i32 {
    rustix::io::Errno::NFILE.raw_os_error()
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
impl Spare {
    /// Where the spare's accept is not available: always back off.
    pub(crate) fn turn_away(&mut self, _listener: &TcpListener, _e: &io::Error) -> usize {
        0
    }
}
