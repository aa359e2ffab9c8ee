//! tower layers as a table's middleware, `wrap tower(LAYER);` (feature `tower`), on waymark's own
//! server: tower-http's CORS, compression, timeout and trace layers and tower's concurrency
//! limit, at the top level, in a scope and in a mounted table; in-process, over HTTP/1.1 on a
//! real socket, and over HTTP/2 with curl.
#![cfg(feature = "tower")]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tower::limit::ConcurrencyLimitLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use waymark::header::{HeaderName, HeaderValue};
use waymark::incoming::BodyStream;
use waymark::{Body, Method, Request, Response, StatusCode, routes};

/// What the handlers and layers record.
#[derive(Default)]
struct Seen {
    /// Requests that reached a handler.
    handled: AtomicUsize,
    /// Handlers running now, and the most that ran at once.
    running: AtomicUsize,
    most: AtomicUsize,
    /// Statuses `TraceLayer` saw, in the mounted table.
    traced: Mutex<Vec<u16>>,
    /// Lets the SSE handler send its second event.
    next_event: Notify,
}

#[derive(Clone, Default)]
struct State(Arc<Seen>);

mod tools {
    use super::*;

    routes! {
        /// A mounted table with its own layer.
        pub Tools(state: State) at "/tools";
        wrap tower(TraceLayer::new_for_http().on_response({
            let seen = state.0.clone();
            move |res: &http::Response<_>, _: Duration, _: &tracing::Span| seen.traced.lock().unwrap().push(res.status().as_u16())
        }));
        GET "/ping" => async { "pong" },
        GET "/teapot" => async { (StatusCode::IM_A_TEAPOT, "short and stout") },
    }
}

routes! {
    Api(state: State);

    wrap tower(CorsLayer::new()
        .allow_origin(HeaderValue::from_static("https://app.example"))
        .allow_methods(waymark::tower::methods(Api::ROUTES)));
    wrap tower(CompressionLayer::new());
    wrap mark;

    GET  "/hello"  => hello(state),
    GET  "/big"    => async { "waymark ".repeat(1000) },
    GET  "/events" => events(state),
    POST "/echo" body: BodyStream => echo(body),

    scope "/slow" {
        wrap tower(TimeoutLayer::with_status_code(StatusCode::GATEWAY_TIMEOUT, Duration::from_millis(100)));
        GET "/{ms: u64}" => sleep(state, ms),
    }
    scope "/one" {
        wrap tower(ConcurrencyLimitLayer::new(1));
        GET "/{ms: u64}" => sleep(state, ms),
    }
    scope "/buffered" {
        // The buffer's worker task calls the inner service: the rest of the table is answered
        // across tasks, through the slot's wakers.
        wrap tower(tower::buffer::BufferLayer::<http::Request<waymark::tower::WrapBody>>::new(8));
        GET "/{ms: u64}" => sleep(state, ms),
    }
    scope "/replaced" {
        // A layer that swaps the request body for its own: the handler could not see it.
        wrap tower(tower::util::MapRequestLayer::new(|req: http::Request<waymark::tower::WrapBody>| {
            req.map(|_| String::from("the layer's body"))
        }));
        GET  "/" => async { "no body to lose" },
        POST "/" body: BodyStream => echo(body),
    }
    scope "/panics" {
        wrap tower(tower::layer::layer_fn(|_inner| tower::service_fn(|req: http::Request<waymark::tower::WrapBody>| async move {
            assert!(req.uri().path().is_empty(), "a layer's own bug");
            Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
        })));
        GET "/" => async { "unreachable" },
    }
    mount tools::Tools = tools::Tools::new(state.clone());
}

/// A native middleware inside the tower layers: its header shows the inner chain ran.
async fn mark(_req: &Request, next: waymark::Next<'_>) -> Response {
    next.run().await.with_header(HeaderName::from_static("x-inner"), HeaderValue::from_static("ran"))
}

async fn hello(state: &State) -> &'static str {
    state.0.handled.fetch_add(1, Ordering::SeqCst);
    "hello"
}

async fn sleep(state: &State, ms: u64) -> String {
    let seen = &state.0;
    seen.handled.fetch_add(1, Ordering::SeqCst);
    let now = seen.running.fetch_add(1, Ordering::SeqCst) + 1;
    seen.most.fetch_max(now, Ordering::SeqCst);
    let _running = Running(seen);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    format!("slept {ms} ms")
}

/// Counts a handler out when it ends or is dropped.
struct Running<'a>(&'a Seen);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn echo(body: BodyStream) -> String {
    match body.collect().await {
        Ok(bytes) => format!("{} bytes", bytes.len()),
        Err(e) => format!("failed: {e}"),
    }
}

/// Two events; the second only once the test has read the first.
async fn events(state: &State) -> Response {
    let (tx, body) = Body::channel(1);
    let seen = Arc::clone(&state.0);
    tokio::spawn(async move {
        let _ = tx.send("data: one\n\n".into()).await;
        seen.next_event.notified().await;
        let _ = tx.send("data: two\n\n".into()).await;
    });
    Response::new(body).with_header(waymark::header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"))
}

fn get(target: &str) -> Request {
    Request::new(Method::GET, target)
}

#[tokio::test]
async fn cors_answers_the_preflight_itself_with_the_tables_methods() {
    let api = Api::new(State::default());
    let preflight = Request::new(Method::OPTIONS, "/hello")
        .with_header("origin", "https://app.example")
        .with_header("access-control-request-method", "POST");
    let res = api.call(preflight).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.header("access-control-allow-origin"), Some("https://app.example"));
    assert_eq!(res.header("access-control-allow-methods"), Some("GET,HEAD,POST,OPTIONS"));
    assert_eq!(res.header("x-inner"), None, "the preflight never reached the table");
    assert_eq!(api.state().0.handled.load(Ordering::SeqCst), 0);

    let res = api.call(get("/hello").with_header("origin", "https://app.example")).await;
    assert_eq!(res.body_bytes().map(|b| &b[..]), Some(&b"hello"[..]));
    assert_eq!(res.header("access-control-allow-origin"), Some("https://app.example"));
    assert_eq!(res.header("x-inner"), Some("ran"));
    assert_eq!(api.state().0.handled.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn compression_applies_to_the_tables_answer() {
    let api = Api::new(State::default());
    let res = api.call(get("/big").with_header("accept-encoding", "gzip")).await;
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    let mut res = res;
    let zipped = res.take_body().collect().await;
    assert!(zipped.len() < 200, "{} bytes", zipped.len());
    let mut text = String::new();
    flate2::read::GzDecoder::new(&zipped[..]).read_to_string(&mut text).unwrap();
    assert_eq!(text, "waymark ".repeat(1000));
    // Without `accept-encoding`, the body comes back as the handler made it.
    let res = api.call(get("/big")).await;
    assert_eq!(res.body_bytes().map(waymark::Bytes::len), Some(8000));
}

#[tokio::test]
async fn a_timeout_in_a_scope_drops_the_handler() {
    let api = Api::new(State::default());
    let res = api.call(get("/slow/10")).await;
    assert_eq!((res.status(), res.body_bytes().map(|b| b.to_vec())), (StatusCode::OK, Some(b"slept 10 ms".to_vec())));
    let res = api.call(get("/slow/5000")).await;
    assert_eq!(res.status(), StatusCode::GATEWAY_TIMEOUT);
    // Dropped: it is no longer running.
    assert_eq!(api.state().0.running.load(Ordering::SeqCst), 0);
    // The other scopes have no timeout.
    assert_eq!(api.call(get("/one/150")).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_concurrency_limit_is_shared_by_every_request() {
    let api = Arc::new(Api::new(State::default()));
    let calls = (0..4).map(|_| {
        let api = Arc::clone(&api);
        tokio::spawn(async move { api.call(get("/one/50")).await.status() })
    });
    for call in calls.collect::<Vec<_>>() {
        assert_eq!(call.await.unwrap(), StatusCode::OK);
    }
    let seen = &api.state().0;
    assert_eq!((seen.handled.load(Ordering::SeqCst), seen.most.load(Ordering::SeqCst)), (4, 1));
    // Another table value has its own limit: the layer is built per value, in `new`.
    let other = Api::new(State::default());
    let (a, b) = tokio::join!(api.call(get("/one/100")), other.call(get("/one/100")));
    assert_eq!((a.status(), b.status()), (StatusCode::OK, StatusCode::OK));
}

#[tokio::test]
async fn a_mounted_tables_layer_sees_its_answers() {
    let api = Api::new(State::default());
    assert_eq!(api.call(get("/tools/ping")).await.body_bytes().map(|b| b.to_vec()), Some(b"pong".to_vec()));
    let res = api.call(get("/tools/teapot").with_header("origin", "https://app.example")).await;
    assert_eq!(res.status(), StatusCode::IM_A_TEAPOT);
    // The outer table's CORS layer runs around the mounted table's trace layer.
    assert_eq!(res.header("access-control-allow-origin"), Some("https://app.example"));
    assert_eq!(*api.state().0.traced.lock().unwrap(), [200, 418]);
    // A 404 of the whole table is not the mounted table's.
    assert_eq!(api.call(get("/nowhere")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(api.state().0.traced.lock().unwrap().len(), 2);
}

/// A running server on a loopback port, stopped when dropped.
struct Server {
    addr: std::net::SocketAddr,
    state: State,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn serve() -> Server {
    let server = waymark::Server::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
    let addr = server.local_addr();
    let state = State::default();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.serve_with_shutdown(Api::new(state.clone()), async {
        let _ = stopped.await;
    }));
    Server { addr, state, stop: Some(stop) }
}

/// Reads from `conn` until `want` has come, or fails after five seconds.
fn read_until(conn: &mut TcpStream, seen: &mut Vec<u8>, want: &str) {
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(seen).contains(want) {
        let n = conn
            .read(&mut buf)
            .unwrap_or_else(|e| panic!("waiting for {want:?}: {e}; got {:?}", String::from_utf8_lossy(seen)));
        assert!(n > 0, "closed before {want:?}: {:?}", String::from_utf8_lossy(seen));
        seen.extend_from_slice(&buf[..n]);
    }
}

#[tokio::test]
async fn a_replaced_request_body_is_a_500_unless_there_was_none() {
    let api = Api::new(State::default());
    let res = api.call(get("/replaced/")).await;
    assert_eq!(res.body_bytes().map(|b| b.to_vec()), Some(b"no body to lose".to_vec()));
    let res = api.call(Request::new(Method::POST, "/replaced/").with_body("hello")).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    // The layers around it saw the 500 as the table's answer.
    assert_eq!(res.header("x-inner"), Some("ran"));
    // A layer that passes the body on: the handler reads it.
    let res = api.call(Request::new(Method::POST, "/echo").with_body("hello")).await;
    assert_eq!(res.body_bytes().map(|b| b.to_vec()), Some(b"5 bytes".to_vec()));
}

#[tokio::test]
async fn a_layer_that_moves_the_inner_call_to_another_task() {
    let api = Api::new(State::default());
    let (a, b) = tokio::join!(api.call(get("/buffered/30")), api.call(get("/buffered/10")));
    assert_eq!(a.header("x-inner"), Some("ran"));
    assert_eq!((a.status(), b.status()), (StatusCode::OK, StatusCode::OK));
    assert_eq!(api.state().0.handled.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_through_compression_arrives_event_by_event_on_a_socket() {
    let running = serve().await;
    let (addr, seen) = (running.addr, Arc::clone(&running.state.0));
    tokio::task::spawn_blocking(move || {
        let mut conn = TcpStream::connect(addr).unwrap();
        conn.write_all(b"GET /events HTTP/1.1\r\nhost: x\r\naccept-encoding: gzip\r\n\r\n").unwrap();
        let mut got = Vec::new();
        read_until(&mut conn, &mut got, "data: one\n\n");
        let head = String::from_utf8_lossy(&got).to_lowercase();
        assert!(head.contains("transfer-encoding: chunked") && !head.contains("content-encoding"), "{head}");
        assert!(!head.contains("data: two"), "{head}");
        seen.next_event.notify_one();
        read_until(&mut conn, &mut got, "data: two\n\n");
        // The connection goes on: a panicking layer, then a request body streamed to the handler.
        conn.write_all(b"GET /panics/ HTTP/1.1\r\nhost: x\r\n\r\n").unwrap();
        read_until(&mut conn, &mut got, "500 Internal Server Error");
        let body = vec![b'x'; 300_000];
        conn.write_all(format!("POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n", body.len()).as_bytes())
            .unwrap();
        conn.write_all(&body).unwrap();
        read_until(&mut conn, &mut got, "300000 bytes");
    })
    .await
    .unwrap();
}

/// curl's arguments for one protocol version, then the request's.
fn with<'a>(version: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
    [version, more].concat()
}

/// curl, or a printed reason to skip.
fn curl() -> bool {
    let found = Command::new("curl").arg("--version").output().is_ok();
    if !found {
        eprintln!("skipped: curl is not installed (scripts/need.sh curl curl)");
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_over_http1_and_http2() {
    if !curl() {
        return;
    }
    let running = serve().await;
    let base = format!("http://{}", running.addr);
    tokio::task::spawn_blocking(move || {
        let run = |args: &[&str]| {
            let out = Command::new("curl").args(["-sS", "--max-time", "5", "-i"]).args(args).output().unwrap();
            assert!(out.status.success(), "curl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8_lossy(&out.stdout).to_lowercase()
        };
        let mut versions = vec![vec![]];
        if cfg!(feature = "http2") {
            versions.push(vec!["--http2-prior-knowledge"]);
        }
        for version in versions {
            let out = run(&with(
                &version,
                &[
                    "-X",
                    "OPTIONS",
                    "-H",
                    "origin: https://app.example",
                    "-H",
                    "access-control-request-method: POST",
                    &format!("{base}/hello"),
                ],
            ));
            assert!(out.contains("access-control-allow-methods: get,head,post,options"), "{out}");
            let out = run(&with(&version, &["--compressed", &format!("{base}/big")]));
            assert!(out.contains("content-encoding: gzip") && out.contains(&"waymark ".repeat(1000)), "{out}");
            let out = run(&with(&version, &[&format!("{base}/slow/2000")]));
            assert!(out.contains(" 504"), "{out}");
            let out = run(&with(&version, &["--data-binary", "hello", &format!("{base}/echo")]));
            assert!(out.contains("5 bytes") && out.contains("x-inner: ran"), "{out}");
            // The first event arrives through the compression layer while the stream is open
            // (the second never comes: curl gives up after a second, exit code 28).
            let out = Command::new("curl")
                .args(["-sS", "-N", "--max-time", "1", "-H", "accept-encoding: gzip"])
                .args(&version)
                .arg(format!("{base}/events"))
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(28), "{}", String::from_utf8_lossy(&out.stderr));
            assert_eq!(String::from_utf8_lossy(&out.stdout), "data: one\n\n");
        }
    })
    .await
    .unwrap();
}
