//! Bodies, repeated query parameters, per-route body limits and the rejection hook.

use waymark::{Form, IntoResponse, Json, Method, Rejection, Request, Response, StatusCode, routes};

#[derive(serde::Deserialize, serde::Serialize)]
struct Login {
    user: String,
    remember: Option<bool>,
}

/// The app's own error shape, from the rejection as data.
async fn json_error(rejection: Rejection, req: &Request) -> Response {
    let body = serde_json::json!({
        "status": rejection.status().as_u16(),
        "error": rejection.to_string(),
        "param": rejection.param(),
        "raw": match &rejection {
            Rejection::PathParam { raw, .. } => Some(raw.clone()),
            Rejection::Query { raw, .. } => raw.clone(),
            _ => None,
        },
        "path": req.path(),
    });
    (rejection.status(), Json(body)).into_response()
}

routes! {
    /// Uses every extractor.
    pub(crate) Api;
    GET "/tags?{tag: Vec<String>}&{n: Vec<u8>}" as tags => async move { format!("{tag:?} {n:?}") },
    POST "/login" body: Form<Login> => async move { Json(body.0) },
    PUT "/small" body: String limit 8 B => async move { body },
    PUT "/json/{id: u32}" body: Json<Login> => async move { format!("{id} {}", body.0.user) },
    rejection => json_error(rejection, req),
}

routes! {
    /// Without a hook: the default plain-text answers.
    pub(crate) Plain;
    GET "/items/{id: u32}" => async move { format!("{id}") },
    PUT "/small" body: Vec<u8> limit 4 B => async move { format!("{}", body.len()) },
}

async fn send(req: Request) -> (StatusCode, serde_json::Value) {
    let res = Api::new().call(req).await;
    let body = res.body_bytes().cloned().unwrap_or_default();
    (res.status(), serde_json::from_slice(&body).unwrap_or_else(|_| String::from_utf8_lossy(&body).into()))
}

#[tokio::test]
async fn repeated_query_parameters_collect_in_order() {
    let (status, body) = send(Request::new(Method::GET, "/tags?tag=b&n=1&tag=a+c&n=2")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, Some(r#"["b", "a c"] [1, 2]"#)));
    let (_, body) = send(Request::new(Method::GET, "/tags")).await;
    assert_eq!(body.as_str(), Some("[] []"));
    assert_eq!(Api::tags_url(&["x y".into(), "&".into()], &[3]), "/tags?tag=x%20y&tag=%26&n=3");
}

#[tokio::test]
async fn the_hook_gets_each_rejection_as_data() {
    let (status, body) = send(Request::new(Method::GET, "/tags?n=300")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!((body["param"].as_str(), body["raw"].as_str()), (Some("n"), Some("300")));
    let (status, body) = send(Request::new(Method::PUT, "/json/x")).await;
    assert_eq!(
        (status, body["param"].as_str(), body["raw"].as_str()),
        (StatusCode::BAD_REQUEST, Some("id"), Some("x"))
    );
    let (status, body) = send(Request::new(Method::PUT, "/json/7").with_body("{}")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("expected `content-type: application/json`"))
    );
    let req = Request::new(Method::PUT, "/json/7").with_header("content-type", "application/json").with_body("{");
    let (status, body) = send(req).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().starts_with("invalid JSON body"), "{body}");
    let (status, body) = send(Request::new(Method::PUT, "/small").with_body("123456789")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("request body is larger than 8 bytes"))
    );
    let (status, body) = send(Request::new(Method::DELETE, "/small")).await;
    assert_eq!((status, body["path"].as_str()), (StatusCode::METHOD_NOT_ALLOWED, Some("/small")));
    let (status, _) = send(Request::new(Method::GET, "/nope")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn forms_parse_and_bad_forms_are_400_or_415() {
    let form = |body: &'static str| {
        Request::new(Method::POST, "/login")
            .with_header("content-type", "application/x-www-form-urlencoded")
            .with_body(body)
    };
    let (status, body) = send(form("user=ann+b%26c&remember=true")).await;
    assert_eq!((status, &body), (StatusCode::OK, &serde_json::json!({ "user": "ann b&c", "remember": true })));
    assert_eq!(send(form("remember=true")).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(send(form("user=a&remember=maybe")).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(send(form("%ff%fe=\u{0}")).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(
        send(Request::new(Method::POST, "/login").with_body("user=a")).await.0,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
}

#[tokio::test]
async fn without_a_hook_the_answers_stay_plain_text() {
    let res = Plain::new().call(Request::new(Method::GET, "/items/x")).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.body_bytes().map(|b| &b[..]), Some(&b"invalid path parameter `id`: expected `u32`"[..]));
    let res = Plain::new().call(Request::new(Method::PUT, "/small").with_body("12345")).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let res = Plain::new().call(Request::new(Method::PUT, "/small").with_body("1234")).await;
    assert_eq!(res.body_bytes().map(|b| &b[..]), Some(&b"4"[..]));
}
