//! Resource exhaustion, measured on a real server in a child process (this test binary run again
//! as its ignored `server_child` test), so that its limits are its own:
//!
//! - at start the server raises its soft open-files limit to the hard one, logs both, and fits
//!   its default `max_connections` within it;
//! - past its open-files limit (with more connections allowed than descriptors), the accept loop
//!   answers the waiting clients `503` with `Retry-After` through a spare descriptor, logs a
//!   bounded number of lines rather than one per failed accept, stays up, and serves again as
//!   soon as connections close;
//! - many request heads just under the 16 KiB limit in flight at once cost memory in proportion
//!   to the limit, and are released when they go.
//!
//! Linux only: the memory is read from `/proc/PID/status`.
#![cfg(target_os = "linux")]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rlimit::Resource;
use waymark_runtime::{DEFAULT_MAX_HEAD_SIZE, Server};

/// Set in the child's environment: its open-files limit, `SOFT` or `SOFT/HARD` (0 leaves it
/// unchanged).
const CHILD_ENV: &str = "WAYMARK_FD_LIMIT_CHILD";
/// Set in the child's environment: its `max_connections`, if not the default.
const CHILD_MAX_ENV: &str = "WAYMARK_FD_LIMIT_MAX_CONNECTIONS";
/// The child's limit in the first test: far fewer descriptors than the connections opened.
const LOW_LIMIT: u64 = 64;
const EXTRA_CONNECTIONS: usize = 150;
const HEADS_IN_FLIGHT: u32 = 1000;

/// The server half: serves the wire tests' app on 127.0.0.1:0 with its log on stderr, prints its
/// address, and stops when its stdin closes (so it never outlives the test).
#[test]
#[ignore = "the server of the other tests, run by them in a child process"]
fn server_child() {
    let Ok(limit) = std::env::var(CHILD_ENV) else { return };
    let (soft, hard) = limit.split_once('/').unwrap_or((&limit, &limit));
    let (limit, hard): (u64, u64) = (soft.parse().expect("limit"), hard.parse().expect("hard limit"));
    if limit > 0 {
        // The hard limit too: the server raises the soft one to it at start.
        Resource::NOFILE.set(limit, hard).expect("setrlimit");
    } else {
        rlimit::increase_nofile_limit(4 * u64::from(HEADS_IN_FLIGHT)).expect("raise the open-files limit");
    }
    tracing_subscriber::fmt().with_writer(std::io::stderr).init();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        let mut builder = Server::builder();
        if let Ok(max) = std::env::var(CHILD_MAX_ENV) {
            builder = builder.max_connections(max.parse().expect("max_connections"));
        }
        let server = builder.bind("127.0.0.1:0").await.expect("bind");
        println!("listening {}", server.local_addr());
        let stdin_closed = tokio::task::spawn_blocking(|| {
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
        });
        server
            .serve_with_shutdown(common::TestApp, async {
                let _ = stdin_closed.await;
            })
            .await
            .expect("serve");
    });
}

/// The running child: its address, its stderr so far, and its stdin (dropping it stops it).
struct ServerProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    addr: SocketAddr,
    log: Arc<Mutex<String>>,
}

impl ServerProcess {
    fn spawn(limit: u64) -> ServerProcess {
        Self::spawn_with(&limit.to_string(), Some(10_000), "warn")
    }

    /// `limit`: `SOFT` or `SOFT/HARD`; `max_connections`: set by the builder, or the default.
    fn spawn_with(limit: &str, max_connections: Option<usize>, log: &str) -> ServerProcess {
        let mut command = Command::new(std::env::current_exe().expect("test binary"));
        if let Some(max) = max_connections {
            command.env(CHILD_MAX_ENV, max.to_string());
        }
        let mut child = command
            .args(["--exact", "server_child", "--ignored", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, limit)
            .env("RUST_LOG", log)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the server child");
        let stdin = child.stdin.take();
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("stderr");
        let sink = Arc::clone(&log);
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let addr = loop {
            let mut line = String::new();
            assert!(stdout.read_line(&mut line).expect("child stdout") > 0, "the child exited before listening");
            // libtest may have written `test server_child ... ` on the same line.
            if let Some((_, addr)) = line.trim().split_once("listening ") {
                break addr.parse().expect("address");
            }
        };
        thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        ServerProcess { child, stdin, addr, log }
    }

    fn running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    fn log_lines(&self, needle: &str) -> Vec<String> {
        self.log.lock().unwrap().lines().filter(|l| l.contains(needle)).map(str::to_owned).collect()
    }

    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("proc status");
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS");
        line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("VmRSS in kB")
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.running() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `GET /` on a new connection; the status line, or `None` if nothing came within `within`.
fn get(addr: SocketAddr, within: Duration) -> Option<String> {
    get_whole(addr, within)?.lines().next().map(str::to_owned)
}

/// One `GET /` on a new connection; the whole response, or `None` if nothing came.
fn get_whole(addr: SocketAddr, within: Duration) -> Option<String> {
    let mut stream = TcpStream::connect_timeout(&addr, within).ok()?;
    stream.set_read_timeout(Some(within)).ok()?;
    stream.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    (!response.is_empty()).then_some(response)
}

#[test]
fn past_the_open_files_limit_the_server_pauses_logs_little_and_recovers() {
    let mut server = ServerProcess::spawn(LOW_LIMIT);
    assert_eq!(get(server.addr, Duration::from_secs(5)).as_deref(), Some("HTTP/1.1 200 OK"));

    // More connections than descriptors: the kernel completes them all (the listen backlog), the
    // server accepts until `accept` fails with EMFILE, and keeps failing while they stay open.
    let extra: Vec<TcpStream> =
        (0..EXTRA_CONNECTIONS).map(|_| TcpStream::connect(server.addr).expect("connect")).collect();
    let exhausted = Duration::from_secs(3);
    thread::sleep(exhausted);
    assert!(server.running(), "the server exited out of descriptors:\n{}", server.log.lock().unwrap());
    let failing = server.log_lines("accept");
    assert!(
        failing.iter().any(|l| l.contains("Too many open files")),
        "no EMFILE in the log; was the limit reached?\n{}",
        server.log.lock().unwrap()
    );
    // 30 retries in 3 s; the log gets the first and no more until the interval is over.
    assert_eq!(failing.len(), 1, "accept-error lines in {exhausted:?}:\n{}", failing.join("\n"));
    // Meanwhile a new client is answered at once, through the spare descriptor: 503, try again.
    // (Or 200: the spare also answers the extra connections waiting in the backlog, and closing
    // them frees descriptors, so at times the server has one for this client. Either way it is
    // answered within a second, where it used to wait in the backlog.)
    let started = Instant::now();
    let busy = get_whole(server.addr, Duration::from_secs(2)).expect("an answer while out of descriptors");
    if !busy.starts_with("HTTP/1.1 200 ") {
        assert!(busy.starts_with("HTTP/1.1 503 "), "{busy}");
        assert!(busy.to_ascii_lowercase().contains("retry-after: 1\r\n"), "{busy}");
    }
    assert!(started.elapsed() < Duration::from_secs(1), "answered after {:?}", started.elapsed());

    drop(extra);
    let freed = Instant::now();
    // Until the server has seen the extra connections close, their descriptors are still taken:
    // a client in that moment is told 503 (try again), as above.
    loop {
        let status = get(server.addr, Duration::from_secs(5));
        if status.as_deref() == Some("HTTP/1.1 200 OK") {
            break;
        }
        assert_eq!(status.as_deref(), Some("HTTP/1.1 503 Service Unavailable"));
        assert!(freed.elapsed() < Duration::from_secs(5), "not served again 5 s after the connections closed");
        thread::sleep(Duration::from_millis(20));
    }
    let recovered_in = freed.elapsed();
    assert!(server.running());
    // The line saying so waits for the end of the interval (5 s from the first line) and the next
    // accept. On a loaded machine the first line may come late, so keep making requests (each an
    // accept) for a while rather than betting on one moment; they must not add lines of their own.
    thread::sleep(Duration::from_secs(6).saturating_sub(exhausted + recovered_in));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert_eq!(get(server.addr, Duration::from_secs(5)).as_deref(), Some("HTTP/1.1 200 OK"));
        if server.log_lines("accept").len() >= 2 || Instant::now() >= deadline {
            break;
        }
        thread::sleep(Duration::from_millis(250));
    }
    // The child's stderr is read by another thread: let a line in flight arrive before counting.
    thread::sleep(Duration::from_millis(200));
    let lines = server.log_lines("accept");
    eprintln!(
        "limit {LOW_LIMIT}, {EXTRA_CONNECTIONS} extra connections held {exhausted:?}: {} accept log lines; \
         served again {recovered_in:?} after they closed\n{}",
        lines.len(),
        lines.join("\n")
    );
    assert_eq!(lines.len(), 2, "{}", lines.join("\n"));
    assert!(lines[1].contains("accepting again"), "{}", lines.join("\n"));
}

#[test]
fn the_open_files_limit_is_raised_and_max_connections_fitted_within_it() {
    let (_, hard) = Resource::NOFILE.get().expect("getrlimit");
    if hard < 256 {
        eprintln!("skipped: the hard open-files limit ({hard}) is too low to lower and raise");
        return;
    }
    let mut server = ServerProcess::spawn_with("64/256", None, "info");
    assert_eq!(get(server.addr, Duration::from_secs(5)).as_deref(), Some("HTTP/1.1 200 OK"));
    let raised = server.log_lines("open-files limit");
    assert!(raised.iter().any(|l| l.contains("soft_was=64") && l.contains("now=256")), "{}", raised.join("\n"));
    // 256 descriptors, a reserve of 32: 224 connections, not 10 000.
    assert!(raised.iter().any(|l| l.contains("max_connections=224")), "{}", raised.join("\n"));
    // So 300 clients never run the server out of descriptors: no accept error at all.
    let extra: Vec<TcpStream> = (0..300).map(|_| TcpStream::connect(server.addr).expect("connect")).collect();
    thread::sleep(Duration::from_secs(1));
    assert!(server.running());
    assert!(server.log_lines("accept failed").is_empty(), "{}", server.log.lock().unwrap());
    drop(extra);
    assert_eq!(get(server.addr, Duration::from_secs(5)).as_deref(), Some("HTTP/1.1 200 OK"));
}

#[test]
fn many_large_heads_in_flight_cost_memory_bounded_by_the_head_limit() {
    rlimit::increase_nofile_limit(4 * u64::from(HEADS_IN_FLIGHT)).expect("raise the open-files limit");
    let server = ServerProcess::spawn(0);
    assert_eq!(get(server.addr, Duration::from_secs(5)).as_deref(), Some("HTTP/1.1 200 OK"));
    let idle = server.rss_kib();

    // Each connection sends a head 64 bytes short of the limit and never ends it.
    let mut head = b"GET / HTTP/1.1\r\nhost: x\r\nx-pad: ".to_vec();
    head.resize(DEFAULT_MAX_HEAD_SIZE - 64, b'a');
    let conns: Vec<TcpStream> = (0..HEADS_IN_FLIGHT)
        .map(|_| {
            let mut stream = TcpStream::connect(server.addr).expect("connect");
            stream.write_all(&head).expect("write head");
            stream
        })
        .collect();
    // Let the server read them all (it has 10 s before the head timeout).
    let mut in_flight = idle;
    for _ in 0..20 {
        thread::sleep(Duration::from_millis(100));
        in_flight = in_flight.max(server.rss_kib());
    }
    drop(conns);
    thread::sleep(Duration::from_secs(1));
    let after = server.rss_kib();
    assert_eq!(get(server.addr, Duration::from_secs(5)).as_deref(), Some("HTTP/1.1 200 OK"));

    let limit_kib = (DEFAULT_MAX_HEAD_SIZE / 1024) as u64;
    let per_conn = f64::from(u32::try_from(in_flight - idle).expect("KiB")) / f64::from(HEADS_IN_FLIGHT);
    eprintln!(
        "{HEADS_IN_FLIGHT} heads of {} bytes in flight: RSS {idle} KiB idle, {in_flight} KiB in flight \
         ({per_conn:.1} KiB per connection, head limit {limit_kib} KiB), {after} KiB after they closed",
        head.len()
    );
    // Each connection holds at most its head buffer (under twice the limit, as it grows) and its
    // task; the bound is loose on purpose, to catch a copy per read or a buffer that is never cut.
    assert!(in_flight - idle < u64::from(HEADS_IN_FLIGHT) * 3 * limit_kib, "{per_conn:.1} KiB per connection");
}
