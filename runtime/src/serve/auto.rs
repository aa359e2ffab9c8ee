//! Which protocol serves a connection, decided outside every protocol (as hyper-util's `auto`
//! builder does): HTTP/1.1, or, with the `http2` feature, HTTP/2 when ALPN chose `h2` or a plain
//! connection opens with the preface. This is the one seam where TLS and HTTP/2 plug into the
//! server: the HTTP/1.1 code in `proto/` knows of neither.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::App;
use crate::proto::conn::Conn;
use crate::proto::io::Io;
#[cfg(feature = "http2")]
use crate::serve::h2;
#[cfg(feature = "tls")]
use crate::serve::tls;

/// A connection's task, as the accept loop spawns it.
pub(crate) type ConnFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The server's TLS and HTTP/2 settings, which decide how an accepted connection is served.
#[derive(Debug, Clone, Default)]
pub(crate) struct Protocols {
    #[cfg(feature = "tls")]
    pub(crate) tls: tls::Settings,
    #[cfg(feature = "http2")]
    pub(crate) h2: h2::Settings,
}

impl Protocols {
    /// The protocol of a connection with no TLS: HTTP/1.1, or a look for the HTTP/2 preface.
    #[cfg_attr(not(feature = "http2"), allow(clippy::unused_self, reason = "reads the HTTP/2 settings"))]
    pub(crate) fn plain(&self) -> Protocol {
        #[cfg(feature = "http2")]
        if self.h2.prior_knowledge {
            return Protocol::Sniff(self.h2);
        }
        Protocol::Http1
    }

    /// The protocol of a TLS connection whose ALPN chose `h2` or not.
    #[cfg(feature = "tls")]
    #[cfg_attr(not(feature = "http2"), allow(clippy::unused_self, reason = "reads the HTTP/2 settings"))]
    pub(crate) fn alpn(&self, h2: bool) -> Protocol {
        #[cfg(feature = "http2")]
        if h2 {
            return Protocol::Http2(self.h2);
        }
        let _ = h2; // without the `http2` feature, ALPN never offers `h2`
        Protocol::Http1
    }
}

/// How to serve a connection.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Protocol {
    /// The native HTTP/1.x server.
    Http1,
    /// HTTP/2 if the first bytes are its preface (prior knowledge, RFC 9113 §3.3), else HTTP/1.x.
    #[cfg(feature = "http2")]
    Sniff(h2::Settings),
    /// HTTP/2, as ALPN chose (RFC 9113 §3.2).
    #[cfg(feature = "http2")]
    #[cfg_attr(not(feature = "tls"), allow(dead_code, reason = "only ALPN chooses it"))]
    Http2(h2::Settings),
}

/// A connection's task. Without a preface to look for, it is the HTTP/1.x connection's own
/// future: a layer of `async` less on every poll.
pub(crate) fn serve<A: App, S: Io>(app: Arc<A>, conn: Conn<S>, protocol: Protocol) -> ConnFuture {
    match protocol {
        Protocol::Http1 => Box::pin(conn.run(app)),
        #[cfg(feature = "http2")]
        Protocol::Http2(settings) => Box::pin(h2::serve(conn, app, settings)),
        #[cfg(feature = "http2")]
        Protocol::Sniff(settings) => {
            let mut conn = conn;
            Box::pin(async move {
                match conn.opens_with(h2::PREFACE).await {
                    Some(false) => conn.run(app).await,
                    Some(true) => h2::serve(conn, app, settings).await,
                    None => {}
                }
            })
        }
    }
}
