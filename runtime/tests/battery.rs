//! The malformed-request battery: `send_cases.py bad_requests.txt PORT` against a small server that
//! answers GET and POST. Every case must pass.
//!
//! The script and data live in the shared folder beside the repository (`../../shared` from this
//! crate); a clean clone also carries a copy in `testdata/`. If neither or python3 is missing, the
//! test fails and says so: it never passes without running the battery.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::{builder, start_app};
use waymark_runtime::extract::read_bytes;
use waymark_runtime::header::{ALLOW, HeaderValue};
use waymark_runtime::{App, IntoResponse, Method, Request, Response, StatusCode};

/// The battery's baseline server: 2xx for GET and POST (its pipelining case asks for `/1` and `/2`,
/// so every path answers), POST reading its body whole within the server's limit (as a route with
/// `body:` does); 405 with `Allow` otherwise.
struct Baseline;

impl App for Baseline {
    async fn handle(&self, req: &Request) -> Response {
        match *req.method() {
            Method::GET | Method::HEAD => Response::text("ok"),
            Method::POST => match read_bytes(req, None).await {
                Ok(body) => format!("read {} bytes", body.len()).into_response(),
                Err(rejected) => rejected.into_response(),
            },
            _ => StatusCode::METHOD_NOT_ALLOWED
                .into_response()
                .with_header(ALLOW, HeaderValue::from_static("GET, HEAD, POST")),
        }
    }
}

fn find(candidates: &[PathBuf]) -> Option<PathBuf> {
    candidates.iter().find(|p| p.is_file()).cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_request_battery() {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let shared = crate_dir.join("../../shared");
    let testdata = crate_dir.join("../testdata");
    let script = find(&[shared.join("tools/send_cases.py"), testdata.join("send_cases.py")]).unwrap_or_else(|| {
        panic!("send_cases.py not found in {} or {}: cannot run the battery", shared.display(), testdata.display())
    });
    let cases = find(&[shared.join("data/bad_requests.txt"), testdata.join("bad_requests.txt")]).unwrap_or_else(|| {
        panic!("bad_requests.txt not found in {} or {}: cannot run the battery", shared.display(), testdata.display())
    });
    let expected = std::fs::read_to_string(&cases)
        .expect("read bad_requests.txt")
        .lines()
        .filter(|l| l.starts_with("=== "))
        .count();
    assert!(expected > 0, "no cases in {}", cases.display());

    // "wait" cases need the head and body timeouts to outlast the script's 1.5 s read; a short
    // keep-alive timeout lets every answered case end quickly instead of after 1.5 s.
    let builder = builder()
        .header_read_timeout(Duration::from_secs(5))
        .body_read_timeout(Duration::from_secs(5))
        .keep_alive_timeout(Duration::from_millis(100));
    // The battery tests the HTTP/1.1 server; its preface case (RL_H2_PREFACE) is written for an
    // HTTP/1-only server. h2c with prior knowledge has its own tests (tests/h2.rs).
    #[cfg(feature = "http2")]
    let builder = builder.http2_prior_knowledge(false);
    let server = start_app(builder, Baseline).await;
    let port = server.addr.port().to_string();
    let output = tokio::time::timeout(
        Duration::from_mins(2),
        tokio::task::spawn_blocking(move || Command::new("python3").arg(&script).arg(&cases).arg(&port).output()),
    )
    .await
    .expect("battery did not finish in 120 s")
    .expect("battery task")
    .unwrap_or_else(|e| panic!("python3 could not be run ({e}): it is needed for the battery"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "send_cases.py failed:\n{stdout}\n{stderr}");
    let summary = stdout.lines().rev().find(|l| l.ends_with(" failed")).expect("no summary line");
    let want = format!("{expected} passed, 0 failed");
    assert_eq!(
        summary,
        want,
        "battery:\n{}",
        stdout.lines().filter(|l| l.starts_with("FAIL")).collect::<Vec<_>>().join("\n")
    );
    server.stop().await;
}
