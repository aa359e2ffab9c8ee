//! Outside tools for the TLS and HTTP/2 tests: curl and h2load as real clients, a minimal raw
//! HTTP/2 client (to watch frames such as GOAWAY), and test certificates made with rcgen.
#![allow(dead_code, unreachable_pub, reason = "each test binary uses a different part of the harness")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Runs a tool that CI installs (`.ci/run`); a missing tool fails the test with the package name.
async fn run(tool: &'static str, package: &'static str, args: Vec<String>) -> Output {
    let output =
        tokio::task::spawn_blocking(move || Command::new(tool).args(&args).output()).await.expect("tool task panicked");
    output.unwrap_or_else(|e| panic!("`{tool}` could not be run ({e}): install the Debian package `{package}`"))
}

/// curl with the given arguments, bounded to 10 s; panics with curl's stderr on failure.
pub async fn curl(args: &[&str]) -> String {
    let out = curl_output(args).await;
    assert!(out.status.success(), "curl {args:?} failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("curl output is utf-8")
}

/// curl's whole output, success or not.
pub async fn curl_output(args: &[&str]) -> Output {
    let mut all = vec!["-sS".to_owned(), "--max-time".to_owned(), "10".to_owned()];
    all.extend(args.iter().map(|a| (*a).to_owned()));
    run("curl", "curl", all).await
}

/// h2load with the given arguments; returns its report.
pub async fn h2load(args: &[&str]) -> String {
    let out = run("h2load", "nghttp2-client", args.iter().map(|a| (*a).to_owned()).collect()).await;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "h2load {args:?} failed: {text}{}", String::from_utf8_lossy(&out.stderr));
    text
}

/// A self-signed certificate for `localhost` and `127.0.0.1`, written as PEM files in a fresh
/// directory.
pub struct TestCert {
    pub dir: PathBuf,
    pub cert_pem: String,
    pub key_pem: String,
}

impl TestCert {
    pub fn new(name: &str) -> TestCert {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("generate certificate");
        let dir = std::env::temp_dir().join(format!("waymark-test-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create cert dir");
        let cert = TestCert { dir, cert_pem: certified.cert.pem(), key_pem: certified.key_pair.serialize_pem() };
        std::fs::write(cert.cert_path(), &cert.cert_pem).expect("write cert");
        std::fs::write(cert.key_path(), &cert.key_pem).expect("write key");
        cert
    }

    pub fn cert_path(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    pub fn key_path(&self) -> PathBuf {
        self.dir.join("key.pem")
    }

    pub fn cert_arg(&self) -> String {
        path_arg(&self.cert_path())
    }
}

impl Drop for TestCert {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn path_arg(path: &Path) -> String {
    path.to_str().expect("utf-8 temp path").to_owned()
}

/// HTTP/2 frame types (RFC 9113 §6).
pub const DATA: u8 = 0x0;
pub const HEADERS: u8 = 0x1;
pub const RST_STREAM: u8 = 0x3;
pub const SETTINGS: u8 = 0x4;
pub const PING: u8 = 0x6;
pub const GOAWAY: u8 = 0x7;
pub const END_STREAM: u8 = 0x1;
pub const ACK: u8 = 0x1;

#[derive(Debug)]
pub struct Frame {
    pub kind: u8,
    pub flags: u8,
    pub stream: u32,
    pub payload: Vec<u8>,
}

/// A raw HTTP/2 client over any byte stream: enough to send GET requests and read frames.
pub struct RawH2<S> {
    pub io: S,
}

impl<S: AsyncRead + AsyncWrite + Unpin> RawH2<S> {
    /// Sends the connection preface and an empty SETTINGS frame.
    pub async fn start(mut io: S) -> Self {
        io.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await.expect("write preface");
        io.write_all(&frame_head(0, SETTINGS, 0, 0)).await.expect("write settings");
        RawH2 { io }
    }

    /// Sends `GET path` on `stream` (odd, increasing), with the whole request in one HEADERS frame.
    pub async fn get(&mut self, stream: u32, path: &str) {
        // HPACK (RFC 7541): indexed `:method: GET` (2) and `:scheme: http` (6); `:path` (4) and
        // `:authority` (1) as literals without indexing, plain strings.
        let mut block = vec![0x82, 0x86];
        for (index, value) in [(0x04u8, path), (0x01, "localhost")] {
            block.push(index);
            block.push(u8::try_from(value.len()).expect("short header value"));
            block.extend_from_slice(value.as_bytes());
        }
        let mut bytes = frame_head(block.len(), HEADERS, END_STREAM | 0x4, stream).to_vec();
        bytes.extend_from_slice(&block);
        self.io.write_all(&bytes).await.expect("write headers");
    }

    /// The next frame, or `None` at end of input; SETTINGS and PING are acknowledged on the way.
    pub async fn frame(&mut self) -> Option<Frame> {
        let mut head = [0u8; 9];
        let read = tokio::time::timeout(Duration::from_secs(5), self.io.read_exact(&mut head))
            .await
            .expect("no frame within 5 s");
        if read.is_err() {
            return None;
        }
        let len = usize::from(head[0]) << 16 | usize::from(head[1]) << 8 | usize::from(head[2]);
        let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
        let mut payload = vec![0; len];
        self.io.read_exact(&mut payload).await.expect("frame payload");
        let frame = Frame { kind: head[3], flags: head[4], stream, payload };
        if frame.kind == SETTINGS && frame.flags & ACK == 0 {
            self.io.write_all(&frame_head(0, SETTINGS, ACK, 0)).await.expect("write settings ack");
        }
        if frame.kind == PING && frame.flags & ACK == 0 {
            let mut pong = frame_head(frame.payload.len(), PING, ACK, 0).to_vec();
            pong.extend_from_slice(&frame.payload);
            // The server may have closed already; the frame read after this one says so.
            let _ = self.io.write_all(&pong).await;
        }
        Some(frame)
    }

    /// Reads frames until `stream` ends; returns its DATA and every frame seen.
    pub async fn body(&mut self, stream: u32) -> (Vec<u8>, Vec<Frame>) {
        let mut data = Vec::new();
        let mut seen = Vec::new();
        while let Some(frame) = self.frame().await {
            let done = frame.stream == stream
                && (frame.kind == RST_STREAM
                    || (matches!(frame.kind, DATA | HEADERS) && frame.flags & END_STREAM != 0));
            if frame.stream == stream && frame.kind == DATA {
                data.extend_from_slice(&frame.payload);
            }
            seen.push(frame);
            if done {
                break;
            }
        }
        (data, seen)
    }
}

fn frame_head(len: usize, kind: u8, flags: u8, stream: u32) -> [u8; 9] {
    let len = u32::try_from(len).expect("frame length").to_be_bytes();
    let s = stream.to_be_bytes();
    [len[1], len[2], len[3], kind, flags, s[0], s[1], s[2], s[3]]
}
