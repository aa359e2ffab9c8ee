//! A response body read from a file: sent by the kernel straight from the page cache on a plain
//! TCP connection (`sendfile`), read in pieces everywhere else.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};

use bytes::Bytes;

/// The piece a file is read in when it cannot be sent by the kernel.
const CHUNK: usize = 64 * 1024;

/// Pieces read ahead of the socket: two keep the disk and the socket both busy.
const AHEAD: usize = 2;

/// `len` bytes of an open file, from its current position; see [`Body::file`](crate::Body::file).
pub struct FileBody {
    file: File,
    len: u64,
}

impl FileBody {
    pub(crate) fn new(file: File, len: u64) -> Self {
        Self { file, len }
    }

    /// The number of bytes the body sends.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the body sends nothing.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Sends as much of the body as the socket takes now, from the page cache (no copy through
    /// this process); `Ok(0)` when the file ended early. A file not in the page cache is read
    /// from disk by this call, as nginx's `sendfile` does.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn send_to(&mut self, tcp: &tokio::net::TcpStream) -> io::Result<usize> {
        // The kernel sends at most this much per call.
        const MAX: u64 = 0x7fff_f000;
        let count = usize::try_from(self.len.min(MAX)).unwrap_or(0);
        let sent = rustix::fs::sendfile(tcp, &self.file, None, count)?;
        self.len -= sent as u64;
        Ok(sent)
    }

    /// The body as a stream of pieces read on the blocking pool, at most [`AHEAD`] pieces ahead
    /// of the reader. Ends early if the reader goes away; a read error or a file that shrank ends
    /// it short, and the error is logged (the connection then closes: the length was declared).
    pub(crate) fn into_stream(self) -> tokio::sync::mpsc::Receiver<Bytes> {
        let (tx, rx) = tokio::sync::mpsc::channel(AHEAD);
        tokio::spawn(async move {
            let Self { file, mut len } = self;
            let mut file = Some(file);
            while len > 0 {
                let Some(mut f) = file.take() else { break };
                let want = usize::try_from(len).map_or(CHUNK, |l| l.min(CHUNK));
                let read = tokio::task::spawn_blocking(move || {
                    // Read into spare capacity (no zeroing), until the piece is full or the file ends.
                    let mut buf = Vec::with_capacity(want);
                    let n = (&mut f).take(want as u64).read_to_end(&mut buf);
                    (f, buf, n)
                })
                .await;
                let chunk = match read {
                    Ok((f, buf, Ok(n))) if n > 0 => {
                        file = Some(f);
                        buf
                    }
                    Ok((_, _, Ok(_))) => {
                        tracing::warn!(missing = len, "a file shrank while it was sent");
                        break;
                    }
                    Ok((_, _, Err(e))) => {
                        tracing::error!(error = %e, "a file read failed while it was sent");
                        break;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "a file read task failed");
                        break;
                    }
                };
                len -= chunk.len() as u64;
                if tx.send(Bytes::from(chunk)).await.is_err() {
                    break; // the client went away
                }
            }
        });
        rx
    }
}

impl fmt::Debug for FileBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileBody").field("len", &self.len).finish_non_exhaustive()
    }
}
