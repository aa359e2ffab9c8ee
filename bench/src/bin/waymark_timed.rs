//! waymark_server with `timeout 5 s` on its routes: the difference of the two under
//! `bench/h1_instructions.sh` is what a route's timer costs per request.

use waymark::{Json, routes};
use waymark_bench::{HELLO, Message};

routes! {
    Bench;
    GET "/plaintext" timeout 5 s => async { HELLO },
    GET "/json" timeout 5 s => async { Json(Message { message: HELLO }) },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    waymark_bench::watchdog();
    let server = waymark::Server::bind(waymark_bench::addr()).await?;
    eprintln!("waymark (timed routes) listening on {}", server.local_addr());
    server.serve(Bench::new()).await
}
