//! Where connections come from: a TCP socket (bound here, with `SO_REUSEPORT` for per-core
//! workers, or handed over as a `std::net::TcpListener`), a Unix domain socket (bound here with a
//! file mode by the stale-socket rule, or handed over), or the sockets a service manager passed
//! (systemd socket activation). A server holds its sockets unregistered ([`Bound`]) until it
//! runs, so that each worker thread of the per-core mode registers its own with its own runtime.

use std::io;
use std::net::SocketAddr;
#[cfg(unix)]
use std::path::{Path, PathBuf};
#[cfg(unix)]
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::net::{TcpListener, TcpStream};
#[cfg(unix)]
use tokio::net::{UnixListener, UnixStream};

/// The listen backlog of the sockets bound here, as tokio's own `bind` uses.
const BACKLOG: i32 = 1024;

/// A listening socket, not yet registered with a runtime.
#[derive(Debug)]
pub(crate) enum Bound {
    /// `reuse_port`: bound here with `SO_REUSEPORT`, so another worker binds its own socket to the
    /// same address and the kernel spreads connections among them.
    Tcp { listener: std::net::TcpListener, reuse_port: bool },
    /// `file`: the socket file this server created, removed when the last of its listeners closes.
    #[cfg(unix)]
    Unix { listener: std::os::unix::net::UnixListener, file: Option<Arc<SocketFile>> },
}

impl Bound {
    /// A TCP listener handed over, made non-blocking (tokio requires it).
    pub(crate) fn tcp(listener: std::net::TcpListener) -> io::Result<Self> {
        listener.set_nonblocking(true)?;
        Ok(Bound::Tcp { listener, reuse_port: false })
    }

    /// A Unix listener handed over, made non-blocking; its file is the caller's to remove.
    #[cfg(unix)]
    pub(crate) fn unix(listener: std::os::unix::net::UnixListener) -> io::Result<Self> {
        listener.set_nonblocking(true)?;
        Ok(Bound::Unix { listener, file: None })
    }

    /// The TCP address, if it is a TCP socket.
    pub(crate) fn local_addr(&self) -> Option<SocketAddr> {
        match self {
            Bound::Tcp { listener, .. } => listener.local_addr().ok(),
            #[cfg(unix)]
            Bound::Unix { .. } => None,
        }
    }

    /// The socket file's path, if it is a Unix socket with one.
    #[cfg(unix)]
    pub(crate) fn unix_path(&self) -> Option<PathBuf> {
        match self {
            Bound::Tcp { .. } => None,
            Bound::Unix { listener, .. } => listener.local_addr().ok()?.as_pathname().map(Path::to_path_buf),
        }
    }

    /// Registers the socket with the current runtime.
    pub(crate) fn register(self) -> io::Result<Listener> {
        Ok(match self {
            Bound::Tcp { listener, .. } => Listener::Tcp(TcpListener::from_std(listener)?),
            #[cfg(unix)]
            Bound::Unix { listener, file } => Listener::Unix(UnixListener::from_std(listener)?, file),
        })
    }

    /// The same socket for one more worker: a socket of its own bound to the same address when
    /// this one was bound with `SO_REUSEPORT`, else a duplicate descriptor of the same socket (the
    /// workers then take turns at one queue).
    pub(crate) fn another(&self) -> io::Result<Self> {
        Ok(match self {
            #[cfg(unix)]
            Bound::Tcp { listener, reuse_port: true } => {
                Bound::Tcp { listener: bind_reuse_port(listener.local_addr()?)?, reuse_port: true }
            }
            Bound::Tcp { listener, reuse_port } => {
                Bound::Tcp { listener: listener.try_clone()?, reuse_port: *reuse_port }
            }
            #[cfg(unix)]
            Bound::Unix { listener, file } => Bound::Unix { listener: listener.try_clone()?, file: file.clone() },
        })
    }
}

/// A TCP socket bound to `addr` with `SO_REUSEPORT` (and `SO_REUSEADDR`, as tokio's `bind`
/// sets), listening, non-blocking.
#[cfg(unix)]
pub(crate) fn bind_reuse_port(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

/// A listening socket registered with a runtime.
#[derive(Debug)]
pub(crate) enum Listener {
    Tcp(TcpListener),
    /// Its socket file is held until the listener closes.
    #[cfg(unix)]
    Unix(UnixListener, #[allow(dead_code, reason = "held for its drop")] Option<Arc<SocketFile>>),
}

/// An accepted connection.
pub(crate) enum Accepted {
    Tcp(TcpStream, SocketAddr),
    #[cfg(unix)]
    Unix(UnixStream),
}

impl Listener {
    pub(crate) fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<Accepted>> {
        match self {
            Listener::Tcp(listener) => listener.poll_accept(cx).map_ok(|(stream, peer)| Accepted::Tcp(stream, peer)),
            #[cfg(unix)]
            Listener::Unix(listener, _) => listener.poll_accept(cx).map_ok(|(stream, _)| Accepted::Unix(stream)),
        }
    }
}

/// Accepts from the first of `listeners` that has a connection, starting the search one past
/// where the last accept was found (`next`), so that a busy socket cannot starve the others.
pub(crate) fn poll_accept_any(
    listeners: &[Listener],
    next: &mut usize,
    cx: &mut Context<'_>,
) -> Poll<io::Result<Accepted>> {
    let n = listeners.len();
    for i in 0..n {
        let at = (*next + i) % n;
        if let Poll::Ready(accepted) = listeners[at].poll_accept(cx) {
            *next = (at + 1) % n;
            return Poll::Ready(accepted);
        }
    }
    Poll::Pending
}

/// The socket file of a Unix socket this server bound: removed when the last listener on it
/// closes (at shutdown, once the server stops accepting, so that a new server can bind the path
/// while this one finishes its requests), unless something else has replaced it meanwhile.
#[cfg(unix)]
#[derive(Debug)]
pub(crate) struct SocketFile {
    path: PathBuf,
    /// The file's device and inode when it was created: a file at the path with others is not ours.
    id: (u64, u64),
}

#[cfg(unix)]
impl Drop for SocketFile {
    fn drop(&mut self) {
        use std::os::unix::fs::MetadataExt;
        if let Ok(meta) = std::fs::symlink_metadata(&self.path)
            && (meta.dev(), meta.ino()) == self.id
        {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Binds a Unix domain socket at `path` with file mode `mode`, by the rule of
/// [`ServerBuilder::bind_unix`](crate::ServerBuilder::bind_unix) for a path that exists. The mode
/// is set before the socket listens, so no client connects through a looser one.
#[cfg(unix)]
pub(crate) fn bind_unix(path: &Path, mode: u32) -> io::Result<Bound> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    use socket2::{Domain, SockAddr, Socket, Type};

    clear_stale(path)?;
    let socket = Socket::new(Domain::UNIX, Type::STREAM, None)?;
    socket.bind(&SockAddr::unix(path)?)?;
    let meta = std::fs::symlink_metadata(path)?;
    // From here on, an error removes the file again (the guard's drop).
    let file = Arc::new(SocketFile { path: path.to_path_buf(), id: (meta.dev(), meta.ino()) });
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    socket.listen(BACKLOG)?;
    socket.set_nonblocking(true)?;
    Ok(Bound::Unix { listener: socket.into(), file: Some(file) })
}

/// Makes way for a new socket at `path`: nothing there is fine; a socket nobody listens on
/// (connecting is refused: a server that died without removing it) is removed; a socket that
/// accepts a connection, or anything that is not a socket, is refused and left alone.
#[cfg(unix)]
fn clear_stale(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::FileTypeExt;

    let shown = path.display();
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io::Error::new(e.kind(), format!("cannot bind the Unix socket {shown}: {e}"))),
        Ok(meta) if !meta.file_type().is_socket() => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("cannot bind the Unix socket {shown}: the path exists and is not a socket; it was left as it is"),
        )),
        Ok(_) => match std::os::unix::net::UnixStream::connect(path) {
            Ok(_) => Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("cannot bind the Unix socket {shown}: another server is listening on it"),
            )),
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => match std::fs::remove_file(path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(io::Error::new(e.kind(), format!("cannot remove the stale Unix socket {shown}: {e}"))),
            },
            Err(e) => Err(io::Error::new(
                e.kind(),
                format!("cannot bind the Unix socket {shown}: cannot tell whether it is in use: {e}"),
            )),
        },
    }
}

/// The sockets passed by a service manager (systemd socket activation, `LISTEN_FDS` and
/// `LISTEN_PID`, descriptors from 3; or systemfd), each a TCP or a Unix stream listener. `None`
/// when none were passed to this process; the variables are removed, so that a child process
/// does not take them for its own.
#[cfg(unix)]
pub(crate) fn inherited() -> io::Result<Option<Vec<Bound>>> {
    let mut fds = listenfd::ListenFd::from_env();
    if fds.len() == 0 {
        return Ok(None);
    }
    let mut bound = Vec::with_capacity(fds.len());
    for i in 0..fds.len() {
        let taken = match fds.take_tcp_listener(i) {
            Ok(tcp) => tcp.map(Bound::tcp),
            Err(_) => match fds.take_unix_listener(i) {
                Ok(unix) => unix.map(Bound::unix),
                Err(e) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("inherited socket {i} (descriptor {}): not a TCP or Unix stream socket: {e}", i + 3),
                    ));
                }
            },
        };
        if let Some(listener) = taken {
            bound.push(listener?);
        }
    }
    Ok(Some(bound))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("waymark-listen-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_path_that_is_not_a_socket_is_refused_and_kept() {
        let dir = scratch("file");
        let path = dir.join("app.sock");
        std::fs::write(&path, "precious").unwrap();
        let e = bind_unix(&path, 0o600).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert!(e.to_string().contains("exists and is not a socket"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "precious");
        // Nor is a directory.
        let sub = dir.join("sub");
        std::fs::create_dir(&sub).unwrap();
        assert_eq!(bind_unix(&sub, 0o600).unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        assert!(sub.is_dir());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_stale_socket_is_replaced_a_live_one_refused() {
        use std::os::unix::fs::{FileTypeExt, PermissionsExt};
        let dir = scratch("stale");
        let path = dir.join("app.sock");
        // A socket file whose listener is gone: connecting is refused.
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        assert!(std::fs::symlink_metadata(&path).unwrap().file_type().is_socket());
        let live = bind_unix(&path, 0o640).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        // Listening now: a second server is refused, and the first keeps its file.
        let e = bind_unix(&path, 0o640).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AddrInUse, "{e}");
        assert!(path.exists());
        // Closing the last listener removes the file; a duplicate holds it open until then.
        let twin = live.another().unwrap();
        drop(live);
        assert!(path.exists());
        drop(twin);
        assert!(!path.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_replaced_file_is_not_removed() {
        let dir = scratch("replaced");
        let path = dir.join("app.sock");
        let bound = bind_unix(&path, 0o600).unwrap();
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, "someone else's").unwrap();
        drop(bound);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "someone else's");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
