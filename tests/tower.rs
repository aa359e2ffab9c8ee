//! tower services inside a `routes!` table (feature `tower`): tower-http's `ServeDir`, alone and
//! under `CorsLayer`, answering routes through `waymark::tower::call`.
#![cfg(feature = "tower")]

use std::path::PathBuf;

use tower::ServiceBuilder;
use tower_http::cors::CorsLayer;
use tower_http::services::ServeDir;
use waymark::test::TestClient;
use waymark::{StatusCode, routes};

routes! {
    /// Files from a directory (the state), plain and with CORS headers.
    Files(state: PathBuf);

    GET "/"               => async { "index" },
    GET "/files/{*path}"  => waymark::tower::call(ServeDir::new(state), req),
    GET "/shared/{*path}" => waymark::tower::call(
        ServiceBuilder::new().layer(CorsLayer::permissive()).service(ServeDir::new(state)),
        req,
    ),
}

/// A directory with `files/a.txt` and `shared/b.txt`, removed on drop.
struct Dir(PathBuf);

impl Dir {
    fn new(test: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("waymark-facade-tower-{}-{test}", std::process::id()));
        for (sub, name, text) in [("files", "a.txt", "file a\n"), ("shared", "b.txt", "file b\n")] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
            std::fs::write(dir.join(sub).join(name), text).unwrap();
        }
        Dir(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn serve_dir_answers_a_route() {
    let dir = Dir::new("plain");
    let client = TestClient::new(Files::new(dir.0.clone()));

    let res = client.get("/files/a.txt").send().await;
    res.assert_status(StatusCode::OK).assert_header("content-type", "text/plain");
    assert_eq!(res.text(), "file a\n");

    let res = client.get("/files/missing.txt").send().await;
    res.assert_status(StatusCode::NOT_FOUND);

    // HEAD is served by the GET route, with the length and without the body.
    let res = client.head("/files/a.txt").send().await;
    res.assert_status(StatusCode::OK).assert_header("content-length", "7");
    assert!(res.bytes().is_empty());

    // The table's own routes are untouched.
    assert_eq!(client.get("/").send().await.text(), "index");
}

#[tokio::test]
async fn a_layered_service_answers_a_route() {
    let dir = Dir::new("layered");
    let client = TestClient::new(Files::new(dir.0.clone()));

    let res = client.get("/shared/b.txt").header("origin", "https://example.com").send().await;
    res.assert_status(StatusCode::OK).assert_header("access-control-allow-origin", "*");
    assert_eq!(res.text(), "file b\n");
    // Outside the layered route, no CORS header.
    let res = client.get("/files/a.txt").header("origin", "https://example.com").send().await;
    assert_eq!(res.header("access-control-allow-origin"), None);
}
