//! waymark on every core, for bench/per_core.sh: `/plaintext` and `/json`, served one of two ways
//! (`BENCH_MODE`), with `BENCH_WORKERS` threads (default: the available cores):
//! - `mt`: tokio's multi-threaded runtime with that many workers, connections as its tasks (the
//!   default way to serve);
//! - `per-core`: `ServerBuilder::workers(n)`, one single-threaded runtime per thread, each with
//!   its own `SO_REUSEPORT` socket and accept loop.

use waymark::{Json, routes};
use waymark_bench::{HELLO, Message};

routes! {
    Bench;
    GET "/plaintext" => async { HELLO },
    GET "/json" => async { Json(Message { message: HELLO }) },
}

fn main() -> std::io::Result<()> {
    waymark_bench::watchdog();
    let workers = waymark_bench::workers();
    let mode = std::env::var("BENCH_MODE").unwrap_or_else(|_| "mt".to_owned());
    match mode.as_str() {
        "mt" => tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build()?.block_on(
            async {
                let server = waymark::Server::bind(waymark_bench::addr()).await?;
                eprintln!("waymark (multi-threaded runtime, {workers} workers) listening on {}", server.local_addr());
                server.serve(Bench::new()).await
            },
        ),
        "per-core" => tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
            let server = waymark::Server::builder().workers(workers).bind(waymark_bench::addr()).await?;
            eprintln!("waymark (per-core, {workers} workers) listening on {}", server.local_addr());
            server.serve(Bench::new()).await
        }),
        other => panic!("BENCH_MODE={other}: expected `mt` or `per-core`"),
    }
}
