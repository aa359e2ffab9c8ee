//! Wire-level tests: a real server on 127.0.0.1:0, raw bytes in, responses parsed strictly.
#![allow(
    clippy::large_futures,
    reason = "each test future holds a client and its buffers on the stack; fine in a test"
)]

mod common;

use std::time::Duration;

use common::{Client, bounded, builder, one, start, start_app};
use tokio::time::Instant;
use waymark_runtime::{App, Request, Response};

const GET: &str = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_reuses_the_connection() {
    bounded(10, async {
        let server = start(builder()).await;
        let mut c = Client::connect(server.addr).await;
        for _ in 0..3 {
            c.send(GET).await;
            let r = c.response().await;
            assert_eq!((r.status, r.text()), (200, "hello"));
            assert_eq!(r.header("content-length"), Some("5"));
            assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
            let date = r.header("date").expect("date header");
            assert!(date.ends_with(" GMT") && date.len() == 29, "{date}");
            assert_eq!(r.header("connection"), None);
        }
        assert!(!c.closed_within(100).await);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_requests_are_answered_in_order() {
    bounded(10, async {
        let server = start(builder()).await;
        let mut c = Client::connect(server.addr).await;
        c.send(concat!(
            "GET /missing HTTP/1.1\r\nHost: t\r\n\r\n",
            "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc",
            "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n",
            "HEAD / HTTP/1.1\r\nHost: t\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        ))
        .await;
        assert_eq!(c.response().await.status, 404);
        assert_eq!(c.response().await.body, b"abc");
        assert_eq!(c.response().await.body, b"de");
        let head = c.response_to(true).await;
        assert_eq!((head.status, head.header("content-length")), (200, Some("5")));
        let last = c.response().await;
        assert_eq!((last.text(), last.header("connection")), ("hello", Some("close")));
        assert!(c.closed_within(1000).await);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http10_persistence() {
    bounded(10, async {
        let server = start(builder()).await;
        let (r, mut c) = one(server.addr, "GET / HTTP/1.0\r\n\r\n").await;
        assert_eq!((r.status, r.header("connection")), (200, Some("close")));
        assert!(c.closed_within(1000).await);

        let (r, mut c) = one(server.addr, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").await;
        assert_eq!((r.status, r.header("connection")), (200, Some("keep-alive")));
        c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").await;
        assert_eq!(c.response().await.status, 200);
        assert!(!c.closed_within(100).await);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_close_is_honoured() {
    bounded(10, async {
        let server = start(builder()).await;
        let (r, mut c) = one(server.addr, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").await;
        assert_eq!((r.status, r.header("connection")), (200, Some("close")));
        assert!(c.closed_within(1000).await);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_bodies() {
    bounded(10, async {
        let server = start(builder()).await;
        let mut c = Client::connect(server.addr).await;
        let cases: &[(&str, &[u8])] = &[
            ("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello", b"hello"),
            ("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", b""),
            (
                "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n",
                b"hello world",
            ),
            ("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n", b""),
        ];
        for (raw, want) in cases {
            c.send(raw).await;
            let r = c.response().await;
            assert_eq!((r.status, r.body.as_slice()), (200, *want), "{raw:?}");
        }
        // A body larger than the read buffer, sent in pieces.
        let big = vec![b'z'; 300_000];
        c.send(format!("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n", big.len())).await;
        for part in big.chunks(70_000) {
            c.send(part).await;
        }
        assert_eq!(c.response().await.body, big);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expect_100_continue() {
    bounded(10, async {
        let server = start(builder()).await;
        let mut c = Client::connect(server.addr).await;
        c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n").await;
        let interim = c.response().await;
        assert_eq!(interim.status, 100);
        c.send("data").await;
        let r = c.response().await;
        assert_eq!((r.status, r.body.as_slice()), (200, &b"data"[..]));

        // Chunked, and a body too large is refused without 100 Continue.
        c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n").await;
        assert_eq!(c.response().await.status, 100);
        c.send("3\r\nabc\r\n0\r\n\r\n").await;
        assert_eq!(c.response().await.body, b"abc");
        c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999\r\nExpect: 100-continue\r\n\r\n").await;
        let r = c.response().await;
        assert_eq!((r.status, r.header("connection")), (413, Some("close")));

        // Another expectation: 417.
        let (r, _) = one(server.addr, "GET / HTTP/1.1\r\nHost: t\r\nExpect: teapot\r\n\r\n").await;
        assert_eq!(r.status, 417);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_no_content_and_not_modified_have_no_body() {
    bounded(10, async {
        let server = start(builder()).await;
        let mut c = Client::connect(server.addr).await;
        c.send("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n").await;
        let r = c.response_to(true).await;
        assert_eq!((r.status, r.header("content-length")), (200, Some("5")));
        c.send("HEAD /big HTTP/1.1\r\nHost: t\r\n\r\n").await;
        assert_eq!(c.response_to(true).await.header("content-length"), Some("100000"));
        for path in ["/no-content", "/not-modified"] {
            c.send(format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n")).await;
            let r = c.response().await;
            assert!(r.status == 204 || r.status == 304);
            assert_eq!((r.header("content-length"), r.header("transfer-encoding")), (None, None), "{path}");
        }
        // Had any body byte been written above, this response would not parse as the next one.
        c.send(GET).await;
        assert_eq!(c.response().await.text(), "hello");
        server.stop().await;
    })
    .await;
}

/// An application that answers HEAD itself with a full body: the server must still send none.
struct FullBodyForHead;

impl App for FullBodyForHead {
    async fn handle(&self, _req: &Request) -> Response {
        Response::text("twelve bytes")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_drops_the_body_of_a_head_answer() {
    bounded(10, async {
        let server = start_app(builder(), FullBodyForHead).await;
        let mut c = Client::connect(server.addr).await;
        c.send("HEAD / HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n").await;
        assert_eq!(c.response_to(true).await.header("content-length"), Some("12"));
        assert_eq!(c.response().await.text(), "twelve bytes");
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_are_chunked_on_11_and_close_delimited_on_10() {
    bounded(10, async {
        let server = start(builder()).await;
        let (r, mut c) = one(server.addr, "GET /stream HTTP/1.1\r\nHost: t\r\n\r\n").await;
        assert_eq!(r.header("transfer-encoding"), Some("chunked"));
        assert_eq!(r.text(), "one\ntwo\nthree\n");
        c.send(GET).await;
        assert_eq!(c.response().await.text(), "hello");

        let (r, _) = one(server.addr, "GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").await;
        assert_eq!((r.header("transfer-encoding"), r.header("connection")), (None, Some("close")));
        assert_eq!(r.text(), "one\ntwo\nthree\n");
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_gets_500_and_the_server_goes_on() {
    bounded(10, async {
        let server = start(builder()).await;
        let mut c = Client::connect(server.addr).await;
        c.send("GET /panic HTTP/1.1\r\nHost: t\r\n\r\n").await;
        assert_eq!(c.response().await.status, 500);
        c.send(GET).await;
        assert_eq!(c.response().await.status, 200);
        let (r, _) = one(server.addr, GET).await;
        assert_eq!(r.status, 200);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_address_and_absolute_form() {
    bounded(10, async {
        let server = start(builder()).await;
        let (r, _) = one(server.addr, "GET /peer HTTP/1.1\r\nHost: t\r\n\r\n").await;
        assert_eq!(r.text(), "127.0.0.1");
        let (r, _) = one(server.addr, "GET http://t/ HTTP/1.1\r\nHost: t\r\n\r\n").await;
        assert_eq!(r.text(), "hello");
        server.stop().await;
    })
    .await;
}

/// Each rule of the issue, with the status and whether the connection must close.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejections() {
    bounded(20, async {
        let server = start(builder()).await;
        let h = "Host: t\r\n";
        let cases: Vec<(String, u16)> = vec![
            ("GET / HTTP/1.1\r\n\r\n".into(), 400),
            (format!("GET / HTTP/1.1\r\n{h}{h}\r\n"), 400),
            (format!("GET / HTTP/1.1\r\n{h}X-A : b\r\n\r\n"), 400),
            (format!("GET / HTTP/1.1\r\n{h}X-A: b\r\n c\r\n\r\n"), 400),
            (format!("GET / HTTP/1.1\r\n{h}X-A: b\rc\r\n\r\n"), 400),
            ("GET / HTTP/1.1\rHost: t\r\n\r\n".into(), 400),
            (format!("GET / HTTP/1.1\r\n{h}X-A: b\x01c\r\n\r\n"), 400),
            (format!("GET / HTTP/1.1\r\n{h}X-A: b\0c\r\n\r\n"), 400),
            (format!("GET / HTTP/1.1\n{h}\n"), 400),
            ("GET / HTTP/1.1\r\nHost: a@b\r\n\r\n".into(), 400),
            (format!("POST / HTTP/1.1\r\n{h}Content-Length: 1x\r\n\r\n"), 400),
            (format!("POST / HTTP/1.1\r\n{h}Content-Length: -1\r\n\r\n"), 400),
            (format!("POST / HTTP/1.1\r\n{h}Content-Length: 184467440737095516160\r\n\r\n"), 400),
            (format!("POST / HTTP/1.1\r\n{h}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab"), 400),
            (format!("POST / HTTP/1.1\r\n{h}Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400),
            (format!("POST / HTTP/1.1\r\n{h}Transfer-Encoding: gzip\r\n\r\n"), 501),
            (format!("POST / HTTP/1.1\r\n{h}Transfer-Encoding: chunked, gzip\r\n\r\n"), 400),
            ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".into(), 400),
            (format!("POST / HTTP/1.1\r\n{h}Transfer-Encoding: chunked\r\n\r\nzz\r\n"), 400),
            (format!("POST / HTTP/1.1\r\n{h}Transfer-Encoding: chunked\r\n\r\n11111111111111111\r\n"), 400),
            (format!("POST / HTTP/1.1\r\n{h}Transfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n"), 400),
            (format!("POST / HTTP/1.1\r\n{h}Transfer-Encoding: chunked\r\n\r\n1\na\r\n0\r\n\r\n"), 400),
            (format!("GET / HTTP/2.0\r\n{h}\r\n"), 505),
            (format!("{} / HTTP/1.1\r\n{h}\r\n", "X".repeat(16)), 501),
            (format!("GET /{} HTTP/1.1\r\n{h}\r\n", "a".repeat(9000)), 414),
            (format!("GET / HTTP/1.1\r\n{h}X: {}\r\n\r\n", "a".repeat(17_000)), 431),
            (format!("GET / HTTP/1.1\r\n{h}{}\r\n", "X: a\r\n".repeat(101)), 431),
            (format!("POST / HTTP/1.1\r\n{h}Content-Length: 2097153\r\n\r\n"), 413),
        ];
        for (raw, status) in cases {
            let (r, mut c) = one(server.addr, &raw).await;
            let shown = &raw[..raw.len().min(80)];
            assert_eq!(r.status, status, "{shown:?}");
            assert_eq!(r.header("connection"), Some("close"), "{shown:?}");
            assert!(c.closed_within(3000).await, "not closed after {shown:?}");
        }
        // The server is still fine.
        assert_eq!(one(server.addr, GET).await.0.status, 200);
        server.stop().await;
    })
    .await;
}

/// An extension method (`QUERY`, `PROPFIND`) reaches the application like any other, which
/// answers what it answers for a method it has no route for (here `405` with `Allow`), and the
/// connection stays open; only a method too long to be one is refused at the wire, with 501.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extension_methods_are_routed() {
    bounded(10, async {
        let server = start(builder()).await;
        let mut c = Client::connect(server.addr).await;
        for method in ["QUERY", "PROPFIND", "VERSION-CONTROL"] {
            c.send(&format!("{method} / HTTP/1.1\r\nHost: t\r\n\r\n")).await;
            let r = c.response().await;
            assert_eq!((r.status, r.header("allow")), (405, Some("GET, HEAD, POST")), "{method}");
        }
        c.send(GET).await;
        assert_eq!(c.response().await.status, 200);
        assert!(!c.closed_within(100).await);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_limits() {
    bounded(10, async {
        let server = start(
            builder().max_head_size(1024).max_headers(4).max_target_len(64).max_body_size(10).max_connections(64),
        )
        .await;
        let cases: Vec<(String, u16)> = vec![
            (format!("GET /{} HTTP/1.1\r\nHost: t\r\n\r\n", "a".repeat(64)), 414),
            (format!("GET /{} HTTP/1.1\r\nHost: t\r\n\r\n", "a".repeat(62)), 404),
            (format!("GET / HTTP/1.1\r\nHost: t\r\n{}\r\n", "X: a\r\n".repeat(4)), 431),
            (format!("GET / HTTP/1.1\r\nHost: t\r\n{}\r\n", "X: a\r\n".repeat(3)), 200),
            (format!("GET / HTTP/1.1\r\nHost: t\r\nX: {}\r\n\r\n", "a".repeat(1024)), 431),
            ("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\n".into(), 413),
            ("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789".into(), 200),
            ("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n5\r\n".into(), 413),
        ];
        for (raw, status) in cases {
            let (r, _) = one(server.addr, &raw).await;
            assert_eq!(r.status, status, "{:?}", &raw[..raw.len().min(80)]);
        }
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts() {
    bounded(10, async {
        let t = Duration::from_millis(300);
        let server =
            start(builder().header_read_timeout(t).body_read_timeout(t).keep_alive_timeout(Duration::from_millis(400)))
                .await;

        // A head that stalls: 408, closed.
        let started = Instant::now();
        let (r, mut c) = one(server.addr, "GET / HTTP/1.1\r\nHost: t\r\n").await;
        assert_eq!((r.status, r.header("connection")), (408, Some("close")));
        assert!(started.elapsed() >= t);
        assert!(c.closed_within(3000).await);

        // A body that stalls: 408.
        let (r, _) = one(server.addr, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhello").await;
        assert_eq!(r.status, 408);

        // A connection that never sends anything is closed after the header timeout, silently.
        let mut silent = Client::connect(server.addr).await;
        assert!(silent.closed_within(2000).await);

        // An idle keep-alive connection is closed after the keep-alive timeout, not before.
        let (_, mut c) = one(server.addr, GET).await;
        assert!(!c.closed_within(200).await);
        assert!(c.closed_within(2000).await);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_requests_per_connection() {
    bounded(10, async {
        let server = start(builder().max_requests_per_connection(Some(2))).await;
        let mut c = Client::connect(server.addr).await;
        c.send(GET).await;
        assert_eq!(c.response().await.header("connection"), None);
        c.send(GET).await;
        assert_eq!(c.response().await.header("connection"), Some("close"));
        assert!(c.closed_within(1000).await);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_connections_waits_for_a_free_slot() {
    bounded(10, async {
        let server = start(builder().max_connections(1)).await;
        // A request in flight holds the only slot (an idle one would make room: tests/pressure.rs).
        let mut first = Client::connect(server.addr).await;
        first.send("GET /slow HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        // The second connection is accepted by the kernel (backlog) but not served yet.
        let mut second = Client::connect(server.addr).await;
        second.send(GET).await;
        let mut byte = [0u8; 1];
        let early = tokio::time::timeout(Duration::from_millis(150), second.stream.peek(&mut byte)).await;
        assert!(early.is_err(), "second connection served while the first was busy");
        assert_eq!(first.response().await.status, 200);
        drop(first);
        assert_eq!(second.response().await.status, 200);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_a_request_in_flight_finish() {
    bounded(10, async {
        let mut server = start(builder()).await;
        let addr = server.addr;
        let mut busy = Client::connect(addr).await;
        busy.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n").await;
        let (_, mut idle) = one(addr, GET).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _ = server.shutdown.take().expect("sender").send(());

        let r = busy.response().await;
        assert_eq!((r.status, r.text(), r.header("connection")), (200, "slow done", Some("close")));
        assert!(busy.closed_within(3000).await);
        assert!(idle.closed_within(3000).await, "idle connection kept open after shutdown");
        server.stop().await;
        assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "still accepting after shutdown");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_grace_period_is_bounded() {
    bounded(10, async {
        let mut server = start(builder().shutdown_grace(Duration::from_millis(100))).await;
        let mut stuck = Client::connect(server.addr).await;
        // A request that never completes holds its connection open.
        stuck.send("GET / HTTP/1.1\r\nHost: t\r\n").await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = Instant::now();
        let _ = server.shutdown.take().expect("sender").send(());
        server.stop().await;
        assert!(started.elapsed() < Duration::from_secs(3));
    })
    .await;
}

/// An independent client: curl, which must be installed (`.ci/run` installs it if missing).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_client() {
    let curl = |args: &[&str]| std::process::Command::new("curl").args(args).output();
    assert!(curl(&["--version"]).is_ok(), "curl is not installed: this test needs it as an independent HTTP client");
    bounded(20, async {
        let server = start(builder()).await;
        let base = format!("http://{}", server.addr);
        let (get, post, chunked, head, reuse) = tokio::task::spawn_blocking({
            let base = base.clone();
            move || {
                let get = curl(&["-sS", "--max-time", "5", &format!("{base}/")]).unwrap();
                let post =
                    curl(&["-sS", "--max-time", "5", "--data-binary", "0123456789", &format!("{base}/echo")]).unwrap();
                let chunked = curl(&[
                    "-sS",
                    "--max-time",
                    "5",
                    "-H",
                    "Transfer-Encoding: chunked",
                    "-H",
                    "Expect: 100-continue",
                    "--data-binary",
                    "streamed",
                    &format!("{base}/echo"),
                ])
                .unwrap();
                let head = curl(&["-sS", "--max-time", "5", "-I", &format!("{base}/")]).unwrap();
                let reuse = curl(&["-sv", "--max-time", "5", &format!("{base}/"), &format!("{base}/stream")]).unwrap();
                (get, post, chunked, head, reuse)
            }
        })
        .await
        .unwrap();
        assert_eq!(String::from_utf8_lossy(&get.stdout), "hello");
        assert_eq!(String::from_utf8_lossy(&post.stdout), "0123456789");
        assert_eq!(String::from_utf8_lossy(&chunked.stdout), "streamed");
        let head = String::from_utf8_lossy(&head.stdout).to_lowercase();
        assert!(head.starts_with("http/1.1 200 ok") && head.contains("content-length: 5"), "{head}");
        assert_eq!(String::from_utf8_lossy(&reuse.stdout), "helloone\ntwo\nthree\n");
        let log = String::from_utf8_lossy(&reuse.stderr);
        assert!(log.contains("Re-using existing connection") || log.contains("Reusing existing"), "{log}");
        server.stop().await;
    })
    .await;
}
