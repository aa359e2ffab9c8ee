//! The bookmarks API over HTTPS (HTTP/1.1 and HTTP/2 by ALPN), and HTTP/2 with prior knowledge
//! on a plain port, from one application value.
//!
//! ```text
//! cargo run --example tls --features tls,http2          # https://localhost:3443, h2c on 3444
//! PORT=8443 cargo run --example tls --features tls,http2
//! ```
//!
//! A self-signed certificate for `localhost` and `127.0.0.1` is made at start and written to a
//! temporary file, printed as `cert: PATH`. Then:
//!
//! ```text
//! curl --cacert PATH https://localhost:3443/bookmarks                 # HTTP/2 over TLS
//! curl --http2-prior-knowledge http://localhost:3444/bookmarks        # h2c
//! ```
//!
//! The application is `api/app.rs`, as in the `api` example. Ctrl-C stops both servers
//! gracefully (HTTP/2 clients get a GOAWAY).

#[path = "api/app.rs"]
mod app;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use app::{Api, Store};
use waymark::{Server, TlsConfig};

const DEFAULT_PORT: u16 = 3443;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port = match std::env::var("PORT") {
        Ok(port) => port.parse().map_err(|_| format!("invalid PORT `{port}`: expected 0 to 65534"))?,
        Err(_) => DEFAULT_PORT,
    };
    let plain_port = u16::checked_add(port, 1).ok_or("PORT must leave room for PORT+1")?;
    let (token, random_token) = app::startup::admin_token()?;
    if random_token {
        println!("admin token (random, shown only now; set ADMIN_TOKEN to choose one): {token}");
    }

    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
    let cert_pem = cert.cert.pem();
    let cert_path = write_cert(&cert_pem)?;
    let tls = TlsConfig::from_pem(cert_pem.as_bytes(), cert.key_pair.serialize_pem().as_bytes())?;

    // One application value, shared by both servers.
    let api = Arc::new(Api::new(Store::with_examples(token)));
    let https = Server::builder().tls(tls).bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
    let plain = Server::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, plain_port))).await?;
    let (https_port, plain_port) = (https.local_addr().port(), plain.local_addr().port());

    println!("cert: {}", cert_path.display());
    println!("bookmarks API on https://localhost:{https_port} (HTTP/1.1 and HTTP/2)");
    println!("            and http://localhost:{plain_port} (HTTP/1.1, and HTTP/2 with prior knowledge)");
    println!("try: curl --cacert {} https://localhost:{https_port}/bookmarks", cert_path.display());
    println!("     curl --http2-prior-knowledge http://localhost:{plain_port}/bookmarks");
    println!("Ctrl-C to stop");

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(());
    let stopped = |mut rx: tokio::sync::watch::Receiver<()>| async move {
        let _ = rx.changed().await;
    };
    let https = https.serve_with_shutdown(Arc::clone(&api), stopped(stop_rx.clone()));
    let plain = plain.serve_with_shutdown(api, stopped(stop_rx));
    let ctrl_c = async move {
        tokio::signal::ctrl_c().await.unwrap_or(());
        println!("shutting down");
        let _ = stop_tx.send(());
        Ok(())
    };
    tokio::try_join!(https, plain, ctrl_c)?;
    Ok(())
}

/// Writes the certificate where curl can read it; the key stays in memory.
fn write_cert(pem: &str) -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("waymark-tls-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("cert.pem");
    std::fs::write(&path, pem)?;
    Ok(path)
}
