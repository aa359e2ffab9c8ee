//! waymark (`ws` feature): a WebSocket echo on `/echo` (the echo handler of tests/ws.rs, default
//! limits), on a current-thread tokio runtime.

use futures_util::{SinkExt, StreamExt};
use waymark::routes;
use waymark::ws::{WebSocket, WebSocketUpgrade};

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
    Echo;
    GET "/echo" => async move { WebSocketUpgrade::from_request(req).map(|ws| ws.on_upgrade(echo)) },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    waymark_bench::watchdog();
    let server = waymark::Server::bind(waymark_bench::addr()).await?;
    eprintln!("waymark ws listening on {}", server.local_addr());
    server.serve(Echo::new()).await
}
