//! An application for the client's own tests.

use crate::header::{HeaderValue, SET_COOKIE};
use crate::test::TestClient;
use crate::{App, Body, Bytes, IntoResponse, Json, Request, Response, StatusCode};

/// Answers by path: enough behaviour to observe everything the client sends and receives.
#[derive(Debug)]
pub(super) struct Echo;

impl App for Echo {
    async fn handle(&self, req: &Request) -> Response {
        match req.path() {
            "/echo" => {
                let headers: Vec<(String, String)> = req
                    .headers()
                    .map(|(n, v)| (String::from_utf8_lossy(n).into(), String::from_utf8_lossy(v).into()))
                    .collect();
                Json(serde_json::json!({
                    "method": req.method().as_str(),
                    "target": req.target(),
                    "query": req.query(),
                    "headers": headers,
                    "body": String::from_utf8_lossy(req.body()),
                    "peer": req.peer_addr().map(|p| p.to_string()),
                }))
                .into_response()
            }
            "/stream" => {
                let (tx, body) = Body::channel(1);
                tokio::spawn(async move {
                    for part in ["one ", "two ", "three"] {
                        if tx.send(Bytes::from_static(part.as_bytes())).await.is_err() {
                            break;
                        }
                    }
                });
                Response::new(body)
            }
            "/cookies" => {
                let mut res = Response::text("");
                res.append_header(SET_COOKIE, HeaderValue::from_static("a=1"));
                res.append_header(SET_COOKIE, HeaderValue::from_static("b=2"));
                res
            }
            "/binary" => vec![0xff_u8, 0xfe].into_response(),
            "/big" => "x".repeat(3000).into_response(),
            _ => (StatusCode::NOT_FOUND, "no route here").into_response(),
        }
    }
}

pub(super) fn client() -> TestClient<Echo> {
    TestClient::new(Echo)
}
