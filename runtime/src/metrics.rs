//! Per-route request metrics (feature `metrics`): counts by status class and latency histograms,
//! one series per route of the table and one for the requests no route answered, in the
//! text format Prometheus scrapes.
//!
//! Every table has its metrics: `Api::metrics()` gives them, and the table records each request
//! it answers (its own routes and its mounted tables' routes). The series are made when the first
//! request is recorded, one per route of `Api::ROUTES` and one more, and kept in a list indexed
//! by the route's position: recording a request is two array lookups, an atomic add and a
//! histogram update, never a lookup by label. A label's value is the route's method and template
//! (`/notes/{id}`), never the path a client sent, so no request can create a series: a 404 flood
//! or a hostile path is counted in the one series of requests no route answered
//! (`method="_OTHER"`, `route=""`).
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `http_server_requests_total` | counter | `method`, `route`, `status` (`1xx` .. `5xx`) |
//! | `http_server_request_duration_seconds` | histogram | `method`, `route` |
//!
//! The duration runs from the moment the table starts on the request to the moment its response
//! (head and body, as a value) is ready; the time the server then takes to send a streamed body is
//! not in it. The buckets are OpenTelemetry's defaults for `http.server.request.duration`.
//!
//! ```
//! use waymark::routes;
//!
//! routes! {
//!     pub Api;
//!     GET "/notes/{id: u64}" => async { "a note" },
//!     GET "/metrics" => async { Api::metrics().response() },
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let api = Api::new();
//! api.call(waymark::Request::new(waymark::Method::GET, "/notes/7")).await;
//! api.call(waymark::Request::new(waymark::Method::GET, "/../../etc/passwd")).await;
//! let text = Api::metrics().encode();
//! assert!(text.contains(r#"http_server_requests_total{method="GET",route="/notes/{id}",status="2xx"} 1"#));
//! assert!(text.contains(r#"http_server_requests_total{method="_OTHER",route="",status="4xx"} 1"#));
//! assert!(!text.contains("passwd"));
//! # }
//! ```
//!
//! Built on [`prometheus`](https://docs.rs/prometheus), in Prometheus' text format (what
//! `promtool check metrics` and every Prometheus read): [`RouteMetrics::register`] adds the two
//! families to a registry of the application's, beside its own metrics.

use std::sync::OnceLock;
use std::time::Duration;

use http::StatusCode;
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry, TextEncoder,
};

use crate::{Response, RouteInfo};

/// The media type of [`RouteMetrics::encode`]'s text: Prometheus' text format.
pub const CONTENT_TYPE: &str = prometheus::TEXT_FORMAT;

/// OpenTelemetry's default buckets for `http.server.request.duration`, in seconds.
const BUCKETS: [f64; 14] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

/// The request metrics of one table: see the [module](self).
pub struct RouteMetrics {
    routes: &'static [RouteInfo],
    series: OnceLock<Series>,
}

/// The families, and each route's members of them, by route position (the last: no route).
struct Series {
    requests: IntCounterVec,
    duration: HistogramVec,
    by_route: Box<[RouteSeries]>,
}

struct RouteSeries {
    /// By status class: 1xx .. 5xx.
    requests: [IntCounter; 5],
    duration: Histogram,
}

impl RouteMetrics {
    /// For generated code: the metrics of a table with these routes.
    #[doc(hidden)]
    pub const fn new(routes: &'static [RouteInfo]) -> Self {
        Self { routes, series: OnceLock::new() }
    }

    fn series(&self) -> &Series {
        self.series.get_or_init(|| {
            let opts = Opts::new("http_server_requests_total", "HTTP requests answered, by route and status class");
            let duration =
                HistogramOpts::new("http_server_request_duration_seconds", "Time to answer an HTTP request, by route")
                    .buckets(BUCKETS.to_vec());
            // Fixed names, a fixed number of labels, and buckets in order: neither can fail.
            let (Ok(requests), Ok(duration)) = (
                IntCounterVec::new(opts, &["method", "route", "status"]),
                HistogramVec::new(duration, &["method", "route"]),
            ) else {
                unreachable!("the families' names, labels and buckets are valid")
            };
            let labels = self.routes.iter().map(|r| (r.method, r.template)).chain([("_OTHER", "")]);
            let by_route = labels
                .map(|(method, route)| RouteSeries {
                    requests: ["1xx", "2xx", "3xx", "4xx", "5xx"]
                        .map(|status| requests.with_label_values(&[method, route, status])),
                    duration: duration.with_label_values(&[method, route]),
                })
                .collect();
            Series { requests, duration, by_route }
        })
    }

    /// Counts one answered request: the route's position in the table's `ROUTES` (`None`: no
    /// route answered), its status, and how long the table took.
    pub(crate) fn record(&self, route: Option<usize>, status: StatusCode, elapsed: Duration) {
        let series = self.series();
        let last = series.by_route.len() - 1;
        let Some(route) = series.by_route.get(route.unwrap_or(last)) else { return };
        let class = usize::from(status.as_u16() / 100).clamp(1, 5) - 1;
        route.requests[class].inc();
        route.duration.observe(elapsed.as_secs_f64());
    }

    /// Adds the two families to `registry`, beside the application's own metrics; they keep
    /// counting there (a family is shared, not copied).
    ///
    /// # Errors
    /// When `registry` already has a family of the same name (as `prometheus::Registry::register`).
    pub fn register(&self, registry: &Registry) -> prometheus::Result<()> {
        let series = self.series();
        registry.register(Box::new(series.requests.clone()))?;
        registry.register(Box::new(series.duration.clone()))
    }

    /// The metrics in Prometheus' text format ([`CONTENT_TYPE`]).
    pub fn encode(&self) -> String {
        let registry = Registry::new();
        // A new registry has no family of these names.
        let _ = self.register(&registry);
        let mut out = Vec::new();
        // Encoding our own two families into a `Vec` does not fail.
        let _ = TextEncoder::new().encode(&registry.gather(), &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// [`Self::encode`] as a `200` response with the text format's media type, for a `/metrics`
    /// route.
    pub fn response(&self) -> Response {
        Response::new(self.encode())
            .with_header(http::header::CONTENT_TYPE, http::HeaderValue::from_static(CONTENT_TYPE))
    }
}

impl std::fmt::Debug for RouteMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteMetrics").field("routes", &self.routes.len()).finish_non_exhaustive()
    }
}
