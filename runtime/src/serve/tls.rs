//! TLS (HTTPS) through rustls, with tokio-rustls.
//!
//! The handshake runs in the connection's own task, never in the accept loop, and is bounded by the
//! [handshake timeout](crate::ServerBuilder::tls_handshake_timeout): a client that stalls or fails
//! its handshake costs one connection slot for at most that long. ALPN (RFC 7301) offers `h2`
//! (with the `http2` feature) and `http/1.1`; `h2` goes to hyper's HTTP/2 connection, anything else
//! to the native HTTP/1.1 server.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::proto::io::Socket;

/// Default time a client gets to complete its TLS handshake: 10 s, as the header read timeout. A
/// handshake is a few round trips; a slow mobile link needs well under a second per round trip.
pub const DEFAULT_TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The ALPN protocols offered when the configuration names none, most preferred first.
const ALPN: &[&[u8]] = &[
    #[cfg(feature = "http2")]
    b"h2",
    b"http/1.1",
];

/// A server's TLS configuration, which can be replaced while the server runs.
///
/// Clones share one configuration: keep a clone, hand the other to
/// [`ServerBuilder::tls`](crate::ServerBuilder::tls), and call [`TlsConfig::reload`] (or
/// [`TlsConfig::reload_from_pem_files`]) when the certificate is renewed. Connections accepted
/// after the reload use the new certificate; open ones keep the one they were made with.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// use waymark_runtime::{Server, TlsConfig};
///
/// let tls = TlsConfig::from_pem_files("cert.pem", "key.pem")?;
/// let server = Server::builder().tls(tls.clone()).bind("0.0.0.0:443").await?;
/// // Later, after the certificate was renewed on disk (a SIGHUP handler, a file watcher, ...):
/// tls.reload_from_pem_files("cert.pem", "key.pem")?;
/// # let _ = server; Ok(()) }
/// ```
#[derive(Clone)]
pub struct TlsConfig {
    current: Arc<RwLock<Arc<ServerConfig>>>,
}

impl TlsConfig {
    /// Wraps a rustls configuration. When it sets no ALPN protocols, `h2` (with the `http2`
    /// feature) and `http/1.1` are offered.
    pub fn new(config: ServerConfig) -> Self {
        Self { current: Arc::new(RwLock::new(Arc::new(with_alpn(config)))) }
    }

    /// A configuration from a PEM certificate chain (leaf first) and a PEM private key (PKCS#8,
    /// PKCS#1 or SEC1), with rustls' safe defaults and the `ring` provider.
    ///
    /// # Errors
    ///
    /// When the PEM holds no certificate or no key, or rustls rejects them (a key that does not
    /// match the certificate).
    pub fn from_pem(cert_chain: &[u8], key: &[u8]) -> io::Result<Self> {
        Ok(Self::new(server_config(cert_chain, key)?))
    }

    /// As [`TlsConfig::from_pem`], reading the two files.
    ///
    /// # Errors
    ///
    /// When a file cannot be read, or as for [`TlsConfig::from_pem`].
    pub fn from_pem_files(cert_chain: impl AsRef<Path>, key: impl AsRef<Path>) -> io::Result<Self> {
        Self::from_pem(&std::fs::read(cert_chain)?, &std::fs::read(key)?)
    }

    /// Replaces the configuration for the connections accepted from now on.
    pub fn reload(&self, config: ServerConfig) {
        let config = Arc::new(with_alpn(config));
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = config;
    }

    /// Replaces the certificate and key with the ones in these PEM files. On error the current
    /// configuration stays.
    ///
    /// # Errors
    ///
    /// As for [`TlsConfig::from_pem_files`].
    pub fn reload_from_pem_files(&self, cert_chain: impl AsRef<Path>, key: impl AsRef<Path>) -> io::Result<()> {
        self.reload(server_config(&std::fs::read(cert_chain)?, &std::fs::read(key)?)?);
        Ok(())
    }

    /// The configuration new connections get.
    pub fn current(&self) -> Arc<ServerConfig> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    pub(crate) fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.current())
    }
}

/// The server's TLS settings: none unless [`ServerBuilder::tls`](crate::ServerBuilder::tls) was
/// called.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) config: Option<TlsConfig>,
    pub(crate) handshake_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self { config: None, handshake_timeout: DEFAULT_TLS_HANDSHAKE_TIMEOUT }
    }
}

impl Settings {
    /// The acceptor for a new connection, with the configuration current now.
    pub(crate) fn acceptor(&self) -> Option<TlsAcceptor> {
        self.config.as_ref().map(TlsConfig::acceptor)
    }
}

impl From<ServerConfig> for TlsConfig {
    fn from(config: ServerConfig) -> Self {
        Self::new(config)
    }
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig").field("alpn", &self.current().alpn_protocols).finish_non_exhaustive()
    }
}

fn with_alpn(mut config: ServerConfig) -> ServerConfig {
    if config.alpn_protocols.is_empty() {
        config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    }
    config
}

fn invalid(message: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

fn server_config(cert_chain: &[u8], key: &[u8]) -> io::Result<ServerConfig> {
    let certs = CertificateDer::pem_slice_iter(cert_chain)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("certificate PEM: {e}")))?;
    if certs.is_empty() {
        return Err(invalid("certificate PEM: no certificate found"));
    }
    let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| invalid(format!("private key PEM: {e}")))?;
    ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(invalid)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(invalid)
}

/// What a connection may do with the TCP socket under a TLS stream: reset it, not `sendfile` to it.
pub(crate) const SOCKET: Socket<TlsStream<TcpStream>> = Socket { tcp: |tls| Some(tls.get_ref().0), plain: false };

/// Completes the handshake within `timeout`; with the stream, whether ALPN chose `h2`. `None`
/// when the handshake failed or timed out (logged at `DEBUG`).
pub(crate) async fn handshake(
    stream: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    timeout: Duration,
) -> Option<(TlsStream<TcpStream>, bool)> {
    // Boxed, so that the handshake's state (rustls's, several KiB) is freed once it is done
    // instead of staying reserved in the connection's future for as long as the connection lives.
    match tokio::time::timeout(timeout, Box::pin(acceptor.accept(stream))).await {
        Ok(Ok(tls)) => {
            let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
            Some((tls, h2))
        }
        Ok(Err(e)) => {
            tracing::debug!(%peer, error = %e, "tls handshake failed");
            None
        }
        Err(_) => {
            tracing::debug!(%peer, "tls handshake timed out");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_errors_are_reported() {
        let cases: &[(&[u8], &[u8], &str)] = &[
            (b"", b"", "no certificate"),
            (b"not pem at all", b"", "no certificate"),
            (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", b"", "private key"),
        ];
        for (cert, key, want) in cases {
            let err = TlsConfig::from_pem(cert, key).unwrap_err();
            assert!(err.to_string().contains(want), "{err} should mention {want}");
        }
    }

    #[test]
    fn alpn_is_offered_unless_set() {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let tls = TlsConfig::from_pem(cert.cert.pem().as_bytes(), cert.key_pair.serialize_pem().as_bytes()).unwrap();
        let offered = tls.current().alpn_protocols.clone();
        let want: Vec<Vec<u8>> = ALPN.iter().map(|p| p.to_vec()).collect();
        assert_eq!(offered, want);
        assert_eq!(offered.last().map(Vec::as_slice), Some(&b"http/1.1"[..]));

        let mut own = (*tls.current()).clone();
        own.alpn_protocols = vec![b"http/1.1".to_vec()];
        tls.reload(own);
        assert_eq!(tls.current().alpn_protocols, vec![b"http/1.1".to_vec()]);
    }
}
