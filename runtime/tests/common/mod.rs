//! A test application, a server harness and a raw HTTP/1.1 client for the wire tests.
#![allow(dead_code, unreachable_pub, reason = "each test binary uses a different part of the harness")]

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use waymark_runtime::__private::strip_body_for_head;
use waymark_runtime::extract::read_bytes;
use waymark_runtime::header::{ALLOW, HeaderValue};
use waymark_runtime::{App, Body, Bytes, IntoResponse, Method, Request, Response, Server, ServerBuilder, StatusCode};

/// Answers like a small routed application: GET and POST on `/`, a few special paths, HEAD served
/// by GET with the body stripped (as the generated `Api::call` does; the server then keeps the given
/// `content-length`).
#[derive(Debug, Clone, Copy)]
pub struct TestApp;

impl App for TestApp {
    async fn handle(&self, req: &Request) -> Response {
        {
            let head = req.method() == Method::HEAD;
            let method = if head { "GET" } else { req.method().as_str() };
            let res = match (method, req.path()) {
                ("GET", "/") => Response::text("hello"),
                ("POST", "/") => match read_bytes(req, None).await {
                    Ok(body) => format!("got {} bytes", body.len()).into_response(),
                    Err(rejected) => rejected.into_response(),
                },
                ("POST", "/echo") => match read_bytes(req, None).await {
                    Ok(body) => Response::new(body),
                    Err(rejected) => rejected.into_response(),
                },
                ("GET", "/panic") => panic!("handler panic expected by the test"),
                ("GET", "/slow") => {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    Response::text("slow done")
                }
                ("GET", "/stream") => {
                    let (tx, body) = Body::channel(1);
                    tokio::spawn(async move {
                        for part in ["one\n", "two\n", "", "three\n"] {
                            if tx.send(Bytes::from_static(part.as_bytes())).await.is_err() {
                                break;
                            }
                        }
                    });
                    Response::new(body)
                }
                ("GET", "/no-content") => StatusCode::NO_CONTENT.into_response(),
                ("GET", "/not-modified") => StatusCode::NOT_MODIFIED.into_response(),
                ("GET", "/big") => Response::new(vec![b'x'; 100_000]),
                ("GET", "/peer") => req.peer_addr().map(|p| p.ip().to_string()).unwrap_or_default().into_response(),
                ("GET", "/host") => req.header("host").unwrap_or("").to_owned().into_response(),
                (_, "/") => StatusCode::METHOD_NOT_ALLOWED
                    .into_response()
                    .with_header(ALLOW, HeaderValue::from_static("GET, HEAD, POST")),
                _ => (StatusCode::NOT_FOUND, "not found").into_response(),
            };
            if head { strip_body_for_head(res) } else { res }
        }
    }
}

/// A running server; dropping `shutdown` or sending on it starts a graceful shutdown.
pub struct Running {
    pub addr: SocketAddr,
    pub shutdown: Option<oneshot::Sender<()>>,
    pub done: JoinHandle<io::Result<()>>,
}

impl Running {
    /// Signals shutdown and waits (bounded) for `serve_with_shutdown` to return.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let res = tokio::time::timeout(Duration::from_secs(10), self.done).await;
        res.expect("server did not shut down in time").expect("server task panicked").expect("serve failed");
    }
}

pub async fn start(builder: ServerBuilder) -> Running {
    start_app(builder, TestApp).await
}

pub async fn start_app(builder: ServerBuilder, app: impl App) -> Running {
    let server = builder.bind("127.0.0.1:0").await.expect("bind");
    let addr = server.local_addr();
    let (tx, rx) = oneshot::channel::<()>();
    let done = tokio::spawn(server.serve_with_shutdown(app, async move {
        let _ = rx.await;
    }));
    Running { addr, shutdown: Some(tx), done }
}

pub fn builder() -> ServerBuilder {
    Server::builder()
}

/// Fails a test that hangs instead of blocking the suite.
pub async fn bounded<T>(secs: u64, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), fut).await.expect("test timed out")
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("utf-8 body")
    }
}

/// A raw HTTP/1.1 client: writes exactly the bytes given, parses responses strictly.
pub struct Client {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Client {
        Client { stream: TcpStream::connect(addr).await.expect("connect"), buf: Vec::new() }
    }

    pub async fn send(&mut self, bytes: impl AsRef<[u8]>) {
        self.stream.write_all(bytes.as_ref()).await.expect("write");
    }

    async fn fill(&mut self) -> usize {
        let mut chunk = [0u8; 8192];
        let n = tokio::time::timeout(Duration::from_secs(5), self.stream.read(&mut chunk))
            .await
            .expect("no response within 5 s")
            .unwrap_or(0);
        self.buf.extend_from_slice(&chunk[..n]);
        n
    }

    /// Reads one response; `head_request` says the response has no body whatever its headers.
    pub async fn response_to(&mut self, head_request: bool) -> Resp {
        let (status, headers, head_len) = loop {
            let mut slots = [httparse::EMPTY_HEADER; 64];
            let mut parsed = httparse::Response::new(&mut slots);
            match parsed.parse(&self.buf).expect("malformed response") {
                httparse::Status::Complete(n) => {
                    let headers = parsed
                        .headers
                        .iter()
                        .map(|h| (h.name.to_owned(), String::from_utf8_lossy(h.value).into_owned()))
                        .collect::<Vec<_>>();
                    break (parsed.code.expect("status"), headers, n);
                }
                httparse::Status::Partial => assert!(self.fill().await > 0, "connection closed before a response"),
            }
        };
        self.buf.drain(..head_len);
        let mut resp = Resp { status, headers, body: Vec::new() };
        let no_body = head_request || status < 200 || status == 204 || status == 304;
        if no_body {
            return resp;
        }
        if let Some(len) = resp.header("content-length") {
            let len: usize = len.parse().expect("content-length");
            while self.buf.len() < len {
                assert!(self.fill().await > 0, "connection closed mid-body");
            }
            resp.body = self.buf.drain(..len).collect();
        } else if resp.header("transfer-encoding").is_some_and(|te| te.eq_ignore_ascii_case("chunked")) {
            loop {
                let line_end = loop {
                    if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                        break i;
                    }
                    assert!(self.fill().await > 0, "connection closed mid-chunk");
                };
                let size = usize::from_str_radix(std::str::from_utf8(&self.buf[..line_end]).unwrap(), 16).unwrap();
                while self.buf.len() < line_end + 2 + size + 2 {
                    assert!(self.fill().await > 0, "connection closed mid-chunk");
                }
                resp.body.extend_from_slice(&self.buf[line_end + 2..line_end + 2 + size]);
                assert_eq!(&self.buf[line_end + 2 + size..line_end + 4 + size], b"\r\n");
                self.buf.drain(..line_end + 4 + size);
                if size == 0 {
                    break;
                }
            }
        } else {
            // Close-delimited.
            while self.fill().await > 0 {}
            resp.body = std::mem::take(&mut self.buf);
        }
        resp
    }

    pub async fn response(&mut self) -> Resp {
        self.response_to(false).await
    }

    /// Whether the server closes the connection (EOF or reset) within `ms`, with no further bytes.
    pub async fn closed_within(&mut self, ms: u64) -> bool {
        let mut chunk = [0u8; 1024];
        match tokio::time::timeout(Duration::from_millis(ms), self.stream.read(&mut chunk)).await {
            Ok(Ok(0) | Err(_)) => self.buf.is_empty(),
            Ok(Ok(n)) => panic!("unexpected bytes: {:?}", String::from_utf8_lossy(&chunk[..n])),
            Err(_) => false,
        }
    }
}

/// Sends `raw` on a new connection and reads one response.
pub async fn one(addr: SocketAddr, raw: impl AsRef<[u8]>) -> (Resp, Client) {
    let mut client = Client::connect(addr).await;
    client.send(raw).await;
    let resp = client.response().await;
    (resp, client)
}
