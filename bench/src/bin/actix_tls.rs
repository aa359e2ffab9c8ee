//! actix-web 4 over TLS (its `rustls-0_23` feature, ring provider): `/plaintext` and `/json`, one
//! worker, TCP_NODELAY set. `actix_tls PORT CERT.pem KEY.pem`.

use actix_web::{App, HttpResponse, HttpServer, web};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use waymark_bench::{HELLO, Message};

async fn plaintext() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(HELLO)
}

async fn json() -> web::Json<Message> {
    web::Json(Message { message: HELLO })
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    waymark_bench::watchdog();
    let (cert, key) = waymark_bench::cert_and_key();
    let certs = CertificateDer::pem_file_iter(cert).expect("cert").collect::<Result<Vec<_>, _>>().expect("cert");
    let key = PrivateKeyDer::from_pem_file(key).expect("key");
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("certificate");
    eprintln!("actix-web (tls) listening");
    HttpServer::new(|| App::new().route("/plaintext", web::get().to(plaintext)).route("/json", web::get().to(json)))
        .workers(1)
        .tcp_nodelay(true)
        .bind_rustls_0_23(waymark_bench::addr(), config)?
        .run()
        .await
}
