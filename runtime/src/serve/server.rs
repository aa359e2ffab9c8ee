//! [`Server`], [`ServerBuilder`] and [`serve_connection`]: the server's public face. Each limit
//! and setting documents its default and why; the loop itself is in `accept`.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, ToSocketAddrs};

use crate::App;
use crate::proto::config::Config;
use crate::proto::conn::Conn;
use crate::proto::io::Socket;
use crate::proto::parse::MAX_HEADERS_CAP;
use crate::proto::shutdown::Signal;
use crate::serve::accept::{Accept, Settings};
use crate::serve::auto::{self, Protocols};
use crate::serve::task::Serve;
use crate::types::net::IpNet;

/// An HTTP/1.1 server bound to a socket, ready to serve an [`App`] (and HTTPS and HTTP/2 with
/// the `tls` and `http2` features).
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
    settings: Settings,
    protocols: Protocols,
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
        ServerBuilder::default()
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
        let Server { listener, config, settings, protocols, .. } = self;
        Serving(Box::pin(Accept { listener, config, settings, protocols }.run(app, signal)))
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

/// Sets the server's limits, then binds. Each method documents its default and why.
#[derive(Debug, Clone, Default)]
#[must_use = "a builder does nothing until `.bind(addr)`"]
pub struct ServerBuilder {
    config: Config,
    settings: Settings,
    /// TLS and HTTP/2: what decides how a connection is served (`serve::auto`).
    protocols: Protocols,
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
        self.config.max_headers = n.clamp(1, MAX_HEADERS_CAP);
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

    /// Time to send a response: this much for each write, plus one second per 8 KiB in it, at the
    /// [minimum rate](Self::min_rate);
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

    /// Most open connections; default [`DEFAULT_MAX_CONNECTIONS`](crate::DEFAULT_MAX_CONNECTIONS)
    /// (10 000), fitted within the open-files limit (which the server raises to its hard limit at
    /// start, and logs). A number set here is kept, with a warning if the limit cannot hold it.
    /// Past it, the oldest idle keep-alive connection is closed to make room; with none, the
    /// server stops accepting until a connection closes.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.settings.max_connections = n.max(1);
        self.settings.fit_connections = false;
        self
    }

    /// How the header and keep-alive timeouts shrink as the connections fill up; default
    /// [`Relief::default`](crate::Relief): past 75 % of `max_connections` they shrink in
    /// proportion, to 1 s when every slot is taken, and grow back as connections close. `None`
    /// keeps them fixed.
    ///
    /// ```no_run
    /// # async fn run() -> std::io::Result<()> {
    /// use std::time::Duration;
    /// use waymark_runtime::{Relief, Server};
    ///
    /// let server = Server::builder()
    ///     .relief(Some(Relief { from_percent: 50, floor: Duration::from_millis(500) }))
    ///     .bind("0.0.0.0:8080")
    ///     .await?;
    /// # let _ = server; Ok(()) }
    /// ```
    pub fn relief(mut self, relief: Option<crate::Relief>) -> Self {
        self.config.relief = relief;
        self
    }

    /// The least a request head, a request body and a response must move per second, over each
    /// window; default [`MinRate::default`](crate::MinRate) (500 B/s over 5 s windows, whose
    /// length shrinks under pressure as the timeouts do). [`MinRate::OFF`](crate::MinRate::OFF)
    /// leaves only the deadlines.
    pub fn min_rate(mut self, rate: crate::MinRate) -> Self {
        self.config.min_rate = rate;
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
        self.settings.shutdown_grace = grace;
        self
    }

    /// Whether to set `TCP_NODELAY` on accepted sockets; default `true`. Responses are written in
    /// one batch, so Nagle's algorithm would only add latency.
    pub fn nodelay(mut self, nodelay: bool) -> Self {
        self.settings.nodelay = nodelay;
        self
    }

    /// The reverse proxies whose `X-Forwarded-For` and `Forwarded` headers
    /// [`Request::client_addr`](crate::Request::client_addr) believes: addresses and networks
    /// ([`IpNet`](IpNet), parsed from `"10.0.0.0/8"`, `"::1"`, ...). Default
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
    pub fn trusted_proxies(mut self, proxies: impl IntoIterator<Item = IpNet>) -> Self {
        let proxies: Arc<[IpNet]> = proxies.into_iter().collect();
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
        self.protocols.tls.config = Some(tls.into());
        self
    }

    /// Time a client gets to complete its TLS handshake; default
    /// [`DEFAULT_TLS_HANDSHAKE_TIMEOUT`](crate::DEFAULT_TLS_HANDSHAKE_TIMEOUT) (10 s). The
    /// handshake runs in the connection's task, so a slow one never delays other accepts.
    /// Feature `tls`.
    #[cfg(feature = "tls")]
    pub fn tls_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.protocols.tls.handshake_timeout = timeout;
        self
    }

    /// Whether a plain (not TLS) connection that opens with the HTTP/2 preface is served HTTP/2
    /// ("prior knowledge", RFC 9113 §3.3); default `true`. HTTP/1.x clients are unaffected: the
    /// first bytes they send are parsed as usual. Feature `http2`.
    #[cfg(feature = "http2")]
    pub fn http2_prior_knowledge(mut self, enabled: bool) -> Self {
        self.protocols.h2.prior_knowledge = enabled;
        self
    }

    /// Most concurrent streams a client may open on one HTTP/2 connection; default
    /// [`DEFAULT_H2_MAX_CONCURRENT_STREAMS`](crate::DEFAULT_H2_MAX_CONCURRENT_STREAMS) (200). Feature `http2`.
    #[cfg(feature = "http2")]
    pub fn http2_max_concurrent_streams(mut self, n: u32) -> Self {
        self.protocols.h2.max_concurrent_streams = n.max(1);
        self
    }

    /// Serves one connection over any byte stream with this builder's limits; see
    /// [`serve_connection`](crate::serve_connection).
    pub async fn serve_connection<A, S>(&self, io: S, peer: SocketAddr, app: Arc<A>)
    where
        A: App,
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        // Never signalled: the connection ends when the client closes it or goes idle.
        let never = Signal::default().subscribe();
        let conn = Conn::new(io, Socket::OPAQUE, peer, Arc::new(self.config.clone()), never);
        auto::serve(app, conn, self.protocols.plain()).await;
    }

    /// Binds the listening socket.
    ///
    /// # Errors
    ///
    /// When the address cannot be resolved or bound (in use, no permission).
    pub async fn bind(self, addr: impl ToSocketAddrs) -> io::Result<Server> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let ServerBuilder { config, settings, protocols } = self;
        Ok(Server { listener, local_addr, config, settings, protocols })
    }
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
