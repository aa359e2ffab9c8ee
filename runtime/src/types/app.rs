use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::{Request, Response};

/// An application the server can run: implemented by every type `routes!` generates.
///
/// `handle` answers one request. The future borrows the application and the request, so the
/// server can reuse the request's buffers for the next request on the connection.
///
/// ```
/// use waymark_runtime::{App, Request, Response};
///
/// struct Hello;
///
/// impl App for Hello {
///     fn handle<'a>(&'a self, _req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
///         async { Response::text("hello") }
///     }
/// }
/// ```
pub trait App: Send + Sync + 'static {
    /// Answers one request.
    fn handle<'a>(&'a self, req: &'a Request) -> impl Future<Output = Response> + Send + 'a;
}

/// A shared application: one value serves several servers, e.g. an HTTPS port and a plain one.
///
/// ```no_run
/// # async fn run(app: impl waymark_runtime::App) -> std::io::Result<()> {
/// use std::sync::Arc;
/// use waymark_runtime::Server;
///
/// let app = Arc::new(app);
/// let a = Server::bind("127.0.0.1:8080").await?.serve(Arc::clone(&app));
/// let b = Server::bind("127.0.0.1:8081").await?.serve(app);
/// tokio::try_join!(a, b)?;
/// # Ok(()) }
/// ```
impl<A: App> App for std::sync::Arc<A> {
    fn handle<'a>(&'a self, req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
        (**self).handle(req)
    }
}

/// The rest of the middleware chain and the handler, handed to a `wrap` middleware.
///
/// Await [`Next::run`] to call the inner layers; drop it to short-circuit with a response of
/// your own. The inner future is pinned on the caller's stack: nothing is boxed per request.
///
/// ```
/// use waymark_runtime::{header, Next, Request, Response, StatusCode};
///
/// async fn require_token(req: &Request, next: Next<'_>) -> Response {
///     if req.header("authorization") != Some("Bearer secret") {
///         return Response::text("missing token").with_status(StatusCode::UNAUTHORIZED);
///     }
///     let mut res = next.run().await;
///     res.insert_header(header::HeaderName::from_static("x-checked"), header::HeaderValue::from_static("yes"));
///     res
/// }
/// ```
pub struct Next<'a> {
    inner: Pin<&'a mut (dyn Future<Output = Response> + Send + 'a)>,
}

impl<'a> Next<'a> {
    #[doc(hidden)]
    pub fn new(inner: Pin<&'a mut (dyn Future<Output = Response> + Send + 'a)>) -> Self {
        Self { inner }
    }

    /// Runs the inner middleware and the handler and returns their response.
    pub async fn run(self) -> Response {
        self.inner.await
    }
}

impl fmt::Debug for Next<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Next").finish_non_exhaustive()
    }
}
