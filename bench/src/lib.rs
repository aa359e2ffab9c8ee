//! Shared bits of the benchmark servers.

use std::time::Duration;

/// The plaintext body every server answers on `/plaintext`.
pub const HELLO: &str = "Hello, World!";

/// The JSON body of `/json`: `{"message":"Hello, World!"}`.
#[derive(serde::Serialize)]
pub struct Message {
    pub message: &'static str,
}

/// `127.0.0.1:PORT` from the first argument (default 8080).
pub fn addr() -> std::net::SocketAddr {
    let port: u16 = std::env::args().nth(1).map_or(8080, |p| p.parse().expect("port"));
    ([127, 0, 0, 1], port).into()
}

/// Worker threads for the servers that take a number of them (`BENCH_WORKERS`): default the
/// available cores for bench/per_core.sh's servers, 1 for actix-web's single-core runs.
pub fn workers() -> usize {
    std::env::var("BENCH_WORKERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Every server exits by itself after `BENCH_SERVER_MAX_SECS` (default 900 s), whatever the script does.
pub fn watchdog() {
    let secs: u64 = std::env::var("BENCH_SERVER_MAX_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(900);
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(secs));
        eprintln!("watchdog: exiting after {secs} s");
        std::process::exit(3);
    });
}

/// The certificate and key PEM paths of the TLS servers: the second and third arguments.
pub fn cert_and_key() -> (String, String) {
    let mut args = std::env::args().skip(2);
    match (args.next(), args.next()) {
        (Some(cert), Some(key)) => (cert, key),
        _ => panic!("usage: SERVER PORT CERT.pem KEY.pem"),
    }
}
