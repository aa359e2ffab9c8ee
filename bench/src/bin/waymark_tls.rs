//! waymark over TLS (rustls, ring): `/plaintext` and `/json` on a current-thread tokio runtime.
//! `waymark_tls PORT CERT.pem KEY.pem`.

use waymark::{Json, TlsConfig, routes};
use waymark_bench::{HELLO, Message};

routes! {
    Bench;
    GET "/plaintext" => async { HELLO },
    GET "/json" => async { Json(Message { message: HELLO }) },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    waymark_bench::watchdog();
    let (cert, key) = waymark_bench::cert_and_key();
    let tls = TlsConfig::from_pem_files(cert, key)?;
    let server = waymark::Server::builder().tls(tls).bind(waymark_bench::addr()).await?;
    eprintln!("waymark (tls) listening on {}", server.local_addr());
    server.serve(Bench::new()).await
}
