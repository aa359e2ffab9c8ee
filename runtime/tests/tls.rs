//! TLS (feature `tls`): real `curl --cacert` against a certificate made at test time, ALPN,
//! the handshake timeout, failed handshakes, and certificate reload.
#![cfg(feature = "tls")]

mod common;
mod tools;

use std::net::SocketAddr;
use std::time::Duration;

use common::{bounded, builder, start};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tools::{TestCert, curl, curl_output};
use waymark_runtime::TlsConfig;

/// curl arguments for `https://localhost:PORT{path}` trusting `cert`, with `localhost` pinned to
/// the server's address.
fn https(addr: SocketAddr, cert: &TestCert, path: &str) -> Vec<String> {
    vec![
        "--cacert".to_owned(),
        cert.cert_arg(),
        "--resolve".to_owned(),
        format!("localhost:{}:127.0.0.1", addr.port()),
        format!("https://localhost:{}{path}", addr.port()),
    ]
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[tokio::test]
async fn curl_over_https_http1() {
    bounded(30, async {
        let cert = TestCert::new("http1");
        let tls = TlsConfig::from_pem_files(cert.cert_path(), cert.key_path()).expect("tls config");
        let server = start(builder().tls(tls)).await;
        let url = https(server.addr, &cert, "/");
        let out = curl(&[&["--http1.1", "-w", "\n%{http_version}"], &args(&url)[..]].concat()).await;
        assert_eq!(out, "hello\n1.1");
        let url = https(server.addr, &cert, "/echo");
        let out = curl(&[&["--http1.1", "--data-binary", "secret"], &args(&url)[..]].concat()).await;
        assert_eq!(out, "secret");
        // The certificate is also valid for the IP address.
        let by_ip = format!("https://127.0.0.1:{}/", server.addr.port());
        let out = curl(&["--cacert", &cert.cert_arg(), &by_ip]).await;
        assert_eq!(out, "hello");
        server.stop().await;
    })
    .await;
}

#[cfg(feature = "http2")]
#[tokio::test]
async fn curl_over_https_negotiates_h2() {
    bounded(30, async {
        let cert = TestCert::new("h2");
        let tls = TlsConfig::from_pem(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes()).expect("tls config");
        let server = start(builder().tls(tls)).await;
        let url = https(server.addr, &cert, "/");
        let out = curl(&[&["--http2", "-w", "\n%{http_version}"], &args(&url)[..]].concat()).await;
        assert_eq!(out, "hello\n2");
        // A client that offers only http/1.1 gets the native server.
        let out = curl(&[&["--http1.1", "-w", "\n%{http_version}"], &args(&url)[..]].concat()).await;
        assert_eq!(out, "hello\n1.1");
        server.stop().await;
    })
    .await;
}

#[cfg(feature = "http2")]
#[tokio::test]
async fn h2load_over_tls() {
    bounded(120, async {
        let cert = TestCert::new("h2load");
        let tls = TlsConfig::from_pem(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes()).expect("tls config");
        let server = start(builder().tls(tls)).await;
        let target = format!("https://127.0.0.1:{}/", server.addr.port());
        // 8 connections (8 handshakes), up to 50 streams in flight on each.
        let report = tools::h2load(&["-n", "2000", "-c", "8", "-m", "50", &target]).await;
        assert!(report.contains("Application protocol: h2"), "{report}");
        assert!(
            report.contains("requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored"),
            "{report}"
        );
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_by_the_client() {
    bounded(30, async {
        let cert = TestCert::new("untrusted");
        let other = TestCert::new("untrusted-other");
        let tls = TlsConfig::from_pem(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes()).expect("tls config");
        let server = start(builder().tls(tls)).await;
        let out = curl_output(&args(&https(server.addr, &other, "/"))).await;
        // 60: peer certificate cannot be authenticated with known CA certificates.
        assert_eq!(out.status.code(), Some(60), "{out:?}");
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_stalled_handshake_times_out_without_blocking_other_clients() {
    bounded(30, async {
        let cert = TestCert::new("stall");
        let tls = TlsConfig::from_pem(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes()).expect("tls config");
        let server = start(builder().tls(tls).tls_handshake_timeout(Duration::from_millis(300))).await;

        // Connects and sends nothing: the handshake never starts.
        let mut stalled = TcpStream::connect(server.addr).await.unwrap();
        // Meanwhile other clients are accepted and served.
        let out = curl(&args(&https(server.addr, &cert, "/"))).await;
        assert_eq!(out, "hello");
        // The stalled connection is closed by the server once its handshake time is up.
        let mut buf = [0u8; 16];
        let read = tokio::time::timeout(Duration::from_secs(10), stalled.read(&mut buf)).await;
        assert!(matches!(read, Ok(Ok(0) | Err(_))), "stalled connection not closed: {read:?}");
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn plaintext_to_the_tls_port_fails_the_handshake_only() {
    bounded(30, async {
        let cert = TestCert::new("plain");
        let tls = TlsConfig::from_pem(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes()).expect("tls config");
        let server = start(builder().tls(tls)).await;
        let mut plain = TcpStream::connect(server.addr).await.unwrap();
        plain.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), plain.read_to_end(&mut answer)).await;
        assert!(!answer.starts_with(b"HTTP/"), "answered HTTP over a plain connection to the TLS port");
        let out = curl(&args(&https(server.addr, &cert, "/"))).await;
        assert_eq!(out, "hello");
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn certificates_reload_without_a_restart() {
    bounded(30, async {
        let first = TestCert::new("reload-1");
        let second = TestCert::new("reload-2");
        let tls = TlsConfig::from_pem_files(first.cert_path(), first.key_path()).expect("tls config");
        let server = start(builder().tls(tls.clone())).await;
        assert_eq!(curl(&args(&https(server.addr, &first, "/"))).await, "hello");

        tls.reload_from_pem_files(second.cert_path(), second.key_path()).expect("reload");
        assert_eq!(curl(&args(&https(server.addr, &second, "/"))).await, "hello");
        let out = curl_output(&args(&https(server.addr, &first, "/"))).await;
        assert_eq!(out.status.code(), Some(60), "the old certificate is still served: {out:?}");

        // A bad reload keeps the current certificate.
        assert!(tls.reload_from_pem_files(second.key_path(), second.cert_path()).is_err());
        assert_eq!(curl(&args(&https(server.addr, &second, "/"))).await, "hello");
        server.stop().await;
    })
    .await;
}
