//! `timeout 5 s` in the table: a route that does not answer in time is stopped and answered with
//! `503` through the `rejection` hook; the timer covers its block's guards but not its block's
//! middleware; a route's own timeout sets the length; the document lists the `503`. On tokio's
//! paused clock (no wall-clock assertion), and once over a socket with curl.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::time::Duration;

use tokio::time::{Instant, sleep};
use waymark::header::{HeaderValue, RETRY_AFTER};
use waymark::test::TestClient;
use waymark::{IntoResponse, Next, Rejection, Request, Response, StatusCode, routes};

/// What the test observes: whether the slow handler was dropped, and the status the outer
/// middleware saw.
#[derive(Default)]
struct Seen {
    dropped: AtomicBool,
    dropped_before_hook: AtomicBool,
    outer_status: AtomicU16,
}

/// Sets `dropped` when the handler holding it is dropped.
struct DropFlag(Arc<Seen>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.dropped.store(true, Ordering::SeqCst);
    }
}

async fn slow(seen: &Arc<Seen>, secs: u64) -> &'static str {
    let _flag = DropFlag(Arc::clone(seen));
    sleep(Duration::from_secs(secs)).await;
    "done"
}

async fn stuck_guard() -> Result<(), StatusCode> {
    std::future::pending().await
}

async fn record(state: &Arc<Seen>, req: &Request, next: Next<'_>) -> Response {
    let _ = req;
    let res = next.run().await;
    state.outer_status.store(res.status().as_u16(), Ordering::SeqCst);
    res
}

async fn answer(rejection: Rejection, seen: &Seen) -> Response {
    if let Rejection::RouteTimeout { .. } = rejection {
        seen.dropped_before_hook.store(seen.dropped.load(Ordering::SeqCst), Ordering::SeqCst);
        return rejection.into_response().with_header(RETRY_AFTER, HeaderValue::from_static("1"));
    }
    rejection.into_response()
}

routes! {
    Api(state: Arc<Seen>);
    GET "/fast" timeout 5 s => async { "fast" },
    GET "/slow" timeout 5 s => slow(state, 60),
    GET "/untimed" => slow(state, 10),
    scope "/scoped" {
        wrap record(state, req, next);
        timeout 2 s;
        GET "/slow" => slow(state, 10),
        GET "/long" timeout 1 min => slow(state, 10),
        scope {
            guard stuck: () = stuck_guard();
            GET "/guarded" => async move { let () = stuck; "never" },
        }
    }
    rejection => answer(rejection, state),
}

fn client() -> (TestClient<Api>, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    (TestClient::new(Api::new(Arc::clone(&seen))), seen)
}

#[tokio::test(start_paused = true)]
async fn a_slow_handler_is_answered_503_at_its_timeout_and_dropped() {
    let (client, seen) = client();
    let start = Instant::now();
    let res = client.get("/slow").send().await;
    res.assert_status(StatusCode::SERVICE_UNAVAILABLE).assert_text("no answer within 5 s");
    res.assert_header("retry-after", "1");
    assert_eq!(start.elapsed(), Duration::from_secs(5), "the answer comes at the timeout, on the paused clock");
    assert!(seen.dropped.load(Ordering::SeqCst), "the handler was dropped");
    assert!(seen.dropped_before_hook.load(Ordering::SeqCst), "it was dropped before the rejection hook ran");
}

#[tokio::test(start_paused = true)]
async fn a_fast_handler_and_an_untimed_one_are_unaffected() {
    let (client, seen) = client();
    let start = Instant::now();
    client.get("/fast").send().await.assert_status(StatusCode::OK).assert_text("fast");
    assert_eq!(start.elapsed(), Duration::ZERO);
    client.get("/untimed").send().await.assert_status(StatusCode::OK).assert_text("done");
    assert_eq!(start.elapsed(), Duration::from_secs(10), "no timeout: the handler runs as long as it takes");
    assert!(seen.dropped.load(Ordering::SeqCst), "dropped at its end, as any handler");
}

#[tokio::test(start_paused = true)]
async fn a_scope_times_its_routes_and_a_routes_own_timeout_sets_the_length() {
    let (client, seen) = client();
    let start = Instant::now();
    client
        .get("/scoped/slow")
        .send()
        .await
        .assert_status(StatusCode::SERVICE_UNAVAILABLE)
        .assert_text("no answer within 2 s");
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert_eq!(
        seen.outer_status.load(Ordering::SeqCst),
        503,
        "the scope's middleware sees the 503: it is outside the timer"
    );

    let start = Instant::now();
    client.get("/scoped/long").send().await.assert_status(StatusCode::OK).assert_text("done");
    assert_eq!(start.elapsed(), Duration::from_secs(10), "the route's 1 min replaces the scope's 2 s");
    assert_eq!(seen.outer_status.load(Ordering::SeqCst), 200);
}

#[tokio::test(start_paused = true)]
async fn the_timer_covers_the_blocks_guards() {
    let (client, _) = client();
    let start = Instant::now();
    client.get("/scoped/guarded").send().await.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(start.elapsed(), Duration::from_secs(2), "a guard that never answers is stopped by its scope's timeout");
}

#[tokio::test]
async fn the_default_answer_is_a_plain_503() {
    routes! {
        Plain;
        GET "/slow" timeout 20 ms => async { sleep(Duration::from_secs(30)).await; "late" },
    }
    let res = TestClient::new(Plain::new()).get("/slow").send().await;
    res.assert_status(StatusCode::SERVICE_UNAVAILABLE)
        .assert_text("no answer within 20 ms")
        .assert_no_header("retry-after");
}

#[test]
fn the_document_lists_the_503_where_a_timeout_applies() {
    let doc = Api::openapi();
    let responses = |path: &str| doc["paths"][path]["get"]["responses"].as_object().unwrap().clone();
    for (path, timeout) in
        [("/slow", "5 s"), ("/scoped/slow", "2 s"), ("/scoped/long", "1 min"), ("/scoped/guarded", "2 s")]
    {
        let description = responses(path)["503"]["description"].as_str().unwrap().to_owned();
        assert!(description.contains(&format!("no answer within {timeout}")), "{path}: {description}");
    }
    assert!(!responses("/untimed").contains_key("503"), "no timeout, no 503");
}

/// Over a real socket, with curl: the 503 arrives, and the connection serves the next request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_gets_the_503_and_the_connection_goes_on() {
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("skipped: curl is not installed (scripts/need.sh: `need curl curl`)");
        return;
    }
    routes! {
        Wire;
        GET "/slow" timeout 200 ms => async { sleep(Duration::from_secs(30)).await; "late" },
        GET "/fast" => async { "fast" },
    }
    let server = waymark::Server::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
    let base = format!("http://{}", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve_with_shutdown(Wire::new(), async {
        let _ = stopped.await;
    }));
    let client = tokio::task::spawn_blocking(move || {
        // Two URLs on one curl run: one connection, reused (curl says so on stderr).
        let out = Command::new("curl")
            .args(["-sS", "-v", "--max-time", "10", "-w", " %{http_code}\n"])
            .args([format!("{base}/slow"), format!("{base}/fast")])
            .output()
            .unwrap();
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{stderr}");
        assert_eq!(stdout, "no answer within 200 ms 503\nfast 200\n");
        assert!(stderr.contains("Re-using existing connection"), "{stderr}");
    });
    tokio::time::timeout(Duration::from_secs(30), client).await.expect("curl finished in time").expect("client");
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), serving).await;
}

/// A route stopped while it reads the body: the `503` goes out, then the connection closes (the
/// rest of the body cannot be framed), as for any body a route leaves unread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_stopped_mid_body_answers_then_closes_the_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    routes! {
        Upload;
        PUT "/up" body: String timeout 200 ms => async move { body.len().to_string() },
    }
    let server = waymark::Server::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
    let addr = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve_with_shutdown(Upload::new(), async {
        let _ = stopped.await;
    }));
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    // Half of the declared body, then nothing.
    tcp.write_all(b"PUT /up HTTP/1.1\r\nhost: t\r\ncontent-length: 10\r\n\r\n12345").await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut out))
        .await
        .expect("the server closes the connection")
        .unwrap();
    let out = String::from_utf8_lossy(&out);
    assert!(out.starts_with("HTTP/1.1 503 Service Unavailable\r\n"), "{out}");
    assert!(out.ends_with("\r\n\r\nno answer within 200 ms"), "{out}");
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), serving).await;
}
