//! The api example on PostgreSQL, beyond the suite that tests/api.rs runs on both databases:
//! several instances starting at once on one database, a write on one instance reaching the
//! event streams of another, a database lost mid-request (a `503`, then recovery, and `event:
//! reload` for the streams), and an unreachable database at start.
//!
//! `scripts/pg_tests.sh` starts a throw-away PostgreSQL and runs this with
//! `--features example-postgres` and `WAYMARK_TEST_DATABASE_URL`; without them each test says
//! why it is skipped.

#[path = "../examples/api/app.rs"]
mod app;
#[path = "support/api_backend.rs"]
mod backend;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::{Api, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use waymark::StatusCode;
use waymark::test::TestClient;

const TOKEN: &str = "test-token";

/// The PostgreSQL database to test on, or return from the test saying why there is none.
macro_rules! postgres_or_skip {
    () => {
        match backend::postgres_url() {
            Some(url) => url,
            None => {
                eprintln!("skipped: {}", backend::why_no_postgres());
                return;
            }
        }
    };
}

const NEW: &str = r#"{"url": "https://example.com/pg", "title": "On PostgreSQL", "tags": ["pg"]}"#;

/// Four instances opening one new database at once: the schema is made once (the advisory
/// lock), every start succeeds, and the example bookmarks are added once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_at_once_make_the_schema_once() {
    let url = postgres_or_skip!();
    let url = backend::new_schema(&url).await;
    let mut starts = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let database = app::startup::Database::Postgres(url.clone());
        starts.spawn(async move { database.open(TOKEN.to_owned(), None).await });
    }
    let mut stores = Vec::new();
    while let Some(started) = starts.join_next().await {
        stores.push(started.expect("the task").unwrap_or_else(|e| panic!("a start failed: {e}")));
    }
    let c = TestClient::new(Api::new(stores.remove(0)));
    let page: app::Page = c.get("/bookmarks").send().await.assert_status(StatusCode::OK).json();
    assert_eq!(page.items.iter().map(|b| b.id).collect::<Vec<_>>(), [1, 2, 3], "seeded once");
}

/// A change made through one instance reaches the `/events` stream of another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_on_one_instance_reaches_the_events_of_another() {
    let url = postgres_or_skip!();
    let url = backend::new_schema(&url).await;
    let database = app::startup::Database::Postgres(url);
    let open = || database.open(TOKEN.to_owned(), None);
    let writer = TestClient::new(Api::new(open().await.unwrap_or_else(|e| panic!("{e}"))));
    let reader = Serving::start(open().await.unwrap_or_else(|e| panic!("{e}"))).await;
    let mut events = reader.events().await;

    let res = writer.post("/bookmarks").header("content-type", "application/json").body(NEW).send().await;
    res.assert_status(StatusCode::CREATED).assert_header("location", "/bookmarks/4");
    writer.delete("/bookmarks/4").send().await.assert_status(StatusCode::NO_CONTENT);
    events.read_until("event: deleted\ndata: {\"id\":4}").await;
    assert!(events.seen.contains("event: added\ndata: {\"id\":4,"), "{}", events.seen);
    assert_eq!(events.seen.matches("event: added").count(), 1, "each change once:\n{}", events.seen);
}

/// The database goes away under a running instance (a proxy between them drops every
/// connection and refuses new ones): requests get a `503` within the pool's timeout, the
/// instance keeps serving, and when the database is back it serves again, and its open event
/// streams are told to reload (changes made meanwhile were not heard) and hear changes again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_database_is_a_503_and_the_instance_recovers() {
    let url = postgres_or_skip!();
    let url = backend::new_schema(&url).await;
    let proxy = Proxy::start(&url).await;
    let through = proxy.url(&url);
    let store = app::startup::Database::Postgres(through).open(TOKEN.to_owned(), None).await;
    let server = Serving::start(store.unwrap_or_else(|e| panic!("{e}"))).await;
    let mut events = server.events().await;
    assert_eq!(server.status("GET", "/bookmarks/1", None).await, 200);

    proxy.set_up(false);
    let started = Instant::now();
    assert_eq!(server.status("GET", "/bookmarks/1", None).await, 503);
    assert_eq!(server.status("POST", "/bookmarks", Some(NEW)).await, 503);
    assert!(started.elapsed() < Duration::from_secs(10), "503s took {:?}", started.elapsed());
    // The instance itself still answers what needs no database.
    assert_eq!(server.status("GET", "/openapi.json", None).await, 200);

    proxy.set_up(true);
    let deadline = Instant::now() + Duration::from_secs(15);
    while server.status("GET", "/bookmarks/1", None).await != 200 {
        assert!(Instant::now() < deadline, "the instance did not recover");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    events.read_until("event: reload").await;
    assert_eq!(server.status("POST", "/bookmarks", Some(NEW)).await, 201);
    events.read_until("event: added\ndata: {\"id\":4,").await;
}

/// An unreachable or malformed `DATABASE_URL` is an error at start that says what and where,
/// without the password; never a panic. (The example prints it and exits with status 1:
/// `scripts/pg_tests.sh` checks the process.)
#[tokio::test]
async fn an_unreachable_database_is_a_clear_error_at_start() {
    if !cfg!(feature = "example-postgres") {
        eprintln!("skipped: {}", backend::why_no_postgres());
        return;
    }
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    let database = app::startup::Database::Postgres("postgres://me:s3cret@127.0.0.1:1/none".to_owned());
    let started = Instant::now();
    let Err(e) = database.open(TOKEN.to_owned(), None).await else { panic!("opened a database on port 1") };
    assert!(e.starts_with("cannot use the database at postgres://me:***@127.0.0.1:1/none: "), "{e}");
    assert!(e.contains("connect") && !e.contains("s3cret"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    let database = app::startup::Database::Postgres("postgres://h:port/none".to_owned());
    let Err(e) = database.open(TOKEN.to_owned(), None).await else { panic!("a malformed URL opened") };
    assert!(e.contains("not a PostgreSQL connection string"), "{e}");
}

/// The example on `127.0.0.1:0`; stops with the test.
struct Serving {
    addr: SocketAddr,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Serving {
    async fn start(store: Store) -> Self {
        let server = waymark::Server::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let addr = server.local_addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server.serve_with_shutdown(Api::new(store), async {
            let _ = stopped.await;
        }));
        Self { addr, _stop: stop }
    }

    /// The status of one request on a new connection, within 10 seconds.
    async fn status(&self, method: &str, target: &str, json: Option<&str>) -> u16 {
        let body = json.unwrap_or("");
        let request = format!(
            "{method} {target} HTTP/1.1\r\nhost: t\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        let exchange = async {
            let mut stream = TcpStream::connect(self.addr).await.expect("connect");
            stream.write_all(request.as_bytes()).await.expect("send");
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer).await.expect("read");
            String::from_utf8_lossy(&answer).get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0)
        };
        tokio::time::timeout(Duration::from_secs(10), exchange).await.expect("an answer within 10 s")
    }

    /// An open `/events` stream, past its first lines.
    async fn events(&self) -> Events {
        let mut stream = TcpStream::connect(self.addr).await.expect("connect");
        stream.write_all(b"GET /events HTTP/1.1\r\nhost: t\r\n\r\n").await.expect("send");
        let mut events = Events { stream, seen: String::new() };
        events.read_until("retry: 1000").await;
        events
    }
}

struct Events {
    stream: TcpStream,
    seen: String,
}

impl Events {
    /// Reads until `needle` has come, for at most 15 seconds.
    async fn read_until(&mut self, needle: &str) {
        let read = async {
            let mut buf = [0; 4096];
            while !self.seen.contains(needle) {
                let n = self.stream.read(&mut buf).await.expect("read the event stream");
                assert!(n > 0, "the stream ended before {needle:?}; got:\n{}", self.seen);
                self.seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        };
        let in_time = tokio::time::timeout(Duration::from_secs(15), read).await.is_ok();
        assert!(in_time, "no {needle:?} in:\n{}", self.seen);
    }
}

/// A TCP proxy on loopback to the database, that can be cut: down, it drops every connection
/// and closes each new one at once, as a database that went away does.
struct Proxy {
    addr: SocketAddr,
    up: Arc<std::sync::atomic::AtomicBool>,
    open: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Proxy {
    /// A proxy to the `host:port` of `url` (a `postgres://user@host:port/db?..` URL).
    async fn start(url: &str) -> Self {
        let target = Self::authority(url).to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("the proxy's address");
        let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let open = Arc::new(Mutex::new(Vec::new()));
        let (up2, open2) = (Arc::clone(&up), Arc::clone(&open));
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !up2.load(std::sync::atomic::Ordering::SeqCst) {
                    continue; // dropped: closed at once
                }
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                open2.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(task.abort_handle());
            }
        });
        Self { addr, up, open }
    }

    /// The `host:port` of a `postgres://user@host:port/db` URL.
    fn authority(url: &str) -> &str {
        let rest = url.split_once('@').map_or(url, |(_, rest)| rest);
        rest.split('/').next().unwrap_or(rest)
    }

    /// `url` through this proxy.
    fn url(&self, url: &str) -> String {
        url.replacen(Self::authority(url), &self.addr.to_string(), 1)
    }

    fn set_up(&self, up: bool) {
        self.up.store(up, std::sync::atomic::Ordering::SeqCst);
        if !up {
            for task in self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner).drain(..) {
                task.abort();
            }
        }
    }
}
