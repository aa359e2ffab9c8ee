//! The TLS client of bench/tls.sh, on one thread (rustls, ring), with no certificate check and no
//! session resumption, so that every connection is a full handshake and the client does less work
//! per handshake than the server (no signature to verify).
//!
//! - `tls_client handshakes PORT SECS CONCURRENCY`: CONCURRENCY loops, each connecting, shaking
//!   hands, sending one `GET /plaintext` with `connection: close`, reading the answer and closing,
//!   for SECS seconds; prints `handshakes=N failed=N secs=S client_cpu_s=S` (its own CPU time).
//! - `tls_client idle PORT N SECS`: opens N connections, each with a handshake and one keep-alive
//!   `GET /plaintext` answered, prints `ready N failed=N` and holds them idle for SECS seconds.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

#[derive(Debug)]
struct AnyCert(Vec<SignatureScheme>);

impl ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.clone()
    }
}

fn connector() -> TlsConnector {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let schemes = provider.signature_verification_algorithms.supported_schemes();
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCert(schemes)))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.resumption = rustls::client::Resumption::disabled();
    TlsConnector::from(Arc::new(config))
}

async fn connect(tls: &TlsConnector, port: u16) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
    tcp.set_nodelay(true)?;
    tls.connect(ServerName::try_from("localhost").expect("name"), tcp).await
}

/// Sends one request and reads its answer (head and a Content-Length body); true for a 200.
async fn get(stream: &mut TlsStream<TcpStream>, close: bool) -> std::io::Result<bool> {
    let req: &[u8] = if close {
        b"GET /plaintext HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n"
    } else {
        b"GET /plaintext HTTP/1.1\r\nhost: localhost\r\n\r\n"
    };
    stream.write_all(req).await?;
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 512];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(false);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return Ok(head.starts_with("http/1.1 200"));
            }
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let num = |i: usize| -> u64 { args.get(i).and_then(|s| s.parse().ok()).expect("usage: see the file's docs") };
    let port = u16::try_from(num(2)).expect("port");
    let tls = connector();
    match args.get(1).map(String::as_str) {
        Some("handshakes") => {
            let (secs, conc) = (num(3), num(4));
            let ok = Arc::new(AtomicU64::new(0));
            let failed = Arc::new(AtomicU64::new(0));
            let start = Instant::now();
            let deadline = start + Duration::from_secs(secs);
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..conc {
                let (tls, ok, failed) = (tls.clone(), Arc::clone(&ok), Arc::clone(&failed));
                tasks.spawn(async move {
                    while Instant::now() < deadline {
                        let done = match connect(&tls, port).await {
                            Ok(mut s) => get(&mut s, true).await.unwrap_or(false),
                            Err(_) => false,
                        };
                        if done { &ok } else { &failed }.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
            while tasks.join_next().await.is_some() {}
            let secs = start.elapsed().as_secs_f64();
            // This process's own CPU time, to show whether the client was the bottleneck.
            let cpu_ns: f64 = std::fs::read_to_string("/proc/self/schedstat")
                .ok()
                .and_then(|s| s.split_whitespace().next().and_then(|t| t.parse().ok()))
                .unwrap_or(f64::NAN);
            println!(
                "handshakes={} failed={} secs={secs:.3} client_cpu_s={:.3}",
                ok.load(Ordering::Relaxed),
                failed.load(Ordering::Relaxed),
                cpu_ns / 1e9
            );
        }
        Some("idle") => {
            let (n, secs) = (num(3), num(4));
            let mut open = Vec::new();
            let mut failed = 0;
            // In batches, so that the listen backlog never overflows.
            for batch in 0..n.div_ceil(100) {
                let mut tasks = tokio::task::JoinSet::new();
                for _ in 0..(n - batch * 100).min(100) {
                    let tls = tls.clone();
                    tasks.spawn(async move {
                        let mut s = connect(&tls, port).await?;
                        if get(&mut s, false).await? { Ok(s) } else { Err(std::io::Error::other("not 200")) }
                    });
                }
                while let Some(r) = tasks.join_next().await {
                    match r {
                        Ok(Ok(s)) => open.push(s),
                        _ => failed += 1,
                    }
                }
            }
            println!("ready {} failed={failed}", open.len());
            tokio::time::sleep(Duration::from_secs(secs)).await;
            drop(open);
        }
        _ => panic!("usage: tls_client handshakes PORT SECS CONCURRENCY | tls_client idle PORT N SECS"),
    }
}
