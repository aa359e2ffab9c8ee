//! tower in both directions (feature `tower`).
//!
//! - **A waymark application as a tower service**: [`AppService`] wraps any [`App`] (every
//!   `routes!` table) as a `tower::Service<http::Request<B>>`, so it can sit under tower-http
//!   layers (CORS, compression, tracing) or be nested in an axum router.
//! - **A tower service inside a route**: [`call`] hands a waymark [`Request`] to any
//!   `tower::Service<http::Request<RequestBody>>` (tower-http's `ServeDir`, a service wrapped in
//!   `CompressionLayer`, ...) and turns its answer into a waymark [`Response`].
//!
//! - **A tower layer as a table's middleware**: `wrap tower(LAYER);` in a `routes!` table wraps
//!   [`Inner`] (the rest of the table) in any layer, on waymark's own server, with bodies
//!   streamed ([`WrapBody`], [`HttpBody`]); see the DSL docs and `bridge/layer.rs`.
//!
//! The first two convert between waymark's types and the `http` crate's: headers are copied, and
//! bodies are read whole (within the body size limit, for requests).

use std::convert::Infallible;
use std::fmt;
use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::StatusCode;
use tower_service::Service;

use crate::bridge::convert;
pub use crate::bridge::convert::HttpBody;
pub use crate::bridge::layer::{BoxError, Inner, InnerFuture, WrapBody, WrapLayer};
use crate::proto::config::Config;
use crate::types::peer::Peer;
use crate::{App, Request, Response};

/// The body of the `http::Request` that [`call`] hands to a service: the whole request body.
pub type RequestBody = http_body_util::Full<Bytes>;

/// A waymark [`App`] as a `tower::Service`.
///
/// Requests are answered as the server answers them: the request target, header count and body
/// size are checked against the server's default limits (414, 431, 413), `HEAD` gets no body, and a
/// handler that panics gets a 500. The peer address, when a `SocketAddr` is in the request's
/// extensions, is the request's [`peer_addr`](Request::peer_addr).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use tower_service::Service;
/// use waymark_runtime::tower::AppService;
/// use waymark_runtime::{App, Request, Response};
///
/// struct Hello;
///
/// impl App for Hello {
///     fn handle<'a>(&'a self, _req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
///         async { Response::text("hello") }
///     }
/// }
///
/// let mut svc = AppService::new(Hello);
/// let req = http::Request::get("/").body(String::new()).unwrap();
/// let res = svc.call(req).await.unwrap();
/// assert_eq!(res.status(), 200);
/// assert_eq!(res.headers()["content-length"], "5");
/// # }
/// ```
pub struct AppService<A> {
    app: Arc<A>,
    cfg: Arc<Config>,
}

impl<A: App> AppService<A> {
    /// Wraps an application.
    pub fn new(app: A) -> Self {
        Self::from_arc(Arc::new(app))
    }

    /// Wraps an application that is shared already.
    pub fn from_arc(app: Arc<A>) -> Self {
        Self { app, cfg: Arc::new(Config::default()) }
    }

    /// Largest request body in bytes; default
    /// [`DEFAULT_MAX_BODY_SIZE`](crate::DEFAULT_MAX_BODY_SIZE) (2 MiB). Larger ones get 413.
    #[must_use]
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        Arc::make_mut(&mut self.cfg).max_body_size = bytes;
        self
    }
}

impl<A> Clone for AppService<A> {
    fn clone(&self) -> Self {
        Self { app: Arc::clone(&self.app), cfg: Arc::clone(&self.cfg) }
    }
}

impl<A> fmt::Debug for AppService<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppService").finish_non_exhaustive()
    }
}

impl<A, B> Service<http::Request<B>> for AppService<A>
where
    A: App,
    B: http_body::Body<Data: Send> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = http::Response<HttpBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let app = Arc::clone(&self.app);
        let cfg = Arc::clone(&self.cfg);
        let peer = req.extensions().get::<SocketAddr>().copied().map(Peer::Ip);
        Box::pin(async move { Ok(convert::handle(&*app, req, peer, &cfg).await.0) })
    }
}

/// Answers a request with a tower service: the way a route uses tower-http's `ServeDir`, or any
/// service wrapped in tower layers.
///
/// The request is handed over with its method, target, version, headers, body and (as a
/// `SocketAddr` extension) peer address. The service's response body is read whole. A service that
/// is not ready or fails answers 503 or 500; a response body that fails answers 500.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::convert::Infallible;
/// use waymark_runtime::tower::{RequestBody, call};
/// use waymark_runtime::{Method, Request};
///
/// let svc = ::tower::service_fn(|req: http::Request<RequestBody>| async move {
///     Ok::<_, Infallible>(http::Response::new(format!("you asked for {}", req.uri().path())))
/// });
/// let res = call(svc, &Request::new(Method::GET, "/files/a.txt")).await;
/// assert_eq!(res.body_bytes().unwrap(), "you asked for /files/a.txt");
/// # }
/// ```
pub async fn call<S, B>(mut svc: S, req: &Request) -> Response
where
    S: Service<http::Request<RequestBody>, Response = http::Response<B>>,
    S::Error: fmt::Display,
    B: http_body::Body,
    B::Error: fmt::Display,
{
    let request = match convert::from_request(req) {
        Ok(request) => request,
        Err(e) => {
            tracing::debug!(error = %e, "request not representable as http::Request");
            return Response::text("bad request\n").with_status(StatusCode::BAD_REQUEST);
        }
    };
    if let Err(e) = poll_fn(|cx| svc.poll_ready(cx)).await {
        tracing::error!(error = %e, "tower service not ready; answering 503");
        return Response::text("service unavailable\n").with_status(StatusCode::SERVICE_UNAVAILABLE);
    }
    match svc.call(request).await {
        Ok(res) => convert::from_http(res).await,
        Err(e) => {
            tracing::error!(error = %e, "tower service failed; answering 500");
            Response::text("internal server error\n").with_status(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

/// The methods a table answers, for a CORS preflight's `Access-Control-Allow-Methods`: each
/// method of `routes` once, in the order of first appearance, `HEAD` after `GET` (a `GET` route
/// answers `HEAD`), and `OPTIONS` last (the table answers it for every path).
///
/// ```
/// use waymark_runtime::tower::methods;
///
/// waymark::routes! {
///     Api;
///     GET "/notes" => async { "[]" },
///     POST "/notes" => async { "created" },
///     GET "/notes/{id}" => async { "a note" },
/// }
///
/// assert_eq!(methods(Api::ROUTES), ["GET", "HEAD", "POST", "OPTIONS"]);
/// ```
///
/// With tower-http's CORS layer, from the table itself (`Api::ROUTES` lists mounted tables'
/// routes too): `CorsLayer::new().allow_methods(methods(Api::ROUTES))`.
pub fn methods(routes: &[crate::RouteInfo]) -> Vec<http::Method> {
    let mut out: Vec<http::Method> = Vec::new();
    let mut add = |m: http::Method| {
        if !out.contains(&m) {
            out.push(m);
        }
    };
    for route in routes {
        let Ok(method) = http::Method::from_bytes(route.method.as_bytes()) else { continue };
        let get = method == http::Method::GET;
        add(method);
        if get {
            add(http::Method::HEAD);
        }
    }
    add(http::Method::OPTIONS);
    out
}
