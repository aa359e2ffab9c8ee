//! `examples/files.rs` on the wire: uploads stream into the directory and are served back; an
//! existing name is 409; names outside the path rules, and dotfiles, are 400; a declared length
//! over the route's 1 GiB is 413 unread.

#[allow(dead_code, reason = "the example's `main` is not used here")]
#[path = "../examples/files.rs"]
mod files;

use std::time::Duration;

use files::Files;
use waymark::Server;
use waymark::fs::Dir;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_stream_in_and_come_back_out() {
    let root = std::env::temp_dir().join(format!("waymark-files-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    let server = Server::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve_with_shutdown(Files::new(Dir::new(&root)), async move {
        let _ = stopped.await;
    }));
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    let client = tokio::task::spawn_blocking(move || {
        let agent = ureq::Agent::new_with_config(ureq::Agent::config_builder().http_status_as_error(false).build());
        let put =
            |name: &str, body: &[u8]| agent.put(format!("{base}/upload/{name}")).send(body).unwrap().status().as_u16();
        let statuses = [put("data.bin", &data), put("data.bin", b"again"), put("..%2Fout", b"x"), put(".env", b"x")];
        let mut back = Vec::new();
        let res = agent.get(format!("{base}/static/data.bin")).call().unwrap();
        // A large file streams from disk with its length declared, not chunked.
        let length = res.headers().get("content-length").and_then(|v| v.to_str().ok()).map(str::to_owned);
        assert_eq!(length.as_deref(), Some("3000000"));
        assert!(res.headers().get("transfer-encoding").is_none());
        std::io::Read::read_to_end(&mut res.into_body().into_reader(), &mut back).unwrap();
        (statuses, back == data)
    });
    let (statuses, same) = tokio::time::timeout(Duration::from_secs(20), client).await.unwrap().unwrap();
    assert_eq!(statuses, [201, 409, 400, 400]);
    assert!(same, "the file served back differs from the upload");
    assert!(!root.join("../out").exists() && !root.join(".env").exists());
    let _ = stop.send(());
    let _ = serving.await;
    let _ = std::fs::remove_dir_all(&root);
}
