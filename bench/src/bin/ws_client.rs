//! WebSocket echo load: N connections, each sending M binary messages of SIZE bytes one at a time
//! and awaiting each echo before the next. Prints `messages seconds messages_per_s` on one line.
//!
//!     ws_client URL [N=64] [M=20000] [SIZE=64]

use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).cloned().unwrap_or_else(|| "ws://127.0.0.1:8080/echo".into());
    let conns: usize = args.get(2).map_or(64, |s| s.parse().expect("N"));
    let per_conn: usize = args.get(3).map_or(20_000, |s| s.parse().expect("M"));
    let size: usize = args.get(4).map_or(64, |s| s.parse().expect("SIZE"));

    let mut sockets = Vec::with_capacity(conns);
    for _ in 0..conns {
        let (ws, _) = tokio_tungstenite::connect_async(url.as_str()).await.expect("handshake");
        let _ = ws.get_ref().get_ref().set_nodelay(true);
        sockets.push(ws);
    }
    let payload = bytes_of(size);
    let start = Instant::now();
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|mut ws| {
            let payload = payload.clone();
            tokio::spawn(async move {
                for _ in 0..per_conn {
                    ws.send(Message::Binary(payload.clone())).await.expect("send");
                    loop {
                        match ws.next().await.expect("echo").expect("echo") {
                            Message::Binary(b) => {
                                assert_eq!(b.len(), payload.len());
                                break;
                            }
                            Message::Ping(_) | Message::Pong(_) => {}
                            other => panic!("unexpected {other:?}"),
                        }
                    }
                }
                let _ = ws.close(None).await;
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("connection task");
    }
    let secs = start.elapsed().as_secs_f64();
    let total = conns * per_conn;
    println!("{total} {secs:.3} {:.0}", total as f64 / secs);
}

fn bytes_of(size: usize) -> tokio_tungstenite::tungstenite::Bytes {
    (0..size).map(|i| b'a' + (i % 26) as u8).collect::<Vec<u8>>().into()
}
