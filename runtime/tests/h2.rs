//! HTTP/2 through hyper (feature `http2`): h2c with prior knowledge on the plain port, checked
//! with curl, h2load and a raw frame client; HTTP/1.1 on the same port; GOAWAY on shutdown.
#![cfg(feature = "http2")]

mod common;
mod tools;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::{TestApp, bounded, builder, start, start_app};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tools::{GOAWAY, RawH2, curl, curl_output, h2load};
use waymark_runtime::{App, Request, Response, serve_connection};

fn url(addr: SocketAddr, path: &str) -> String {
    format!("http://{addr}{path}")
}

#[tokio::test]
async fn curl_with_prior_knowledge() {
    bounded(60, async {
        let server = start(builder().max_body_size(1000)).await;
        let h2 = ["--http2-prior-knowledge", "-w", "\n%{http_version} %{response_code}"];
        let get = |path: &'static str| {
            let url = url(server.addr, path);
            async move { curl(&[&h2[..], &[url.as_str()]].concat()).await }
        };
        assert_eq!(get("/").await, "hello\n2 200");
        assert_eq!(get("/stream").await, "one\ntwo\nthree\n\n2 200");
        assert_eq!(get("/panic").await, "internal server error\n\n2 500");
        assert_eq!(get("/missing").await, "not found\n2 404");
        assert_eq!(get("/peer").await, "127.0.0.1\n2 200");
        // RFC 9113 §8.3.1: handlers see `:authority` as `host`.
        assert_eq!(get("/host").await, format!("{}\n2 200", server.addr));

        // HEAD: the GET length, no body.
        let head = curl(&["--http2-prior-knowledge", "-I", &url(server.addr, "/")]).await;
        assert!(head.starts_with("HTTP/2 200"), "{head}");
        assert!(head.contains("content-length: 5\r\n"), "{head}");
        assert!(head.contains("date: "), "{head}");

        let echo = curl(&[&h2[..], &["--data-binary", "ping over h2", &url(server.addr, "/echo")]].concat()).await;
        assert_eq!(echo, "ping over h2\n2 200");
        let big = "x".repeat(1001);
        let too_big = curl(&[&h2[..], &["--data-binary", &big, &url(server.addr, "/echo")]].concat()).await;
        assert_eq!(too_big, "request body too large\n\n2 413");
        let long_target = format!("/{}", "a".repeat(9000));
        let too_long = curl(&[&h2[..], &[url(server.addr, &long_target).as_str()]].concat()).await;
        assert_eq!(too_long, "request target too long\n\n2 414");
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn http1_clients_are_served_on_the_same_port() {
    bounded(30, async {
        let server = start(builder()).await;
        let out = curl(&["--http1.1", "-w", "\n%{http_version}", &url(server.addr, "/")]).await;
        assert_eq!(out, "hello\n1.1");
        // An upgrade offer is not taken up (h2c upgrade is deprecated, RFC 9113 §3.1).
        let out = curl(&["--http2", "-w", "\n%{http_version}", &url(server.addr, "/")]).await;
        assert_eq!(out, "hello\n1.1");
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn prior_knowledge_can_be_turned_off() {
    bounded(30, async {
        let server = start(builder().http2_prior_knowledge(false)).await;
        let out = curl_output(&["--http2-prior-knowledge", &url(server.addr, "/")]).await;
        assert!(!out.status.success(), "an HTTP/1-only server answered h2: {out:?}");
        let out = curl(&["-w", "\n%{http_version}", &url(server.addr, "/")]).await;
        assert_eq!(out, "hello\n1.1");
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn h2load_many_concurrent_streams() {
    bounded(120, async {
        let server = start(builder()).await;
        let target = url(server.addr, "/");
        // 4 connections with up to 100 streams in flight each.
        let report = h2load(&["-n", "4000", "-c", "4", "-m", "100", &target]).await;
        assert!(
            report.contains("requests: 4000 total, 4000 started, 4000 done, 4000 succeeded, 0 failed, 0 errored"),
            "{report}"
        );
        assert!(report.contains("status codes: 4000 2xx"), "{report}");
        server.stop().await;
    })
    .await;
}

/// Says when a request reached the handler, then answers a little later: a request in flight.
struct InFlight(mpsc::Sender<()>);

impl App for InFlight {
    async fn handle(&self, _req: &Request) -> Response {
        let _ = self.0.send(()).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        Response::text("finished")
    }
}

#[tokio::test]
async fn shutdown_sends_goaway_and_finishes_streams_in_flight() {
    bounded(30, async {
        let (started_tx, mut started) = mpsc::channel(1);
        let mut server = start_app(builder(), InFlight(started_tx)).await;
        let mut h2 = RawH2::start(TcpStream::connect(server.addr).await.unwrap()).await;
        h2.get(1, "/").await;
        started.recv().await.expect("the request reached the handler");
        let _ = server.shutdown.take().expect("shutdown sender").send(());

        let (data, frames) = h2.body(1).await;
        assert_eq!(data, b"finished", "frames: {frames:?}");
        let mut goaway = frames.iter().any(|f| f.kind == GOAWAY);
        // After the last stream the connection closes; a GOAWAY may come just before.
        while let Some(frame) = h2.frame().await {
            goaway |= frame.kind == GOAWAY;
        }
        assert!(goaway, "no GOAWAY before the connection closed; frames: {frames:?}");
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_the_keep_alive_timeout() {
    bounded(30, async {
        let server = start(builder().keep_alive_timeout(Duration::from_millis(200))).await;
        let mut h2 = RawH2::start(TcpStream::connect(server.addr).await.unwrap()).await;
        h2.get(1, "/").await;
        assert_eq!(h2.body(1).await.0, b"hello");
        // Nothing more is sent: the server says GOAWAY and closes.
        let mut goaway = false;
        while let Some(frame) = h2.frame().await {
            goaway |= frame.kind == GOAWAY;
        }
        assert!(goaway, "closed without GOAWAY");
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_request_in_flight_is_not_idle() {
    bounded(30, async {
        // The handler takes 200 ms, four keep-alive timeouts: the connection must wait for it.
        let (started_tx, mut started) = mpsc::channel(1);
        let server = start_app(builder().keep_alive_timeout(Duration::from_millis(50)), InFlight(started_tx)).await;
        let mut h2 = RawH2::start(TcpStream::connect(server.addr).await.unwrap()).await;
        h2.get(1, "/").await;
        started.recv().await.expect("the request reached the handler");
        let (data, frames) = h2.body(1).await;
        assert_eq!(data, b"finished", "frames: {frames:?}");
        // A client that stops reading would not answer the shutdown's PING, and the server would
        // wait out its grace period for it.
        drop(h2);
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn prior_knowledge_over_any_stream() {
    bounded(10, async {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let conn_task =
            tokio::spawn(serve_connection(server, SocketAddr::from(([127, 0, 0, 1], 1)), Arc::new(TestApp)));
        let mut h2 = RawH2::start(client).await;
        h2.get(1, "/").await;
        h2.get(3, "/missing").await;
        assert_eq!(h2.body(1).await.0, b"hello");
        assert_eq!(h2.body(3).await.0, b"not found");
        drop(h2);
        conn_task.await.expect("connection task");
    })
    .await;
}
