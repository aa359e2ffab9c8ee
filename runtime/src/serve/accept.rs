//! The accept loop: limits on connections, accept errors, graceful shutdown; and what an
//! accepted connection becomes (over TCP, a TLS handshake first when TLS is on). One loop
//! accepts from all of a server's sockets (`listen`); the per-core mode (`workers`) runs one
//! loop per worker thread.

use std::future::Future;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tokio::task::JoinSet;

use crate::proto::config::Config;
use crate::proto::conn::Conn;
use crate::proto::io::Socket;
use crate::proto::pressure::Pressure;
use crate::proto::shutdown::{Shutdown, Signal};
use crate::serve::auto::{ConnFuture, Protocols};
use crate::serve::fds;
use crate::serve::listen::{Accepted, Bound, Listener, poll_accept_any};
use crate::serve::pressure;
use crate::serve::task::Serve;
#[cfg(feature = "tls")]
use crate::serve::tls;
use crate::types::peer::Peer;

/// How long to stop accepting after an accept error such as `EMFILE` (out of file descriptors),
/// instead of retrying in a busy loop. A connection that closes meanwhile frees a descriptor and
/// ends the pause early.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(100);

/// Accept errors are logged at most once per interval: the first at once, then a count. Out of
/// descriptors, the loop would otherwise log ten lines a second for as long as it lasts.
const ACCEPT_ERROR_LOG_INTERVAL: Duration = Duration::from_secs(5);

/// Most bytes of a response that may wait unsent in the kernel (`TCP_NOTSENT_LOWAT`, Linux).
/// Without it, a response of a few hundred KiB fits in the auto-tuned send buffer: the write
/// completes at once, and a client that reads a trickle (slowhttptest's slow-read attack) holds
/// the connection with no timer of ours running. With it, a write waits until the client takes
/// the bytes, so the send timeout applies. 128 KiB keeps a fast link's pipe full.
const MAX_UNSENT: u32 = 128 * 1024;

#[cfg(any(target_os = "linux", target_os = "android"))]
fn limit_unsent(stream: &tokio::net::TcpStream) {
    let _ = socket2::SockRef::from(stream).set_tcp_notsent_lowat(MAX_UNSENT);
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn limit_unsent(_stream: &tokio::net::TcpStream) {}

/// Default limit on open connections: 10 000, or fewer if the open-files limit (raised to its
/// hard limit at start) cannot hold them. Past it the oldest idle keep-alive connection is closed
/// to make room; with none, the server stops accepting until one closes, and the operating system
/// queues the rest in the listen backlog.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// Default time in-flight requests get to finish after a shutdown signal: 10 s.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The accept loop's own settings (the connections' limits are [`Config`]'s).
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) max_connections: usize,
    /// Whether `max_connections` is the default, to be fitted within the open-files limit.
    pub(crate) fit_connections: bool,
    pub(crate) shutdown_grace: Duration,
    pub(crate) nodelay: bool,
    /// Worker threads of the per-core mode; 0 serves on the caller's runtime.
    pub(crate) workers: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            fit_connections: true,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            nodelay: true,
            workers: 0,
        }
    }
}

/// Bound sockets with what their loop needs.
pub(crate) struct Accept {
    pub(crate) listeners: Vec<Bound>,
    pub(crate) config: Arc<Config>,
    pub(crate) settings: Settings,
    pub(crate) protocols: Protocols,
    /// The connection slots and the pressure on them, shared by the loops of the per-core mode
    /// and, through `config`, by every connection.
    pub(crate) slots: Arc<Pressure>,
}

impl Accept {
    /// The accept loop, for any application: not generic, so compiled once, in this crate.
    pub(crate) async fn run(
        self,
        app: Arc<dyn Serve>,
        mut signal: Pin<Box<dyn Future<Output = ()> + Send + '_>>,
    ) -> io::Result<()> {
        let Accept { listeners, config, settings, protocols, slots } = self;
        let listeners = listeners.into_iter().map(Bound::register).collect::<io::Result<Vec<Listener>>>()?;
        let mut next = 0;
        let mut spare = fds::Spare::new();
        let shutdown = Signal::default();
        let mut conns = JoinSet::new();
        let mut errors = AcceptErrors::default();

        loop {
            while conns.try_join_next().is_some() {}
            let accepted = tokio::select! {
                biased;
                () = signal.as_mut() => break,
                accepted = poll_fn(|cx| poll_accept_any(&listeners, &mut next, cx)) => accepted,
            };
            match accepted {
                Ok(accepted) => {
                    // Past the connection limit, the oldest idle connection makes room for this
                    // one, or it waits for a slot (and the backlog queues the next ones).
                    let permit = tokio::select! {
                        biased;
                        () = signal.as_mut() => break,
                        permit = pressure::slot(&slots) => match permit {
                            Ok(permit) => permit,
                            Err(_) => break,
                        },
                    };
                    if errors.failing {
                        errors.recovered(Instant::now());
                    }
                    let serve = match accepted {
                        Accepted::Tcp(stream, peer) => {
                            if settings.nodelay {
                                let _ = stream.set_nodelay(true);
                            }
                            limit_unsent(&stream);
                            connection(&protocols, &app, stream, peer, &config, shutdown.subscribe())
                        }
                        #[cfg(unix)]
                        Accepted::Unix(stream) => {
                            let peer = Peer::Unix(
                                stream.peer_cred().ok().map(|c| crate::PeerCredentials::new(c.uid(), c.gid(), c.pid())),
                            );
                            let conn =
                                Conn::new(stream, Socket::OPAQUE, peer, Arc::clone(&config), shutdown.subscribe());
                            Arc::clone(&app).unix(conn, protocols.plain())
                        }
                    };
                    conns.spawn(async move {
                        serve.await;
                        drop(permit);
                    });
                }
                Err(e) if is_per_connection(&e) => {}
                Err(e) => {
                    // EMFILE, ENFILE, ENOBUFS...: retrying at once would spin; pause instead,
                    // unless the spare descriptor answered the waiting clients.
                    errors.failed(&e, Instant::now());
                    let answered: usize = listeners
                        .iter()
                        .filter_map(|l| match l {
                            Listener::Tcp(tcp) => Some(tcp),
                            #[cfg(unix)]
                            Listener::Unix(..) => None,
                        })
                        .map(|tcp| spare.turn_away(tcp, &e))
                        .sum();
                    if answered > 0 {
                        continue;
                    }
                    tokio::select! {
                        biased;
                        () = signal.as_mut() => break,
                        Some(_) = conns.join_next(), if !conns.is_empty() => {}
                        () = tokio::time::sleep(ACCEPT_ERROR_BACKOFF) => {}
                    }
                }
            }
        }

        // Closes the sockets (and removes the socket files this server created).
        drop(listeners);
        shutdown.send();
        let grace = tokio::time::sleep(settings.shutdown_grace);
        let mut grace = pin!(grace);
        loop {
            tokio::select! {
                () = &mut grace => {
                    tracing::info!(open = conns.len(), "shutdown grace period over; closing remaining connections");
                    conns.shutdown().await;
                    break;
                }
                next = conns.join_next() => if next.is_none() { break },
            }
        }
        Ok(())
    }
}

/// An accepted TCP connection's task: through a TLS handshake first when TLS is on (in the
/// connection's task: a slow handshake never holds up the accept loop).
fn connection(
    protocols: &Protocols,
    app: &Arc<dyn Serve>,
    stream: TcpStream,
    peer: SocketAddr,
    cfg: &Arc<Config>,
    shutdown: Shutdown,
) -> ConnFuture {
    #[cfg(feature = "tls")]
    if let Some(acceptor) = protocols.tls.acceptor() {
        let (app, cfg, timeout) = (Arc::clone(app), Arc::clone(cfg), protocols.tls.handshake_timeout);
        let (on_h1, on_h2) = (protocols.alpn(false), protocols.alpn(true));
        return Box::pin(async move {
            let Some((tls, h2)) = tls::handshake(stream, peer, acceptor, timeout).await else {
                return;
            };
            let conn = Conn::new(tls, tls::SOCKET, Peer::Ip(peer), cfg, shutdown);
            app.tls(conn, if h2 { on_h2 } else { on_h1 }).await;
        });
    }
    let conn = Conn::new(stream, Socket::PLAIN, Peer::Ip(peer), Arc::clone(cfg), shutdown);
    Arc::clone(app).tcp(conn, protocols.plain())
}

/// Rate-limits the log of accept errors to one line per [`ACCEPT_ERROR_LOG_INTERVAL`], each with
/// the number of failures since the line before. Near the limit, accepts fail and succeed in turn
/// as connections close; that too is counted, not logged each time.
#[derive(Debug, Default)]
struct AcceptErrors {
    /// When the last line was logged.
    last_line: Option<Instant>,
    /// Failures since that line.
    unlogged: u64,
    /// Whether an error is yet to be followed by a line saying that accepting works again.
    failing: bool,
}

impl AcceptErrors {
    fn quiet(&self, now: Instant) -> bool {
        self.last_line.is_some_and(|last| now.duration_since(last) < ACCEPT_ERROR_LOG_INTERVAL)
    }

    /// Counts a failed accept; returns whether a line was logged.
    fn failed(&mut self, e: &io::Error, now: Instant) -> bool {
        self.failing = true;
        self.unlogged += 1;
        if self.quiet(now) {
            return false;
        }
        tracing::warn!(
            error = %e,
            failures = self.unlogged,
            "accept failed; pausing accepts, retrying every {ACCEPT_ERROR_BACKOFF:?} (logged at most every {ACCEPT_ERROR_LOG_INTERVAL:?})"
        );
        self.last_line = Some(now);
        self.unlogged = 0;
        true
    }

    /// After a successful accept, while [`failing`](Self::failing): says that accepting works
    /// again, once the interval allows a line; returns whether it did.
    fn recovered(&mut self, now: Instant) -> bool {
        if self.quiet(now) {
            return false;
        }
        tracing::warn!(failures = self.unlogged, "accepting again");
        self.last_line = Some(now);
        self.unlogged = 0;
        self.failing = false;
        true
    }
}

/// Accept errors that concern one incoming connection only: go on accepting at once.
fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionRefused
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Out of descriptors for 12 s with a retry every 100 ms, and a connection accepted now and
    /// then: three lines, not 120, then one when accepting works again.
    #[test]
    fn accept_errors_are_logged_once_per_interval() {
        let emfile = io::Error::from_raw_os_error(24);
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let mut errors = AcceptErrors::default();
        let mut logged = Vec::new();
        for i in 0..120 {
            if i % 7 == 3 && errors.recovered(at(i * 100 + 50)) {
                logged.push(format!("ok {i}"));
            }
            if errors.failed(&emfile, at(i * 100)) {
                logged.push(format!("failed {i}"));
            }
        }
        assert_eq!(logged, ["failed 0", "failed 50", "failed 100"]);
        assert_eq!(errors.unlogged, 19);
        assert!(!errors.recovered(at(12_000)));
        assert!(errors.recovered(at(15_000)));
        assert!(!errors.failing);
        assert_eq!(errors.unlogged, 0);
    }
}
