//! A static file server with uploads: `cargo run --example files -- ./public`, then
//! `curl -T notes.txt http://127.0.0.1:3001/upload/notes.txt` and
//! `curl http://127.0.0.1:3001/static/notes.txt`.

use waymark::fs::{Dir, SafePath};
use waymark::{BodyStream, Server, StatusCode, routes};

/// `PUT /upload/{name}`: streams the body into a new file of the directory (201), never over an
/// existing one (409), never outside it nor hidden (the static files' path rules, no dotfile: 400).
async fn upload(dir: &Dir, name: &str, mut body: BodyStream) -> (StatusCode, String) {
    use tokio::io::AsyncWriteExt;
    let Some(path) = SafePath::new(name).ok().filter(|p| !p.is_hidden()).map(|p| p.join_to(dir.root())) else {
        return (StatusCode::BAD_REQUEST, format!("{name:?} is not a file name this server takes\n"));
    };
    let mut file = match tokio::fs::OpenOptions::new().write(true).create_new(true).open(&path).await {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return (StatusCode::CONFLICT, "exists\n".into()),
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
    };
    let mut written = 0;
    while let Some(chunk) = body.chunk().await {
        let done = match chunk {
            Ok(chunk) => file.write_all(&chunk).await.map(|()| written += chunk.len()).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = done {
            let _ = tokio::fs::remove_file(&path).await; // no half-written file stays behind
            return (StatusCode::BAD_REQUEST, format!("upload failed: {e}\n"));
        }
    }
    (StatusCode::CREATED, format!("stored {written} bytes\n"))
}

routes! {
    /// Files from one directory, and uploads into it.
    pub(crate) Files(dir: Dir);
    GET "/static/{*path}" => dir.serve(path, req),
    PUT "/upload/{name}" body: BodyStream limit 1 GiB => upload(dir, name, body),
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let root = std::env::args().nth(1).unwrap_or_else(|| "./public".into());
    std::fs::create_dir_all(&root)?;
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3001);
    let server = Server::bind(("127.0.0.1", port)).await?;
    println!("serving {root} on http://{}/static/, uploads with PUT /upload/NAME", server.local_addr());
    server.serve_with_shutdown(Files::new(Dir::new(root)), async { tokio::signal::ctrl_c().await.unwrap_or(()) }).await
}
