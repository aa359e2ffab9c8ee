//! tower in both directions (feature `tower`), each with real tower-http layers and services:
//! a waymark app under `CorsLayer` and `CompressionLayer`, and routes that answer through
//! `ServeDir` and a compressed service.
#![cfg(feature = "tower")]

mod common;
mod tools;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;

use common::{TestApp, bounded, builder, start_app};
use http_body_util::{BodyExt, Full};
use tools::curl;
use tower::{ServiceBuilder, ServiceExt};
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;
use tower_http::decompression::DecompressionLayer;
use tower_http::services::ServeDir;
use waymark_runtime::tower::{AppService, call};
use waymark_runtime::{App, Bytes, Request, Response, StatusCode};

fn request(method: &str, path: &str, body: &'static str) -> http::Request<Full<Bytes>> {
    http::Request::builder()
        .method(method)
        .uri(path)
        .header("origin", "https://example.com")
        .header("accept-encoding", "gzip")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap()
}

async fn body_of<B: http_body::Body<Error: std::fmt::Debug>>(res: http::Response<B>) -> Bytes {
    res.into_body().collect().await.expect("body").to_bytes()
}

#[tokio::test]
async fn an_app_under_tower_http_layers() {
    let app = AppService::new(TestApp).max_body_size(10);
    let svc = ServiceBuilder::new().layer(CorsLayer::permissive()).layer(CompressionLayer::new()).service(app);

    let res = svc.clone().oneshot(request("GET", "/", "")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");

    // 100 000 bytes of `x`: compressed by the layer, and restored by a decompressing client.
    let res = svc.clone().oneshot(request("GET", "/big", "")).await.unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let compressed = body_of(res).await;
    assert!(!compressed.is_empty() && compressed.len() < 10_000, "{} bytes", compressed.len());
    let client = ServiceBuilder::new().layer(DecompressionLayer::new()).service(svc.clone());
    let res = client.oneshot(request("GET", "/big", "")).await.unwrap();
    assert_eq!(body_of(res).await, vec![b'x'; 100_000]);

    // The server's rules hold behind tower: HEAD has no body, limits answer, panics answer 500.
    let res = svc.clone().oneshot(request("HEAD", "/", "")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-length"], "5");
    assert!(body_of(res).await.is_empty());
    let res = svc.clone().oneshot(request("POST", "/echo", "more than ten bytes")).await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let res = svc.clone().oneshot(request("POST", "/echo", "ten bytes!")).await.unwrap();
    assert_eq!(body_of(res).await, "ten bytes!");
    let res = svc.clone().oneshot(request("GET", "/panic", "")).await.unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);

    // A peer address in the extensions reaches the handler.
    let mut req = request("GET", "/peer", "");
    req.extensions_mut().insert(SocketAddr::from(([192, 0, 2, 9], 1234)));
    let res = svc.oneshot(req).await.unwrap();
    assert_eq!(body_of(res).await, "192.0.2.9");
}

/// Routes that answer through tower services: files from `ServeDir`, and the same behind
/// `CompressionLayer`; a `service_fn` under `CorsLayer`.
struct Mixed {
    dir: PathBuf,
}

impl App for Mixed {
    async fn handle(&self, req: &Request) -> Response {
        let path = req.path();
        if path.starts_with("/static/") {
            call(ServeDir::new(&self.dir), req).await
        } else if path.starts_with("/gz/static/") {
            let svc = ServiceBuilder::new().layer(CompressionLayer::new()).service(ServeDir::new(&self.dir));
            call(svc, req).await
        } else if path == "/cors" {
            let inner =
                tower::service_fn(|_req| async { Ok::<_, Infallible>(http::Response::new("from tower".to_owned())) });
            call(ServiceBuilder::new().layer(CorsLayer::permissive()).service(inner), req).await
        } else {
            Response::status_only(StatusCode::NOT_FOUND)
        }
    }
}

#[tokio::test]
async fn routes_call_tower_services() {
    bounded(30, async {
        let dir = std::env::temp_dir().join(format!("waymark-tower-{}", std::process::id()));
        let text = "static text, repeated so that it compresses. ".repeat(200);
        for sub in ["static", "gz/static"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
            std::fs::write(dir.join(sub).join("a.txt"), &text).unwrap();
        }
        let server = start_app(builder(), Mixed { dir: dir.clone() }).await;
        let base = format!("http://{}", server.addr);

        let out = curl(&["-D", "-", &format!("{base}/static/a.txt")]).await;
        let (head, body) = out.split_once("\r\n\r\n").expect("headers then body");
        assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
        assert!(head.contains("content-type: text/plain"), "{head}");
        assert_eq!(body, text);
        let out = curl(&["-w", "%{response_code}", "-o", "/dev/null", &format!("{base}/static/missing.txt")]).await;
        assert_eq!(out, "404");

        let out = curl(&["--compressed", "-D", "-", &format!("{base}/gz/static/a.txt")]).await;
        let (head, body) = out.split_once("\r\n\r\n").expect("headers then body");
        assert!(head.contains("content-encoding: gzip"), "{head}");
        assert_eq!(body, text, "curl decompressed what the layer compressed");

        let out = curl(&["-D", "-", "-H", "origin: https://example.com", &format!("{base}/cors")]).await;
        assert!(out.contains("access-control-allow-origin: *"), "{out}");
        assert!(out.ends_with("\r\n\r\nfrom tower"), "{out}");

        server.stop().await;
        let _ = std::fs::remove_dir_all(dir);
    })
    .await;
}
