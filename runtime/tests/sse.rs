//! Server-sent events on the wire: the exact bytes of a stream, each event delivered before the
//! next is produced, keep-alive comments, `Last-Event-ID`, the producer told when the client
//! leaves, and curl -N as an independent client.
#![allow(
    clippy::large_futures,
    reason = "each test future holds a client and its buffers on the stack; fine in a test"
)]

mod common;

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use common::{Client, bounded, builder, start_app};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{Mutex, mpsc};
use waymark_runtime::sse::{Event, Sse, last_event_id};
use waymark_runtime::{App, Body, IntoResponse, Request, Response, StatusCode};

/// `/fixed`: three events, then the end. `/stepped`: an event each time the test says so.
/// `/quiet`: one event, then only keep-alive comments. Every producer reports on `gone` when its
/// send fails (the client left).
#[derive(Clone)]
struct Events {
    step: Arc<Mutex<mpsc::Receiver<()>>>,
    gone: mpsc::Sender<&'static str>,
}

impl App for Events {
    async fn handle(&self, req: &Request) -> Response {
        match req.path() {
            "/fixed" => {
                let (tx, sse) = Sse::channel(4);
                let resume = last_event_id(req).unwrap_or("none").to_owned();
                tokio::spawn(async move {
                    let events = [
                        Event::new().data(format!("resumed after {resume}")),
                        Event::new().event("update").id("2").data("line 1\nline 2\r\nline 3"),
                        Event::new().id("3").retry(Duration::from_millis(1500)).comment("bye").data(""),
                    ];
                    for e in events {
                        let _ = tx.send(e).await;
                    }
                });
                sse.keep_alive(None).into_response()
            }
            "/stepped" => {
                let (tx, sse) = Sse::channel(1);
                let (step, gone) = (Arc::clone(&self.step), self.gone.clone());
                tokio::spawn(async move {
                    let mut step = step.lock().await;
                    for n in 1.. {
                        if step.recv().await.is_none() {
                            break;
                        }
                        if tx.send(Event::new().id(n.to_string()).data(format!("step {n}"))).await.is_err() {
                            let _ = gone.send("stepped").await;
                            break;
                        }
                    }
                });
                sse.keep_alive(Some(Duration::from_millis(20))).into_response()
            }
            "/quiet" => {
                let (tx, sse) = Sse::channel(1);
                let gone = self.gone.clone();
                tokio::spawn(async move {
                    let _ = tx.send(Event::new().data("hello")).await;
                    // Nothing more to say; wait until the response is dropped.
                    tx.closed().await;
                    let _ = gone.send("quiet").await;
                });
                sse.keep_alive(Some(Duration::from_millis(20))).into_response()
            }
            _ => StatusCode::NOT_FOUND.into_response(),
        }
    }
}

fn app() -> (Events, mpsc::Sender<()>, mpsc::Receiver<&'static str>) {
    let (step_tx, step_rx) = mpsc::channel(8);
    let (gone_tx, gone_rx) = mpsc::channel(8);
    (Events { step: Arc::new(Mutex::new(step_rx)), gone: gone_tx }, step_tx, gone_rx)
}

const FIXED: &str = "data: resumed after 41\n\n\
                     event: update\nid: 2\ndata: line 1\ndata: line 2\ndata: line 3\n\n\
                     : bye\nid: 3\nretry: 1500\ndata: \n\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_of_events() {
    bounded(20, async {
        let (app, _step, _gone) = app();
        let server = start_app(builder(), app).await;
        let mut client = Client::connect(server.addr).await;
        client.send("GET /fixed HTTP/1.1\r\nHost: t\r\nLast-Event-ID: 41\r\n\r\n").await;
        let r = client.response().await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("text/event-stream"));
        assert_eq!(r.header("cache-control"), Some("no-cache"));
        assert_eq!(r.header("transfer-encoding"), Some("chunked"));
        assert_eq!(r.text(), FIXED);
        // The connection goes on after the stream ends.
        client.send("GET /nope HTTP/1.1\r\nHost: t\r\n\r\n").await;
        assert_eq!(client.response().await.status, 404);
        server.stop().await;
    })
    .await;
}

/// Reads from `stream` until `want` has arrived (bounded by the test's timeout).
async fn read_until(stream: &mut tokio::net::TcpStream, seen: &mut String, want: &str) {
    let mut buf = [0u8; 1024];
    while !seen.contains(want) {
        let n = stream.read(&mut buf).await.expect("read");
        assert!(n > 0, "closed before {want:?}; got {seen:?}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
}

/// Event 2 is produced only after the client has received event 1: so each event is written and
/// flushed as it comes, not held back in a buffer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_event_is_delivered_before_the_next_is_produced() {
    bounded(20, async {
        let (app, step, mut gone) = app();
        let server = start_app(builder(), app).await;
        let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(b"GET /stepped HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap();
        let mut seen = String::new();
        for n in 1..=3 {
            step.send(()).await.unwrap();
            read_until(&mut stream, &mut seen, &format!("id: {n}\ndata: step {n}\n\n")).await;
        }
        // With no event for a while, keep-alive comments come.
        read_until(&mut stream, &mut seen, ": keep-alive\n\n").await;
        // The client leaves: once the server's writes fail, the producer's sends fail. Events
        // produced before that are lost in buffers, so keep producing until it is told.
        drop(stream);
        loop {
            tokio::select! {
                g = gone.recv() => {
                    assert_eq!(g, Some("stepped"));
                    break;
                }
                sent = step.send(()) => {
                    sent.unwrap();
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
        server.stop().await;
    })
    .await;
}

/// A producer that waits for nothing learns the client left, through the keep-alive write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_departed_client_is_noticed_between_events() {
    bounded(20, async {
        let (app, _step, mut gone) = app();
        let server = start_app(builder(), app).await;
        let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(b"GET /quiet HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap();
        let mut seen = String::new();
        read_until(&mut stream, &mut seen, "data: hello\n\n").await;
        read_until(&mut stream, &mut seen, ": keep-alive\n\n").await;
        drop(stream);
        assert_eq!(gone.recv().await, Some("quiet"));
        server.stop().await;
    })
    .await;
}

/// In process: the response's headers, and its body read chunk by chunk.
#[tokio::test]
async fn in_process() {
    let (app, _step, _gone) = app();
    let mut res = app.handle(&Request::new(waymark_runtime::Method::GET, "/fixed")).await;
    assert_eq!(res.header("content-type"), Some("text/event-stream"));
    let Body::Stream(mut chunks) = res.take_body() else { panic!("an event stream is a streamed body") };
    let mut text = String::new();
    let mut count = 0;
    while let Some(chunk) = bounded(10, chunks.recv()).await {
        text.push_str(std::str::from_utf8(&chunk).unwrap());
        count += 1;
    }
    assert_eq!(text, FIXED.replace("after 41", "after none"));
    assert_eq!(count, 3, "one chunk per event");
}

/// An independent client: curl -N prints each event as it arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_no_buffer() {
    assert!(std::process::Command::new("curl").arg("--version").output().is_ok(), "curl is not installed");
    bounded(20, async {
        let (app, step, _gone) = app();
        let server = start_app(builder(), app).await;
        let mut curl = tokio::process::Command::new("curl")
            .args(["-sSN", "--max-time", "10", &format!("http://{}/stepped", server.addr)])
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(curl.stdout.take().unwrap()).lines();
        for n in 1..=2 {
            step.send(()).await.unwrap();
            // Skip keep-alive comments and blank lines until this step's data line.
            loop {
                let line = lines.next_line().await.unwrap().expect("curl ended early");
                if line.starts_with("data:") {
                    assert_eq!(line, format!("data: step {n}"));
                    break;
                }
            }
        }
        drop(curl);
        server.stop().await;
    })
    .await;
}
