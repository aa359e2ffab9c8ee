//! [`Server`], [`ServerBuilder`] and [`serve_connection`]: the server's public face. Each limit
//! and setting documents its default and why; the loop itself is in `accept`, the sockets in
//! `listen`, the per-core mode in `workers`.

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
#[cfg(unix)]
use std::path::{Path, PathBuf};
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
use crate::serve::listen::{self, Bound};
use crate::serve::task::Serve;
use crate::serve::{fds, pressure, workers};
use crate::types::net::IpNet;
use crate::types::peer::Peer;

/// An HTTP/1.1 server bound to a socket, ready to serve an [`App`] (and HTTPS and HTTP/2 with
/// the `tls` and `http2` features).
///
/// Each connection runs as its own task on the tokio runtime; requests on a connection are read,
/// answered and written in order (pipelined requests are answered in one write).
///
/// The ways to listen: [`bind`](Server::bind) a TCP address; take a bound
/// `std::net::TcpListener` ([`from_std`](Server::from_std)); bind a Unix domain socket
/// ([`bind_unix`](Server::bind_unix)); take the sockets systemd passed
/// ([`listen_fds`](Server::listen_fds), socket activation). Each has its builder method, to set
/// limits first. Any of them can be served by one thread per core
/// ([`ServerBuilder::workers`]).
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
    /// One or more (systemd may pass several); one accept loop takes from all of them.
    listeners: Vec<Bound>,
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

    /// Takes a TCP listener bound elsewhere (by a supervisor, a test, or to set socket options of
    /// your own), and makes it non-blocking; see [`ServerBuilder::tcp_listener`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use waymark_runtime::Server;
    ///
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let server = Server::from_std(listener)?;
    /// assert_eq!(server.local_addr(), addr);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// When the socket cannot be made non-blocking.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<Server> {
        Server::builder().tcp_listener(listener)
    }

    /// Binds a Unix domain socket at `path` with file mode `mode`, with the default limits; see
    /// [`ServerBuilder::bind_unix`].
    ///
    /// # Errors
    ///
    /// As for [`ServerBuilder::bind_unix`].
    #[cfg(unix)]
    pub fn bind_unix(path: impl AsRef<Path>, mode: u32) -> io::Result<Server> {
        Server::builder().bind_unix(path, mode)
    }

    /// The sockets systemd passed (socket activation), with the default limits, or `None`; see
    /// [`ServerBuilder::listen_fds`].
    ///
    /// # Errors
    ///
    /// As for [`ServerBuilder::listen_fds`].
    #[cfg(unix)]
    pub fn listen_fds() -> io::Result<Option<Server>> {
        Server::builder().listen_fds()
    }

    /// The TCP address the server listens on (useful after binding port 0): the first TCP socket's,
    /// when it has several. A server on Unix sockets only has none, and says `0.0.0.0:0`; see
    /// [`unix_path`](Self::unix_path).
    pub fn local_addr(&self) -> SocketAddr {
        self.listeners
            .iter()
            .find_map(Bound::local_addr)
            .unwrap_or_else(|| SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)))
    }

    /// The path of the Unix socket the server listens on, if it listens on one with a path: the
    /// first, when it has several.
    #[cfg(unix)]
    pub fn unix_path(&self) -> Option<PathBuf> {
        self.listeners.iter().find_map(Bound::unix_path)
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
        let Server { listeners, mut config, settings, protocols } = self;
        let max_connections = fds::fit_connections(settings.max_connections, settings.fit_connections);
        let slots = pressure::install(&mut config, max_connections);
        let workers = settings.workers;
        let accept = Accept { listeners, config: Arc::new(config), settings, protocols, slots };
        if workers > 0 {
            return Serving(Box::pin(workers::run(accept, workers, app, signal)));
        }
        Serving(Box::pin(accept.run(app, signal)))
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
        let conn = Conn::new(io, Socket::OPAQUE, Peer::Ip(peer), Arc::new(self.config.clone()), never);
        auto::serve(app, conn, self.protocols.plain()).await;
    }

    /// Binds the listening socket. With [`workers`](Self::workers) set, it is bound with
    /// `SO_REUSEPORT`, and each worker binds one more to the same address.
    ///
    /// # Errors
    ///
    /// When the address cannot be resolved or bound (in use, no permission).
    pub async fn bind(self, addr: impl ToSocketAddrs) -> io::Result<Server> {
        #[cfg(unix)]
        if self.settings.workers > 0 {
            let mut last = None;
            for addr in tokio::net::lookup_host(addr).await? {
                match listen::bind_reuse_port(addr) {
                    Ok(listener) => return Ok(self.serving_on(vec![Bound::Tcp { listener, reuse_port: true }])),
                    Err(e) => last = Some(e),
                }
            }
            return Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to bind")));
        }
        let listener = TcpListener::bind(addr).await?.into_std()?;
        Ok(self.serving_on(vec![Bound::Tcp { listener, reuse_port: false }]))
    }

    /// Serves on a TCP listener bound elsewhere, made non-blocking here: one from a supervisor
    /// that binds before dropping privileges, from a test, or with socket options of your own.
    /// Unlike [`bind`](Self::bind), it needs no runtime.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::time::Duration;
    /// use waymark_runtime::Server;
    ///
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let server = Server::builder().keep_alive_timeout(Duration::from_secs(5)).tcp_listener(listener)?;
    /// # let _ = server; Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// When the socket cannot be made non-blocking.
    pub fn tcp_listener(self, listener: std::net::TcpListener) -> io::Result<Server> {
        Ok(self.serving_on(vec![Bound::tcp(listener)?]))
    }

    /// Serves on a Unix domain socket bound elsewhere, made non-blocking here. Its file is yours:
    /// the server does not remove it.
    ///
    /// # Errors
    ///
    /// When the socket cannot be made non-blocking.
    #[cfg(unix)]
    pub fn unix_listener(self, listener: std::os::unix::net::UnixListener) -> io::Result<Server> {
        Ok(self.serving_on(vec![Bound::unix(listener)?]))
    }

    /// Binds a Unix domain socket at `path`, with file mode `mode` (`0o660`: the server's user and
    /// group; `0o666`: every local user). The mode is set before the socket listens, so no client
    /// connects through a looser one. HTTP/1.1, and h2c with the `http2` feature, are served over
    /// it; TLS, when set, is for TCP sockets only.
    ///
    /// A path that exists already:
    /// - a socket that refuses a connection (left by a server that died) is replaced;
    /// - a socket that accepts one (a server is running) is refused, with `AddrInUse`;
    /// - anything else (a file, a directory, a symbolic link) is refused, with `AlreadyExists`,
    ///   and left as it is: the server never deletes what is not a socket.
    ///
    /// When the server stops accepting (graceful shutdown), it removes the file, unless another
    /// file has replaced it meanwhile; the requests in flight finish over the open connections.
    /// A process that is killed leaves the file, which the next start replaces (first rule).
    ///
    /// Requests tell the peer process's credentials
    /// ([`Request::peer_credentials`](crate::Request::peer_credentials)); they have no
    /// [`peer_addr`](crate::Request::peer_addr), and [`client_addr`](crate::Request::client_addr)
    /// believes the peer's `X-Forwarded-For` and `Forwarded`, as from a trusted proxy (nginx in
    /// front, over the socket: [the rule](crate::forwarded#over-a-unix-domain-socket)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use tokio::io::{AsyncReadExt, AsyncWriteExt};
    /// use waymark_runtime::{App, Request, Response, Server};
    ///
    /// struct Whoami;
    ///
    /// impl App for Whoami {
    ///     fn handle<'a>(&'a self, req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    ///         async move { Response::text(format!("uid {:?}", req.peer_credentials().map(|c| c.uid()))) }
    ///     }
    /// }
    ///
    /// let path = std::env::temp_dir().join(format!("waymark-doc-{}.sock", std::process::id()));
    /// let server = Server::builder().bind_unix(&path, 0o660)?;
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// let serving = tokio::spawn(server.serve_with_shutdown(Whoami, async { stopped.await.ok(); }));
    ///
    /// let mut client = tokio::net::UnixStream::connect(&path).await?;
    /// client.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await?;
    /// let mut response = String::new();
    /// client.read_to_string(&mut response).await?;
    /// // This process connected: the kernel says it runs as the socket file's owner.
    /// let uid = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&path)?);
    /// assert!(response.starts_with("HTTP/1.1 200 OK\r\n"));
    /// assert!(response.ends_with(&format!("uid Some({uid})")), "{response}");
    ///
    /// stop.send(()).ok();
    /// serving.await.unwrap()?;
    /// assert!(!path.exists(), "shutdown removes the socket file");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// By the rule above; or when the directory is missing or not writable, or the path is too
    /// long for a socket address (about 100 bytes).
    #[cfg(unix)]
    pub fn bind_unix(self, path: impl AsRef<Path>, mode: u32) -> io::Result<Server> {
        Ok(self.serving_on(vec![listen::bind_unix(path.as_ref(), mode)?]))
    }

    /// The sockets a service manager passed to this process (systemd socket activation:
    /// `LISTEN_FDS` descriptors from 3, for the process `LISTEN_PID`), TCP or Unix stream
    /// listeners, all served by one server. `None` when none were passed, or when `LISTEN_PID`
    /// names another process (the variables were meant for a parent); then bind as usual. An
    /// unset `LISTEN_PID` is accepted, as systemfd (`systemfd --no-pid -s http::3000 -- cargo
    /// watch -x run`) passes sockets through cargo-watch. The variables are removed once read, so
    /// call it once, early, before starting threads that read the environment.
    ///
    /// An inherited socket survives the process: systemd holds it while the service restarts, so
    /// connections wait in its backlog instead of being refused, and a Unix socket's file stays
    /// (systemd removes it). A service unit pairs with a socket unit:
    ///
    /// ```text
    /// # app.socket                          # app.service
    /// [Socket]                              [Service]
    /// ListenStream=127.0.0.1:8080           ExecStart=/usr/local/bin/app
    /// ListenStream=/run/app.sock            # started on the first connection, or at boot with
    /// SocketMode=0660                       # WantedBy= in the socket unit's [Install]
    /// ```
    ///
    /// Try it without a unit: `systemd-socket-activate -l 127.0.0.1:8080 -l /tmp/app.sock ./app`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use waymark_runtime::Server;
    ///
    /// let server = match Server::builder().listen_fds()? {
    ///     Some(server) => server,
    ///     None => Server::bind("127.0.0.1:0").await?,
    /// };
    /// # let _ = server; Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// When a passed descriptor is not a TCP or Unix stream socket, or cannot be made
    /// non-blocking.
    #[cfg(unix)]
    pub fn listen_fds(self) -> io::Result<Option<Server>> {
        Ok(listen::inherited()?.map(|listeners| self.serving_on(listeners)))
    }

    /// Serves with `n` worker threads, each running its own single-threaded tokio runtime and
    /// its own accept loop (actix-web's model), instead of as tasks on the runtime that awaits the
    /// server; default 0, that runtime. A connection stays on the thread that accepted it: no
    /// work stealing, no wake-up across threads. With [`bind`](Self::bind), each worker has its
    /// own socket bound with `SO_REUSEPORT` and the kernel spreads connections among them; other
    /// sockets (Unix, `std`, inherited) are shared, each worker accepting from the same queue.
    ///
    /// One worker per core is the usual choice (`std::thread::available_parallelism`). The
    /// runtime that awaits the server then only waits for the shutdown signal: a
    /// `current_thread` one does. `tokio::spawn` in a handler runs on the handler's worker, and
    /// `spawn_blocking` on that worker's own blocking pool. [`max_connections`](Self::max_connections)
    /// is for all workers together. Whether it is faster than the default depends on the load;
    /// `bench/per_core.sh` measures both against actix-web.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use tokio::io::{AsyncReadExt, AsyncWriteExt};
    /// use waymark_runtime::{App, Request, Response, Server};
    ///
    /// struct Hello;
    ///
    /// impl App for Hello {
    ///     fn handle<'a>(&'a self, _req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    ///         async { Response::text(std::thread::current().name().unwrap_or("").to_owned()) }
    ///     }
    /// }
    ///
    /// let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    /// let server = Server::builder().workers(cores).bind("127.0.0.1:0").await?;
    /// let addr = server.local_addr();
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// let serving = tokio::spawn(server.serve_with_shutdown(Hello, async { stopped.await.ok(); }));
    ///
    /// let mut client = tokio::net::TcpStream::connect(addr).await?;
    /// client.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await?;
    /// let mut response = String::new();
    /// client.read_to_string(&mut response).await?;
    /// assert!(response.contains("\r\n\r\nwaymark-worker-"), "{response}");
    ///
    /// stop.send(()).ok();
    /// serving.await.unwrap()
    /// # }
    /// ```
    pub fn workers(mut self, n: usize) -> Self {
        self.settings.workers = n;
        self
    }

    /// The server, on these sockets.
    fn serving_on(self, listeners: Vec<Bound>) -> Server {
        let ServerBuilder { config, settings, protocols } = self;
        Server { listeners, config, settings, protocols }
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
