//! Who is at the other end of a connection: an IP address and port (TCP, TLS), or a process on
//! this machine (a Unix domain socket), whose credentials the kernel vouches for.

use std::net::SocketAddr;

/// The peer of a connection, set once when the connection is accepted; a request reads it through
/// [`Request::peer_addr`](crate::Request::peer_addr) and
/// [`Request::peer_credentials`](crate::Request::peer_credentials).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Peer {
    /// A TCP connection (TLS or not): the client's address.
    Ip(SocketAddr),
    /// A Unix domain socket: the connecting process's credentials, when the kernel gave them.
    Unix(Option<PeerCredentials>),
}

/// The credentials of the process at the other end of a Unix domain socket, as the kernel saw
/// them when it connected (`SO_PEERCRED` on Linux): who it ran as, not who it says it is.
///
/// ```
/// use waymark_runtime::{Method, PeerCredentials, Request};
///
/// let req = Request::new(Method::GET, "/").with_peer_credentials(PeerCredentials::new(1000, 1000, Some(4242)));
/// let peer = req.peer_credentials().unwrap();
/// assert_eq!((peer.uid(), peer.gid(), peer.pid()), (1000, 1000, Some(4242)));
/// assert_eq!(req.peer_addr(), None, "a Unix socket has no IP peer");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerCredentials {
    uid: u32,
    gid: u32,
    pid: Option<i32>,
}

impl PeerCredentials {
    /// Credentials with this user, group and process id (for tests and in-process callers).
    pub fn new(uid: u32, gid: u32, pid: Option<i32>) -> Self {
        Self { uid, gid, pid }
    }

    /// The user id the peer process ran as when it connected.
    pub fn uid(&self) -> u32 {
        self.uid
    }

    /// The group id the peer process ran as when it connected.
    pub fn gid(&self) -> u32 {
        self.gid
    }

    /// The peer's process id, where the platform reports it (Linux does).
    pub fn pid(&self) -> Option<i32> {
        self.pid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Unix peer rides in the space of the TCP one: a request (and the connection that
    /// holds it) is no larger for it.
    #[test]
    fn a_peer_is_no_larger_than_an_address() {
        assert_eq!(size_of::<Option<Peer>>(), size_of::<Option<SocketAddr>>());
    }
}
