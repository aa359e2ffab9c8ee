//! axum 0.8 with tower-http's `ServeDir` serving the directory given as the second argument at
//! `/static/`, on a current-thread tokio runtime, TCP_NODELAY set.
//!
//!     axum_files PORT DIR

use axum::Router;
use axum::serve::ListenerExt;
use tower_http::services::ServeDir;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    waymark_bench::watchdog();
    let root = std::env::args().nth(2).unwrap_or_else(|| "./public".into());
    let app = Router::new().nest_service("/static", ServeDir::new(root));
    let listener = tokio::net::TcpListener::bind(waymark_bench::addr()).await?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    eprintln!("axum files listening");
    axum::serve(listener, app).await
}
