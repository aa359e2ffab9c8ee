//! Routing before reading the body, on the wire: a request is answered by its route's decision
//! before its body is read; `100 Continue` only for a route that reads; per-route limits above
//! the server's; streaming with backpressure; a client that leaves mid-body.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use waymark::{BodyStream, Bytes, Request, Server, ServerBuilder, StatusCode, routes};

#[derive(Debug, Default)]
struct State {
    /// What the streaming route saw: bytes, and the error that ended it, if any.
    seen: Mutex<Vec<String>>,
}

struct Token;

async fn token(req: &Request) -> Result<Token, StatusCode> {
    if req.header("authorization").is_some() { Ok(Token) } else { Err(StatusCode::UNAUTHORIZED) }
}

async fn count(state: &State, mut body: BodyStream) -> String {
    let (mut bytes, mut sum) = (0u64, 0u64);
    let end = loop {
        match body.chunk().await {
            Some(Ok(chunk)) => {
                bytes += chunk.len() as u64;
                sum = chunk.iter().fold(sum, |s, &b| s.wrapping_mul(31).wrapping_add(u64::from(b)));
            }
            Some(Err(e)) => break format!("error after {bytes}: {e}"),
            None => break format!("{bytes} bytes, sum {sum}"),
        }
    };
    state.seen.lock().unwrap().push(end.clone());
    end
}

routes! {
    /// Routes that read their bodies, and some that never do.
    Api(state: State);
    PUT "/big" body: BodyStream limit 16 MiB => count(state, body),
    PUT "/default" body: Bytes => async move { format!("{} bytes", body.len()) },
    POST "/echo" body: String => async move { body },
    scope "/guarded" {
        guard _token: Token = token(req);
        PUT "/upload" body: Bytes => async move { format!("{} bytes", body.len()) },
    }
    GET "/" => async { "no body read" },
}

struct Running {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A server for `app` on a free loopback port: its address, the sender that stops it, and its task.
async fn serve(
    builder: ServerBuilder,
    app: impl waymark::App,
) -> (SocketAddr, oneshot::Sender<()>, tokio::task::JoinHandle<std::io::Result<()>>) {
    let server = builder.bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve_with_shutdown(app, async move {
        let _ = stopped.await;
    }));
    (addr, stop, serving)
}

async fn start() -> Running {
    let (addr, stop, _serving) = serve(Server::builder(), Api::new(State::default())).await;
    Running { addr, stop: Some(stop) }
}

/// Reads one response head (and nothing more), within five seconds.
async fn head(c: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let read = async {
        let mut byte = [0u8; 1];
        while !got.ends_with(b"\r\n\r\n") {
            if c.read(&mut byte).await.unwrap_or(0) == 0 {
                break;
            }
            got.push(byte[0]);
        }
    };
    tokio::time::timeout(Duration::from_secs(5), read).await.expect("a response head within 5 s");
    String::from_utf8_lossy(&got).into_owned()
}

/// Reads until the server closes the connection, within five seconds.
async fn rest(c: &mut TcpStream) -> String {
    let mut all = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), c.read_to_end(&mut all)).await.expect("closed within 5 s").unwrap();
    String::from_utf8_lossy(&all).into_owned()
}

#[tokio::test]
async fn answers_without_reading_the_body_then_closes() {
    let server = start().await;
    // 404, 405, a guard's refusal and a route without `body:`: answered at once, with 1 GB declared
    // and none of it sent, and the connection closed (what follows could not be framed).
    for (target, status) in
        [("PUT /nowhere", "404"), ("DELETE /big", "405"), ("PUT /guarded/upload", "401"), ("GET /", "200")]
    {
        let mut c = TcpStream::connect(server.addr).await.unwrap();
        let req = format!("{target} HTTP/1.1\r\nhost: t\r\ncontent-length: 1000000000\r\nexpect: 100-continue\r\n\r\n");
        c.write_all(req.as_bytes()).await.unwrap();
        let got = head(&mut c).await;
        assert!(got.starts_with(&format!("HTTP/1.1 {status} ")), "{target}: {got}");
        assert!(got.to_ascii_lowercase().contains("connection: close"), "{target}: {got}");
        assert!(!got.contains("100 Continue"), "{target}: 100 sent to a route that does not read: {got}");
        rest(&mut c).await;
    }
}

#[tokio::test]
async fn continue_only_when_the_route_reads() {
    let server = start().await;
    let mut c = TcpStream::connect(server.addr).await.unwrap();
    c.write_all(b"POST /echo HTTP/1.1\r\nhost: t\r\ncontent-type: text/plain\r\ncontent-length: 5\r\nexpect: 100-continue\r\n\r\n")
        .await
        .unwrap();
    assert!(head(&mut c).await.starts_with("HTTP/1.1 100 Continue"));
    c.write_all(b"hello").await.unwrap();
    assert!(head(&mut c).await.starts_with("HTTP/1.1 200 "));
    // A length over the route's limit: 413 at once, without 100, unread.
    let mut c = TcpStream::connect(server.addr).await.unwrap();
    c.write_all(b"PUT /big HTTP/1.1\r\nhost: t\r\ncontent-length: 16777217\r\nexpect: 100-continue\r\n\r\n")
        .await
        .unwrap();
    let got = head(&mut c).await;
    assert!(got.starts_with("HTTP/1.1 413 "), "{got}");
}

/// `n` bytes of a fixed pattern, and the checksum `count` computes.
fn payload(n: usize) -> (Vec<u8>, u64) {
    let data: Vec<u8> = (0..n).map(|i| u8::try_from(i * 7 % 251).unwrap_or(0)).collect();
    let sum = data.iter().fold(0u64, |s, &b| s.wrapping_mul(31).wrapping_add(u64::from(b)));
    (data, sum)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_limit_above_the_servers_streams_in_both_framings() {
    let server = start().await;
    let (data, sum) = payload(8 << 20);
    // Content-Length: 8 MiB through a route allowing 16 MiB, while the server's default is 2 MiB.
    let mut c = TcpStream::connect(server.addr).await.unwrap();
    c.write_all(
        format!("PUT /big HTTP/1.1\r\nhost: t\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", data.len())
            .as_bytes(),
    )
    .await
    .unwrap();
    c.write_all(&data).await.unwrap();
    let got = rest(&mut c).await;
    assert!(got.starts_with("HTTP/1.1 200 ") && got.ends_with(&format!("{} bytes, sum {sum}", data.len())), "{got}");
    // Chunked, in uneven pieces.
    let mut c = TcpStream::connect(server.addr).await.unwrap();
    c.write_all(b"PUT /big HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    for piece in data.chunks(100_003) {
        c.write_all(format!("{:x}\r\n", piece.len()).as_bytes()).await.unwrap();
        c.write_all(piece).await.unwrap();
        c.write_all(b"\r\n").await.unwrap();
    }
    c.write_all(b"0\r\n\r\n").await.unwrap();
    let got = rest(&mut c).await;
    assert!(got.ends_with(&format!("{} bytes, sum {sum}", data.len())), "{got}");
    // A route without a limit of its own has the server's: 2 MiB.
    let mut c = TcpStream::connect(server.addr).await.unwrap();
    let over = (2 << 20) + 1;
    c.write_all(format!("PUT /default HTTP/1.1\r\nhost: t\r\ncontent-length: {over}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    assert!(head(&mut c).await.starts_with("HTTP/1.1 413 "));
    // Chunked over the route's limit is cut at the chunk that passes it.
    let mut c = TcpStream::connect(server.addr).await.unwrap();
    c.write_all(b"PUT /default HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\n200001\r\n").await.unwrap();
    assert!(head(&mut c).await.starts_with("HTTP/1.1 413 "));
}

#[tokio::test]
async fn a_client_that_leaves_mid_body_gives_the_handler_an_error() {
    let app = std::sync::Arc::new(Api::new(State::default()));
    let (addr, stop, serving) = serve(Server::builder(), ArcApp(app.clone())).await;
    let mut c = TcpStream::connect(addr).await.unwrap();
    c.write_all(b"PUT /big HTTP/1.1\r\nhost: t\r\ncontent-length: 1000\r\n\r\n").await.unwrap();
    c.write_all(&[b'x'; 600]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(c);
    let seen = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Some(end) = app.state().seen.lock().unwrap().first().cloned() {
                return end;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the handler ends");
    assert_eq!(seen, "error after 600: the client closed the connection before the end of the body");
    let _ = stop.send(());
    let _ = serving.await;
}

/// Serves a shared `Api`, so the test can read its state afterwards.
struct ArcApp(std::sync::Arc<Api>);

impl waymark::App for ArcApp {
    fn handle<'a>(&'a self, req: &'a Request) -> impl Future<Output = waymark::Response> + Send + 'a {
        self.0.handle(req)
    }
}

/// A response stream of unknown length (server-sent events) ends, cleanly framed, when the server
/// shuts down: the shutdown does not wait out its grace period for it.
#[tokio::test]
async fn an_endless_stream_ends_at_shutdown() {
    use waymark::sse::{Event, Sse};
    routes! {
        /// One endless event stream.
        Endless;
        GET "/events" => async {
            Sse::new(futures_util::stream::pending::<Event>()).keep_alive(None)
        },
    }
    let (addr, stop, serving) = serve(Server::builder().shutdown_grace(Duration::from_secs(60)), Endless::new()).await;
    let mut c = TcpStream::connect(addr).await.unwrap();
    c.write_all(b"GET /events HTTP/1.1\r\nhost: t\r\n\r\n").await.unwrap();
    assert!(head(&mut c).await.contains("text/event-stream"));
    let _ = stop.send(());
    // Well inside the 60 s grace: the stream ended, with the last chunk, and the server stopped.
    let rest = rest(&mut c).await;
    assert!(rest.ends_with("0\r\n\r\n"), "{rest:?}");
    tokio::time::timeout(Duration::from_secs(5), serving).await.expect("the server stops").unwrap().unwrap();
}

/// slowhttptest's slow-read attack: pipelined requests for answers that together fit in the
/// kernel's send buffer (so every write completes at once), read through a tiny window. The
/// server's writes must still wait for the client (`TCP_NOTSENT_LOWAT`), so the send timeout cuts
/// the connection, with a reset that drops what the kernel still holds, instead of the connection
/// idling in keep-alive with the answers trickling out.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_slow_reader_of_answers_that_fit_the_send_buffer_is_cut() {
    routes! {
        /// A 256 KiB answer, the size slowhttptest asks for in `scripts/slow_clients.sh`.
        Quarter;
        GET "/big" => async { vec![b'x'; 256 << 10] },
    }
    let (addr, stop, serving) = serve(Server::builder().send_timeout(Duration::from_millis(300)), Quarter::new()).await;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut c = socket.connect(addr).await.unwrap();
    c.write_all(&b"GET /big HTTP/1.1\r\nhost: t\r\n\r\n".repeat(3)).await.unwrap();
    let began = std::time::Instant::now();
    // For 2 s, read 32 bytes a tenth of a second: far too slow for the timeout. Then read what
    // is left at full speed, up to the end of the connection.
    let mut got = 0usize;
    let mut buf = vec![0u8; 64 << 10];
    let ended = tokio::time::timeout(Duration::from_secs(8), async {
        loop {
            let slow = began.elapsed() < Duration::from_secs(2);
            if slow {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            match c.read(&mut buf[..if slow { 32 } else { 64 << 10 }]).await {
                Ok(0) => return Ok(()),
                Err(e) => return Err(e.kind()),
                Ok(n) => got += n,
            }
        }
    })
    .await;
    let Ok(end) = ended else { panic!("after {:?} and {got} bytes the connection is still open", began.elapsed()) };
    assert!(got < 3 * (256 << 10), "all answers arrived ({got} bytes)");
    // Reset, not closed: the kernel was told to drop the rest rather than keep sending it.
    assert_eq!(end, Err(std::io::ErrorKind::ConnectionReset));
    let _ = stop.send(());
    let _ = serving.await;
}

/// A client that asks for a large answer and does not read it (a slow-read attack) loses the
/// connection after the send timeout, instead of holding it.
#[tokio::test]
async fn a_client_that_stops_reading_is_cut_after_the_send_timeout() {
    routes! {
        /// One large answer.
        Big;
        GET "/big" => async { vec![b'x'; 8 << 20] },
    }
    let (addr, stop, serving) = serve(Server::builder().send_timeout(Duration::from_millis(300)), Big::new()).await;
    let mut c = TcpStream::connect(addr).await.unwrap();
    c.write_all(b"GET /big HTTP/1.1\r\nhost: t\r\n\r\n").await.unwrap();
    // Read nothing while the server's write would wait; then the server has given up: the
    // connection ends well before 8 MiB arrive.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut got = 0usize;
    let mut buf = vec![0u8; 64 * 1024];
    let drained = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match c.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got += n,
            }
        }
    })
    .await;
    assert!(drained.is_ok(), "the server kept the connection");
    assert!(got < 8 << 20, "the whole answer arrived ({got} bytes): the send was not cut");
    let _ = stop.send(());
    let _ = serving.await;
}
