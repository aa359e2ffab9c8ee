//! Ranges in patterns (`{limit: u32 in 1..=100 = 20}`): the router refuses a value outside the
//! range with a `400` that names the parameter and the range, through the `rejection` hook, and an
//! out-of-range path value does not fall through to another route.

use std::time::Duration;

use waymark::test::TestClient;
use waymark::{IntoResponse, Json, Rejection, Response, StatusCode, routes};

routes! {
    Api;
    GET "/notes?{limit: u32 in 1..=100 = 20}&{after: Option<u64> in 1..}&{tag: Vec<u8> in ..10}"
        => async move { format!("limit={limit} after={after:?} tag={tag:?}") },
    GET "/notes/{id: u64 in 1..}" => async move { format!("note {id}") },
    GET "/notes/{*rest}" => async move { format!("rest {rest}") },
    GET "/t/{t: i32 in -5..5}" => async move { format!("t {t}") },
    GET "/small/{n: i8 in -128..=-100}" => async move { format!("n {n}") },
    GET "/x/{x: f64 in 0.0..=1.0}?{y: f32 in -0.5..0.5 = 0.0}" => async move { format!("x {x} y {y}") },
    GET "/page/{n: u16 in 1..10}" => async move { format!("page {n}") },
    GET "/big/{n: u128 in 340282366920938463463374607431768211450..}" => async move { format!("big {n}") },
}

/// The hook sees the rejection as data.
async fn as_json(rejection: Rejection) -> Response {
    let body = match &rejection {
        Rejection::OutOfRange { name, range, value, in_query } => {
            serde_json::json!({ "param": name, "range": range, "value": value, "query": in_query })
        }
        other => serde_json::json!({ "other": other.to_string() }),
    };
    (rejection.status(), Json(body)).into_response()
}

routes! {
    Hooked;
    GET "/items/{id: u32 in 1..=9}?{page: u8 in 1..=3 = 1}" => async move { format!("{id} {page}") },
    rejection => as_json(rejection),
}

async fn get(path: &str) -> (StatusCode, String) {
    let c = TestClient::new(Api::new());
    let res = c.get(path).send().await;
    (res.status(), res.text().to_owned())
}

#[tokio::test]
async fn values_in_the_range_reach_the_handler() {
    let ok = [
        ("/notes", "limit=20 after=None tag=[]"),
        ("/notes?limit=1", "limit=1 after=None tag=[]"),
        ("/notes?limit=100&after=1&tag=0&tag=9", "limit=100 after=Some(1) tag=[0, 9]"),
        ("/notes/1", "note 1"),
        ("/notes/18446744073709551615", "note 18446744073709551615"),
        ("/t/-5", "t -5"),
        ("/t/4", "t 4"),
        ("/small/-128", "n -128"),
        ("/small/-100", "n -100"),
        ("/x/0", "x 0 y 0"),
        ("/x/1.0?y=-0.5", "x 1 y -0.5"),
        ("/x/0.25?y=0.49", "x 0.25 y 0.49"),
        ("/page/9", "page 9"),
        ("/big/340282366920938463463374607431768211455", "big 340282366920938463463374607431768211455"),
    ];
    for (path, want) in ok {
        assert_eq!(get(path).await, (StatusCode::OK, want.to_owned()), "{path}");
    }
}

#[tokio::test]
async fn values_outside_are_a_400_naming_the_parameter_and_the_range() {
    let refused = [
        ("/notes?limit=0", "query parameter `limit` must be in 1..=100, got `0`"),
        ("/notes?limit=101", "query parameter `limit` must be in 1..=100, got `101`"),
        ("/notes?limit=007&after=0", "query parameter `after` must be in 1.., got `0`"),
        ("/notes?tag=1&tag=10&tag=11", "query parameter `tag` must be in ..10, got `10`"),
        ("/t/5", "path parameter `t` must be in -5..5, got `5`"),
        ("/t/-6", "path parameter `t` must be in -5..5, got `-6`"),
        ("/small/-99", "path parameter `n` must be in -128..=-100, got `-99`"),
        ("/x/1.5", "path parameter `x` must be in 0.0..=1.0, got `1.5`"),
        ("/x/-0.1", "path parameter `x` must be in 0.0..=1.0, got `-0.1`"),
        ("/x/NaN", "path parameter `x` must be in 0.0..=1.0, got `NaN`"),
        ("/x/0.5?y=0.5", "query parameter `y` must be in -0.5..0.5, got `0.5`"),
        ("/page/10", "path parameter `n` must be in 1..10, got `10`"),
        ("/page/0", "path parameter `n` must be in 1..10, got `0`"),
        ("/big/1", "path parameter `n` must be in 340282366920938463463374607431768211450.., got `1`"),
    ];
    for (path, want) in refused {
        assert_eq!(get(path).await, (StatusCode::BAD_REQUEST, want.to_owned()), "{path}");
    }
    // A value that does not parse is refused for its type, as before.
    assert_eq!(get("/notes?limit=x").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(
        get("/t/99999999999").await,
        (StatusCode::BAD_REQUEST, "invalid path parameter `t`: expected `i32`".into())
    );
}

/// The route matches on the type; the range is checked when the value is bound, so `/notes/0`
/// is refused by `/notes/{id: u64 in 1..}` and does not fall through to `/notes/{*rest}`, while
/// `/notes/x` (not a `u64`) does.
#[tokio::test]
async fn an_out_of_range_path_value_does_not_fall_through() {
    assert_eq!(get("/notes/0").await, (StatusCode::BAD_REQUEST, "path parameter `id` must be in 1.., got `0`".into()));
    assert_eq!(get("/notes/x").await, (StatusCode::OK, "rest x".into()));
}

#[tokio::test]
async fn the_rejection_hook_sees_the_range() {
    let c = TestClient::new(Hooked::new());
    c.get("/items/3?page=2").send().await.assert_status(StatusCode::OK).assert_text("3 2");
    c.get("/items/10")
        .send()
        .await
        .assert_status(StatusCode::BAD_REQUEST)
        .assert_json(&serde_json::json!({ "param": "id", "range": "1..=9", "value": "10", "query": false }));
    c.get("/items/9?page=4")
        .send()
        .await
        .assert_status(StatusCode::BAD_REQUEST)
        .assert_json(&serde_json::json!({ "param": "page", "range": "1..=3", "value": "4", "query": true }));
    let r = Rejection::OutOfRange { name: "page", range: "1..=3", value: "4".into(), in_query: true };
    assert_eq!(r.param(), Some("page"));
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

/// Over a real socket: the refusal is an ordinary response, and the connection goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_keeps_serving_after_a_refusal() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let server = waymark::Server::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
    let addr = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.serve_with_shutdown(Api::new(), async {
        let _ = stopped.await;
    }));
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let requests =
        "GET /page/42 HTTP/1.1\r\nhost: x\r\n\r\nGET /page/4 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
    stream.write_all(requests.as_bytes()).await.expect("write");
    let mut seen = String::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut seen));
    read.await.expect("answered in time").expect("read");
    let first = seen.find("HTTP/1.1 400 Bad Request").expect(&seen);
    let message = seen.find("path parameter `n` must be in 1..10, got `42`").expect(&seen);
    let second = seen.find("HTTP/1.1 200 OK").expect(&seen);
    assert!(first < message && message < second && seen.ends_with("page 4"), "{seen}");
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), task).await.expect("stopped").expect("task").expect("server");
}

#[test]
fn url_builders_take_the_declared_type() {
    // The range does not change the builders' signatures; a value outside builds a URL the router
    // refuses with `400`.
    routes! {
        Named;
        GET "/n/{id: u64 in 1..}" as note => async move { format!("{id}") },
    }
    assert_eq!(Named::note_url(0), "/n/0");
    assert_eq!(Named::note_url(7), "/n/7");
}
