//! waymark: `/plaintext` and `/json` on a current-thread tokio runtime (TCP_NODELAY is the default).

use waymark::{Json, routes};
use waymark_bench::{HELLO, Message};

routes! {
    Bench;
    GET "/plaintext" => async { HELLO },
    GET "/json" => async { Json(Message { message: HELLO }) },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    waymark_bench::watchdog();
    let server = waymark::Server::bind(waymark_bench::addr()).await?;
    eprintln!("waymark listening on {}", server.local_addr());
    server.serve(Bench::new()).await
}
