//! Every endpoint of the `api` example, called in-process through `waymark::test`, error cases
//! included; and one test that serves the same application on a real socket and drives it with a
//! real HTTP client.
//!
//! The suite runs on SQLite, and on PostgreSQL too: `scripts/pg_tests.sh` runs it again with
//! `WAYMARK_TEST_DATABASE_URL` set (see `support/api_backend.rs`).

#[path = "../examples/api/app.rs"]
mod app;
#[path = "support/api_backend.rs"]
mod backend;

use std::time::Duration;

use app::{Api, Bookmark, ErrorBody, Page, RouteRow, Stats, Store, TagCount};
use serde_json::json;
use waymark::StatusCode;
use waymark::test::{TestClient, TestResponse};

const TOKEN: &str = "test-token";

/// The example's application with its three example bookmarks:
/// 1 `lang, rust`, 2 `docs, rust`, 3 `http, spec`; on the backend under test.
async fn client() -> TestClient<Api> {
    TestClient::new(Api::new(backend::store(TOKEN).await))
}

/// Asserts a JSON error with this status, and returns the error body.
#[track_caller]
fn error(res: &TestResponse, status: StatusCode) -> ErrorBody {
    res.assert_status(status).assert_header("content-type", "application/json");
    let body: ErrorBody = res.json();
    assert!(!body.error.is_empty(), "an error needs a message a client can show:\n{res}");
    body
}

fn ids(items: &[Bookmark]) -> Vec<u64> {
    items.iter().map(|b| b.id).collect()
}

fn bookmark_json(url: &str, title: &str, tags: &[&str]) -> serde_json::Value {
    json!({ "url": url, "title": title, "tags": tags })
}

#[tokio::test]
async fn index_serves_the_page_and_its_assets() {
    let c = client().await;
    let res = c.get("/").send().await;
    res.assert_status(StatusCode::OK)
        .assert_header("content-type", "text/html; charset=utf-8")
        .assert_text_contains("<title>waymark bookmarks</title>")
        .assert_text_contains(r#"<script src="/static/app.js"></script>"#);

    let js = c.get("/static/app.js").send().await;
    js.assert_status(StatusCode::OK)
        .assert_header("content-type", "text/javascript; charset=utf-8")
        .assert_text_contains("fetch(path, init)");
    c.get("/static/style.css")
        .send()
        .await
        .assert_status(StatusCode::OK)
        .assert_header("content-type", "text/css; charset=utf-8");
}

/// The page and its files come from `examples/api/assets/` through `waymark::fs::Dir`: the bytes
/// on disk, an `ETag` that answers `304`, and the checked-in `.gz` for a client that takes gzip,
/// which must still be its file compressed.
#[tokio::test]
async fn assets_are_files_with_etags_and_gzip() {
    use std::io::Read;

    let c = client().await;
    for (target, file) in [("/", "index.html"), ("/static/app.js", "app.js"), ("/static/style.css", "style.css")] {
        let on_disk = std::fs::read(std::path::Path::new(app::ASSETS).join(file)).expect("the asset");
        let plain = c.get(target).send().await;
        plain
            .assert_status(StatusCode::OK)
            .assert_header("vary", "accept-encoding")
            .assert_no_header("content-encoding");
        assert_eq!(plain.bytes().as_ref(), on_disk, "{target}");
        let etag = plain.header("etag").unwrap_or_else(|| panic!("{target}: no ETag:\n{plain}")).to_owned();
        let again = c.get(target).header("if-none-match", &etag).send().await;
        again.assert_status(StatusCode::NOT_MODIFIED);
        assert!(again.bytes().is_empty());

        let gz = c.get(target).header("accept-encoding", "gzip, deflate").send().await;
        gz.assert_status(StatusCode::OK)
            .assert_header("content-encoding", "gzip")
            .assert_header("content-type", plain.header("content-type").unwrap_or_default());
        assert_ne!(gz.header("etag"), Some(etag.as_str()), "{target}: each coding has its own tag");
        assert!(gz.bytes().len() < on_disk.len(), "{target}: gzip should be smaller");
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(gz.bytes().as_ref()).read_to_end(&mut unzipped).expect("valid gzip");
        assert!(
            unzipped == on_disk,
            "examples/api/assets/{file}.gz is stale: run `gzip -9nkf examples/api/assets/{file}`"
        );
    }
}

#[tokio::test]
async fn no_path_leaves_the_assets_directory() {
    let c = client().await;
    for target in [
        "/static/../Cargo.toml",
        "/static/..%2F..%2FCargo.toml",
        "/static/%2Fetc%2Fpasswd",
        "/static/js/app.js",
        "/static/nope.css",
        "/static/.hidden",
    ] {
        let res = c.get(target).send().await;
        res.assert_status(StatusCode::NOT_FOUND);
        assert!(!res.text().contains("[package]"), "{target}");
    }
}

#[tokio::test]
async fn head_is_get_without_the_body() {
    let c = client().await;
    for path in ["/", "/bookmarks", "/bookmarks/1"] {
        let get = c.get(path).send().await;
        let head = c.head(path).send().await;
        head.assert_status(StatusCode::OK).assert_header("content-length", &get.bytes().len().to_string());
        assert_eq!(head.header("content-type"), get.header("content-type"), "{path}");
        assert!(head.bytes().is_empty(), "{path}: HEAD must not have a body:\n{head}");
    }
    c.head("/bookmarks/99").send().await.assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn list_defaults_to_the_first_twenty() {
    let res = client().await.get("/bookmarks").send().await;
    res.assert_status(StatusCode::OK).assert_header("content-type", "application/json");
    let page: Page = res.json();
    assert_eq!(ids(&page.items), [1, 2, 3]);
    assert_eq!((page.total, page.limit, page.offset, page.next), (3, 20, 0, None));
    assert_eq!(page.items[0].tags, ["lang", "rust"]);
}

#[tokio::test]
async fn list_pages_by_following_next() {
    let c = client().await;
    let mut target = String::from("/bookmarks?limit=2");
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page: Page = c.get(&target).send().await.assert_status(StatusCode::OK).json();
        seen.extend(ids(&page.items));
        pages += 1;
        match page.next {
            Some(next) => target = next,
            None => break,
        }
        assert!(pages < 10, "next links never end");
    }
    assert_eq!((seen, pages), (vec![1, 2, 3], 2));

    let page: Page = c.get("/bookmarks").query("offset", 1).query("limit", 1).send().await.json();
    assert_eq!((ids(&page.items), page.next.as_deref()), (vec![2], Some("/bookmarks?limit=1&offset=2")));
    let page: Page = c.get("/bookmarks?offset=10").send().await.json();
    assert_eq!((page.items.len(), page.total), (0, 3));
}

#[tokio::test]
async fn list_filters_by_tag() {
    let c = client().await;
    let page: Page = c.get("/bookmarks?tag=rust").send().await.json();
    assert_eq!((ids(&page.items), page.total), (vec![1, 2], 2));
    let page: Page = c.get("/bookmarks?tag=RUST&limit=1").send().await.json();
    assert_eq!(page.next.as_deref(), Some("/bookmarks?limit=1&offset=1&tag=rust"));
    let page: Page = c.get("/bookmarks?tag=cobol").send().await.json();
    assert_eq!((page.items.len(), page.total), (0, 0));
    // Unknown query parameters are ignored.
    let page: Page = c.get("/bookmarks?sort=desc").send().await.json();
    assert_eq!(page.total, 3);
}

#[tokio::test]
async fn list_rejects_bad_query_parameters() {
    let c = client().await;
    // The range is in the pattern (`limit: u32 in 1..=100`): the router refuses, naming it.
    for target in ["/bookmarks?limit=0", "/bookmarks?limit=101", "/bookmarks.html?limit=0"] {
        let body = error(&c.get(target).send().await, StatusCode::BAD_REQUEST);
        assert_eq!(body.field.as_deref(), Some("limit"), "{target}");
        assert!(body.error.contains("1..=100"), "{target}: {}", body.error);
    }
    // These never reach the handler: the router rejects them, the table's `rejection` hook
    // answers in the API's JSON shape, naming the parameter.
    for (target, name) in [("/bookmarks?limit=ten", "limit"), ("/bookmarks?offset=-1", "offset")] {
        let body = error(&c.get(target).send().await, StatusCode::BAD_REQUEST);
        assert!(body.error.contains(name) && body.error.contains("u32"), "{target}: {}", body.error);
        assert_eq!(body.field.as_deref(), Some(name), "{target}");
    }
}

#[tokio::test]
async fn get_one_finds_by_id() {
    let c = client().await;
    let res = c.get("/bookmarks/3").send().await;
    res.assert_status(StatusCode::OK).assert_json(&json!({
        "id": 3,
        "url": "https://www.rfc-editor.org/rfc/rfc9110",
        "title": "RFC 9110: HTTP Semantics",
        "tags": ["http", "spec"],
        "href": "/bookmarks/3",
        "mine": false,
    }));
    let body = error(&c.get("/bookmarks/99").send().await, StatusCode::NOT_FOUND);
    assert_eq!(body.error, "no bookmark with id 99");
}

#[tokio::test]
async fn an_id_that_is_not_a_u64_is_a_400() {
    let c = client().await;
    for target in ["/bookmarks/abc", "/bookmarks/-1", "/bookmarks/1.5", "/bookmarks/18446744073709551616"] {
        let body = error(&c.get(target).send().await, StatusCode::BAD_REQUEST);
        assert!(body.error.contains("`id`") && body.error.contains("u64"), "{target}: {}", body.error);
    }
    error(&c.delete("/bookmarks/abc").send().await, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn create_returns_201_with_location() {
    let c = client().await;
    let res =
        c.post("/bookmarks").json(&bookmark_json(" https://example.com/a ", "Example ", &["Web", "web"])).send().await;
    res.assert_status(StatusCode::CREATED).assert_header("location", "/bookmarks/4");
    let created: Bookmark = res.json();
    let want = Bookmark::new(4, "https://example.com/a".into(), "Example".into(), vec!["web".into()]);
    assert_eq!(created, Bookmark { mine: true, ..want.clone() }, "the new session's own");

    let fetched: Bookmark = c.get("/bookmarks/4").send().await.assert_status(StatusCode::OK).json();
    assert_eq!(fetched, want);
    let page: Page = c.get("/bookmarks?tag=web").send().await.json();
    assert_eq!(ids(&page.items), [4]);
    // Tags are optional.
    let res = c.post("/bookmarks").json(&json!({ "url": "http://h", "title": "t" })).send().await;
    res.assert_status(StatusCode::CREATED).assert_header("location", "/bookmarks/5");
}

#[tokio::test]
async fn create_rejects_malformed_json_with_400() {
    let c = client().await;
    let cases = [
        "{",
        "",
        "[]",
        r#"{"url": "https://example.com"}"#,
        r#"{"url": "https://example.com", "title": 7}"#,
        r#"{"url": "https://example.com", "title": "t", "color": "red"}"#,
    ];
    for body in cases {
        let res = c.post("/bookmarks").header("content-type", "application/json").body(body).send().await;
        let err = error(&res, StatusCode::BAD_REQUEST);
        assert!(err.error.starts_with("invalid JSON body"), "{body:?}: {}", err.error);
    }
    let page: Page = c.get("/bookmarks").send().await.json();
    assert_eq!(page.total, 3, "nothing was stored");
}

#[tokio::test]
async fn create_requires_a_json_content_type() {
    let c = client().await;
    let body = r#"{"url": "https://example.com", "title": "t"}"#;
    for content_type in [Some("text/plain"), Some("application/x-www-form-urlencoded"), None] {
        let mut req = c.post("/bookmarks").body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let err = error(&req.send().await, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(err.error.contains("application/json"), "{content_type:?}: {}", err.error);
    }
    let res = c.post("/bookmarks").header("content-type", "application/json; charset=utf-8").body(body).send().await;
    res.assert_status(StatusCode::CREATED);
}

#[tokio::test]
async fn create_validates_fields_with_422() {
    let c = client().await;
    let cases = [
        (bookmark_json("ftp://example.com", "t", &[]), "url"),
        (bookmark_json("https://example.com", "   ", &[]), "title"),
        (bookmark_json("https://example.com", "t", &["two words"]), "tags"),
    ];
    for (input, field) in cases {
        let res = c.post("/bookmarks").json(&input).send().await;
        let err = error(&res, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err.field.as_deref(), Some(field), "{input}");
        res.assert_no_header("set-cookie"); // nothing stored, so no session either
    }
    let res = c.post("/bookmarks").json(&bookmark_json("https://example.com", "", &[])).send().await;
    res.assert_json(&json!({ "error": "title must not be empty", "field": "title" }));
    let page: Page = c.get("/bookmarks").send().await.json();
    assert_eq!(page.total, 3, "nothing was stored");
}

/// `Idempotency-Key`: a repeat with the same key and body gets the first answer again and
/// stores nothing, even when its JSON is written differently; the same key with another body is
/// a 422; a request without a key is never deduplicated.
#[tokio::test]
async fn a_repeat_with_the_same_idempotency_key_gets_the_first_answer() {
    let c = client().await;
    let body = bookmark_json("https://example.com/once", "Once", &["retry"]);
    let first = c.post("/bookmarks").header("idempotency-key", "key-1").json(&body).send().await;
    first.assert_status(StatusCode::CREATED).assert_header("location", "/bookmarks/4");
    assert!(first.header("set-cookie").is_some(), "a new session's cookie:\n{first}");
    let created: Bookmark = first.json();

    let again = c.post("/bookmarks").header("Idempotency-Key", "key-1").json(&body).send().await;
    again.assert_status(StatusCode::CREATED).assert_header("location", "/bookmarks/4").assert_no_header("set-cookie");
    assert_eq!(again.json::<Bookmark>(), created, "the first answer again");
    let reformatted = r#"{ "tags": ["retry"], "title": "Once",   "url": "https://example.com/once" }"#;
    let res = c
        .post("/bookmarks")
        .header("idempotency-key", "key-1")
        .header("content-type", "application/json")
        .body(reformatted)
        .send()
        .await;
    res.assert_status(StatusCode::CREATED).assert_header("location", "/bookmarks/4");

    let other = bookmark_json("https://example.com/other", "Other", &[]);
    let res = c.post("/bookmarks").header("idempotency-key", "key-1").json(&other).send().await;
    let err = error(&res, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err.field.as_deref(), Some("Idempotency-Key"), "{}", err.error);
    let page: Page = c.get("/bookmarks").send().await.json();
    assert_eq!(ids(&page.items), [1, 2, 3, 4], "one row for the key, none for the refused body");

    // Another key, or none, is another bookmark, even with the same body.
    let res = c.post("/bookmarks").header("idempotency-key", "key-2").json(&body).send().await;
    res.assert_status(StatusCode::CREATED).assert_header("location", "/bookmarks/5");
    c.post("/bookmarks").json(&body).send().await.assert_header("location", "/bookmarks/6");
    c.post("/bookmarks").json(&body).send().await.assert_header("location", "/bookmarks/7");
    // A body that fails validation stores no key: the same key then works for a good body.
    let bad = bookmark_json("nope", "Bad", &[]);
    let res = c.post("/bookmarks").header("idempotency-key", "key-3").json(&bad).send().await;
    assert_eq!(error(&res, StatusCode::UNPROCESSABLE_ENTITY).field.as_deref(), Some("url"));
    let res = c.post("/bookmarks").header("idempotency-key", "key-3").json(&other).send().await;
    res.assert_status(StatusCode::CREATED).assert_header("location", "/bookmarks/8");
}

/// A retry that races its first try (a client that timed out and sent again while the first
/// request was still running) waits for it and gets its answer: one row for the key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_repeats_of_one_key_make_one_bookmark() {
    let c = client().await;
    let body = bookmark_json("https://example.com/race", "Race", &[]);
    let send = || c.post("/bookmarks").header("idempotency-key", "race").json(&body).send();
    let (first, second, third, fourth) = tokio::join!(send(), send(), send(), send());
    for res in [&first, &second, &third, &fourth] {
        res.assert_status(StatusCode::CREATED).assert_header("location", "/bookmarks/4");
    }
    let page: Page = c.get("/bookmarks").send().await.json();
    assert_eq!(page.total, 4, "{:?}", ids(&page.items));
}

/// A malformed `Idempotency-Key` is a 400 that names the header, and stores nothing.
#[tokio::test]
async fn a_malformed_idempotency_key_is_a_400_naming_the_header() {
    let c = client().await;
    let body = bookmark_json("https://example.com/k", "K", &[]);
    let long = "k".repeat(256);
    for key in [&b""[..], b"two words", "\u{fc}ber".as_bytes(), b"tab\there", long.as_bytes()] {
        let res = c.post("/bookmarks").header("idempotency-key", key).json(&body).send().await;
        let err = error(&res, StatusCode::BAD_REQUEST);
        assert_eq!(err.field.as_deref(), Some("Idempotency-Key"), "{key:?}: {}", err.error);
        assert!(err.error.contains("`Idempotency-Key`"), "{key:?}: {}", err.error);
    }
    let res =
        c.post("/bookmarks").header("idempotency-key", "a").header("idempotency-key", "b").json(&body).send().await;
    assert_eq!(error(&res, StatusCode::BAD_REQUEST).field.as_deref(), Some("Idempotency-Key"));
    // The longest key there may be is fine.
    let res = c.post("/bookmarks").header("idempotency-key", &long[1..]).json(&body).send().await;
    res.assert_status(StatusCode::CREATED);
    let page: Page = c.get("/bookmarks").send().await.json();
    assert_eq!(page.total, 4);
}

#[tokio::test]
async fn replace_updates_an_existing_bookmark() {
    let c = client().await;
    let res =
        c.put("/bookmarks/2").json(&bookmark_json("https://docs.rs/waymark", "waymark docs", &["rust"])).send().await;
    res.assert_status(StatusCode::OK);
    let want = Bookmark::new(2, "https://docs.rs/waymark".into(), "waymark docs".into(), vec!["rust".into()]);
    assert_eq!(res.json::<Bookmark>(), want);
    assert_eq!(c.get("/bookmarks/2").send().await.json::<Bookmark>(), want);

    let res = c.put("/bookmarks/99").json(&bookmark_json("https://x.example", "x", &[])).send().await;
    assert_eq!(error(&res, StatusCode::NOT_FOUND).error, "no bookmark with id 99");
    let res = c.put("/bookmarks/2").json(&bookmark_json("nope", "x", &[])).send().await;
    assert_eq!(error(&res, StatusCode::UNPROCESSABLE_ENTITY).field.as_deref(), Some("url"));
    let res = c.put("/bookmarks/2").header("content-type", "text/plain").body("x").send().await;
    error(&res, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(c.get("/bookmarks/2").send().await.json::<Bookmark>(), want, "failed updates change nothing");
}

#[tokio::test]
async fn delete_removes_once() {
    let c = client().await;
    let res = c.delete("/bookmarks/1").send().await;
    res.assert_status(StatusCode::NO_CONTENT);
    assert!(res.bytes().is_empty());
    error(&c.get("/bookmarks/1").send().await, StatusCode::NOT_FOUND);
    let body = error(&c.delete("/bookmarks/1").send().await, StatusCode::NOT_FOUND);
    assert_eq!(body.error, "no bookmark with id 1");
    let page: Page = c.get("/bookmarks").send().await.json();
    assert_eq!(ids(&page.items), [2, 3]);
}

#[tokio::test]
async fn tags_count_and_by_tag_lists() {
    let c = client().await;
    let counts: Vec<TagCount> = c.get("/tags").send().await.assert_status(StatusCode::OK).json();
    let pairs: Vec<(&str, usize)> = counts.iter().map(|t| (t.tag.as_str(), t.count)).collect();
    assert_eq!(pairs, [("docs", 1), ("http", 1), ("lang", 1), ("rust", 2), ("spec", 1)]);

    let items: Vec<Bookmark> = c.get("/tags/rust").send().await.assert_status(StatusCode::OK).json();
    assert_eq!(ids(&items), [1, 2]);
    let body = error(&c.get("/tags/cobol").send().await, StatusCode::NOT_FOUND);
    assert_eq!(body.error, r#"no bookmark is tagged "cobol""#);
}

#[tokio::test]
async fn wrong_method_is_405_with_allow() {
    let c = client().await;
    let cases = [
        (c.delete("/bookmarks"), &["GET", "POST"][..], "DELETE"),
        (c.patch("/bookmarks/1"), &["GET", "PUT", "DELETE"][..], "PATCH"),
        (c.post("/tags/rust"), &["GET"][..], "POST"),
        (c.put("/"), &["GET"][..], "PUT"),
    ];
    for (req, allowed, sent) in cases {
        let res = req.send().await;
        error(&res, StatusCode::METHOD_NOT_ALLOWED);
        let allow = res.header("allow").unwrap_or_else(|| panic!("405 without `Allow`:\n{res}"));
        let allow: Vec<&str> = allow.split(',').map(str::trim).collect();
        for method in allowed {
            assert!(allow.contains(method), "`Allow: {allow:?}` lacks {method}");
        }
        assert!(!allow.contains(&sent), "`Allow: {allow:?}` lists {sent}");
    }
}

#[tokio::test]
async fn options_lists_the_methods() {
    let res = client().await.options("/bookmarks/1").send().await;
    res.assert_status(StatusCode::NO_CONTENT);
    let allow = res.header("allow").unwrap_or_default();
    for method in ["GET", "PUT", "DELETE"] {
        assert!(allow.contains(method), "`Allow: {allow}` lacks {method}");
    }
}

#[tokio::test]
async fn unknown_paths_get_the_json_fallback() {
    let c = client().await;
    for (req, what) in [
        (c.get("/nope"), "GET /nope"),
        (c.post("/bookmarks/1/comments"), "POST /bookmarks/1/comments"),
        // No silent redirects: a trailing slash is another path.
        (c.get("/tags/rust/"), "GET /tags/rust/"),
        // A parameter needs a non-empty segment, so this is not a bad `id`.
        (c.get("/bookmarks/"), "GET /bookmarks/"),
        (c.get("/admin"), "GET /admin"),
    ] {
        let res = req.send().await;
        res.assert_json(&json!({ "error": format!("no route for {what}") }));
        res.assert_status(StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn admin_needs_the_bearer_token() {
    let c = client().await;
    for auth in [None, Some("Bearer wrong"), Some("Bearer "), Some("test-token"), Some("Basic dGVzdC10b2tlbg==")] {
        let mut req = c.get("/admin/stats");
        if let Some(auth) = auth {
            req = req.header("authorization", auth);
        }
        let res = req.send().await;
        error(&res, StatusCode::UNAUTHORIZED);
        res.assert_header("www-authenticate", r#"Bearer realm="admin""#);
    }
    // The scope's middleware is around its routes only: elsewhere no token is needed.
    c.get("/bookmarks").send().await.assert_status(StatusCode::OK);
    // And an unknown path under `/admin` is the fallback's 404, not a 401.
    error(&c.get("/admin/nope").send().await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn admin_stats_count_changes() {
    let c = client().await;
    c.post("/bookmarks")
        .json(&bookmark_json("https://a.example", "A", &["new"]))
        .send()
        .await
        .assert_status(StatusCode::CREATED);
    c.delete("/bookmarks/1").send().await.assert_status(StatusCode::NO_CONTENT);
    let res = c
        .get("/admin/stats")
        .header("authorization", format!("Bearer {TOKEN}"))
        .peer_addr("127.0.0.1:4242".parse().unwrap())
        .send()
        .await;
    let stats: Stats = res.assert_status(StatusCode::OK).json();
    assert_eq!((stats.bookmarks, stats.tags, stats.created, stats.deleted), (3, 5, 4, 1));
    assert_eq!(stats.client.as_deref(), Some("127.0.0.1:4242"));
}

#[tokio::test]
async fn admin_routes_lists_the_route_table() {
    let res = client().await.get("/admin/routes").header("authorization", format!("Bearer {TOKEN}")).send().await;
    let rows: Vec<RouteRow> = res.assert_status(StatusCode::OK).json();
    let table: Vec<(&str, &str)> = rows.iter().map(|r| (r.method.as_str(), r.pattern.as_str())).collect();
    assert_eq!(
        table,
        [
            ("GET", "/"),
            ("GET", "/bookmarks?{limit: u32 in 1..=100 = 20}&{offset: u32 = 0}&{tag: Option<String>}"),
            ("GET", "/bookmarks/{id: u64}"),
            ("GET", "/bookmarks.html?{limit: u32 in 1..=100 = 20}&{offset: u32 = 0}&{tag: Option<String>}"),
            ("POST", "/bookmarks"),
            ("PUT", "/bookmarks/{id: u64}"),
            ("DELETE", "/bookmarks/{id: u64}"),
            ("GET", "/tags"),
            ("GET", "/tags/{name}"),
            ("GET", "/events"),
            ("GET", "/static/{*path}"),
            ("GET", "/admin/stats"),
            ("GET", "/admin/routes"),
            ("GET", "/admin/metrics"),
            ("GET", "/openapi.json"),
        ]
    );
    assert_eq!(rows[2].handler, "get_one(state, id, session)", "the handler expression as written");
    assert_eq!(rows[12].handler, "route_table(admin)");
}

#[tokio::test]
async fn admin_metrics_count_by_route_and_never_by_path() {
    let client = client().await;
    assert_eq!(client.get("/admin/metrics").send().await.status(), StatusCode::UNAUTHORIZED);
    client.get("/bookmarks/1").send().await.assert_status(StatusCode::OK);
    for path in ["/nowhere", "/%2e%2e/%2e%2e/etc/passwd", "/bookmarks/1/../../x"] {
        client.get(path).send().await.assert_status(StatusCode::NOT_FOUND);
    }
    let res = client.get("/admin/metrics").header("authorization", format!("Bearer {TOKEN}")).send().await;
    assert_eq!(res.assert_status(StatusCode::OK).header("content-type"), Some(waymark::metrics::CONTENT_TYPE));
    let text = res.text();
    // Other tests in this binary use the same table, so counts are at least this test's own.
    let count = |labels: &str| -> u64 {
        let prefix = format!("http_server_requests_total{{{labels}}} ");
        text.lines().find_map(|l| l.strip_prefix(prefix.as_str())).and_then(|n| n.parse().ok()).unwrap_or(0)
    };
    assert!(count(r#"method="GET",route="/bookmarks/{id}",status="2xx""#) >= 1, "{text}");
    assert!(count(r#"method="_OTHER",route="",status="4xx""#) >= 3, "{text}");
    let series = text.lines().filter(|l| l.starts_with("http_server_requests_total")).count();
    assert_eq!(series, (Api::ROUTES.len() + 1) * 5, "one series per route and status class, and no route's");
    assert!(!text.contains("passwd") && !text.contains("nowhere"));
}

/// The same application on a real socket, driven by a real HTTP client (`ureq`, blocking, on its
/// own thread): create, read, list, delete, an error, and a graceful shutdown. Every step is
/// bounded by a timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn end_to_end_over_a_real_socket() {
    let server = Running::start(backend::store(TOKEN).await).await;
    let base = format!("http://{}", server.addr);
    with_client(move |agent| {
        let mut res = agent
            .post(format!("{base}/bookmarks"))
            .header("content-type", "application/json")
            .send(r#"{"url": "https://example.com/", "title": "Over the wire", "tags": ["e2e"]}"#)
            .expect("POST /bookmarks");
        assert_eq!(res.status(), 201);
        assert_eq!(res.headers().get("location").and_then(|v| v.to_str().ok()), Some("/bookmarks/4"));
        let created: Bookmark = res.body_mut().read_json().unwrap();
        assert_eq!((created.id, created.title.as_str()), (4, "Over the wire"));

        let mut res = agent.get(format!("{base}/bookmarks?tag=e2e")).call().expect("GET /bookmarks");
        assert_eq!(res.status(), 200);
        let page: Page = res.body_mut().read_json().unwrap();
        assert_eq!(ids(&page.items), [4]);

        let res = agent.delete(format!("{base}/bookmarks/4")).call().expect("DELETE");
        assert_eq!(res.status(), 204);

        let mut res = agent.get(format!("{base}/bookmarks/abc")).call().expect("GET bad id");
        assert_eq!(res.status(), 400);
        let err: ErrorBody = res.body_mut().read_json().unwrap();
        assert!(err.error.contains("u64"), "{}", err.error);

        let mut res = agent.get(format!("{base}/")).call().expect("GET /");
        assert_eq!(res.status(), 200);
        assert!(res.body_mut().read_to_string().unwrap().contains("<title>waymark bookmarks</title>"));
    })
    .await;
    server.stop().await;
}

/// The server-rendered page lists what the API lists, with links built by the URL builders, and
/// escapes what clients wrote: a hostile title is text, not a script.
#[tokio::test]
async fn server_rendered_page_escapes_every_value() {
    let c = client().await;
    let hostile = "<script>alert(1)</script>";
    let res =
        c.post("/bookmarks").json(&bookmark_json("https://evil.example/?a=1&b=\"2\"", hostile, &["xss"])).send().await;
    res.assert_status(StatusCode::CREATED);

    let res = c.get("/bookmarks.html").send().await;
    res.assert_status(StatusCode::OK)
        .assert_header("content-type", "text/html; charset=utf-8")
        .assert_text_contains("<title>Bookmarks · waymark</title>")
        .assert_text_contains(r#"<link rel="stylesheet" href="/static/style.css">"#)
        .assert_text_contains(r#"<a href="https://www.rust-lang.org/">Rust</a>"#)
        .assert_text_contains(r#"<a class="tag" href="/bookmarks.html?tag=rust">rust</a>"#)
        .assert_text_contains("&#60;script&#62;alert(1)&#60;/script&#62;")
        .assert_text_contains(r#"href="https://evil.example/?a=1&#38;b=&#34;2&#34;""#)
        .assert_text_contains("4 bookmarks");
    assert!(!res.text().contains(hostile), "the title went out unescaped:\n{res}");
    assert!(!res.text().contains("<script"), "a page without JavaScript has no script:\n{res}");

    // The filter's own value is echoed, escaped too; an empty one (the form's "All") is no filter.
    let res = c.get("/bookmarks.html").query("tag", "\"><script>").send().await;
    res.assert_status(StatusCode::OK).assert_text_contains("value=\"&#34;&#62;&#60;script&#62;\"");
    assert!(!res.text().contains("<script"));
    c.get("/bookmarks.html?tag=").send().await.assert_text_contains("4 bookmarks");
}

#[tokio::test]
async fn server_rendered_page_links_its_pages() {
    let c = client().await;
    let first = c.get("/bookmarks.html?limit=2").send().await;
    first
        .assert_status(StatusCode::OK)
        .assert_text_contains(r#"<a class="button" rel="next" href="/bookmarks.html?limit=2&#38;offset=2">Next</a>"#);
    assert!(!first.text().contains("rel=\"prev\""), "{first}");
    let second = c.get("/bookmarks.html?limit=2&offset=2").send().await;
    second
        .assert_text_contains(r#"rel="prev" href="/bookmarks.html?limit=2&#38;offset=0""#)
        .assert_text_contains("RFC 9110");
    assert!(!second.text().contains("rel=\"next\""), "{second}");
    let tagged = c.get("/bookmarks.html?tag=RUST").send().await;
    tagged.assert_text_contains("2 bookmarks tagged rust").assert_text_contains("Docs.rs");
    assert!(!tagged.text().contains("RFC 9110"));
    // The same checks as the JSON list, in the same words.
    error(&c.get("/bookmarks.html?limit=0").send().await, StatusCode::BAD_REQUEST);
}

/// A server on `127.0.0.1:0` for `store`, until `stop` is called.
struct Running {
    addr: std::net::SocketAddr,
    closer: app::Closer,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    async fn start(store: Store) -> Self {
        let server = waymark::Server::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let addr = server.local_addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let closer = store.closer();
        let task = tokio::spawn(server.serve_with_shutdown(Api::new(store), async {
            let _ = stopped.await;
        }));
        Self { addr, closer, stop, task }
    }

    /// Stops gracefully (ending the open event streams, as the example does), within 10 seconds.
    async fn stop(self) {
        self.closer.close();
        let _ = self.stop.send(());
        let result = tokio::time::timeout(Duration::from_secs(10), self.task).await.expect("graceful shutdown in time");
        result.expect("server task").expect("server");
    }
}

/// A directory of its own under the system's temporary directory, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!("waymark-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a blocking HTTP client on its own thread, for at most 30 seconds.
async fn with_client<T: Send + 'static>(f: impl FnOnce(ureq::Agent) -> T + Send + 'static) -> T {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    let client = tokio::task::spawn_blocking(move || f(agent));
    tokio::time::timeout(Duration::from_secs(30), client).await.expect("the client finished in time").expect("client")
}

/// The bookmarks live in the database file, not in the process: one added before a graceful stop
/// is there after a new start on the same file, and the example rows are not added twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_survives_a_restart() {
    let dir = TempDir::new("api-restart");
    let database = backend::Persistent::new(&dir.0).await;

    let first = Running::start(database.open(TOKEN).await).await;
    let base = format!("http://{}", first.addr);
    let (created, cookie): (Bookmark, String) = with_client(move |agent| {
        let mut res = agent
            .post(format!("{base}/bookmarks"))
            .header("content-type", "application/json")
            .send(r#"{"url": "https://example.com/kept", "title": "Kept across a restart", "tags": ["kept"]}"#)
            .expect("POST /bookmarks");
        assert_eq!(res.status(), 201);
        let set_cookie = res.headers().get("set-cookie").and_then(|v| v.to_str().ok()).expect("a session cookie");
        let cookie = set_cookie.split(';').next().unwrap_or_default().to_owned();
        (res.body_mut().read_json().expect("the created bookmark"), cookie)
    })
    .await;
    first.stop().await;

    let second = Running::start(database.open(TOKEN).await).await;
    let base = format!("http://{}", second.addr);
    let id = created.id;
    let (fetched, page) = with_client(move |agent| {
        // The session cookie still reads after the restart: its key is in the database too.
        let mut res =
            agent.get(format!("{base}/bookmarks/{id}")).header("cookie", cookie).call().expect("GET /bookmarks/{id}");
        assert_eq!(res.status(), 200);
        let fetched: Bookmark = res.body_mut().read_json().expect("the bookmark");
        let mut res = agent.get(format!("{base}/bookmarks")).call().expect("GET /bookmarks");
        let page: Page = res.body_mut().read_json().expect("a page");
        (fetched, page)
    })
    .await;
    second.stop().await;

    assert!(created.mine);
    assert_eq!(fetched, created);
    assert_eq!(ids(&page.items), [1, 2, 3, 4], "three example bookmarks, seeded once, and ours");
}

/// Reads from `stream` into `seen` until it contains `needle`, for at most 5 seconds.
async fn read_until(stream: &mut tokio::net::TcpStream, seen: &mut String, needle: &str) {
    use tokio::io::AsyncReadExt;
    let read = async {
        let mut buf = [0; 4096];
        while !seen.contains(needle) {
            let n = stream.read(&mut buf).await.expect("read the event stream");
            assert!(n > 0, "the stream ended before {needle:?}; got:\n{seen}");
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    };
    tokio::time::timeout(Duration::from_secs(5), read).await.unwrap_or_else(|_| panic!("no {needle:?} in:\n{seen}"));
}

/// `GET /events` on a real socket: a change made by another client arrives as an event (added,
/// updated, deleted), and a graceful stop ends the open stream at once instead of waiting out the
/// server's grace period.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_tell_every_client_about_changes() {
    use tokio::io::AsyncWriteExt;

    let server = Running::start(backend::store(TOKEN).await).await;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.expect("connect");
    stream.write_all(b"GET /events HTTP/1.1\r\nhost: test\r\n\r\n").await.expect("send the request");
    let mut seen = String::new();
    read_until(&mut stream, &mut seen, "retry: 1000").await;
    assert!(seen.starts_with("HTTP/1.1 200"), "{seen}");
    assert!(seen.to_ascii_lowercase().contains("content-type: text/event-stream"), "{seen}");

    let base = format!("http://{}", server.addr);
    with_client(move |agent| {
        let res = agent
            .post(format!("{base}/bookmarks"))
            .header("content-type", "application/json")
            .send(r#"{"url": "https://example.com/live", "title": "Live", "tags": []}"#)
            .expect("POST");
        assert_eq!(res.status(), 201);
        let res = agent
            .put(format!("{base}/bookmarks/4"))
            .header("content-type", "application/json")
            .send(r#"{"url": "https://example.com/live", "title": "Live, renamed", "tags": []}"#)
            .expect("PUT");
        assert_eq!(res.status(), 200);
        assert_eq!(agent.delete(format!("{base}/bookmarks/4")).call().expect("DELETE").status(), 204);
        // A failed delete changes nothing, so it sends nothing.
        assert_eq!(agent.delete(format!("{base}/bookmarks/4")).call().expect("DELETE").status(), 404);
    })
    .await;
    read_until(&mut stream, &mut seen, "event: deleted\ndata: {\"id\":4}\n\n").await;
    let added = seen.find("event: added\ndata: {\"id\":4,").expect("an added event");
    let updated = seen.find("event: updated\ndata: {\"id\":4,").expect("an updated event");
    assert!(added < updated && seen[updated..].contains("Live, renamed"), "{seen}");
    assert_eq!(seen.matches("event: deleted").count(), 1, "{seen}");

    let started = std::time::Instant::now();
    server.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the open stream held the shutdown for {:?}",
        started.elapsed()
    );
}

/// The same feed in-process, read event by event with the test client's stream: no socket and
/// no hand-written HTTP.
#[tokio::test]
async fn events_read_in_process_one_by_one() {
    let client = client().await;
    let mut feed = client.get("/events").stream().await;
    feed.assert_status(StatusCode::OK).assert_header("content-type", "text/event-stream");
    client
        .post("/bookmarks")
        .json(&bookmark_json("https://example.com/streamed", "Streamed", &[]))
        .send()
        .await
        .assert_status(StatusCode::CREATED);
    let added = feed.event().await.expect("an event before the stream ends");
    assert_eq!(added.event, "added");
    assert_eq!(added.retry, Some(Duration::from_secs(1)), "the feed sets the reconnection time");
    let bookmark: serde_json::Value = serde_json::from_str(&added.data).expect("JSON data");
    assert_eq!(bookmark["title"], "Streamed");
    client.delete(&format!("/bookmarks/{}", bookmark["id"])).send().await.assert_status(StatusCode::NO_CONTENT);
    let deleted = feed.event().await.expect("a second event");
    assert_eq!(
        (deleted.event.as_str(), deleted.data.as_str()),
        ("deleted", &*format!("{{\"id\":{}}}", bookmark["id"]))
    );
}

/// The README's example is `examples/hello.rs` verbatim, so the README cannot show code that
/// does not compile.
#[test]
fn readme_shows_the_hello_example_verbatim() {
    let readme = include_str!("../README.md");
    let hello = include_str!("../examples/hello.rs");
    assert!(readme.contains(&format!("```rust\n{hello}```")), "README.md must quote examples/hello.rs exactly");
}

/// The example's contract, locked: `examples/api/openapi.json` is the committed document. A
/// compatible change fails until the file is refreshed (`WAYMARK_UPDATE_LOCK=1 cargo test --test
/// api`); a breaking one fails with the list of what breaks.
#[test]
fn the_contract_is_locked() {
    let lock = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/api/openapi.json");
    if let Err(e) = waymark::openapi::check_lock(lock, &app::idempotency::document()) {
        panic!("{e}");
    }
}

#[tokio::test]
async fn openapi_json_describes_every_route() {
    let doc: serde_json::Value = client().await.get("/openapi.json").send().await.assert_status(StatusCode::OK).json();
    assert_eq!(doc["openapi"], "3.1.0");
    let operations: usize =
        doc["paths"].as_object().unwrap().values().map(|item| item.as_object().unwrap().len()).sum();
    assert_eq!(operations, Api::ROUTES.len());
    let list = &doc["paths"]["/bookmarks"]["get"];
    assert_eq!(list["operationId"], "bookmarks");
    assert_eq!(list["parameters"][0]["schema"]["default"], 20);
}
