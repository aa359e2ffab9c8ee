//! An in-process WebSocket, for the facade's test client: the application's `101` answer taken
//! over by its task on one end of an in-memory pipe, the client on the other end. No socket and
//! no HTTP on the pipe: the handshake was the request and the `101` itself.

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::io::DuplexStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::Role;

use crate::Response;
use crate::types::upgrade::Upgraded;
use crate::ws::{Error, Message};

/// The client's end of an in-process WebSocket.
pub type ClientSocket = WebSocketStream<DuplexStream>;

/// What the pipe holds each way before a writer waits, as a socket's buffers would.
const PIPE_BUFFER: usize = 64 * 1024;

/// Runs `res`'s upgrade (what the route's `on_upgrade` gave) on a new task over an in-memory
/// pipe, and gives the client's end; `None` when `res` takes no connection over.
pub async fn connect(res: &mut Response) -> Option<ClientSocket> {
    let run = res.take_upgrade()?;
    let (client, server) = tokio::io::duplex(PIPE_BUFFER);
    tokio::spawn(run(Upgraded::new(Box::new(server), Bytes::new())));
    Some(WebSocketStream::from_raw_socket(client, Role::Client, None).await)
}

/// Sends one message.
///
/// # Errors
/// The socket's: it is closed, or the message breaks the protocol.
pub async fn send(socket: &mut ClientSocket, message: Message) -> Result<(), Error> {
    socket.send(message).await
}

/// The next message; `None` once the socket is closed, with a close handshake or without one
/// (the application's task ended and dropped its end of the pipe, the only way an in-memory
/// pipe fails).
pub async fn recv(socket: &mut ClientSocket) -> Option<Result<Message, Error>> {
    match socket.next().await {
        Some(Err(
            Error::ConnectionClosed
            | Error::AlreadyClosed
            | Error::Io(_)
            | Error::Protocol(ProtocolError::ResetWithoutClosingHandshake),
        )) => None,
        other => other,
    }
}
