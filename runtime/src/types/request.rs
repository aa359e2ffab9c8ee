use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Version};

use crate::types::feed::Incoming;
use crate::types::net::IpNet;
use crate::types::peer::{Peer, PeerCredentials};
use crate::types::route::{Matched, RouteInfo, TableSlot};

/// An HTTP request as a handler or middleware sees it.
///
/// Header lookup is case-insensitive. Headers are kept as byte ranges in one buffer that the
/// server reuses for every request on a connection, instead of an `http::HeaderMap`, which
/// allocates for every header value: this keeps a small request free of heap allocations.
///
/// ```
/// use waymark_runtime::{Method, Request};
///
/// let req = Request::new(Method::GET, "/users/7?verbose=1").with_header("Accept", "text/plain");
/// assert_eq!(req.path(), "/users/7");
/// assert_eq!(req.query(), Some("verbose=1"));
/// assert_eq!(req.header("accept"), Some("text/plain"));
/// ```
#[derive(Clone)]
pub struct Request {
    method: Method,
    version: Version,
    target: String,
    path_len: usize,
    header_bytes: Vec<u8>,
    headers: Vec<HeaderSpan>,
    body: Bytes,
    /// The body still on the connection, read as the handler asks (see [`crate::incoming`]).
    incoming: Option<Arc<Incoming>>,
    /// The server's body limit, for routes that set none (`None` in-process).
    default_body_limit: Option<u64>,
    /// Who sent it, set once per connection (and once per HTTP/2 stream).
    peer: Option<Peer>,
    /// The server's trusted proxies, for [`Request::client_addr`]; shared by every request of
    /// the server (one reference count per connection or HTTP/2 stream, and none without any).
    trusted: Option<Arc<[IpNet]>>,
    /// The route the table's dispatcher matched, for middleware, handlers, logs and metrics.
    route: Matched,
}

#[derive(Clone, Copy)]
struct HeaderSpan {
    name_end: u32,
    value_end: u32,
    start: u32,
}

impl Request {
    /// A request with no headers and an empty body, as a test or an in-process caller builds it.
    pub fn new(method: Method, target: &str) -> Self {
        let mut req = Self::empty();
        req.method = method;
        req.set_target(target);
        req
    }

    pub(crate) fn empty() -> Self {
        Self {
            method: Method::GET,
            version: Version::HTTP_11,
            target: String::new(),
            path_len: 0,
            header_bytes: Vec::new(),
            headers: Vec::new(),
            body: Bytes::new(),
            incoming: None,
            default_body_limit: None,
            peer: None,
            trusted: None,
            route: Matched::default(),
        }
    }

    /// Adds a header (builder style).
    #[must_use]
    pub fn with_header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.push_header(name.as_bytes(), value.as_ref());
        self
    }

    /// Sets the body (builder style).
    #[must_use]
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the peer address (builder style).
    #[must_use]
    pub fn with_peer_addr(mut self, peer: SocketAddr) -> Self {
        self.peer = Some(Peer::Ip(peer));
        self
    }

    /// Sets the peer to a process on a Unix domain socket with these credentials (builder style).
    #[must_use]
    pub fn with_peer_credentials(mut self, credentials: PeerCredentials) -> Self {
        self.peer = Some(Peer::Unix(Some(credentials)));
        self
    }

    /// Replaces the request target, path and query (builder style).
    #[must_use]
    pub fn with_target(mut self, target: &str) -> Self {
        self.set_target(target);
        self
    }

    /// Sets the HTTP version (builder style).
    #[must_use]
    pub fn with_version(mut self, version: Version) -> Self {
        self.version = version;
        self
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The HTTP version of the request line.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The request target as sent: path and query.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The path part of the target, still percent-encoded.
    pub fn path(&self) -> &str {
        &self.target[..self.path_len]
    }

    /// The raw query string after `?`, if the target has one.
    pub fn query(&self) -> Option<&str> {
        self.target.get(self.path_len + 1..)
    }

    /// The first value of a header, looked up case-insensitively; `None` if it is absent or not
    /// valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_bytes(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The first value of a header as bytes, looked up case-insensitively.
    pub fn header_bytes(&self, name: &str) -> Option<&[u8]> {
        self.headers().find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes())).map(|(_, v)| v)
    }

    /// Every header in the order received, as `(name, value)` byte slices.
    pub fn headers(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.headers.iter().map(|h| {
            let (start, name_end, value_end) = (h.start as usize, h.name_end as usize, h.value_end as usize);
            (&self.header_bytes[start..name_end], &self.header_bytes[name_end..value_end])
        })
    }

    /// The request body when it was read ahead: in-process requests, and bodies that had already
    /// arrived with the head. The server reads other bodies only when a route asks for them
    /// (`body: T`, or [`BodyStream`](crate::incoming::BodyStream)); then this is empty.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    pub(crate) fn incoming(&self) -> Option<&Incoming> {
        self.incoming.as_deref()
    }

    pub(crate) fn default_body_limit(&self) -> Option<u64> {
        self.default_body_limit
    }

    pub(crate) fn set_default_body_limit(&mut self, limit: u64) {
        self.default_body_limit = Some(limit);
    }

    /// Gives the request a body that is still on the connection.
    #[cfg(test)]
    #[must_use]
    pub(crate) fn with_incoming(mut self, incoming: Incoming) -> Self {
        self.incoming = Some(Arc::new(incoming));
        self
    }

    pub(crate) fn set_incoming(&mut self, incoming: Option<Incoming>) {
        self.incoming = incoming.map(Arc::new);
    }

    pub(crate) fn set_trusted_proxies(&mut self, trusted: Option<Arc<[IpNet]>>) {
        self.trusted = trusted;
    }

    /// The server's trusted proxies; empty when there are none, or no server.
    pub(crate) fn trusted_proxies(&self) -> &[IpNet] {
        self.trusted.as_deref().unwrap_or(&[])
    }

    /// The address of the client, when the request came over a TCP socket; `None` over a Unix
    /// domain socket (see [`peer_credentials`](Self::peer_credentials)) and in-process.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        match self.peer {
            Some(Peer::Ip(addr)) => Some(addr),
            _ => None,
        }
    }

    /// The credentials (user, group, process) of the process that sent the request, when it came
    /// over a Unix domain socket ([`ServerBuilder::bind_unix`](crate::ServerBuilder::bind_unix)):
    /// the kernel's word, not the client's. `None` over TCP and in-process.
    ///
    /// ```
    /// use waymark_runtime::{App, Request, Response, StatusCode};
    ///
    /// /// Only processes running as root or as this server's user may call it.
    /// struct LocalAdmin;
    ///
    /// impl App for LocalAdmin {
    ///     fn handle<'a>(&'a self, req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    ///         async move {
    ///             match req.peer_credentials() {
    ///                 Some(peer) if peer.uid() == 0 || peer.uid() == 1000 => Response::text("welcome"),
    ///                 _ => Response::status_only(StatusCode::FORBIDDEN),
    ///             }
    ///         }
    ///     }
    /// }
    /// ```
    pub fn peer_credentials(&self) -> Option<PeerCredentials> {
        match self.peer {
            Some(Peer::Unix(credentials)) => credentials,
            _ => None,
        }
    }

    /// Who is at the other end of the connection, for the bridges that carry it elsewhere.
    pub(crate) fn peer(&self) -> Option<Peer> {
        self.peer
    }

    /// The route of the table that answers this request, once the table's dispatcher matched
    /// it: in every `wrap` middleware (the outermost included: the table matches before it runs
    /// its middleware), in guards and in handlers. `None` for the answers no route gives: a
    /// `404`, a `405`, the automatic `OPTIONS` answer, or a `400` for a parameter that does not
    /// parse. A `&'static` pointer into the table's `ROUTES`: no allocation.
    ///
    /// ```
    /// use waymark::{routes, Next, Request, Response};
    ///
    /// routes! {
    ///     pub Api;
    ///     wrap log;
    ///     GET "/notes/{id: u64}" => async { "a note" },
    /// }
    ///
    /// async fn log(req: &Request, next: Next<'_>) -> Response {
    ///     let route = req.route().map_or("<no route>", |r| r.template);
    ///     let res = next.run().await;
    ///     println!("{} {route} {}", req.method(), res.status());
    ///     res
    /// }
    /// # let _ = Api::new();
    /// ```
    pub fn route(&self) -> Option<&'static RouteInfo> {
        self.route.get()
    }

    /// The route's position in the `ROUTES` of the table that answers.
    pub(crate) fn route_index(&self) -> Option<usize> {
        self.route.index()
    }

    /// Notes that route `index` of the table with `slot` answers (a table's `ROUTES`).
    #[inline]
    pub(crate) fn set_route(&self, slot: &TableSlot, routes: &'static [RouteInfo], index: usize) {
        if let Some(table) = slot.number(routes) {
            self.route.set(table, index);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.route = Matched::default();
        self.target.clear();
        self.path_len = 0;
        self.header_bytes.clear();
        self.headers.clear();
        self.body = Bytes::new();
        self.incoming = None;
    }

    pub(crate) fn set_method(&mut self, method: Method) {
        self.method = method;
    }

    pub(crate) fn set_version(&mut self, version: Version) {
        self.version = version;
    }

    pub(crate) fn set_peer(&mut self, peer: Peer) {
        self.peer = Some(peer);
    }

    pub(crate) fn set_body(&mut self, body: Bytes) {
        self.body = body;
    }

    pub(crate) fn set_target(&mut self, target: &str) {
        self.set_target_prefixed("", target);
    }

    /// Sets the target to `prefix` followed by `rest` (absolute-form turned into origin-form).
    pub(crate) fn set_target_prefixed(&mut self, prefix: &str, rest: &str) {
        self.target.clear();
        self.target.push_str(prefix);
        self.target.push_str(rest);
        self.path_len = memchr::memchr(b'?', self.target.as_bytes()).unwrap_or(self.target.len());
    }

    /// Releases the buffers kept for reuse, for a connection that has gone idle.
    pub(crate) fn shrink(&mut self) {
        self.clear();
        self.target = String::new();
        self.header_bytes = Vec::new();
        self.headers = Vec::new();
    }

    /// Makes room for `fields` header fields of `bytes` bytes in all, for a caller that knows them
    /// before it pushes them (the HTTP/2 and tower bridge).
    #[cfg(any(feature = "http2", feature = "tower"))]
    pub(crate) fn reserve_headers(&mut self, fields: usize, bytes: usize) {
        self.headers.reserve(fields);
        self.header_bytes.reserve(bytes);
    }

    /// Appends a header; the server only calls it with a head already bounded by its limits, so
    /// offsets fit in `u32`.
    pub(crate) fn push_header(&mut self, name: &[u8], value: &[u8]) {
        let start = self.header_bytes.len();
        self.header_bytes.extend_from_slice(name);
        let name_end = self.header_bytes.len();
        self.header_bytes.extend_from_slice(value);
        let value_end = self.header_bytes.len();
        let fit = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        self.headers.push(HeaderSpan { start: fit(start), name_end: fit(name_end), value_end: fit(value_end) });
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Headers<'a>(&'a Request);
        impl fmt::Debug for Headers<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(self.0.headers().map(|(n, v)| (String::from_utf8_lossy(n), String::from_utf8_lossy(v))))
                    .finish()
            }
        }
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("target", &self.target)
            .field("version", &self.version)
            .field("headers", &Headers(self))
            .field("body_len", &self.body.len())
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_path_and_query() {
        let cases =
            [("/", "/", None), ("/a?", "/a", Some("")), ("/a?x=1&y", "/a", Some("x=1&y")), ("/a/b/", "/a/b/", None)];
        for (target, path, query) in cases {
            let req = Request::new(Method::GET, target);
            assert_eq!((req.path(), req.query()), (path, query), "{target}");
        }
    }

    #[test]
    fn header_lookup_is_case_insensitive_and_first_wins() {
        let req = Request::new(Method::GET, "/")
            .with_header("X-Token", "a")
            .with_header("x-token", "b")
            .with_header("bin", [0xff_u8]);
        assert_eq!(req.header("x-TOKEN"), Some("a"));
        assert_eq!(req.headers().count(), 3);
        assert_eq!(req.header("bin"), None);
        assert_eq!(req.header_bytes("bin"), Some(&[0xff_u8][..]));
        assert_eq!(req.header("missing"), None);
    }

    #[test]
    fn clear_keeps_nothing_of_the_previous_request() {
        let mut req = Request::new(Method::POST, "/x?y").with_header("a", "b").with_body("body");
        req.clear();
        req.set_target("/z");
        assert_eq!((req.path(), req.query(), req.header("a"), req.body().len()), ("/z", None, None, 0));
    }
}
