//! Every instance's `/events` hears every instance's writes: each write sends `NOTIFY` in its
//! transaction (pg.rs), and one connection per instance `LISTEN`s and hands each change to the
//! local feed. PostgreSQL delivers a notification only to sessions listening when it commits,
//! so while this connection is down (a database restart, a network cut) changes are missed:
//! when it is back, every open stream gets `event: reload`, and the page reloads its list.

use std::time::Duration;

use tokio::sync::{broadcast, mpsc};
use tokio_postgres::{AsyncMessage, Client, Config, NoTls};

use super::super::super::{Bookmark, Change};
use super::DbError;

/// The wait before connecting again, doubled after each failure up to `MAX_BACKOFF`.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Connects and listens on `channel`, then keeps listening in a task of its own, reconnecting
/// whenever the connection is lost. The first connection is made here, before the instance
/// serves, so that no change is missed at start; failing that is the caller's error.
pub(super) async fn start(config: Config, channel: String, changes: broadcast::Sender<Change>) -> Result<(), DbError> {
    let listening = listen(&config, &channel, &changes)
        .await
        .map_err(|e| DbError::unavailable(format!("cannot listen for changes: {e}")))?;
    tokio::spawn(async move {
        let mut listening = Some(listening);
        let mut backoff = FIRST_BACKOFF;
        loop {
            if let Some((client, mut ended)) = listening.take() {
                // Until the connection ends; the client must live as long as it.
                let _ = ended.recv().await;
                drop(client);
                eprintln!("listening for changes: the connection to the database was lost; reconnecting");
            }
            tokio::time::sleep(backoff).await;
            match listen(&config, &channel, &changes).await {
                Ok(again) => {
                    eprintln!("listening for changes again; open event streams are told to reload");
                    let _ = changes.send(Change::Reload);
                    listening = Some(again);
                    backoff = FIRST_BACKOFF;
                }
                Err(_) => backoff = (backoff * 2).min(MAX_BACKOFF),
            }
        }
    });
    Ok(())
}

/// A connection that listens on `channel` and sends what it hears to `changes`, and a receiver
/// that ends when the connection does.
async fn listen(
    config: &Config,
    channel: &str,
    changes: &broadcast::Sender<Change>,
) -> Result<(Client, mpsc::Receiver<()>), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let (alive, ended) = mpsc::channel::<()>(1);
    let changes = changes.clone();
    tokio::spawn(async move {
        // The connection's messages: notifications go to the feed; an error or the end of the
        // stream is the end of the connection (dropping `alive` says so).
        while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            match message {
                Ok(AsyncMessage::Notification(note)) => match change(note.payload()) {
                    Some(change) => {
                        let _ = changes.send(change);
                    }
                    None => eprintln!("listening for changes: an unreadable notification: {:?}", note.payload()),
                },
                Ok(_) => {}
                Err(e) => {
                    eprintln!("listening for changes: {e}");
                    break;
                }
            }
        }
        drop(alive);
    });
    client.batch_execute(&format!("LISTEN {}", quote(channel))).await?;
    Ok((client, ended))
}

/// An identifier, quoted for SQL.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// What `NOTIFY` carries for `change`: its kind, a space, and its JSON. At most a bookmark's
/// 2,000-byte URL, 800-byte title and eight tags: well under the 8,000-byte limit of a payload.
pub(super) fn payload(change: &Change) -> String {
    match change {
        Change::Added(b) => format!("added {}", serde_json::to_string(b).unwrap_or_default()),
        Change::Updated(b) => format!("updated {}", serde_json::to_string(b).unwrap_or_default()),
        Change::Deleted(id) => format!("deleted {id}"),
        Change::Reload => "reload".to_owned(),
    }
}

/// The change in a payload of [`payload`]'s.
fn change(payload: &str) -> Option<Change> {
    let (kind, data) = payload.split_once(' ').unwrap_or((payload, ""));
    let bookmark = || serde_json::from_str::<Bookmark>(data).ok();
    match kind {
        "added" => bookmark().map(Change::Added),
        "updated" => bookmark().map(Change::Updated),
        "deleted" => data.parse().ok().map(Change::Deleted),
        "reload" => Some(Change::Reload),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_read_back() {
        let bookmark = Bookmark::new(7, "https://a.example".into(), "A \"quoted\" title".into(), vec!["x".into()]);
        for each in [Change::Added(bookmark.clone()), Change::Updated(bookmark), Change::Deleted(7), Change::Reload] {
            let text = payload(&each);
            assert_eq!(change(&text).map(|c| payload(&c)), Some(text));
        }
        assert!(change("added {").is_none() && change("deleted x").is_none() && change("nope").is_none());
    }
}
