//! axum 0.8 (hyper 1): `/plaintext` and `/json` on a current-thread tokio runtime, TCP_NODELAY set.

use axum::serve::ListenerExt;
use axum::{Json, Router, routing::get};
use waymark_bench::{HELLO, Message};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    waymark_bench::watchdog();
    let app = Router::new()
        .route("/plaintext", get(|| async { HELLO }))
        .route("/json", get(|| async { Json(Message { message: HELLO }) }));
    let listener = tokio::net::TcpListener::bind(waymark_bench::addr()).await?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    eprintln!("axum listening");
    axum::serve(listener, app).await
}
