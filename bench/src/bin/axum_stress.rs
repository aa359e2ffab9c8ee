//! axum 0.8 (hyper 1) with the routes `scripts/slow_clients.sh` attacks in `examples/stress.rs`:
//! `/` (a small answer), `POST /echo` (the body read whole and sent back, up to 8 MiB) and
//! `/big` (256 KiB). axum's defaults otherwise: no connection limit, hyper's header timeout
//! (30 s), no body or send timeout. Multi-threaded, as the example.

use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::serve::ListenerExt;
use axum::{Router, routing::get, routing::post};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    waymark_bench::watchdog();
    let app = Router::new()
        .route("/", get(|| async { "ok\n" }))
        .route("/big", get(|| async { vec![b'x'; 256 * 1024] }))
        .route("/echo", post(|body: Bytes| async move { body }))
        .layer(DefaultBodyLimit::max(8 * 1024 * 1024));
    let listener = tokio::net::TcpListener::bind(waymark_bench::addr()).await?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    eprintln!("axum listening");
    axum::serve(listener, app).await
}
