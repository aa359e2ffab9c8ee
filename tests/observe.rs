//! The request's span and closing event (OpenTelemetry's HTTP fields, through `tracing`), seen by a
//! capturing subscriber. (The per-route metrics are in tests/metrics.rs: another binary, so that
//! no table runs on another thread without a subscriber while these run.)

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use waymark::{Method, Request, StatusCode, routes};

type Fields = BTreeMap<String, String>;

/// Each request span's fields (with the status recorded later), and each event's with its span's.
#[derive(Clone, Default)]
struct Capture {
    spans: Arc<Mutex<BTreeMap<u64, Fields>>>,
    events: Arc<Mutex<Vec<Fields>>>,
}

struct Visitor<'a>(&'a mut Fields);

impl Visit for Visitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        let mut fields = Fields::new();
        fields.insert("span".into(), attrs.metadata().name().into());
        attrs.record(&mut Visitor(&mut fields));
        self.spans.lock().unwrap().insert(id.into_u64(), fields);
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        if let Some(fields) = self.spans.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut Visitor(fields));
        }
    }
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::new();
        if let Some(span) = ctx.event_span(event) {
            fields.extend(self.spans.lock().unwrap().get(&span.id().into_u64()).cloned().unwrap_or_default());
        }
        fields.insert("target".into(), event.metadata().target().into());
        event.record(&mut Visitor(&mut fields));
        self.events.lock().unwrap().push(fields);
    }
}

async fn boom() -> &'static str {
    panic!("handler panics")
}

routes! {
    /// The table under test.
    pub Api;
    GET "/notes/{id: u64}" as note => async move { tracing::info!(id, "in the handler"); "a note" },
    GET "/boom" => boom(),
}

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields.get(name).map_or("<absent>", String::as_str)
}

// One test, on one thread: tracing caches each callsite's interest for the whole process, and a
// test running a table on another thread with no subscriber could make it "never" for this one.
#[tokio::test(flavor = "current_thread")]
async fn spans_and_events() {
    one_span_per_request_with_the_http_fields().await;
    a_panic_is_recorded_as_a_500().await;
}

async fn one_span_per_request_with_the_http_fields() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    let api = Api::new();
    let req = Request::new(Method::GET, "/notes/7?x=1").with_peer_addr("192.0.2.9:4000".parse().unwrap());
    assert_eq!(api.call(req).await.status(), StatusCode::OK);
    assert_eq!(api.call(Request::new(Method::GET, "/../etc/passwd")).await.status(), StatusCode::NOT_FOUND);

    let events = capture.events.lock().unwrap().clone();
    let answered: Vec<&Fields> = events.iter().filter(|e| field(e, "message") == "answered").collect();
    assert_eq!(answered.len(), 2, "{events:#?}");
    let ok = answered[0];
    assert_eq!(field(ok, "target"), "waymark::request");
    assert_eq!(field(ok, "span"), "request");
    assert_eq!(field(ok, "http.request.method"), "GET");
    assert_eq!(field(ok, "http.route"), "/notes/{id}");
    assert_eq!(field(ok, "url.path"), "/notes/7");
    assert_eq!(field(ok, "client.address"), "192.0.2.9");
    assert_eq!(field(ok, "network.protocol.version"), "1.1");
    assert_eq!(field(ok, "http.response.status_code"), "200");
    let seconds: f64 = field(ok, "http.server.request.duration").parse().unwrap();
    assert!((0.0..60.0).contains(&seconds), "{seconds}");

    let missing = answered[1];
    assert_eq!(field(missing, "http.route"), "<absent>", "no route: no http.route");
    assert_eq!(field(missing, "http.response.status_code"), "404");

    // The handler's own event is inside the request's span: it carries the route.
    let inner = events.iter().find(|e| field(e, "message") == "in the handler").unwrap();
    assert_eq!((field(inner, "http.route"), field(inner, "id")), ("/notes/{id}", "7"));
}

async fn a_panic_is_recorded_as_a_500() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    let api = Api::new();
    let panicked = tokio::spawn(async move { api.call(Request::new(Method::GET, "/boom")).await }).await;
    assert!(panicked.is_err());
    let events = capture.events.lock().unwrap().clone();
    let answered = events.iter().find(|e| field(e, "message") == "answered").expect("an event for the panic");
    assert_eq!(field(answered, "http.response.status_code"), "500");
    assert_eq!(field(answered, "error.type"), "panic");
    assert_eq!(field(answered, "http.route"), "/boom");
}
