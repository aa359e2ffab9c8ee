//! waymark with one no-op native `wrap` middleware around `/plaintext`: the base that
//! `waymark_tower_server` (the same with a no-op tower layer) is measured against.
//!
//!   bench/h1_instructions.sh bench/target/release/waymark_wrap_server 19401
//!   bench/h1_instructions.sh bench/target/release/waymark_tower_server 19402

use waymark::{Next, Request, Response, routes};
use waymark_bench::HELLO;

async fn noop(_req: &Request, next: Next<'_>) -> Response {
    next.run().await
}

routes! {
    Bench;
    wrap noop;
    GET "/plaintext" => async { HELLO },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    waymark_bench::watchdog();
    let server = waymark::Server::bind(waymark_bench::addr()).await?;
    eprintln!("waymark (native wrap) listening on {}", server.local_addr());
    server.serve(Bench::new()).await
}
