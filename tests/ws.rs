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
