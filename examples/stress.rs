//! The server that `scripts/slow_clients.sh` and `scripts/soak.sh` attack: a few routes with the
//! default limits, except those set from the environment.
//!
//! ```text
//! PORT=3002 MAX_CONNECTIONS=200 cargo run --release --example stress
//! PORT=3002 cargo run --release --example stress --features ws   # with a WebSocket echo at /ws
//! ```
//!
//! `TRUSTED_PROXIES=127.0.0.2,10.0.0.0/8` sets the trusted proxies, and `GET /debug/client`
//! answers the client's address as the server sees it (`Request::client_addr`).
//!
//! `GET /debug/tasks` answers the number of live tokio tasks (one per open connection, upgraded
//! ones included, plus those of the server itself), which `scripts/soak.sh` samples.
//!
//! Ctrl-C or SIGTERM stops it gracefully.

use std::time::Duration;

use waymark::{Bytes, Json, Request, Response, Server, routes};

#[derive(serde::Deserialize)]
struct Item {
    name: String,
}

routes! {
    /// Small answers, bodies read whole or echoed, a slow handler, JSON that can be malformed.
    Stress;
    GET  "/"                                  => async { "ok\n" },
    GET  "/big"                               => async { vec![b'x'; 256 * 1024] },
    GET  "/sleep/{ms: u64}"                   => sleep(ms),
    POST "/echo" body: Bytes limit 8 MiB      => async move { body },
    POST "/items" body: Json<Item>            => async move { format!("created {}\n", body.name) },
    GET  "/ws"                                => async move { ws_echo(req) },
    GET  "/debug/tasks"                       => async { tasks() },
    GET  "/debug/client"                      => async move { client(req) },
}

fn client(req: &Request) -> String {
    req.client_addr().map_or_else(|| "unknown\n".to_owned(), |ip| format!("{ip}\n"))
}

fn tasks() -> String {
    format!("{}\n", tokio::runtime::Handle::current().metrics().num_alive_tasks())
}

/// A WebSocket that sends back every text and binary message until the client closes it.
#[cfg(feature = "ws")]
fn ws_echo(req: &Request) -> Response {
    use futures_util::{SinkExt, StreamExt};
    use waymark::IntoResponse;
    use waymark::ws::{Message, WebSocketUpgrade, close_for};

    let upgrade = WebSocketUpgrade::from_request(req).map(|ws| {
        ws.on_upgrade(|mut socket| async move {
            while let Some(msg) = socket.next().await {
                match msg {
                    Ok(msg @ (Message::Text(_) | Message::Binary(_))) => {
                        if socket.send(msg).await.is_err() {
                            break;
                        }
                    }
                    Ok(Message::Close(_)) => break,
                    Ok(_) => {}
                    Err(e) => {
                        close_for(&mut socket, &e).await;
                        break;
                    }
                }
            }
        })
    });
    upgrade.into_response()
}

#[cfg(not(feature = "ws"))]
fn ws_echo(_: &Request) -> Response {
    Response::text("built without the `ws` feature\n").with_status(waymark::StatusCode::NOT_FOUND)
}

async fn sleep(ms: u64) -> &'static str {
    tokio::time::sleep(Duration::from_millis(ms.min(5_000))).await;
    "slept\n"
}

fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut builder = Server::builder();
    if let Some(n) = env("MAX_CONNECTIONS") {
        builder = builder.max_connections(n);
    }
    if let Ok(list) = std::env::var("TRUSTED_PROXIES") {
        let nets = list.split(',').map(|net| net.trim().parse()).collect::<Result<Vec<_>, _>>();
        builder = builder.trusted_proxies(nets.map_err(std::io::Error::other)?);
    }
    let server = builder.bind(("127.0.0.1", env("PORT").unwrap_or(3002))).await?;
    println!("listening on http://{}", server.local_addr());
    server.serve_with_shutdown(Stress::new(), stop()).await
}

/// Ctrl-C, or SIGTERM on Unix.
async fn stop() {
    #[cfg(unix)]
    if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        return;
    }
    let _ = tokio::signal::ctrl_c().await;
}
