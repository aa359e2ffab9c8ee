//! The accept loop: limits on connections, accept errors, graceful shutdown.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::App;
use crate::conn;

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

/// Default limit on a request body: 2 MiB. Enough for JSON APIs and form posts; bodies are read
/// whole into memory before the handler runs, so the limit bounds memory per request. Larger
/// bodies get 413 (RFC 9110 §15.5.14).
pub const DEFAULT_MAX_BODY_SIZE: u64 = 2 * 1024 * 1024;

/// Default time to receive a request head once it has started (and, on a new connection, from
/// accept): 10 s. Long enough for any real client on a slow link; short enough that slow-loris
/// clients cannot hold connections for long. Answered with 408 (RFC 9110 §15.5.9).
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Default time to receive a whole request body after its head: 30 s, about 2 MiB at 70 KB/s.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Default time an idle keep-alive connection is kept open (RFC 9112 §9.3): 75 s (as nginx).
/// Longer than the 60 s idle timeout of common load balancers, so that the proxy, not us, closes
/// first and never sends a request on a connection we are closing.
pub const DEFAULT_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(75);

/// Default limit on open connections: 10 000. Past it the server stops accepting until one
/// closes; the operating system queues the rest in the listen backlog.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// Default time in-flight requests get to finish after a shutdown signal: 10 s.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// How long to stop accepting after an accept error such as `EMFILE` (out of file descriptors),
/// instead of retrying in a busy loop.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(100);

/// The server's limits; see the `DEFAULT_*` constants for each default and why.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) max_head_size: usize,
    pub(crate) max_headers: usize,
    pub(crate) max_target_len: usize,
    pub(crate) max_body_size: u64,
    pub(crate) header_read_timeout: Duration,
    pub(crate) body_read_timeout: Duration,
    pub(crate) keep_alive_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) max_requests_per_connection: Option<u64>,
    pub(crate) shutdown_grace: Duration,
    pub(crate) nodelay: bool,
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
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_requests_per_connection: None,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            nodelay: true,
        }
    }
}

/// An HTTP/1.1 server bound to a socket, ready to serve an [`App`].
///
/// Each connection runs as its own task on the tokio runtime; requests on a connection are read,
/// answered and written in order (pipelined requests are answered in one write).
///
/// ```no_run
/// use waymark_runtime::{App, Request, Response, Server};
///
/// struct Hello;
///
/// impl App for Hello {
///     fn handle<'a>(&'a self, _req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
///         async { Response::text("hello") }
///     }
/// }
///
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     let server = Server::bind("127.0.0.1:8080").await?;
///     println!("listening on http://{}", server.local_addr());
///     server.serve_with_shutdown(Hello, async { tokio::signal::ctrl_c().await.ok(); }).await
/// }
/// ```
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    config: Config,
}

impl Server {
    /// Binds with the default limits.
    ///
    /// # Errors
    ///
    /// When the address cannot be resolved or bound (in use, no permission).
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<Server> {
        Server::builder().bind(addr).await
    }

    /// A builder to change the limits before binding.
    ///
    /// ```no_run
    /// # async fn run() -> std::io::Result<()> {
    /// use std::time::Duration;
    /// use waymark_runtime::Server;
    ///
    /// let server = Server::builder()
    ///     .max_body_size(16 * 1024 * 1024)
    ///     .keep_alive_timeout(Duration::from_secs(5))
    ///     .bind("0.0.0.0:8080")
    ///     .await?;
    /// # let _ = server; Ok(()) }
    /// ```
    pub fn builder() -> ServerBuilder {
        ServerBuilder { config: Config::default() }
    }

    /// The address the server listens on (useful after binding port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves `app` until the process ends.
    ///
    /// # Errors
    ///
    /// None at present: accept errors are logged and retried after a pause instead of ending
    /// the server. The `Result` leaves room for errors that must stop it.
    pub async fn serve(self, app: impl App) -> io::Result<()> {
        self.serve_with_shutdown(app, std::future::pending()).await
    }

    /// Serves `app` until `signal` completes, then shuts down gracefully: stops accepting, lets
    /// in-flight requests finish (their responses say `connection: close`) for up to the
    /// [shutdown grace period](ServerBuilder::shutdown_grace), closes idle connections, and returns.
    ///
    /// # Errors
    ///
    /// As for [`Server::serve`].
    pub async fn serve_with_shutdown(self, app: impl App, signal: impl Future<Output = ()> + Send) -> io::Result<()> {
        let Server { listener, config, .. } = self;
        let app = Arc::new(app);
        let config = Arc::new(config);
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let slots = Arc::new(Semaphore::new(config.max_connections));
        let mut conns = JoinSet::new();
        let mut signal = pin!(signal);

        loop {
            while conns.try_join_next().is_some() {}
            // Past the connection limit, wait for a slot before accepting (the backlog queues).
            let permit = tokio::select! {
                biased;
                () = &mut signal => break,
                permit = Arc::clone(&slots).acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break,
                },
            };
            let accepted = tokio::select! {
                biased;
                () = &mut signal => break,
                accepted = listener.accept() => accepted,
            };
            match accepted {
                Ok((stream, peer)) => {
                    if config.nodelay {
                        let _ = stream.set_nodelay(true);
                    }
                    let conn =
                        conn::Conn::new(stream, peer, Arc::clone(&app), Arc::clone(&config), shutdown_rx.clone());
                    conns.spawn(async move {
                        conn.run().await;
                        drop(permit);
                    });
                }
                Err(e) if is_per_connection(&e) => {}
                Err(e) => {
                    // EMFILE, ENFILE, ENOBUFS...: retrying at once would spin; pause instead.
                    tracing::warn!(error = %e, "accept failed; pausing before the next accept");
                    tokio::select! {
                        biased;
                        () = &mut signal => break,
                        () = tokio::time::sleep(ACCEPT_ERROR_BACKOFF) => {}
                    }
                }
            }
        }

        drop(listener);
        let _ = shutdown_tx.send(true);
        let grace = tokio::time::sleep(config.shutdown_grace);
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

/// Accept errors that concern one incoming connection only: go on accepting at once.
fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionRefused
    )
}

/// Sets the server's limits, then binds. Each method documents its default and why.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `.bind(addr)`"]
pub struct ServerBuilder {
    config: Config,
}

impl ServerBuilder {
    /// Largest request head (request line and headers) in bytes; default
    /// [`DEFAULT_MAX_HEAD_SIZE`] (16 KiB). Larger heads get 431.
    pub fn max_head_size(mut self, bytes: usize) -> Self {
        self.config.max_head_size = bytes.max(64);
        self
    }

    /// Most header fields in a request; default [`DEFAULT_MAX_HEADERS`] (100), at most 256. More
    /// get 431.
    pub fn max_headers(mut self, n: usize) -> Self {
        self.config.max_headers = n.clamp(1, crate::parse::MAX_HEADERS_CAP);
        self
    }

    /// Longest request target in bytes; default [`DEFAULT_MAX_TARGET_LEN`] (8 KiB). Longer ones
    /// get 414.
    pub fn max_target_len(mut self, bytes: usize) -> Self {
        self.config.max_target_len = bytes;
        self
    }

    /// Largest request body in bytes; default [`DEFAULT_MAX_BODY_SIZE`] (2 MiB). Larger ones get
    /// 413 before the body is read.
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.config.max_body_size = bytes;
        self
    }

    /// Time to receive a request head; default [`DEFAULT_HEADER_READ_TIMEOUT`] (10 s).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.config.header_read_timeout = timeout;
        self
    }

    /// Time to receive a request body; default [`DEFAULT_BODY_READ_TIMEOUT`] (30 s).
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.config.body_read_timeout = timeout;
        self
    }

    /// Time an idle keep-alive connection stays open; default [`DEFAULT_KEEP_ALIVE_TIMEOUT`] (75 s).
    pub fn keep_alive_timeout(mut self, timeout: Duration) -> Self {
        self.config.keep_alive_timeout = timeout;
        self
    }

    /// Most open connections; default [`DEFAULT_MAX_CONNECTIONS`] (10 000). Past it the server
    /// stops accepting until a connection closes.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.config.max_connections = n.max(1);
        self
    }

    /// Most requests served on one connection before it is closed (the last response says
    /// `connection: close`); default `None`, no limit. A limit spreads long-lived clients over
    /// the instances behind a load balancer.
    pub fn max_requests_per_connection(mut self, n: Option<u64>) -> Self {
        self.config.max_requests_per_connection = n.map(|n| n.max(1));
        self
    }

    /// Time in-flight requests get to finish after a shutdown signal; default
    /// [`DEFAULT_SHUTDOWN_GRACE`] (10 s).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.config.shutdown_grace = grace;
        self
    }

    /// Whether to set `TCP_NODELAY` on accepted sockets; default `true`. Responses are written in
    /// one batch, so Nagle's algorithm would only add latency.
    pub fn nodelay(mut self, nodelay: bool) -> Self {
        self.config.nodelay = nodelay;
        self
    }

    /// Binds the listening socket.
    ///
    /// # Errors
    ///
    /// When the address cannot be resolved or bound (in use, no permission).
    pub async fn bind(self, addr: impl ToSocketAddrs) -> io::Result<Server> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        Ok(Server { listener, local_addr, config: self.config })
    }
}
