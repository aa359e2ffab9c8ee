//! Calling the application: a handler is polled inside `catch_unwind`, and a panic becomes a
//! `500` for its request while the connection goes on. Every protocol calls handlers so.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use http::StatusCode;

use crate::{Request, Response};

/// Polls a pinned future inside `catch_unwind`, noting whether it ever returned `Pending`.
pub(crate) struct CatchUnwind<'a, F: ?Sized> {
    pub(crate) inner: Pin<&'a mut F>,
    pub(crate) waited: &'a mut bool,
}

impl<F: Future + ?Sized> Future for CatchUnwind<'_, F> {
    type Output = std::thread::Result<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let inner = this.inner.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => {
                *this.waited = true;
                Poll::Pending
            }
            Ok(Poll::Ready(res)) => Poll::Ready(Ok(res)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

/// The handler's response, or a 500 if it panicked.
#[inline]
pub(crate) fn answer(req: &Request, outcome: std::thread::Result<Response>) -> Response {
    match outcome {
        Ok(res) => res,
        Err(_) => panicked(req),
    }
}

#[cold]
fn panicked(req: &Request) -> Response {
    tracing::error!(method = %req.method(), path = req.path(), "handler panicked; answering 500");
    Response::text("internal server error\n").with_status(StatusCode::INTERNAL_SERVER_ERROR)
}
