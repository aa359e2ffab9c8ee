//! waymark: `waymark::fs::Dir` serving the directory given as the second argument at `/static/`,
//! on a current-thread tokio runtime (file reads go to tokio's blocking pool, as in any waymark app).
//!
//!     waymark_files PORT DIR

use waymark::fs::Dir;
use waymark::routes;

routes! {
    Files(dir: Dir);
    GET "/static/{*path}" => dir.serve(path, req),
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    waymark_bench::watchdog();
    let root = std::env::args().nth(2).unwrap_or_else(|| "./public".into());
    let server = waymark::Server::bind(waymark_bench::addr()).await?;
    eprintln!("waymark files listening on {}", server.local_addr());
    server.serve(Files::new(Dir::new(root))).await
}
