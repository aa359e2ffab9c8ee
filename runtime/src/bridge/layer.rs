//! `wrap tower(LAYER);`: a tower `Layer` as a middleware of a `routes!` table, on waymark's own
//! server (feature `tower`).
//!
//! The layer wraps [`Inner`], a `'static` service that stands for the rest of the table (the
//! inner middleware, guards and handler). The layered service is built once per table value
//! (in `Api::new`) and cloned per request, as tower expects: a `ConcurrencyLimitLayer` shares its
//! semaphore among the clones of one service. A request goes through it so:
//!
//! 1. [`run`] copies the request head into an `http::Request<WrapBody>` whose extensions carry a
//!    per-request [`Slot`], and calls the layered service.
//! 2. The layers do their part on the way in and call [`Inner`], which hands the request back
//!    through the slot and waits. A layer that answers itself (a CORS preflight, a timeout, a
//!    full concurrency limit) never calls it, and the rest of the table never runs.
//! 3. [`run`] polls the layered future and, once the request was handed back, the rest of the
//!    table (`next`), which borrows the waymark request as usual. Its response goes back through
//!    the slot to [`Inner`]'s future, and out through the layers.
//!
//! The slot keeps both sides' wakers, so a layer that moves the inner future to another task
//! (a buffer, a spawned timeout) still works. Bodies stream both ways: the request body is
//! [`WrapBody`] (the client's body, read as the layer reads it), and the response body is the
//! table's as an [`HttpBody`], given back untouched (a file still goes out with `sendfile`) when
//! no layer replaced it.

use std::any::Any;
use std::convert::Infallible;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use bytes::{Buf, Bytes};
use http::StatusCode;
use http_body::Frame;
use http_body_util::BodyExt;
use tower_layer::Layer;
use tower_service::Service;

use crate::bridge::convert::{self, HttpBody};
use crate::incoming::{BodyError, BodyStream};
use crate::{Body, Next, Request, Response};

/// The error type a layered service may fail with: any error, answered with a 500.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The service a `wrap tower(LAYER);` layer wraps: the rest of the table (inner middleware,
/// guards, the route's handler).
///
/// It answers `http::Request<B>` for any body type `B`, with an `http::Response<HttpBody>`, and
/// never fails. It does not read the request it gets: the handler reads the waymark request as
/// the client sent it (see [`WrapBody`]). It can only be called on a request that came through
/// `wrap tower(..)`; any other request gets a 500.
///
/// ```
/// use http::header::{HeaderName, HeaderValue};
/// use tower_http::set_header::SetResponseHeaderLayer;
/// use waymark::{Method, Request, routes};
///
/// routes! {
///     Api;
///     // `SetResponseHeaderLayer` wraps `Inner`, the rest of the table.
///     wrap tower(SetResponseHeaderLayer::overriding(
///         HeaderName::from_static("x-frame-options"),
///         HeaderValue::from_static("DENY"),
///     ));
///     GET "/" => async { "hello" },
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let res = Api::new().call(Request::new(Method::GET, "/")).await;
/// assert_eq!(res.header("x-frame-options"), Some("DENY"));
/// assert_eq!(res.body_bytes().map(|b| &b[..]), Some(&b"hello"[..]));
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Inner {
    _private: (),
}

/// The request body a `wrap tower(..)` layer sees: the client's body, read from the connection
/// as the layer reads it.
///
/// A layer that passes the request on with this body unread (CORS, compression of the response,
/// tracing, timeouts, concurrency limits) costs the handler nothing: it reads the body as usual,
/// with its route's limit. A layer that reads some of it, or replaces it with a body of its
/// own (request decompression, a body limit that wraps it), changes what no handler can see: a
/// request that has a body is then answered with a 500 by the rest of the table, which the
/// layers see as the inner response.
pub struct WrapBody {
    source: Option<Result<BodyStream, BodyError>>,
    polled: bool,
}

impl WrapBody {
    fn of(req: &Request) -> Self {
        Self { source: Some(BodyStream::of(req, None)), polled: false }
    }
}

impl fmt::Debug for WrapBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WrapBody").field("polled", &self.polled).finish_non_exhaustive()
    }
}

impl http_body::Body for WrapBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        self.polled = true;
        match &mut self.source {
            None => Poll::Ready(None),
            Some(Ok(stream)) => {
                futures_core::Stream::poll_next(Pin::new(stream), cx).map(|c| c.map(|c| c.map(Frame::data)))
            }
            Some(Err(_)) => Poll::Ready(self.source.take().and_then(Result::err).map(Err)),
        }
    }
}

/// What [`Inner`] got from the layers: the body as [`run`] made it, unread, or something else.
enum Handed {
    Same(WrapBody),
    Changed,
}

/// One request's meeting point between [`run`] (the outer future, which borrows the request)
/// and [`Inner`] (called by the layers, `'static`).
#[derive(Default)]
struct Slot {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    handed: Option<Handed>,
    response: Option<http::Response<HttpBody>>,
    outer: Option<Waker>,
    inner: Option<Waker>,
    /// [`run`] was dropped (a panic, a cancelled connection): nobody will answer.
    outer_gone: bool,
}

impl Slot {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn hand(&self, handed: Handed) {
        let mut state = self.lock();
        state.handed = Some(handed);
        if let Some(w) = state.outer.take() {
            w.wake();
        }
    }

    fn respond(&self, res: http::Response<HttpBody>) {
        let mut state = self.lock();
        state.response = Some(res);
        if let Some(w) = state.inner.take() {
            w.wake();
        }
    }
}

/// The extension that carries the slot through the layers.
#[derive(Clone)]
struct Handle(Arc<Slot>);

/// Marks the slot when [`run`] ends, so that an [`Inner`] future still waiting (on another
/// task) ends too.
struct Gone<'a>(&'a Slot);

impl Drop for Gone<'_> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.outer_gone = true;
        if let Some(w) = state.inner.take() {
            w.wake();
        }
    }
}

impl<B: 'static> Service<http::Request<B>> for Inner {
    type Response = http::Response<HttpBody>;
    type Error = Infallible;
    type Future = InnerFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> InnerFuture {
        let (mut parts, body) = req.into_parts();
        let Some(Handle(slot)) = parts.extensions.remove::<Handle>() else {
            return InnerFuture { slot: None };
        };
        let mut body = Some(body);
        let handed = match (&mut body as &mut dyn Any).downcast_mut::<Option<WrapBody>>().and_then(Option::take) {
            Some(same) if !same.polled => Handed::Same(same),
            _ => Handed::Changed,
        };
        slot.hand(handed);
        InnerFuture { slot: Some(slot) }
    }
}

/// The future of [`Inner`]: the response of the rest of the table.
pub struct InnerFuture {
    slot: Option<Arc<Slot>>,
}

impl fmt::Debug for InnerFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InnerFuture").finish_non_exhaustive()
    }
}

impl Future for InnerFuture {
    type Output = Result<http::Response<HttpBody>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(slot) = &self.slot else {
            tracing::error!("waymark::tower::Inner called on a request that did not come through `wrap tower(..)`");
            return Poll::Ready(Ok(internal_error()));
        };
        let mut state = slot.lock();
        if let Some(res) = state.response.take() {
            return Poll::Ready(Ok(res));
        }
        if state.outer_gone {
            return Poll::Ready(Ok(internal_error()));
        }
        state.inner = Some(cx.waker().clone());
        Poll::Pending
    }
}

fn internal_error() -> http::Response<HttpBody> {
    let mut res = http::Response::new(HttpBody::new(Body::from("internal server error\n")));
    *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    res
}

/// A layered service, type-erased, its response body turned into a waymark [`Body`].
trait Erased: Send {
    fn clone_box(&self) -> Box<dyn Erased>;
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>>;
    fn call(&mut self, req: http::Request<WrapBody>) -> ErasedFuture;
}

type ErasedFuture = Pin<Box<dyn Future<Output = Result<http::Response<Body>, BoxError>> + Send>>;

impl<S, B> Erased for S
where
    S: Service<http::Request<WrapBody>, Response = http::Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data: Send, Error: fmt::Display + Send> + Send + 'static,
{
    fn clone_box(&self) -> Box<dyn Erased> {
        Box::new(self.clone())
    }

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Service::poll_ready(self, cx).map_err(Into::into)
    }

    fn call(&mut self, req: http::Request<WrapBody>) -> ErasedFuture {
        let fut = Service::call(self, req);
        Box::pin(async move {
            let (parts, body) = fut.await.map_err(Into::into)?.into_parts();
            Ok(http::Response::from_parts(parts, into_body(body).await?))
        })
    }
}

/// A layer's response body as a waymark [`Body`]: the table's own body when no layer replaced
/// it; else what the layer's body gives at once, whole when it ends there (a compressed full
/// body); else the rest streamed as it comes, through a task, since a waymark stream is a
/// channel (an event stream through compression).
async fn into_body<B>(body: B) -> Result<Body, BoxError>
where
    B: http_body::Body<Data: Send, Error: fmt::Display + Send> + Send + 'static,
{
    let mut body = Some(body);
    if let Some(own) = (&mut body as &mut dyn Any).downcast_mut::<Option<HttpBody>>().and_then(Option::take) {
        return Ok(own.into_body());
    }
    let Some(body) = body else { return Ok(Body::empty()) };
    let mut body = Box::pin(body);
    let mut ready: Vec<Bytes> = Vec::new();
    let ended = poll_fn(|cx| {
        loop {
            match body.as_mut().poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    if let Ok(mut data) = frame.into_data() {
                        ready.push(data.copy_to_bytes(data.remaining()));
                    }
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(BoxError::from(e.to_string()))),
                Poll::Ready(None) => return Poll::Ready(Ok(true)),
                Poll::Pending => return Poll::Ready(Ok(false)),
            }
        }
    })
    .await?;
    if ended {
        return Ok(match ready.len() {
            0 => Body::empty(),
            1 => Body::Full(ready.swap_remove(0)),
            _ => Body::Full(ready.concat().into()),
        });
    }
    let (tx, out) = Body::channel(1);
    tokio::spawn(async move {
        for chunk in ready {
            if tx.send(chunk).await.is_err() {
                return;
            }
        }
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(frame) => {
                    if let Ok(mut data) = frame.into_data()
                        && tx.send(data.copy_to_bytes(data.remaining())).await.is_err()
                    {
                        return;
                    }
                }
                Err(e) => {
                    // The head is out; dropping the sender ends the body early, and the client
                    // sees a short body (HTTP/1.1: no last chunk).
                    tracing::error!(error = %e, "a tower layer's response body failed");
                    return;
                }
            }
        }
    });
    Ok(out)
}

/// A tower layer that `wrap tower(..)` can use: a [`Layer`] of [`Inner`] whose service answers
/// an `http::Request<WrapBody>` with an `http::Response<B>` (any body), is `Clone + Send`, and
/// fails with an error that converts into [`BoxError`] (answered with a 500), or never.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a tower layer that `wrap tower(..)` can use",
    label = "not a `tower::Layer<waymark::tower::Inner>` with a `Clone + Send` service",
    note = "`wrap tower(LAYER);` takes a tower layer, e.g. `tower_http::cors::CorsLayer::permissive()`; a middleware function goes in `wrap` without `tower(..)`"
)]
pub trait WrapLayer {
    /// Builds the layered service, once.
    #[doc(hidden)]
    fn into_layered(self) -> Layered;
}

impl<L> WrapLayer for L
where
    L: Layer<Inner>,
    L::Service: Erased + 'static,
{
    fn into_layered(self) -> Layered {
        Layered { service: Mutex::new(Box::new(self.layer(Inner::default()))) }
    }
}

/// A layered service built once per table value: each request gets a clone of it.
#[doc(hidden)]
pub struct Layered {
    // Behind a mutex only to be `Sync` (a table is shared between connections): it is locked
    // to clone, never across a call. Many services (`ConcurrencyLimit`) are `Send` only.
    service: Mutex<Box<dyn Erased>>,
}

impl Layered {
    /// The layered service of `layer`.
    pub fn new(layer: impl WrapLayer) -> Self {
        layer.into_layered()
    }
}

impl fmt::Debug for Layered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Layered").finish_non_exhaustive()
    }
}

/// Runs one request through a layered service, with the rest of the table (`next`) as its
/// inner service: the middleware that `wrap tower(LAYER);` expands to.
pub async fn run(layered: &Layered, req: &Request, next: Next<'_>) -> Response {
    let slot = Arc::new(Slot::default());
    let _gone = Gone(&slot);
    let mut request = match convert::to_http(req, WrapBody::of(req)) {
        Ok(request) => request,
        Err(e) => {
            tracing::debug!(error = %e, "request not representable as http::Request");
            return Response::text("bad request\n").with_status(StatusCode::BAD_REQUEST);
        }
    };
    request.extensions_mut().insert(Handle(Arc::clone(&slot)));
    let mut service = layered.service.lock().unwrap_or_else(PoisonError::into_inner).clone_box();
    let mut call = pin!(async move {
        poll_fn(|cx| service.poll_ready(cx)).await?;
        service.call(request).await
    });
    let mut inner = pin!(next.run());
    let mut stage = Stage::Waiting;
    let mut kept: Option<Response> = None;
    let outcome = poll_fn(|cx| {
        loop {
            {
                let mut shared = slot.lock();
                if !shared.outer.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    shared.outer = Some(cx.waker().clone());
                }
            }
            if let Poll::Ready(outcome) = call.as_mut().poll(cx) {
                return Poll::Ready(outcome);
            }
            match stage {
                Stage::Waiting => {
                    let Some(handed) = slot.lock().handed.take() else { return Poll::Pending };
                    match handed {
                        Handed::Same(body) => {
                            if let Some(Ok(stream)) = body.source {
                                stream.give_back(req);
                            }
                            stage = Stage::Running;
                        }
                        Handed::Changed if req.incoming().is_some() || !req.body().is_empty() => {
                            tracing::error!(
                                "a tower layer read or replaced the request body, which the handler cannot see; answering 500 \
                                 (a route's `limit` caps its body; a handler can decode its own body)"
                            );
                            slot.respond(internal_error());
                            stage = Stage::Done;
                        }
                        Handed::Changed => stage = Stage::Running,
                    }
                }
                Stage::Running => {
                    let Poll::Ready(mut res) = inner.as_mut().poll(cx) else { return Poll::Pending };
                    let body = HttpBody::new(res.take_body());
                    slot.respond(convert::head_to_http(&res, body));
                    kept = Some(res);
                    stage = Stage::Done;
                }
                Stage::Done => return Poll::Pending,
            }
        }
    })
    .await;
    match outcome {
        Ok(res) => convert::merge_head(kept, res),
        Err(e) => {
            tracing::error!(error = %e, "tower layer failed; answering 500");
            Response::text("internal server error\n").with_status(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

enum Stage {
    /// The layers have not called [`Inner`] yet.
    Waiting,
    /// The rest of the table runs.
    Running,
    /// Its response (or a refusal) is in the slot.
    Done,
}
