//! The per-route metrics (feature `metrics`): series per route and status class, bounded by the
//! table, and one for requests no route answered.
#![cfg(feature = "metrics")]

use waymark::{Method, Request, Response, StatusCode, routes};

routes! {
    /// The table whose metrics the test reads.
    pub Counted;
    GET "/notes/{id: u64}" => async { "a note" },
    POST "/notes" => async { Response::text("no").with_status(StatusCode::CONFLICT) },
    GET "/metrics" => async { Counted::metrics().response() },
}

fn series(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.starts_with("http_server_requests_total")).collect()
}

#[tokio::test]
async fn series_are_per_route_and_bounded_by_the_table() {
    let api = Counted::new();
    for target in ["/notes/1", "/notes/2", "/notes/3"] {
        api.call(Request::new(Method::GET, target)).await;
    }
    api.call(Request::new(Method::POST, "/notes")).await;
    // A 404 flood and hostile paths: all in the one series of requests no route answered.
    for i in 0..50 {
        api.call(Request::new(Method::GET, &format!("/nowhere/{i}/%2e%2e/etc/passwd"))).await;
    }
    api.call(Request::new(Method::from_bytes(b"BREW").unwrap(), "/x")).await;
    let res: Response = api.call(Request::new(Method::GET, "/metrics")).await;
    assert_eq!(res.header("content-type"), Some(waymark::metrics::CONTENT_TYPE));
    let text = String::from_utf8(res.body_bytes().unwrap().to_vec()).unwrap();
    let lines = series(&text);
    assert!(
        lines.contains(&r#"http_server_requests_total{method="GET",route="/notes/{id}",status="2xx"} 3"#),
        "{text}"
    );
    assert!(lines.contains(&r#"http_server_requests_total{method="POST",route="/notes",status="4xx"} 1"#), "{text}");
    assert!(lines.contains(&r#"http_server_requests_total{method="_OTHER",route="",status="4xx"} 51"#), "{text}");
    // 3 routes and "no route", 5 status classes each: nothing a client sent made a series.
    assert_eq!(lines.len(), 4 * 5, "{text}");
    assert!(
        text.contains(r#"http_server_request_duration_seconds_count{method="GET",route="/notes/{id}"} 3"#),
        "{text}"
    );
}
