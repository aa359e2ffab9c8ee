//! What a table does around every request it answers: the request's span and its closing event
//! (OpenTelemetry's HTTP semantic conventions, through `tracing`), and its metrics with the
//! `metrics` feature. With no subscriber interested and no metrics, it takes no clock reading.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{StatusCode, Version};
use tracing::Span;
use tracing::field::Empty;

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
/// With no subscriber interested and no metrics, `inner` itself, polled through one `match`.
#[inline]
pub fn observe<'a, F>(req: &'a Request, metrics: &'static RouteMetrics, inner: F) -> Observed<'a, F>
where
    F: Future<Output = Response>,
{
    // `enabled!` first: a disabled `info_span!` still evaluates its fields to log them through
    // the `log` crate when tracing's `log` feature is on and no subscriber is set.
    let span = if tracing::enabled!(target: "waymark::request", tracing::Level::INFO) {
        tracing::info_span!(
            target: "waymark::request",
            "request",
            http.request.method = %req.method(),
            http.route = req.route().map(|r| r.template),
            url.path = req.path(),
            client.address = req.client_addr().map(tracing::field::display),
            network.protocol.version = protocol(req.version()),
            http.response.status_code = Empty,
        )
    } else if COUNTING {
        Span::none()
    } else {
        return Observed::Plain { inner };
    };
    let watch = Watch { req, metrics, started: Instant::now(), span, polling: false, done: false };
    Observed::Watched { inner, watch }
}

pin_project_lite::pin_project! {
    /// The table's answer, and when it is watched, inside the request's span, recorded when it
    /// is ready, or, dropped first, with why not.
    #[doc(hidden)]
    #[project = ObservedProj]
    pub enum Observed<'a, F> {
        Plain { #[pin] inner: F },
        Watched { #[pin] inner: F, watch: Watch<'a> },
    }
}

impl<F: Future<Output = Response>> Future for Observed<'_, F> {
    type Output = Response;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        match self.project() {
            ObservedProj::Plain { inner } => inner.poll(cx),
            ObservedProj::Watched { inner, watch } => {
                let polled = {
                    // Entered only when enabled: entering even a disabled span costs a `log` check.
                    let _in = (!watch.span.is_disabled()).then(|| watch.span.enter());
                    // Set while the table runs: a drop that finds it set follows a panic there.
                    watch.polling = true;
                    let polled = inner.poll(cx);
                    watch.polling = false;
                    polled
                };
                if let Poll::Ready(res) = &polled {
                    watch.done(Some(res.status()), None);
                }
                polled
            }
        }
    }
}

/// One watched request on its way: what its end records, from `done` or, if it never comes, from drop.
struct Watch<'a> {
    req: &'a Request,
    metrics: &'static RouteMetrics,
    started: Instant,
    span: Span,
    polling: bool,
    done: bool,
}

impl Watch<'_> {
    /// Records the answer's status, or, with none, `error`: why there is none.
    fn done(&mut self, status: Option<StatusCode>, error: Option<&'static str>) {
        self.done = true;
        let elapsed = self.started.elapsed();
        if let Some(status) = status {
            self.metrics.record(self.req.route_index(), status, elapsed);
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
