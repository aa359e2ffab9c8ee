//! axum 0.8 (`ws` feature): a WebSocket echo on `/echo`, on a current-thread tokio runtime,
//! TCP_NODELAY set.

use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::serve::ListenerExt;
use axum::{Router, routing::get};

async fn echo(mut socket: WebSocket) {
    while let Some(Ok(msg)) = socket.recv().await {
        if matches!(msg, axum::extract::ws::Message::Text(_) | axum::extract::ws::Message::Binary(_))
            && socket.send(msg).await.is_err()
        {
            break;
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    waymark_bench::watchdog();
    let app = Router::new().route("/echo", get(|ws: WebSocketUpgrade| async { ws.on_upgrade(echo) }));
    let listener = tokio::net::TcpListener::bind(waymark_bench::addr()).await?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    eprintln!("axum ws listening");
    axum::serve(listener, app).await
}
