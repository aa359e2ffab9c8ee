//! Systemd socket activation with the real `systemd-socket-activate`: it binds a TCP port and a
//! Unix socket, and on the first connection runs this test binary as the server, which takes both
//! with `Server::listen_fds` and is asked over each with curl. And `LISTEN_PID` naming another
//! process: the sockets are really there, and ignored.
//!
//! Its own harness (`harness = false` in Cargo.toml): the binary is also the server process, run
//! with `WAYMARK_ACTIVATION_CHILD` set, and a test harness would not hand it `main`. Without
//! `systemd-socket-activate` (Debian package `systemd`) or curl, it says so and passes.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use waymark_runtime::{App, Request, Response, Server};

const CHILD: &str = "WAYMARK_ACTIVATION_CHILD";

fn main() {
    match std::env::var(CHILD).as_deref() {
        Ok("serve") => return child_serve(),
        Ok("ignored") => return child_ignored(),
        _ => {}
    }
    for tool in ["systemd-socket-activate", "curl"] {
        if Command::new(tool).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_err() {
            println!("activation: skipped, `{tool}` is not installed (Debian package `systemd` or `curl`)");
            return;
        }
    }
    inherited_tcp_and_unix_sockets_are_served();
    println!("test inherited_tcp_and_unix_sockets_are_served ... ok");
    listen_pid_of_another_process_is_ignored();
    println!("test listen_pid_of_another_process_is_ignored ... ok");
    println!("\ntest result: ok. 2 passed");
}

/// Says which kind of socket the request came over.
struct Who;

impl App for Who {
    async fn handle(&self, req: &Request) -> Response {
        {
            let over = match (req.peer_addr(), req.peer_credentials()) {
                (Some(addr), _) => format!("tcp from {}", addr.ip()),
                (None, Some(creds)) => format!("unix from uid {}", creds.uid()),
                (None, None) => "nowhere".to_owned(),
            };
            Response::text(format!("{over}, pid {}", std::process::id()))
        }
    }
}

/// The server process: both inherited sockets, served for at most 30 s.
fn child_serve() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let server = Server::listen_fds().expect("inherited sockets").expect("LISTEN_FDS is set for this process");
        assert_eq!(std::env::var_os("LISTEN_FDS"), None, "the variables are removed once read");
        let unix = server.unix_path().map(|p| p.display().to_string()).unwrap_or_default();
        println!("child: listening on {} and {unix}", server.local_addr());
        server.serve_with_shutdown(Who, tokio::time::sleep(Duration::from_secs(30))).await.unwrap();
    });
}

/// Run with `LISTEN_PID` set to another process: the socket on descriptor 3 is real, and
/// `listen_fds` leaves it alone.
fn child_ignored() {
    let fd3 = std::fs::read_link("/proc/self/fd/3").map(|p| p.display().to_string()).unwrap_or_default();
    let taken = Server::listen_fds().expect("no error for sockets meant for another process");
    println!("child: fd 3 is {fd3}; listen_fds: {}", if taken.is_some() { "taken" } else { "none" });
}

/// `systemd-socket-activate` with `args`, waited for until it listens on `path`.
fn activate(path: &Path, args: &[&str]) -> Child {
    let child = Command::new("systemd-socket-activate")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run systemd-socket-activate");
    let start = Instant::now();
    while !path.exists() {
        assert!(start.elapsed() < Duration::from_secs(10), "systemd-socket-activate did not bind {}", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// Waits at most 20 s for `child` to exit, killing it past that; what it printed.
fn finish(child: &mut Child) -> (Option<std::process::ExitStatus>, String) {
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() < Duration::from_secs(20) => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let mut said = String::new();
    if let Some(out) = child.stdout.take() {
        BufReader::new(out).lines().map_while(Result::ok).for_each(|line| said += &(line + "\n"));
    }
    (status, said)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("waymark-activation-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn curl(args: &[&str]) -> String {
    let out = Command::new("curl").args(["-sS", "--max-time", "10"]).args(args).output().expect("run curl");
    assert!(out.status.success(), "curl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn inherited_tcp_and_unix_sockets_are_served() {
    let dir = scratch("serve");
    let path = dir.join("app.sock");
    let port = free_port();
    let exe = std::env::current_exe().unwrap();
    let tcp = format!("127.0.0.1:{port}");
    let mut child = activate(
        &path,
        &["-l", &tcp, "-l", path.to_str().unwrap(), "-E", &format!("{CHILD}=serve"), "--", exe.to_str().unwrap()],
    );
    // The first connection starts the server; it waits in the backlog meanwhile.
    let over_tcp = curl(&[&format!("http://{tcp}/")]);
    let over_unix = curl(&["--unix-socket", path.to_str().unwrap(), "http://localhost/"]);
    let pid = child.id();
    let _ = child.kill();
    let (_, said) = finish(&mut child);
    assert_eq!(over_tcp, format!("tcp from 127.0.0.1, pid {pid}"));
    let uid = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&dir).unwrap());
    assert_eq!(over_unix, format!("unix from uid {uid}, pid {pid}"));
    assert_eq!(said, format!("child: listening on {tcp} and {}\n", path.display()));
    let _ = std::fs::remove_dir_all(&dir);
}

fn listen_pid_of_another_process_is_ignored() {
    let dir = scratch("ignored");
    let path = dir.join("app.sock");
    let exe = std::env::current_exe().unwrap();
    // The shell replaces itself with the test binary (same pid), after setting LISTEN_PID to 1.
    let mut child = activate(
        &path,
        &[
            "-l",
            path.to_str().unwrap(),
            "-E",
            &format!("{CHILD}=ignored"),
            "--",
            "/bin/sh",
            "-c",
            "LISTEN_PID=1 exec \"$0\"",
            exe.to_str().unwrap(),
        ],
    );
    // Connecting starts the child; it never accepts, so the connection is just closed.
    let _ = std::os::unix::net::UnixStream::connect(&path);
    let (status, said) = finish(&mut child);
    assert!(status.is_some_and(|s| s.success()), "{status:?} {said}");
    assert!(said.starts_with("child: fd 3 is socket:["), "the socket was inherited: {said}");
    assert!(said.ends_with("; listen_fds: none\n"), "and ignored: {said}");
    let _ = std::fs::remove_dir_all(&dir);
}
