//! What a table does around every request it answers: the request's span and its closing event
//! (OpenTelemetry's HTTP semantic conventions, through `tracing`), and its metrics with the
//! `metrics` feature. With no subscriber interested and no metrics, it takes no clock reading.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{StatusCode, Version};
use tracing::field::Empty;
use tracing::instrument::Instrumented;
use tracing::{Instrument, Span};

use crate::{Request, Response};

#[cfg(feature = "metrics")]
pub use crate::metrics::RouteMetrics;

/// Without the `metrics` feature: nothing is counted.
#[cfg(not(feature = "metrics"))]
#[derive(Debug)]
pub struct RouteMetrics;

#[cfg(not(feature = "metrics"))]
impl RouteMetrics {
    /// For generated code: the metrics of a table with these routes.
    pub const fn new(_routes: &'static [crate::RouteInfo]) -> Self {
        Self
    }

    #[allow(clippy::unused_self, reason = "the same call with or without the feature")]
    fn record(&self, _route: Option<usize>, _status: StatusCode, _elapsed: std::time::Duration) {}
}

/// Whether requests are counted: the clock is read for them even when no span is.
const COUNTING: bool = cfg!(feature = "metrics");

/// `inner`, the table's answer to `req`, inside the request's span, recorded when it is ready.
#[inline]
pub fn observe<'a, F>(req: &'a Request, metrics: &'static RouteMetrics, inner: F) -> Observed<'a, F>
where
    F: Future<Output = Response>,
{
    let span = tracing::info_span!(
        target: "waymark::request",
        "request",
        http.request.method = %req.method(),
        http.route = req.route().map(|r| r.template),
        url.path = req.path(),
        client.address = req.client_addr().map(tracing::field::display),
        network.protocol.version = protocol(req.version()),
        http.response.status_code = Empty,
    );
    let started = (COUNTING || !span.is_disabled()).then(Instant::now);
    let inner = inner.instrument(span.clone());
    Observed { inner, watch: Watch { req, metrics, started, span, polling: false, done: false } }
}

pin_project_lite::pin_project! {
    /// The table's answer inside the request's span; records it when it is ready, or, dropped
    /// first, records why not.
    #[doc(hidden)]
    pub struct Observed<'a, F> {
        #[pin]
        inner: Instrumented<F>,
        watch: Watch<'a>,
    }
}

impl<F: Future<Output = Response>> Future for Observed<'_, F> {
    type Output = Response;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let this = self.project();
        // Set while the table runs: a drop that finds it set follows a panic in that poll.
        this.watch.polling = true;
        let polled = this.inner.poll(cx);
        this.watch.polling = false;
        if let Poll::Ready(res) = &polled {
            this.watch.done(Some(res.status()), None);
        }
        polled
    }
}

/// One request on its way: what its end records, from `done` or, if it never comes, from drop.
struct Watch<'a> {
    req: &'a Request,
    metrics: &'static RouteMetrics,
    started: Option<Instant>,
    span: Span,
    polling: bool,
    done: bool,
}

impl Watch<'_> {
    /// Records the answer's status, or, with none, `error`: why there is none.
    fn done(&mut self, status: Option<StatusCode>, error: Option<&'static str>) {
        self.done = true;
        let Some(started) = self.started else { return };
        let elapsed = started.elapsed();
        if let Some(status) = status {
            self.metrics.record(self.req.matched().map(|(_, index)| index), status, elapsed);
        }
        if !self.span.is_disabled() {
            let status = status.map(|s| s.as_u16());
            self.span.record("http.response.status_code", status);
            let _in = self.span.enter();
            tracing::event!(
                target: "waymark::request",
                tracing::Level::INFO,
                http.response.status_code = status,
                http.server.request.duration = elapsed.as_secs_f64(),
                error.r#type = error,
                "answered",
            );
        }
    }
}

impl Drop for Watch<'_> {
    /// A request that ends without an answer: a panic in the table (the server answers `500`),
    /// or dropped between polls (the connection closed, or a timeout around the table).
    fn drop(&mut self) {
        if !self.done {
            if self.polling {
                self.done(Some(StatusCode::INTERNAL_SERVER_ERROR), Some("panic"));
            } else {
                self.done(None, Some("cancelled"));
            }
        }
    }
}

/// OpenTelemetry's `network.protocol.version`.
fn protocol(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => "1.1",
    }
}
