//! The ceiling: a bare tokio loop that answers every request with canned bytes, without parsing.
//! It only counts request ends (`\r\n\r\n`, carried across reads) to answer each pipelined request.
//! `bare_server PORT [json]`: the canned answer is the plaintext one, or the JSON one with `json`.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const PLAIN: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 13\r\ndate: Sun, 22 Nov 2026 03:00:00 GMT\r\n\r\nHello, World!";
const JSON: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 27\r\ndate: Sun, 22 Nov 2026 03:00:00 GMT\r\n\r\n{\"message\":\"Hello, World!\"}";

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    waymark_bench::watchdog();
    let canned: &'static [u8] = if std::env::args().nth(2).as_deref() == Some("json") { JSON } else { PLAIN };
    let listener = TcpListener::bind(waymark_bench::addr()).await?;
    eprintln!("bare listening");
    loop {
        let (mut sock, _) = listener.accept().await?;
        sock.set_nodelay(true)?;
        tokio::spawn(async move {
            let mut buf = vec![0u8; 16 * 1024];
            let mut out = Vec::with_capacity(16 * 1024);
            // How many bytes of "\r\n\r\n" the previous read ended with.
            let mut state = 0u8;
            loop {
                let n = match sock.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                let mut count = 0;
                for &b in &buf[..n] {
                    state = match (state, b) {
                        (0 | 2, b'\r') => state + 1,
                        (1, b'\n') => 2,
                        (3, b'\n') => {
                            count += 1;
                            0
                        }
                        (_, b'\r') => 1,
                        _ => 0,
                    };
                }
                out.clear();
                for _ in 0..count {
                    out.extend_from_slice(canned);
                }
                if count > 0 && sock.write_all(&out).await.is_err() {
                    return;
                }
            }
        });
    }
}
