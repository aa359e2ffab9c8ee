//! `body: Multipart` in a `routes!` table: a form with a text field and a file, the limits, bad
//! bodies; in-process, and over a socket with `curl -F` (curl's own multipart encoder).
#![cfg(feature = "multipart")]

use std::process::Command;
use std::time::Duration;

use waymark::multipart::Multipart;
use waymark::test::TestClient;
use waymark::{IntoResponse, Json, Rejection, Response, StatusCode, routes};

/// Each part as `name`, file name, content type and size; a text part's text too.
async fn upload(body: Multipart) -> Result<Json<Vec<serde_json::Value>>, Rejection> {
    let mut form = body.part_limit(1024).limit_for("photo", 16 * 1024);
    let mut parts = Vec::new();
    while let Some(field) = form.next_field().await? {
        let (name, file, ty) = (
            field.name().map(str::to_owned),
            field.file_name().map(str::to_owned),
            field.content_type().map(str::to_owned),
        );
        let value = if file.is_some() {
            serde_json::json!(field.bytes().await?.len())
        } else {
            serde_json::json!(field.text().await?)
        };
        parts.push(serde_json::json!({ "name": name, "file": file, "type": ty, "value": value }));
    }
    Ok(Json(parts))
}

/// The table's own error shape, for the rejections met before the handler (415, 400, 413).
async fn json_error(rejection: Rejection) -> Response {
    (rejection.status(), Json(serde_json::json!({ "error": rejection.to_string() }))).into_response()
}

routes! {
    Forms;
    POST "/upload" body: Multipart limit 64 KiB => upload(body),
    rejection => json_error(rejection),
}

const CT: &str = "multipart/form-data; boundary=----b0undary";

fn form(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file, data) in parts {
        body.extend_from_slice(b"------b0undary\r\nContent-Disposition: form-data; name=\"");
        body.extend_from_slice(name.as_bytes());
        body.push(b'"');
        if let Some(file) = file {
            body.extend_from_slice(
                format!("; filename=\"{file}\"\r\nContent-Type: application/octet-stream").as_bytes(),
            );
        }
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"------b0undary--\r\n");
    body
}

#[tokio::test]
async fn a_text_field_and_a_file() {
    let client = TestClient::new(Forms::new());
    let body = form(&[("title", None, "vacances d'été".as_bytes()), ("photo", Some("beach.jpg"), &[0xff; 5000])]);
    let res = client.post("/upload").header("content-type", CT).body(body).send().await;
    res.assert_status(StatusCode::OK).assert_json(&serde_json::json!([
        { "name": "title", "file": null, "type": null, "value": "vacances d'été" },
        { "name": "photo", "file": "beach.jpg", "type": "application/octet-stream", "value": 5000 },
    ]));
}

#[tokio::test]
async fn limits_answer_413() {
    let client = TestClient::new(Forms::new());
    let send = |body: Vec<u8>| client.post("/upload").header("content-type", CT).body(body).send();
    // A text part over its 1 KiB, a photo over its 16 KiB, the whole body over the route's 64 KiB.
    let res = send(form(&[("title", None, &[b'x'; 1025])])).await;
    res.assert_status(StatusCode::PAYLOAD_TOO_LARGE).assert_text("request body is larger than 1024 bytes");
    send(form(&[("title", None, &[b'x'; 1024])])).await.assert_status(StatusCode::OK);
    send(form(&[("photo", Some("a"), &vec![0; 16 * 1024 + 1])])).await.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    send(form(&[("photo", Some("a"), &vec![0; 16 * 1024])])).await.assert_status(StatusCode::OK);
    let res = send(form(&[("photo", Some("a"), &vec![0; 65 * 1024])])).await;
    // Met before the handler: the table's hook answers it.
    res.assert_status(StatusCode::PAYLOAD_TOO_LARGE)
        .assert_json(&serde_json::json!({ "error": "request body is larger than 65536 bytes" }));
}

#[tokio::test]
async fn bad_content_types_and_bodies() {
    let client = TestClient::new(Forms::new());
    let good = form(&[("title", None, b"x")]);
    let send = |ct: Option<&str>, body: &[u8]| {
        let req = client.post("/upload").body(body.to_vec());
        match ct {
            Some(ct) => req.header("content-type", ct),
            None => req,
        }
        .send()
    };
    let res = send(None, &good).await;
    res.assert_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
        .assert_json(&serde_json::json!({ "error": "expected `content-type: multipart/form-data`" }));
    send(Some("application/x-www-form-urlencoded"), b"title=x").await.assert_status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // No boundary: 400 from the hook, before the handler.
    let res = send(Some("multipart/form-data"), &good).await;
    res.assert_status(StatusCode::BAD_REQUEST);
    assert!(res.text().contains("boundary"), "{}", res.text());
    // Truncated at every length: a 400, never a panic. Only the CRLF after the closing `--` may
    // go: it belongs to the optional epilogue (RFC 2046 §5.1.1).
    for cut in 0..good.len() {
        let res = send(Some(CT), &good[..cut]).await;
        let want = if cut >= good.len() - 2 { StatusCode::OK } else { StatusCode::BAD_REQUEST };
        assert_eq!(res.status(), want, "cut at {cut}: {}", res.text());
    }
    let res = send(Some(CT), b"------b0undary\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\nno end").await;
    res.assert_status(StatusCode::BAD_REQUEST).assert_text_contains("invalid multipart body");
}

/// curl builds the body (its boundary, its headers, a file read from disk) and sends it over TCP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_form_over_a_socket() {
    assert!(Command::new("curl").arg("--version").output().is_ok(), "curl is not installed: this test needs it");
    let server = waymark::Server::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
    let url = format!("http://{}/upload", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve_with_shutdown(Forms::new(), async {
        let _ = stopped.await;
    }));
    let dir = std::env::temp_dir().join(format!("waymark-multipart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (small, big) = (dir.join("beach.jpg"), dir.join("big.bin"));
    std::fs::write(&small, (0..10_000u32).map(|i| (i % 251) as u8).collect::<Vec<_>>()).unwrap();
    std::fs::write(&big, vec![0u8; 20_000]).unwrap();
    let client = tokio::task::spawn_blocking(move || {
        let curl = |args: &[&str]| {
            let out = Command::new("curl")
                .args(["-sS", "--max-time", "5", "-w", "\n%{http_code}"])
                .args(args)
                .output()
                .unwrap();
            assert!(out.status.success(), "curl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            let out = String::from_utf8(out.stdout).unwrap();
            let (body, code) = out.rsplit_once('\n').unwrap();
            (code.to_owned(), body.to_owned())
        };
        let photo = format!("photo=@{};type=image/jpeg", small.display());
        let (code, body) = curl(&["-F", "title=holiday snaps", "-F", &photo, &url]);
        assert_eq!(code, "200", "{body}");
        let parts: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            parts,
            serde_json::json!([
                { "name": "title", "file": null, "type": null, "value": "holiday snaps" },
                { "name": "photo", "file": "beach.jpg", "type": "image/jpeg", "value": 10_000 },
            ])
        );
        // A file over the photo's 16 KiB.
        let (code, body) = curl(&["-F", &format!("photo=@{}", big.display()), &url]);
        assert_eq!((code.as_str(), body.as_str()), ("413", "request body is larger than 16384 bytes"));
        // curl's form sent as another type: 415 from the table's hook.
        let (code, _) = curl(&["-F", "title=x", "-H", "content-type: text/plain", &url]);
        assert_eq!(code, "415");
        let _ = std::fs::remove_dir_all(&dir);
    });
    tokio::time::timeout(Duration::from_secs(30), client).await.expect("curl finished in time").expect("client");
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), serving)
        .await
        .expect("shutdown in time")
        .expect("task")
        .expect("server");
}
