//! The client address behind a proxy, on the wire: a real server on loopback, a "proxy" that
//! connects from 127.0.0.2 (Linux routes all of 127.0.0.0/8 to loopback) and a direct client from
//! 127.0.0.1. Only the proxy's `X-Forwarded-For` / `Forwarded` is believed.
#![cfg(target_os = "linux")]

#[cfg(feature = "http2")]
mod tools;

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use waymark_runtime::{App, Request, Response, Server, ServerBuilder};

/// Answers `client_addr` and `peer_addr`.
struct Who;

impl App for Who {
    async fn handle(&self, req: &Request) -> Response {
        let client = req.client_addr().map_or_else(|| "none".to_owned(), |ip| ip.to_string());
        let peer = req.peer_addr().map_or_else(|| "none".to_owned(), |p| p.ip().to_string());
        Response::text(format!("{client} {peer}"))
    }
}

const PROXY: [u8; 4] = [127, 0, 0, 2];
const DIRECT: [u8; 4] = [127, 0, 0, 1];

async fn start(builder: ServerBuilder) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let server = builder.bind("127.0.0.1:0").await.expect("bind");
    let addr = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.serve_with_shutdown(Who, async {
        let _ = stopped.await;
    }));
    (addr, stop)
}

async fn connect(from: [u8; 4], to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind(SocketAddr::from((from, 0))).expect("bind the client address");
    socket.connect(to).await.expect("connect")
}

/// Sends `heads` (each a request's header lines) on one connection, the last with
/// `connection: close`; returns each response's body.
async fn ask(from: [u8; 4], to: SocketAddr, heads: &[&str]) -> Vec<String> {
    let mut stream = connect(from, to).await;
    let mut out = String::new();
    for (i, headers) in heads.iter().enumerate() {
        let close = if i + 1 == heads.len() { "connection: close\r\n" } else { "" };
        write!(out, "GET / HTTP/1.1\r\nhost: x\r\n{headers}{close}\r\n").expect("a String takes it");
    }
    stream.write_all(out.as_bytes()).await.expect("write");
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut response))
        .await
        .expect("answered in time")
        .expect("read");
    let bodies: Vec<String> = response
        .split("HTTP/1.1 ")
        .skip(1)
        .map(|r| {
            assert!(r.starts_with("200 OK\r\n"), "{r}");
            r.split_once("\r\n\r\n").expect("a head").1.to_owned()
        })
        .collect();
    assert_eq!(bodies.len(), heads.len(), "{response}");
    bodies
}

fn ip(octets: [u8; 4]) -> String {
    IpAddr::from(octets).to_string()
}

#[tokio::test]
async fn a_direct_client_cannot_spoof_its_address() {
    let (addr, _stop) = start(Server::builder().trusted_proxies(["127.0.0.2".parse().unwrap()])).await;
    let direct = ip(DIRECT);
    let spoofs = [
        "x-forwarded-for: 1.2.3.4\r\n",
        "forwarded: for=1.2.3.4\r\n",
        "X-Forwarded-For: 1.2.3.4, 127.0.0.2\r\n",
        "Forwarded: for=\"[2001:db8::1]:80\"\r\nx-forwarded-for: 2001:db8::1\r\n",
        "x-forwarded-for: unknown\r\n",
        "",
    ];
    let answers = ask(DIRECT, addr, &spoofs).await;
    for (spoof, answer) in spoofs.iter().zip(answers) {
        assert_eq!(answer, format!("{direct} {direct}"), "{spoof:?}");
    }
}

#[tokio::test]
async fn a_trusted_proxy_is_believed() {
    let (addr, _stop) = start(Server::builder().trusted_proxies(["127.0.0.2/32".parse().unwrap()])).await;
    let proxy = ip(PROXY);
    let cases = [
        // nginx's `$proxy_add_x_forwarded_for`: what the client sent, then the client.
        ("x-forwarded-for: 1.2.3.4, 203.0.113.9\r\n", "203.0.113.9"),
        ("forwarded: for=1.2.3.4, for=203.0.113.9\r\n", "203.0.113.9"),
        ("forwarded: for=\"[2001:db8::9]:4711\";proto=https\r\n", "2001:db8::9"),
        // The request on the same connection after it names no one: the proxy's own.
        ("", proxy.as_str()),
        ("x-forwarded-for: 203.0.113.9\r\nforwarded: for=1.2.3.4\r\n", "none"),
        ("forwarded: for=_hidden\r\n", "none"),
        ("x-forwarded-for: 203.0.113.9, not-an-address\r\n", "none"),
        ("x-forwarded-for: 203.0.113.9, 127.0.0.2\r\n", "203.0.113.9"),
    ];
    let heads: Vec<&str> = cases.iter().map(|c| c.0).collect();
    let answers = ask(PROXY, addr, &heads).await;
    for ((head, expected), answer) in cases.iter().zip(answers) {
        assert_eq!(answer, format!("{expected} {proxy}"), "{head:?}");
    }
}

#[tokio::test]
async fn no_proxy_is_trusted_by_default_not_even_loopback() {
    let (addr, _stop) = start(Server::builder()).await;
    for from in [DIRECT, PROXY] {
        let answers = ask(from, addr, &["x-forwarded-for: 1.2.3.4\r\nforwarded: for=1.2.3.4\r\n"]).await;
        assert_eq!(answers, [format!("{0} {0}", ip(from))]);
    }
    // An empty list is no list.
    let (addr, _stop) = start(Server::builder().trusted_proxies([])).await;
    assert_eq!(ask(PROXY, addr, &["x-forwarded-for: 1.2.3.4\r\n"]).await, [format!("{0} {0}", ip(PROXY))]);
}

/// HTTP/2 streams are served by hyper's tasks, not the connection's: the trusted list travels
/// with each request, so a proxy speaking h2c is believed as one speaking HTTP/1.1 is, and a
/// direct client is not. The client is curl (`--interface` picks the source address).
#[cfg(feature = "http2")]
#[tokio::test]
async fn over_http2_too() {
    let (addr, _stop) = start(Server::builder().trusted_proxies(["127.0.0.2".parse().unwrap()])).await;
    let url = format!("http://{addr}/");
    let ask = |from: &'static str| {
        let url = url.clone();
        async move {
            let args = ["--http2-prior-knowledge", "--interface", from, "-H", "x-forwarded-for: 203.0.113.9", &url];
            tools::curl(&args).await
        }
    };
    assert_eq!(ask("127.0.0.2").await, "203.0.113.9 127.0.0.2");
    assert_eq!(ask("127.0.0.1").await, "127.0.0.1 127.0.0.1");
}
