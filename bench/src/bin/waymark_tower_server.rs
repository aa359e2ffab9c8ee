//! waymark with one no-op tower layer (`tower_layer::Identity`) as `wrap tower(..)` around
//! `/plaintext`: the cost of the tower bridge per request, against `waymark_wrap_server`.

use waymark::routes;
use waymark_bench::HELLO;

routes! {
    Bench;
    wrap tower(tower_layer::Identity::new());
    GET "/plaintext" => async { HELLO },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    waymark_bench::watchdog();
    let server = waymark::Server::bind(waymark_bench::addr()).await?;
    eprintln!("waymark (tower layer) listening on {}", server.local_addr());
    server.serve(Bench::new()).await
}
