//! Static files on the wire: the traversal corpus (in Rust, and through the shared probe script),
//! further hostile paths, conditional, range, precompressed and HEAD responses with a raw client
//! and with curl, and a large file streamed.
#![allow(
    clippy::large_futures,
    reason = "each test future holds a client and its buffers on the stack; fine in a test"
)]

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use common::{Client, Resp, bounded, builder, start_app};
use waymark_runtime::__private::{decode, strip_body_for_head};
use waymark_runtime::fs::Dir;
use waymark_runtime::{App, Body, Method, Request, Response, StatusCode};

const SECRET: &str = "the-secret-text-8c1f";
const BIG_LEN: usize = 300 * 1024 + 7;

/// `GET "/static/{*path}" => assets.serve(path, req)` as the generated dispatcher runs it: the rest
/// of the path after `/static/`, non-empty, percent-decoded (400 when not UTF-8), and a HEAD served
/// by the GET route with its body stripped.
#[derive(Debug, Clone)]
struct Files(Dir);

impl App for Files {
    async fn handle(&self, req: &Request) -> Response {
        let Some(rest) = req.path().strip_prefix("/static/").filter(|r| !r.is_empty()) else {
            return Response::status_only(StatusCode::NOT_FOUND);
        };
        let Some(path) = decode(rest) else { return Response::status_only(StatusCode::BAD_REQUEST) };
        let res = self.0.serve(&path, req).await;
        if *req.method() == Method::HEAD { strip_body_for_head(res) } else { res }
    }
}

/// A fresh fixture directory: `public/` as the traversal corpus describes it (`a.txt`, `sub/b.txt`,
/// `out` a link to `../secret.txt`, `secret.txt` beside `public/`), plus files for the other tests.
fn fixture(name: &str) -> (PathBuf, PathBuf) {
    let base = std::env::temp_dir().join(format!("waymark-fs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let public = base.join("public");
    let w = |p: &str, data: &[u8]| {
        let path = public.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, data).unwrap();
    };
    std::fs::create_dir_all(&public).unwrap();
    std::fs::write(base.join("secret.txt"), SECRET).unwrap();
    w("a.txt", b"file a\n");
    w("sub/b.txt", b"file b\n");
    w("docs/index.html", b"<h1>docs</h1>\n");
    w(".env", SECRET.as_bytes());
    w("sub/.git/config", SECRET.as_bytes());
    w("digits.txt", b"0123456789");
    w("empty.txt", b"");
    w("big.bin", &big());
    let css = b"body { color: red }\n".repeat(20);
    w("style.css", &css);
    w("style.css.gz", &gzip_stored(&css));
    w("app.js", b"console.log(1)\n");
    w("app.js.gz", &gzip_stored(b"console.log(1)\n"));
    w("app.js.br", b"not really brotli");
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        symlink("../secret.txt", public.join("out")).unwrap();
        symlink(base.join("secret.txt"), public.join("abs-out")).unwrap();
        symlink("..", public.join("up")).unwrap();
        symlink("sub/b.txt", public.join("inside")).unwrap();
        symlink(".env", public.join("dotlink")).unwrap();
        symlink("sub", public.join("subdir")).unwrap();
    }
    (base, public)
}

fn big() -> Vec<u8> {
    (0..BIG_LEN).map(|i| u8::try_from(i % 251).unwrap()).collect()
}

/// A gzip member holding `data` in stored (uncompressed) deflate blocks: real gzip that any
/// client decodes, with no compressor needed in the test.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut chunks = data.chunks(65_535).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        out.push(u8::from(chunks.peek().is_none()));
        let len = u16::try_from(chunk.len()).unwrap();
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

async fn get(addr: SocketAddr, target: &str, headers: &[(&str, &str)]) -> Resp {
    request(addr, "GET", target, headers).await
}

async fn request(addr: SocketAddr, method: &str, target: &str, headers: &[(&str, &str)]) -> Resp {
    let mut raw = format!("{method} {target} HTTP/1.1\r\nHost: t\r\n");
    for (n, v) in headers {
        raw.extend([*n, ": ", *v, "\r\n"]);
    }
    raw.push_str("\r\n");
    let mut client = Client::connect(addr).await;
    client.send(raw).await;
    client.response_to(method == "HEAD").await
}

/// The corpus format of `testdata/traversal.txt`: `TARGET [ok FILE]`, `#` comments.
fn corpus(name: &str) -> Vec<(String, Option<String>)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            let ok = (fields.get(1) == Some(&"ok")).then(|| fields.get(2).map(|f| (*f).to_owned())).flatten();
            (fields[0].to_owned(), ok)
        })
        .collect()
}

/// Sends one target byte for byte and reads whatever comes back until the server closes.
async fn raw_target(addr: SocketAddr, target: &str) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    out
}

fn status_of(raw: &[u8]) -> u16 {
    raw.get(9..12).and_then(|s| std::str::from_utf8(s).ok()).and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn body_of(raw: &[u8]) -> &[u8] {
    raw.windows(4).position(|w| w == b"\r\n\r\n").map_or(&[], |i| &raw[i + 4..])
}

/// Every target of the shared corpus and of our own: nothing outside the root, no 5xx, and the
/// `ok` targets serve their file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traversal_corpus() {
    let (base, public) = fixture("corpus");
    bounded(60, async {
        let server = start_app(builder(), Files(Dir::new(&public))).await;
        let mut cases = corpus("traversal.txt");
        assert_eq!(cases.len(), 23, "the shared corpus has 23 targets");
        cases.extend(corpus("traversal_extra.txt"));
        let mut failures = Vec::new();
        for (target, ok) in &cases {
            let raw = raw_target(server.addr, target).await;
            let status = status_of(&raw);
            let text = String::from_utf8_lossy(&raw);
            if text.contains(SECRET) {
                failures.push(format!("{target}: carries the secret"));
            } else if status == 0 || status >= 500 {
                failures.push(format!("{target}: status {status}"));
            } else if let Some(file) = ok {
                let want = std::fs::read(public.join(file)).unwrap();
                if status != 200 || body_of(&raw) != want {
                    failures.push(format!("{target}: expected 200 with {file}, got {status}"));
                }
            } else if status == 200 {
                failures.push(format!("{target}: served something"));
            }
        }
        assert!(failures.is_empty(), "{} of {} failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
        server.stop().await;
    })
    .await;
    let _ = std::fs::remove_dir_all(base);
}

/// The shared probe script (`testdata/traversal_probe.py`, a copy of `shared/tools/probe_files.py`)
/// against a real server: its own client, its own checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traversal_probe_script() {
    assert!(
        Command::new("python3").arg("--version").output().is_ok(),
        "python3 is not installed: this test runs the probe script with it"
    );
    let (base, public) = fixture("probe");
    bounded(60, async {
        let server = start_app(builder(), Files(Dir::new(&public))).await;
        let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata");
        let port = server.addr.port().to_string();
        let root = public.clone();
        let out = tokio::task::spawn_blocking(move || {
            Command::new("python3")
                .arg(testdata.join("traversal_probe.py"))
                .arg(testdata.join("traversal.txt"))
                .arg(port)
                .arg(SECRET)
                .arg(root)
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            stdout.lines().last(),
            Some("23 passed, 0 failed"),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        server.stop().await;
    })
    .await;
    let _ = std::fs::remove_dir_all(base);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_dotfiles_and_directories() {
    let (base, public) = fixture("links");
    bounded(30, async {
        let server = start_app(builder(), Files(Dir::new(&public))).await;
        let addr = server.addr;
        let cases: &[(&str, u16, Option<&[u8]>)] = &[
            ("/static/inside", 200, Some(b"file b\n")),
            ("/static/subdir/b.txt", 200, Some(b"file b\n")),
            ("/static/out", 404, None),
            ("/static/abs-out", 404, None),
            ("/static/up/secret.txt", 404, None),
            ("/static/dotlink", 404, None),
            ("/static/.env", 404, None),
            ("/static/sub/.git/config", 404, None),
            ("/static/docs/", 200, Some(b"<h1>docs</h1>\n")),
            ("/static/sub/", 404, None),
            ("/static/a.txt/", 404, None),
            ("/static/missing.txt", 404, None),
            ("/static/a.txt/x", 404, None),
        ];
        for (target, status, body) in cases {
            let r = get(addr, target, &[]).await;
            assert_eq!(r.status, *status, "{target}");
            if let Some(body) = body {
                assert_eq!(r.body, *body, "{target}");
            }
        }
        let r = get(addr, "/static/docs?x=1", &[]).await;
        assert_eq!((r.status, r.header("location")), (307, Some("/static/docs/?x=1")));
        let r = request(addr, "POST", "/static/a.txt", &[("content-length", "0")]).await;
        assert_eq!((r.status, r.header("allow")), (405, Some("GET, HEAD")));
        server.stop().await;

        // The switches: links anywhere, dotfiles, no index.
        let open = Dir::new(&public).follow_symlinks(true).dotfiles(true).index(None);
        let server = start_app(builder(), Files(open)).await;
        let addr = server.addr;
        assert_eq!(get(addr, "/static/out", &[]).await.body, SECRET.as_bytes());
        assert_eq!(get(addr, "/static/.env", &[]).await.body, SECRET.as_bytes());
        assert_eq!(get(addr, "/static/docs/", &[]).await.status, 404);
        assert_eq!(get(addr, "/static/docs", &[]).await.status, 404);
        // Refused by the path type whatever the switches.
        assert_eq!(get(addr, "/static/sub/../a.txt", &[]).await.status, 404);
        server.stop().await;
    })
    .await;
    let _ = std::fs::remove_dir_all(base);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validators_and_preconditions() {
    let (base, public) = fixture("cond");
    bounded(30, async {
        let server = start_app(builder(), Files(Dir::new(&public))).await;
        let addr = server.addr;
        let first = get(addr, "/static/digits.txt", &[]).await;
        assert_eq!(first.status, 200);
        assert_eq!(first.header("content-type"), Some("text/plain; charset=utf-8"));
        assert_eq!(first.header("accept-ranges"), Some("bytes"));
        assert_eq!(first.header("x-content-type-options"), Some("nosniff"));
        let etag = first.header("etag").expect("etag").to_owned();
        let modified = first.header("last-modified").expect("last-modified").to_owned();
        assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
        let weak = format!("W/{etag}");
        let list = format!("\"nope\", {etag}");

        let cases: Vec<(Vec<(&str, &str)>, u16)> = vec![
            (vec![("if-none-match", &etag)], 304),
            (vec![("if-none-match", &weak)], 304),
            (vec![("if-none-match", &list)], 304),
            (vec![("if-none-match", "\"other\"")], 200),
            (vec![("if-modified-since", &modified)], 304),
            (vec![("if-modified-since", "Thu, 01 Jan 1970 00:00:00 GMT")], 200),
            (vec![("if-modified-since", "not a date")], 200),
            (vec![("if-none-match", "\"other\""), ("if-modified-since", &modified)], 200),
            (vec![("if-match", &etag)], 200),
            (vec![("if-match", &weak)], 412),
            (vec![("if-match", "\"other\"")], 412),
            (vec![("if-match", "*")], 200),
            (vec![("if-unmodified-since", "Thu, 01 Jan 1970 00:00:00 GMT")], 412),
            (vec![("if-unmodified-since", &modified)], 200),
            (vec![("if-match", "\"other\""), ("if-none-match", &etag)], 412),
        ];
        for (headers, status) in &cases {
            let r = get(addr, "/static/digits.txt", headers).await;
            assert_eq!(r.status, *status, "{headers:?}");
            if *status == 304 {
                assert_eq!(r.header("etag"), Some(etag.as_str()), "{headers:?}");
                assert!(r.body.is_empty());
            }
        }
        server.stop().await;
    })
    .await;
    let _ = std::fs::remove_dir_all(base);
}

/// Request headers, then the status, `Content-Range` and body expected.
type RangeCase<'a> = (Vec<(&'a str, &'a str)>, u16, Option<&'a str>, &'a str);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ranges_and_if_range() {
    let (base, public) = fixture("range");
    bounded(30, async {
        let server = start_app(builder(), Files(Dir::new(&public))).await;
        let addr = server.addr;
        let etag = get(addr, "/static/digits.txt", &[]).await.header("etag").unwrap().to_owned();
        let cases: Vec<RangeCase<'_>> = vec![
            (vec![("range", "bytes=2-4")], 206, Some("bytes 2-4/10"), "234"),
            (vec![("range", "bytes=7-")], 206, Some("bytes 7-9/10"), "789"),
            (vec![("range", "bytes=-2")], 206, Some("bytes 8-9/10"), "89"),
            (vec![("range", "bytes=5-999")], 206, Some("bytes 5-9/10"), "56789"),
            (vec![("range", "bytes=10-")], 416, Some("bytes */10"), ""),
            (vec![("range", "bytes=0-1,4-5")], 200, None, "0123456789"),
            (vec![("range", "bytes=x")], 200, None, "0123456789"),
            (vec![("range", "bytes=1-2"), ("if-range", &etag)], 206, Some("bytes 1-2/10"), "12"),
            (vec![("range", "bytes=1-2"), ("if-range", "\"stale\"")], 200, None, "0123456789"),
        ];
        for (headers, status, content_range, body) in &cases {
            let r = get(addr, "/static/digits.txt", headers).await;
            assert_eq!(r.status, *status, "{headers:?}");
            assert_eq!(r.header("content-range"), *content_range, "{headers:?}");
            assert_eq!(r.text(), *body, "{headers:?}");
            if *status == 416 {
                assert_eq!(r.header("content-type"), None, "a 416 body is not the file");
            }
        }
        // A range of an empty file is ignored.
        let r = get(addr, "/static/empty.txt", &[("range", "bytes=0-")]).await;
        assert_eq!((r.status, r.body.len()), (200, 0));
        server.stop().await;
    })
    .await;
    let _ = std::fs::remove_dir_all(base);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn precompressed_variants_and_head() {
    let (base, public) = fixture("enc");
    bounded(30, async {
        let server = start_app(builder(), Files(Dir::new(&public))).await;
        let addr = server.addr;
        let js = std::fs::read(public.join("app.js")).unwrap();
        let js_gz = std::fs::read(public.join("app.js.gz")).unwrap();
        let cases: &[(&str, Option<&str>, &[u8])] = &[
            ("gzip, deflate, br", Some("br"), b"not really brotli"),
            ("gzip", Some("gzip"), &js_gz),
            ("br;q=0, gzip", Some("gzip"), &js_gz),
            ("identity", None, &js),
            ("*;q=0", None, &js),
        ];
        let mut etags = Vec::new();
        for (accept, encoding, body) in cases {
            let r = get(addr, "/static/app.js", &[("accept-encoding", accept)]).await;
            assert_eq!(r.status, 200, "{accept}");
            assert_eq!(r.header("content-encoding"), *encoding, "{accept}");
            assert_eq!(r.header("content-type"), Some("text/javascript; charset=utf-8"), "{accept}");
            assert_eq!(r.header("vary"), Some("accept-encoding"), "{accept}");
            assert_eq!(r.body, *body, "{accept}");
            etags.push(r.header("etag").unwrap().to_owned());
        }
        // Each variant is its own representation.
        assert_ne!(etags[0], etags[1]);
        assert_ne!(etags[1], etags[3]);
        // No sibling: the file itself, still with Vary.
        let r = get(addr, "/static/a.txt", &[("accept-encoding", "gzip, br")]).await;
        assert_eq!((r.header("content-encoding"), r.header("vary")), (None, Some("accept-encoding")));
        // A variant asked for by its own name is a plain file.
        let r = get(addr, "/static/app.js.gz", &[]).await;
        assert_eq!((r.header("content-type"), r.header("content-encoding")), (Some("application/gzip"), None));

        // HEAD: the GET's headers, its length, no body (the client would read a body otherwise).
        let mut client = Client::connect(addr).await;
        client
            .send("HEAD /static/big.bin HTTP/1.1\r\nHost: t\r\n\r\nGET /static/a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
            .await;
        let head = client.response_to(true).await;
        assert_eq!((head.status, head.header("content-length")), (200, Some(BIG_LEN.to_string().as_str())));
        assert!(head.header("etag").is_some());
        let next = client.response().await;
        assert_eq!(next.text(), "file a\n", "the HEAD answer had no body on the wire");
        server.stop().await;

        let plain = start_app(builder(), Files(Dir::new(&public).precompressed(false))).await;
        let r = get(plain.addr, "/static/app.js", &[("accept-encoding", "gzip, br")]).await;
        assert_eq!((r.header("content-encoding"), r.header("vary"), r.body.clone()), (None, None, js));
        plain.stop().await;
    })
    .await;
    let _ = std::fs::remove_dir_all(base);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_file_is_streamed() {
    let (base, public) = fixture("big");
    bounded(30, async {
        let server = start_app(builder(), Files(Dir::new(&public))).await;
        let r = get(server.addr, "/static/big.bin", &[]).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body, big());
        let r = get(server.addr, "/static/big.bin", &[("range", "bytes=70000-")]).await;
        assert_eq!(r.status, 206);
        assert_eq!(r.body, big()[70_000..]);
        server.stop().await;
        // Over a stream that is not a TCP socket (as TLS is), the file is read in pieces instead
        // of sent by the kernel: the same bytes arrive.
        let (mut client, io) = tokio::io::duplex(16 * 1024);
        let app = std::sync::Arc::new(Files(Dir::new(&public)));
        tokio::spawn(waymark_runtime::serve_connection(io, ([127, 0, 0, 1], 1).into(), app));
        client
            .write_all(b"GET /static/big.bin HTTP/1.1\r\nhost: t\r\nrange: bytes=1000-\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut raw = Vec::new();
        client.read_to_end(&mut raw).await.unwrap();
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        assert!(raw.starts_with(b"HTTP/1.1 206 "), "{}", String::from_utf8_lossy(&raw[..split]));
        assert_eq!(raw[split..], big()[1000..]);
    })
    .await;
    // In-process: the body is the file, not the file read whole.
    let res = Files(Dir::new(&public)).handle(&Request::new(Method::GET, "/static/big.bin")).await;
    assert!(matches!(res.body(), Body::File(f) if f.len() == BIG_LEN as u64), "{res:?}");
    assert_eq!(res.header("content-length"), Some(BIG_LEN.to_string().as_str()));
    let small = Files(Dir::new(&public)).handle(&Request::new(Method::GET, "/static/a.txt")).await;
    assert!(matches!(small.body(), Body::Full(_)), "{small:?}");
    let _ = std::fs::remove_dir_all(base);
}

/// An independent client: curl, with its own range, conditional and decompression handling.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_client() {
    let curl = |args: &[&str]| {
        let out = Command::new("curl").args(["-sS", "--max-time", "5"]).args(args).output().unwrap();
        assert!(out.status.success(), "curl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    assert!(Command::new("curl").arg("--version").output().is_ok(), "curl is not installed: this test needs it");
    let (base, public) = fixture("curl");
    bounded(30, async {
        let server = start_app(builder(), Files(Dir::new(&public))).await;
        let url = format!("http://{}/static", server.addr);
        let css = std::fs::read(public.join("style.css")).unwrap();
        tokio::task::spawn_blocking(move || {
            assert_eq!(curl(&["-r", "2-4", &format!("{url}/digits.txt")]), b"234");
            assert_eq!(curl(&["-r", "-3", &format!("{url}/digits.txt")]), b"789");
            assert_eq!(curl(&["-r", "70000-", &format!("{url}/big.bin")]), big()[70_000..]);
            let code = |args: &[&str]| {
                String::from_utf8(curl(&[&["-o", "/dev/null", "-w", "%{http_code}"], args].concat())).unwrap()
            };
            assert_eq!(code(&["-r", "99-", &format!("{url}/digits.txt")]), "416");

            let head = String::from_utf8(curl(&["-I", &format!("{url}/digits.txt")])).unwrap().to_lowercase();
            assert!(head.contains("content-length: 10\r\n"), "{head}");
            let etag = head.lines().find_map(|l| l.strip_prefix("etag: ")).unwrap().trim().to_owned();
            let modified = head.lines().find_map(|l| l.strip_prefix("last-modified: ")).unwrap().trim().to_owned();
            assert_eq!(code(&["-H", &format!("If-None-Match: {etag}"), &format!("{url}/digits.txt")]), "304");
            assert_eq!(code(&["-H", "If-None-Match: \"x\"", &format!("{url}/digits.txt")]), "200");
            // -z DATE sends If-Modified-Since.
            assert_eq!(code(&["-z", &modified, &format!("{url}/digits.txt")]), "304");
            assert_eq!(code(&["-H", "If-Match: \"x\"", &format!("{url}/digits.txt")]), "412");
            assert_eq!(curl(&["-r", "0-1", "-H", &format!("If-Range: {etag}"), &format!("{url}/digits.txt")]), b"01");

            // --compressed asks for gzip (and br): the .gz sibling comes back, curl inflates it.
            let dumped = curl(&["--compressed", "-D", "-", &format!("{url}/style.css")]);
            let text = String::from_utf8_lossy(&dumped).to_lowercase();
            assert!(text.contains("content-encoding: gzip\r\n") && text.contains("vary: accept-encoding"), "{text}");
            assert_eq!(curl(&["--compressed", &format!("{url}/style.css")]), css);
            assert_eq!(code(&[&format!("{url}/..%2f..%2fsecret.txt")]), "404");
            assert_eq!(code(&["--path-as-is", &format!("{url}/../../secret.txt")]), "404");
        })
        .await
        .unwrap();
        server.stop().await;
    })
    .await;
    let _ = std::fs::remove_dir_all(base);
}
