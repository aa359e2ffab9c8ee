//! WebSocket routes with a real client (PyPI `websockets`, in a virtualenv under `target/`): a
//! chat room per path (examples/chat.rs, mounted), the message size limit, the idle timeout, and
//! a refused handshake.
#![cfg(feature = "ws")]

#[allow(dead_code, reason = "the example's `main` is not used here")]
#[path = "../examples/chat.rs"]
mod chat;
#[path = "support/venv.rs"]
mod venv;

use std::path::Path;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use waymark::ws::{WebSocket, WebSocketUpgrade};
use waymark::{Server, routes};

async fn echo(mut socket: WebSocket) {
    while let Some(msg) = socket.next().await {
        match msg {
            Ok(msg) if msg.is_text() || msg.is_binary() => {
                if socket.send(msg).await.is_err() {
                    break;
                }
            }
            Ok(_) => {}
            Err(e) => {
                waymark::ws::close_for(&mut socket, &e).await;
                break;
            }
        }
    }
}

routes! {
    /// An echo socket with small limits, beside the chat rooms.
    WsTest;
    GET "/echo" => async move {
        WebSocketUpgrade::from_request(req)
            .map(|ws| ws.max_message_size(1024).idle_timeout(Duration::from_millis(500)).on_upgrade(echo))
    },
    GET "/plain" => async move { WebSocketUpgrade::from_request(req).map(|ws| ws.on_upgrade(echo)) },
    mount chat::Chat = chat::Chat::new(chat::Rooms::default());
}

fn python() -> std::path::PathBuf {
    venv::python_with("venv-ws", "websockets", "websockets>=13,<16")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_websocket_client() {
    let python = tokio::task::spawn_blocking(python).await.unwrap();
    let server = Server::bind("127.0.0.1:0").await.unwrap();
    let base = format!("ws://{}", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve_with_shutdown(WsTest::new(), async move {
        let _ = stopped.await;
    }));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/ws_client.py");
    let run = tokio::process::Command::new(python).arg(script).arg(&base).output();
    let out = tokio::time::timeout(Duration::from_secs(60), run).await.expect("the client ends").unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "websockets client failed:\n{stdout}\n{stderr}");
    assert_eq!(stdout, "rooms ok\nlimit ok\nidle ok\nrefused 400\nnot a socket 200\n");
    let _ = stop.send(());
    let _ = serving.await;
}

/// After the upgrade a WebSocket is the application's: none of the HTTP timeouts, the minimum
/// rate or the idle-first eviction apply to it, even with every slot taken and every timeout at
/// its floor. The socket idles for longer than all of them, then echoes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_is_not_subject_to_the_http_timeouts() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let short = Duration::from_millis(200);
    let server = Server::builder()
        .max_connections(1)
        .header_read_timeout(short)
        .keep_alive_timeout(short)
        .send_timeout(short)
        .min_rate(waymark::MinRate { bytes_per_sec: 500, window: short })
        .relief(Some(waymark::Relief { from_percent: 0, floor: Duration::from_millis(100) }))
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let addr = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve_with_shutdown(WsTest::new(), async move {
        let _ = stopped.await;
    }));
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    socket
        .write_all(
            b"GET /plain HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        .await
        .unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        assert_eq!(socket.read(&mut byte).await.unwrap(), 1, "closed during the handshake");
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101 "), "{}", String::from_utf8_lossy(&head));
    // Longer than the header and keep-alive timeouts, and several rate windows, with nothing moved.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // A masked text frame "hi" (mask 0: the payload as is); the echo comes back unmasked.
    socket.write_all(&[0x81, 0x82, 0, 0, 0, 0, b'h', b'i']).await.unwrap();
    let mut echo = [0u8; 4];
    tokio::time::timeout(Duration::from_secs(5), socket.read_exact(&mut echo)).await.expect("an echo").unwrap();
    assert_eq!(echo, [0x81, 0x02, b'h', b'i']);
    drop(socket);
    let _ = stop.send(());
    let _ = serving.await;
}
