//! axum 0.8 over TLS with axum-server's rustls acceptor (ring provider; TCP_NODELAY is
//! axum-server's default): `/plaintext` and `/json` on a current-thread tokio runtime.
//! `axum_tls PORT CERT.pem KEY.pem`.

use axum::{Json, Router, routing::get};
use axum_server::tls_rustls::RustlsConfig;
use waymark_bench::{HELLO, Message};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    waymark_bench::watchdog();
    let (cert, key) = waymark_bench::cert_and_key();
    let app = Router::new()
        .route("/plaintext", get(|| async { HELLO }))
        .route("/json", get(|| async { Json(Message { message: HELLO }) }));
    let config = RustlsConfig::from_pem_file(cert, key).await?;
    eprintln!("axum (axum-server, tls) listening");
    axum_server::bind_rustls(waymark_bench::addr(), config).serve(app.into_make_service()).await
}
