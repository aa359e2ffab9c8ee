//! A chat room per path: `cargo run --example chat --features ws`, then open
//! <http://127.0.0.1:3002/chat/rust> in two browser tabs. Every message sent in a room reaches
//! everyone in it, over WebSocket.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::broadcast;
use waymark::ws::{Message, WebSocket, WebSocketUpgrade, close_for};
use waymark::{Html, Server, routes};

/// The rooms with someone in them: a broadcast channel each.
#[derive(Debug, Default)]
pub(crate) struct Rooms(Mutex<HashMap<String, broadcast::Sender<String>>>);

impl Rooms {
    fn join(&self, room: &str) -> broadcast::Sender<String> {
        let mut rooms = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        rooms.retain(|_, tx| tx.receiver_count() > 0);
        rooms.entry(room.to_owned()).or_insert_with(|| broadcast::channel(64).0).clone()
    }
}

/// One member: what they send goes to the room, what the room says comes to them.
async fn member(mut socket: WebSocket, room: broadcast::Sender<String>) {
    let mut heard = room.subscribe();
    loop {
        tokio::select! {
            said = socket.next() => match said {
                Some(Ok(Message::Text(text))) => { let _ = room.send(text.to_string()); }
                Some(Ok(Message::Close(_))) | None => break,
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    close_for(&mut socket, &e).await;
                    break;
                }
            },
            heard = heard.recv() => match heard {
                Ok(text) => if socket.send(Message::text(text)).await.is_err() { break },
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => break,
            },
        }
    }
}

routes! {
    /// The chat: a page and a socket per room.
    pub(crate) Chat(rooms: Rooms) at "/chat";
    GET "/{room}" as page => async { Html(include_str!("chat/index.html")) },
    GET "/{room}/ws" as socket => async move {
        let room = rooms.join(room);
        WebSocketUpgrade::from_request(req).map(|ws| {
            ws.max_message_size(4 * 1024).idle_timeout(Duration::from_secs(5 * 60)).on_upgrade(|s| member(s, room))
        })
    },
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let server = Server::bind("127.0.0.1:3002").await?;
    println!("open http://{}{} in two tabs", server.local_addr(), Chat::page_url("rust"));
    server.serve_with_shutdown(Chat::new(Rooms::default()), async { tokio::signal::ctrl_c().await.unwrap_or(()) }).await
}
