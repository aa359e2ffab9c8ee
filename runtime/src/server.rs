//! The accept loop: limits on connections, accept errors, graceful shutdown.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::App;
use crate::config::Config;
use crate::conn::Conn;
use crate::conn::serve_conn;
use crate::io::Socket;
use crate::shutdown::Signal;

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
    #[cfg(feature = "tls")]
    tls: Option<crate::TlsConfig>,
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
        ServerBuilder {
            config: Config::default(),
            #[cfg(feature = "tls")]
            tls: None,
        }
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
    pub fn serve(self, app: impl App) -> Serving<'static> {
        self.serve_with_shutdown(app, std::future::pending())
    }

    /// Serves `app` until `signal` completes, then shuts down gracefully: stops accepting, lets
    /// in-flight requests finish (their responses say `connection: close`) for up to the
    /// [shutdown grace period](ServerBuilder::shutdown_grace), closes idle connections, and returns.
    ///
    /// # Errors
    ///
    /// As for [`Server::serve`].
    pub fn serve_with_shutdown<'a>(self, app: impl App, signal: impl Future<Output = ()> + Send + 'a) -> Serving<'a> {
        self.serving(Arc::new(app), Box::pin(signal))
    }

    /// The server's future, boxed here, not in [`Server::serve`]: that one is generic over the
    /// application, so it is compiled in the application's crate, and so would be all that it
    /// builds (the accept loop's future, its drop code, tokio's code for the connection tasks),
    /// again after every edit of a route (BENCHMARKS.md, build cost).
    fn serving<'a>(self, app: Arc<dyn Serve>, signal: Pin<Box<dyn Future<Output = ()> + Send + 'a>>) -> Serving<'a> {
        Serving(Box::pin(self.accept(app, signal)))
    }

    /// The accept loop, for any application: not generic, so compiled once, in this crate.
    async fn accept(
        self,
        app: Arc<dyn Serve>,
        mut signal: Pin<Box<dyn Future<Output = ()> + Send + '_>>,
    ) -> io::Result<()> {
        #[cfg(feature = "tls")]
        let tls = self.tls;
        let Server { listener, config, .. } = self;
        let config = Arc::new(config);
        let shutdown = Signal::default();
        let slots = Arc::new(Semaphore::new(config.max_connections));
        let mut conns = JoinSet::new();
        let mut errors = AcceptErrors::default();

        loop {
            while conns.try_join_next().is_some() {}
            // Past the connection limit, wait for a slot before accepting (the backlog queues).
            let permit = tokio::select! {
                biased;
                () = signal.as_mut() => break,
                permit = Arc::clone(&slots).acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break,
                },
            };
            let accepted = tokio::select! {
                biased;
                () = signal.as_mut() => break,
                accepted = listener.accept() => accepted,
            };
            match accepted {
                Ok((stream, peer)) => {
                    if errors.failing {
                        errors.recovered(Instant::now());
                    }
                    if config.nodelay {
                        let _ = stream.set_nodelay(true);
                    }
                    limit_unsent(&stream);
                    #[cfg(feature = "tls")]
                    if let Some(tls) = &tls {
                        // The handshake runs in the connection's task: a slow one never holds
                        // up the accept loop.
                        let serve = crate::tls::serve(
                            stream,
                            peer,
                            tls.acceptor(),
                            Arc::clone(&app),
                            Arc::clone(&config),
                            shutdown.subscribe(),
                        );
                        conns.spawn(async move {
                            serve.await;
                            drop(permit);
                        });
                        continue;
                    }
                    let conn = Conn::new(stream, Socket::PLAIN, peer, Arc::clone(&config), shutdown.subscribe());
                    let serve = Arc::clone(&app).tcp(conn);
                    conns.spawn(async move {
                        serve.await;
                        drop(permit);
                    });
                }
                Err(e) if is_per_connection(&e) => {}
                Err(e) => {
                    // EMFILE, ENFILE, ENOBUFS...: retrying at once would spin; pause instead.
                    errors.failed(&e, Instant::now());
                    tokio::select! {
                        biased;
                        () = signal.as_mut() => break,
                        Some(_) = conns.join_next(), if !conns.is_empty() => {}
                        () = tokio::time::sleep(ACCEPT_ERROR_BACKOFF) => {}
                    }
                }
            }
        }

        drop(listener);
        shutdown.send();
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

/// A running server, from [`Server::serve`] or [`Server::serve_with_shutdown`]: a future that
/// completes when the server has shut down.
///
/// A named type rather than `impl Future`, for build time: the compiler recompiles whatever
/// mentions a type defined in a file that changed, and an `async fn`'s future generic over the
/// application, held in `main`'s future, made that include tokio's runtime code for `main` and
/// the whole accept loop, after every edit of the file with the routes (BENCHMARKS.md, build
/// cost). It is boxed once per server.
#[must_use = "a server does nothing unless it is awaited"]
pub struct Serving<'a>(Pin<Box<dyn Future<Output = io::Result<()>> + Send + 'a>>);

impl Future for Serving<'_> {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        self.0.as_mut().poll(cx)
    }
}

impl std::fmt::Debug for Serving<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Serving").finish_non_exhaustive()
    }
}

/// A connection's task, as the accept loop spawns it.
pub(crate) type ConnFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The application as the accept loop holds it: an [`App`] behind a pointer, that turns an
/// accepted connection into its task's future, boxed (one allocation per connection, none per
/// request).
///
/// This is the one boundary between the server and the application's type, and it is there for
/// build time. The accept loop and tokio's task code for a connection are compiled once, in this
/// crate, and so is the HTTP/1.1 connection code for TCP and TLS in unoptimized builds
/// ([`share_connection_code`](crate::conn::share_connection_code)). What is compiled in the application's
/// crate for its table is the request loop ([`Conn::run`]), which creates each handler's future
/// and polls it. Monomorphized for the table, as before, all of it was compiled in the
/// application's crate, and again after every edit of a route, since its types held the
/// handlers' futures (BENCHMARKS.md, build cost, issue 8).
pub(crate) trait Serve: Send + Sync + 'static {
    /// Serves an accepted TCP connection.
    fn tcp(self: Arc<Self>, conn: Conn<TcpStream>) -> ConnFuture;

    /// Serves a TLS connection whose handshake is done; `h2`: ALPN chose HTTP/2.
    #[cfg(feature = "tls")]
    fn tls(self: Arc<Self>, conn: Conn<tokio_rustls::server::TlsStream<TcpStream>>, h2: bool) -> ConnFuture;
}

/// Serves one connection over any byte stream with the default limits, until the client closes
/// it or its keep-alive timeout passes: a TLS stream you terminated yourself, a Unix socket, an
/// in-memory pipe. With the `http2` feature, a client that opens with the HTTP/2 preface is served
/// HTTP/2. See [`ServerBuilder::serve_connection`] to set the limits.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::sync::Arc;
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
/// use waymark_runtime::{App, Request, Response, serve_connection};
///
/// struct Hello;
///
/// impl App for Hello {
///     fn handle<'a>(&'a self, _req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
///         async { Response::text("hello") }
///     }
/// }
///
/// let (mut client, server) = tokio::io::duplex(4096);
/// tokio::spawn(serve_connection(server, ([127, 0, 0, 1], 1).into(), Arc::new(Hello)));
/// client.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.unwrap();
/// let mut response = String::new();
/// client.read_to_string(&mut response).await.unwrap();
/// assert!(response.starts_with("HTTP/1.1 200 OK\r\n"));
/// assert!(response.ends_with("\r\n\r\nhello"));
/// # }
/// ```
pub async fn serve_connection<A, S>(io: S, peer: SocketAddr, app: Arc<A>)
where
    A: App,
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    Server::builder().serve_connection(io, peer, app).await;
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

/// Sets the server's limits, then binds. Each method documents its default and why.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `.bind(addr)`"]
pub struct ServerBuilder {
    config: Config,
    #[cfg(feature = "tls")]
    tls: Option<crate::TlsConfig>,
}

impl ServerBuilder {
    /// Largest request head (request line and headers) in bytes; default
    /// [`DEFAULT_MAX_HEAD_SIZE`](crate::DEFAULT_MAX_HEAD_SIZE) (16 KiB). Larger heads get 431.
    pub fn max_head_size(mut self, bytes: usize) -> Self {
        self.config.max_head_size = bytes.max(64);
        self
    }

    /// Most header fields in a request; default [`DEFAULT_MAX_HEADERS`](crate::DEFAULT_MAX_HEADERS) (100), at most 256. More
    /// get 431.
    pub fn max_headers(mut self, n: usize) -> Self {
        self.config.max_headers = n.clamp(1, crate::parse::MAX_HEADERS_CAP);
        self
    }

    /// Longest request target in bytes; default [`DEFAULT_MAX_TARGET_LEN`](crate::DEFAULT_MAX_TARGET_LEN) (8 KiB). Longer ones
    /// get 414.
    pub fn max_target_len(mut self, bytes: usize) -> Self {
        self.config.max_target_len = bytes;
        self
    }

    /// Largest request body in bytes; default [`DEFAULT_MAX_BODY_SIZE`](crate::DEFAULT_MAX_BODY_SIZE) (2 MiB). Larger ones get
    /// 413 before the body is read.
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.config.max_body_size = bytes;
        self
    }

    /// Time to receive a request head; default [`DEFAULT_HEADER_READ_TIMEOUT`](crate::DEFAULT_HEADER_READ_TIMEOUT) (10 s).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.config.header_read_timeout = timeout;
        self
    }

    /// Time to receive a request body; default [`DEFAULT_BODY_READ_TIMEOUT`](crate::DEFAULT_BODY_READ_TIMEOUT) (30 s).
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.config.body_read_timeout = timeout;
        self
    }

    /// Time to send a response: this much for each write, plus one second per 64 KiB in it;
    /// default [`DEFAULT_SEND_TIMEOUT`](crate::DEFAULT_SEND_TIMEOUT) (30 s). A client that stops
    /// reading loses its connection.
    pub fn send_timeout(mut self, timeout: Duration) -> Self {
        self.config.send_timeout = timeout;
        self
    }

    /// Time an idle keep-alive connection stays open; default [`DEFAULT_KEEP_ALIVE_TIMEOUT`](crate::DEFAULT_KEEP_ALIVE_TIMEOUT) (75 s).
    pub fn keep_alive_timeout(mut self, timeout: Duration) -> Self {
        self.config.keep_alive_timeout = timeout;
        self
    }

    /// Most open connections; default [`DEFAULT_MAX_CONNECTIONS`](crate::DEFAULT_MAX_CONNECTIONS) (10 000). Past it the server
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
    /// [`DEFAULT_SHUTDOWN_GRACE`](crate::DEFAULT_SHUTDOWN_GRACE) (10 s).
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

    /// The reverse proxies whose `X-Forwarded-For` and `Forwarded` headers
    /// [`Request::client_addr`](crate::Request::client_addr) believes: addresses and networks
    /// ([`IpNet`](crate::forwarded::IpNet), parsed from `"10.0.0.0/8"`, `"::1"`, ...). Default
    /// none, loopback included: a peer that is not listed is the client, whatever it sends. List
    /// exactly the proxies in front of the server; each one listed can name any client address.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use waymark_runtime::Server;
    ///
    /// // nginx on this machine, and the load balancers' subnet.
    /// let server = Server::builder()
    ///     .trusted_proxies(["127.0.0.1".parse()?, "10.1.0.0/16".parse()?])
    ///     .bind("0.0.0.0:8080")
    ///     .await?;
    /// # let _ = server; Ok(()) }
    /// ```
    pub fn trusted_proxies(mut self, proxies: impl IntoIterator<Item = crate::forwarded::IpNet>) -> Self {
        let proxies: Arc<[crate::forwarded::IpNet]> = proxies.into_iter().collect();
        self.config.trusted_proxies = (!proxies.is_empty()).then_some(proxies);
        self
    }

    /// Serves HTTPS: every accepted connection first completes a TLS handshake with this
    /// configuration (a [`rustls::ServerConfig`] or a [`TlsConfig`](crate::TlsConfig), which can
    /// be reloaded while the server runs). Feature `tls`.
    ///
    /// ```no_run
    /// # async fn run() -> std::io::Result<()> {
    /// use waymark_runtime::{Server, TlsConfig};
    ///
    /// let server = Server::builder()
    ///     .tls(TlsConfig::from_pem_files("cert.pem", "key.pem")?)
    ///     .bind("0.0.0.0:443")
    ///     .await?;
    /// # let _ = server; Ok(()) }
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: impl Into<crate::TlsConfig>) -> Self {
        self.tls = Some(tls.into());
        self
    }

    /// Time a client gets to complete its TLS handshake; default
    /// [`DEFAULT_TLS_HANDSHAKE_TIMEOUT`](crate::DEFAULT_TLS_HANDSHAKE_TIMEOUT) (10 s). The
    /// handshake runs in the connection's task, so a slow one never delays other accepts.
    /// Feature `tls`.
    #[cfg(feature = "tls")]
    pub fn tls_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.config.tls_handshake_timeout = timeout;
        self
    }

    /// Whether a plain (not TLS) connection that opens with the HTTP/2 preface is served HTTP/2
    /// ("prior knowledge", RFC 9113 §3.3); default `true`. HTTP/1.x clients are unaffected: the
    /// first bytes they send are parsed as usual. Feature `http2`.
    #[cfg(feature = "http2")]
    pub fn http2_prior_knowledge(mut self, enabled: bool) -> Self {
        self.config.h2c = enabled;
        self
    }

    /// Most concurrent streams a client may open on one HTTP/2 connection; default
    /// [`DEFAULT_H2_MAX_CONCURRENT_STREAMS`](crate::DEFAULT_H2_MAX_CONCURRENT_STREAMS) (200). Feature `http2`.
    #[cfg(feature = "http2")]
    pub fn http2_max_concurrent_streams(mut self, n: u32) -> Self {
        self.config.h2_max_concurrent_streams = n.max(1);
        self
    }

    /// Serves one connection over any byte stream with this builder's limits; see
    /// [`serve_connection`].
    pub async fn serve_connection<A, S>(&self, io: S, peer: SocketAddr, app: Arc<A>)
    where
        A: App,
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        // Never signalled: the connection ends when the client closes it or goes idle.
        let never = Signal::default().subscribe();
        serve_conn(app, Conn::new(io, Socket::OPAQUE, peer, Arc::new(self.config.clone()), never)).await;
    }

    /// Binds the listening socket.
    ///
    /// # Errors
    ///
    /// When the address cannot be resolved or bound (in use, no permission).
    pub async fn bind(self, addr: impl ToSocketAddrs) -> io::Result<Server> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        Ok(Server {
            listener,
            local_addr,
            config: self.config,
            #[cfg(feature = "tls")]
            tls: self.tls,
        })
    }
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
