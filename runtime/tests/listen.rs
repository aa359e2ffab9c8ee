//! The ways to listen, in-process and with curl: a `std::net::TcpListener` handed over, a Unix
//! domain socket (its mode, the stale-socket rule, the peer's credentials, `client_addr` behind a
//! proxy, HTTP/1.1 and h2c, removal at shutdown), and the per-core workers. Socket activation is
//! in `activation.rs`, which needs a process of its own.
#![cfg(unix)]

mod common;
mod tools;

use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::bounded;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tools::curl;
use waymark_runtime::{App, Request, Response, Server};

/// Says who asked: the peer's credentials and address, the client by the forwarded rule, and the
/// thread that answered.
struct Who;

impl App for Who {
    async fn handle(&self, req: &Request) -> Response {
        {
            let creds = req.peer_credentials().map(|c| format!("{} {} {:?}", c.uid(), c.gid(), c.pid()));
            Response::text(format!(
                "creds={} addr={:?} client={:?} thread={}",
                creds.unwrap_or_default(),
                req.peer_addr(),
                req.client_addr(),
                std::thread::current().name().unwrap_or("?")
            ))
        }
    }
}

/// A fresh directory for one test's socket files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("waymark-listen-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

struct Running {
    stop: oneshot::Sender<()>,
    done: JoinHandle<io::Result<()>>,
}

impl Running {
    fn start(server: Server) -> Running {
        let (stop, stopped) = oneshot::channel::<()>();
        let done = tokio::spawn(server.serve_with_shutdown(Who, async move {
            let _ = stopped.await;
        }));
        Running { stop, done }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(10), self.done)
            .await
            .expect("shutdown")
            .expect("join")
            .expect("serve");
    }
}

/// One request over a Unix socket, with raw bytes; the response's body.
async fn ask_unix(path: &Path, extra: &str) -> String {
    let mut conn = tokio::net::UnixStream::connect(path).await.unwrap();
    let head = format!("GET /who HTTP/1.1\r\nhost: x\r\n{extra}connection: close\r\n\r\n");
    conn.write_all(head.as_bytes()).await.unwrap();
    let mut response = String::new();
    conn.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    response.split("\r\n\r\n").nth(1).unwrap().to_owned()
}

/// The uid and gid this process runs as: the owner of a file it creates.
fn own_ids(dir: &Path) -> (u32, u32) {
    let probe = dir.join("probe");
    std::fs::write(&probe, "").unwrap();
    let meta = std::fs::metadata(&probe).unwrap();
    (meta.uid(), meta.gid())
}

#[tokio::test]
async fn a_std_listener_is_served() {
    bounded(30, async {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = Server::from_std(listener).unwrap();
        assert_eq!(server.local_addr(), addr);
        let running = Running::start(server);
        let body = curl(&[&format!("http://{addr}/who")]).await;
        assert!(body.starts_with("creds= addr=Some(127.0.0.1:"), "{body}");
        assert!(body.contains(" client=Some(127.0.0.1) "), "{body}");
        running.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_unix_socket_serves_with_the_peers_credentials_and_is_removed_at_shutdown() {
    bounded(30, async {
        let dir = scratch("serve");
        let path = dir.join("app.sock");
        let server = Server::bind_unix(&path, 0o660).unwrap();
        assert_eq!(server.unix_path().as_deref(), Some(path.as_path()));
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o660);
        let running = Running::start(server);

        let (uid, gid) = own_ids(&dir);
        let pid = std::process::id();
        let body = ask_unix(&path, "").await;
        assert_eq!(body, format!("creds={uid} {gid} Some({pid}) addr=None client=None thread={}", thread_of_test()));

        // curl, another process: its own pid, this user.
        let body = curl(&["--unix-socket", arg(&path), "http://localhost/who"]).await;
        assert!(body.starts_with(&format!("creds={uid} {gid} Some(")), "{body}");
        assert!(!body.contains(&format!("Some({pid})")), "curl is not this process: {body}");

        running.stop().await;
        assert!(!path.exists(), "graceful shutdown removes the socket file");
        std::fs::remove_dir_all(&dir).unwrap();
    })
    .await;
}

/// The name of the thread `#[tokio::test]` runs the test on: the server's tasks run there too.
fn thread_of_test() -> String {
    std::thread::current().name().unwrap_or("?").to_owned()
}

/// A Unix listener bound elsewhere is served, and its file is left to its owner at shutdown.
#[tokio::test]
async fn a_handed_over_unix_listener_keeps_its_file() {
    bounded(30, async {
        let dir = scratch("handed");
        let path = dir.join("app.sock");
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let running = Running::start(Server::builder().unix_listener(listener).unwrap());
        assert!(ask_unix(&path, "").await.starts_with("creds="));
        running.stop().await;
        assert!(path.exists(), "not the server's file to remove");
        std::fs::remove_dir_all(&dir).unwrap();
    })
    .await;
}

/// nginx in front over the socket: the peer is trusted as a proxy, the client is the address it
/// forwards, walked from the right past the trusted proxies; with no header there is none.
#[tokio::test]
async fn client_addr_behind_a_proxy_on_the_unix_socket() {
    bounded(30, async {
        let dir = scratch("proxy");
        let path = dir.join("app.sock");
        let server =
            Server::builder().trusted_proxies(["10.0.0.0/8".parse().unwrap()]).bind_unix(&path, 0o600).unwrap();
        let running = Running::start(server);
        let client = |body: String| body.split(" client=").nth(1).unwrap().split(' ').next().unwrap().to_owned();
        assert_eq!(client(ask_unix(&path, "x-forwarded-for: 203.0.113.9\r\n").await), "Some(203.0.113.9)");
        assert_eq!(
            client(ask_unix(&path, "x-forwarded-for: 1.2.3.4, 203.0.113.9, 10.1.2.3\r\n").await),
            "Some(203.0.113.9)"
        );
        assert_eq!(client(ask_unix(&path, "forwarded: for=\"[2001:db8::7]:443\"\r\n").await), "Some(2001:db8::7)");
        assert_eq!(client(ask_unix(&path, "forwarded: for=unknown\r\n").await), "None");
        assert_eq!(client(ask_unix(&path, "").await), "None");
        running.stop().await;
        std::fs::remove_dir_all(&dir).unwrap();
    })
    .await;
}

/// Bad input: a path that exists and is not a socket is refused with a clear error and kept; a
/// live socket is refused; a stale one (its server died) is replaced.
#[tokio::test]
async fn the_rule_for_a_path_that_exists() {
    bounded(30, async {
        let dir = scratch("rule");
        let path = dir.join("app.sock");
        std::fs::write(&path, "not a socket").unwrap();
        let e = Server::bind_unix(&path, 0o600).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(
            e.to_string(),
            format!(
                "cannot bind the Unix socket {}: the path exists and is not a socket; it was left as it is",
                path.display()
            )
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "not a socket");
        std::fs::remove_file(&path).unwrap();

        let running = Running::start(Server::bind_unix(&path, 0o600).unwrap());
        let e = Server::bind_unix(&path, 0o600).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AddrInUse, "{e}");
        assert!(e.to_string().contains("another server is listening on it"), "{e}");
        // The refusal left the live server alone.
        assert!(ask_unix(&path, "").await.starts_with("creds="));
        running.stop().await;

        // A socket file whose server is gone (a process that was killed leaves one).
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        assert!(path.exists());
        let running = Running::start(Server::bind_unix(&path, 0o600).unwrap());
        assert!(ask_unix(&path, "").await.starts_with("creds="));
        running.stop().await;
        std::fs::remove_dir_all(&dir).unwrap();
    })
    .await;
}

/// h2c (prior knowledge) over the Unix socket, with curl.
#[cfg(feature = "http2")]
#[tokio::test]
async fn h2c_over_the_unix_socket() {
    bounded(30, async {
        let dir = scratch("h2c");
        let path = dir.join("app.sock");
        let running = Running::start(Server::bind_unix(&path, 0o600).unwrap());
        let (uid, _) = own_ids(&dir);
        let body = curl(&[
            "--unix-socket",
            arg(&path),
            "--http2-prior-knowledge",
            "-w",
            "\n%{http_version}",
            "http://localhost/who",
        ])
        .await;
        assert!(body.starts_with(&format!("creds={uid} ")), "{body}");
        assert!(body.contains(" addr=None client=None "), "{body}");
        assert!(body.ends_with("\n2"), "served over HTTP/2: {body}");
        running.stop().await;
        assert!(!path.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    })
    .await;
}

/// The per-core mode over TCP: each worker binds its own `SO_REUSEPORT` socket, the kernel
/// spreads 40 connections over both (each lands on one with odds 1/2: all on one, 2^-39), and a
/// graceful shutdown ends every worker.
#[tokio::test]
async fn workers_share_the_port() {
    bounded(30, async {
        let server = Server::builder().workers(2).bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr();
        let running = Running::start(server);
        let mut threads = std::collections::BTreeSet::new();
        for _ in 0..40 {
            let body = curl(&[&format!("http://{addr}/who")]).await;
            threads.insert(body.rsplit("thread=").next().unwrap().to_owned());
        }
        assert_eq!(threads.into_iter().collect::<Vec<_>>(), ["waymark-worker-0", "waymark-worker-1"]);
        running.stop().await;
        // The port is closed: every worker's socket is.
        assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    })
    .await;
}

/// The per-core mode on a Unix socket: the workers share it, and the last one out removes it.
#[tokio::test]
async fn workers_on_a_unix_socket() {
    bounded(30, async {
        let dir = scratch("workers");
        let path = dir.join("app.sock");
        let running = Running::start(Server::builder().workers(2).bind_unix(&path, 0o600).unwrap());
        for _ in 0..5 {
            assert!(ask_unix(&path, "").await.contains(" thread=waymark-worker-"));
        }
        running.stop().await;
        assert!(!path.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    })
    .await;
}
