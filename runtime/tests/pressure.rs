//! Holding the door (issue 23), on a real server: under pressure the header timeout shrinks; a
//! head or body below the minimum rate is cut before its deadline, and so is a client that
//! reads a response too slowly; at the connection limit an idle keep-alive connection makes
//! room, never one with a request in flight. And the honest clients the policies must not cut:
//! a slow but steady upload, a stream the server is writing to.
#![allow(
    clippy::large_futures,
    reason = "each test future holds a client and its buffers on the stack; fine in a test"
)]

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{Client, bounded, builder, one, start_app};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::{Instant, sleep};
use waymark_runtime::extract::read_bytes;
use waymark_runtime::{App, Body, IntoResponse, MinRate, Relief, Request, Response};

const GET: &str = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

/// `/`: hello. `/sleep`: answers after 1.5 s. `/upload`: reads the body, says how much.
/// `/events`: twelve small chunks, one every 150 ms (a server-sent event stream's shape).
/// `/big`: 4 MiB.
struct Door;

impl App for Door {
    async fn handle(&self, req: &Request) -> Response {
        match req.path() {
            "/sleep" => {
                sleep(Duration::from_millis(1500)).await;
                Response::text("slept")
            }
            "/upload" => match read_bytes(req, Some(16 * 1024 * 1024)).await {
                Ok(body) => format!("got {}", body.len()).into_response(),
                Err(rejected) => rejected.into_response(),
            },
            "/events" => {
                let (tx, body) = Body::channel(1);
                tokio::spawn(async move {
                    for i in 0..12 {
                        sleep(Duration::from_millis(150)).await;
                        if tx.send(Bytes::from(format!("data: {i}\n\n"))).await.is_err() {
                            break;
                        }
                    }
                });
                Response::new(body)
            }
            "/big" => Response::new(vec![b'x'; 4 << 20]),
            _ => Response::text("hello"),
        }
    }
}

/// Tight rate windows, so that the tests run in seconds.
const RATE: MinRate = MinRate { bytes_per_sec: 500, window: Duration::from_millis(400) };

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_limit_the_oldest_idle_connection_makes_room() {
    bounded(20, async {
        let server = start_app(builder().max_connections(3), Door).await;
        // Two idle keep-alive connections, the older first, and one with a request in flight.
        let (_, mut oldest) = one(server.addr, GET).await;
        sleep(Duration::from_millis(50)).await;
        let (_, mut newer) = one(server.addr, GET).await;
        let mut busy = Client::connect(server.addr).await;
        busy.send("GET /sleep HTTP/1.1\r\nHost: t\r\n\r\n").await;
        // Both idle connections join the idle queue a second after they went idle.
        sleep(Duration::from_millis(1200)).await;

        // A new client is served at once, in a slot the oldest idle connection gave up.
        let started = Instant::now();
        let (r, _new) = one(server.addr, GET).await;
        assert_eq!(r.status, 200);
        assert!(started.elapsed() < Duration::from_millis(500), "waited {:?}", started.elapsed());
        assert!(oldest.closed_within(1000).await, "the oldest idle connection stayed open");
        // The request in flight is answered; the newer idle connection still works.
        assert_eq!(busy.response().await.text(), "slept");
        newer.send(GET).await;
        assert_eq!(newer.response().await.status, 200);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_is_never_closed_to_make_room() {
    bounded(20, async {
        let server = start_app(builder().max_connections(1), Door).await;
        let mut busy = Client::connect(server.addr).await;
        busy.send("GET /sleep HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").await;
        sleep(Duration::from_millis(100)).await;
        // The new client waits in the backlog until the request in flight is answered.
        let started = Instant::now();
        let waiting = tokio::spawn(async move { one(server.addr, GET).await.0.status });
        assert_eq!(busy.response().await.text(), "slept");
        assert_eq!(waiting.await.unwrap(), 200);
        assert!(started.elapsed() >= Duration::from_secs(1), "served while the slot was busy");
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_pressure_the_header_timeout_shrinks_and_grows_back() {
    bounded(30, async {
        let relief = Relief { from_percent: 50, floor: Duration::from_millis(300) };
        let server = start_app(builder().max_connections(4).relief(Some(relief)).min_rate(MinRate::OFF), Door).await;
        let partial = "GET / HTTP/1.1\r\nHost: t\r\n";
        // Two slow heads, below the threshold: they keep the 10 s timeout for now.
        let mut early = Vec::new();
        for _ in 0..2 {
            let mut c = Client::connect(server.addr).await;
            c.send(partial).await;
            early.push(c);
            sleep(Duration::from_millis(50)).await;
        }
        sleep(Duration::from_millis(500)).await;
        assert!(!early[0].closed_within(100).await, "cut below the threshold");
        // Two more take every slot: the heads in progress shrink to the floor, and are cut at once
        // (they started more than 300 ms ago); the new ones within it.
        let started = Instant::now();
        let mut late = Vec::new();
        for _ in 0..2 {
            let mut c = Client::connect(server.addr).await;
            c.send(partial).await;
            late.push(c);
        }
        for c in early.iter_mut().chain(late.iter_mut()) {
            assert_eq!(c.response().await.status, 408);
        }
        let cut_in = started.elapsed();
        assert!(cut_in < Duration::from_secs(2), "cut after {cut_in:?}");
        drop((early, late));
        sleep(Duration::from_millis(300)).await;
        // No pressure any more: a slow head gets its full timeout again.
        let mut relaxed = Client::connect(server.addr).await;
        relaxed.send(partial).await;
        assert!(!relaxed.closed_within(1500).await, "the timeout did not grow back");
        drop(relaxed);
        server.stop().await;
    })
    .await;
}

/// Sends `head` at once, then `trickled` 4 bytes every 100 ms (40 B/s), while reading what the
/// server answers: its answer, and how long it took.
async fn trickle(addr: std::net::SocketAddr, head: String, trickled: Vec<u8>) -> (String, Duration) {
    let (mut rd, mut wr) = TcpStream::connect(addr).await.expect("connect").into_split();
    let started = Instant::now();
    let writer = tokio::spawn(async move {
        wr.write_all(head.as_bytes()).await.expect("write");
        for piece in trickled.chunks(4) {
            if wr.write_all(piece).await.is_err() {
                return;
            }
            sleep(Duration::from_millis(100)).await;
        }
        // Everything sent: hold the connection open as an attacker would.
        sleep(Duration::from_secs(30)).await;
    });
    let mut got = Vec::new();
    let _ = rd.read_to_end(&mut got).await;
    writer.abort();
    (String::from_utf8_lossy(&got).into_owned(), started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_or_body_below_the_minimum_rate_is_cut_before_its_deadline() {
    bounded(30, async {
        let server = start_app(builder().min_rate(RATE).relief(None), Door).await;
        // A head at 40 B/s, far below 500 B/s; its deadline is 10 s away.
        let head = format!("x-pad: {}\r\n\r\n", "a".repeat(400)).into_bytes();
        let (answer, took) = trickle(server.addr, "GET / HTTP/1.1\r\nHost: t\r\n".into(), head).await;
        assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
        assert!(took < Duration::from_secs(3), "cut after {took:?}");

        // A body at 40 B/s: its deadline is 30 s away.
        let head = "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n".to_owned();
        let (answer, took) = trickle(server.addr, head, vec![b'b'; 1000]).await;
        assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
        assert!(took < Duration::from_secs(3), "cut after {took:?}");

        // Without the minimum rate, the same body goes on past that.
        server.stop().await;
        let server = start_app(builder().min_rate(MinRate::OFF).relief(None), Door).await;
        let head = "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\nConnection: close\r\n\r\n".to_owned();
        let (answer, took) = trickle(server.addr, head, vec![b'b'; 100]).await;
        assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
        assert!(took >= Duration::from_millis(2400), "{took:?}");
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_reading_below_the_minimum_rate_is_cut() {
    bounded(30, async {
        let server = start_app(builder().min_rate(RATE).relief(None), Door).await;
        let socket = TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(4096).expect("rcvbuf");
        let mut c = socket.connect(server.addr).await.expect("connect");
        c.write_all(b"GET /big HTTP/1.1\r\nHost: t\r\n\r\n").await.expect("write");
        // Read 64 bytes every 125 ms (512 B/s at best, less once the kernel's buffers drain):
        // the server's writes move far below 500 B/s once they fill.
        let started = Instant::now();
        let mut got = 0usize;
        let mut chunk = [0u8; 64];
        loop {
            match c.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
            sleep(Duration::from_millis(125)).await;
            assert!(started.elapsed() < Duration::from_secs(20), "still served after {got} bytes");
        }
        assert!(got < 4 << 20, "the whole answer was read");
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_but_steady_upload_completes_under_pressure() {
    bounded(40, async {
        // Every slot taken (the upload and an idle keep-alive connection): the rate window is at
        // its floor (250 ms), the body timeout short.
        let relief = Relief { from_percent: 0, ..Relief::default() };
        let server = start_app(
            builder().max_connections(2).relief(Some(relief)).min_rate(RATE).body_read_timeout(Duration::from_secs(1)),
            Door,
        )
        .await;
        let (_, _idle) = one(server.addr, GET).await;
        let mut c = Client::connect(server.addr).await;
        // 20 KiB/s for 4 s, in pieces of 2 KiB every 100 ms: past the 1 s timeout, extended by
        // the bytes moved, and over the minimum rate in every window.
        let total = 80 * 1024;
        c.send(format!("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: {total}\r\n\r\n")).await;
        for _ in 0..total / 2048 {
            c.send([b'u'; 2048]).await;
            sleep(Duration::from_millis(100)).await;
        }
        let r = c.response().await;
        assert_eq!((r.status, r.text()), (200, format!("got {total}").as_str()));
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_the_server_writes_is_neither_evicted_nor_rate_cut() {
    bounded(30, async {
        // Short timeouts, tight windows, every slot taken: the stream lasts 1.8 s, writes
        // 12 small pieces, far below the minimum rate, and is never idle.
        let server = start_app(
            builder()
                .max_connections(2)
                .relief(Some(Relief { from_percent: 0, floor: Duration::from_millis(200) }))
                .min_rate(RATE)
                .keep_alive_timeout(Duration::from_millis(300))
                .send_timeout(Duration::from_millis(300)),
            Door,
        )
        .await;
        let mut stream = Client::connect(server.addr).await;
        stream.send("GET /events HTTP/1.1\r\nHost: t\r\n\r\n").await;
        // Meanwhile other clients come and go through the other slot, each making room.
        let churn = tokio::spawn(async move {
            let mut answered = 0;
            for _ in 0..8 {
                let (r, _kept) = one(server.addr, GET).await;
                answered += usize::from(r.status == 200);
                sleep(Duration::from_millis(150)).await;
            }
            (answered, server)
        });
        let r = stream.response().await;
        let expected = (0..12).fold(String::new(), |events, i| events + &format!("data: {i}\n\n"));
        assert_eq!(r.text(), expected);
        let (answered, server) = churn.await.unwrap();
        assert_eq!(answered, 8);
        server.stop().await;
    })
    .await;
}
