//! Every part of the DSL in one table.
use std::sync::atomic::{AtomicU64, Ordering};

use waymark::{Bytes, Html, Json, Next, Request, Response, StatusCode, routes};

#[derive(Default)]
struct Db {
    hits: AtomicU64,
}

#[derive(serde::Deserialize)]
struct NewUser {
    name: String,
}

async fn log(req: &Request, next: Next<'_>) -> Response {
    let _path = req.path().to_owned();
    next.run().await
}

async fn admin_only(db: &Db, req: &Request, next: Next<'_>) -> Response {
    db.hits.fetch_add(1, Ordering::Relaxed);
    match req.header("authorization") {
        Some(_) => next.run().await,
        None => Response::status_only(StatusCode::UNAUTHORIZED),
    }
}

async fn list(db: &Db, limit: u32, after: Option<u64>, q: String) -> Json<Vec<u64>> {
    let _ = (db, q);
    Json((0..u64::from(limit)).map(|i| i + after.unwrap_or(0)).collect())
}

async fn create(body: Json<NewUser>) -> Result<(StatusCode, String), (StatusCode, &'static str)> {
    if body.name.is_empty() { Err((StatusCode::UNPROCESSABLE_ENTITY, "empty name")) } else { Ok((StatusCode::CREATED, body.0.name)) }
}

routes! {
    /// The whole DSL.
    pub Api(state: Db);
    wrap log;

    GET "/" => async { Html("<h1>hi</h1>") },
    GET "/users?{limit: u32 = 20}&{after: Option<u64>}&{q: String = \"\"}" => list(state, limit, after, q),
    POST "/users" body: Json<NewUser> => create(body),
    PUT "/users/{id: u64}" body: String => async move { format!("{id}: {body}") },
    PATCH "/users/{id: u64}" body: Bytes => async move { body.len().to_string() },
    DELETE "/users/{id: u64}" body: Vec<u8> => async move { StatusCode::NO_CONTENT },
    GET "/users/{name: &str}/posts/{n: i32}" => async move { format!("{name} {n}") },
    HEAD "/users" => async { StatusCode::OK },
    OPTIONS "/special" => async { "options" },
    TRACE "/trace" => async { "trace" },
    GET "/files/{*path}" => async move { path.to_owned() },
    GET "/c/{c: char}/{b: bool}/{f: f64}/{ip: std::net::IpAddr}" => async move { format!("{c}{b}{f}{ip}") },
    scope "/admin" {
        wrap admin_only(state, req, next);
        GET "/stats" => async move { state.hits.load(Ordering::Relaxed).to_string() },
        scope "/users/{id: u64}" {
            GET "" => async move { id.to_string() },
            GET "/" => async move { format!("{id}/") },
        }
    }
    fallback => async move { (StatusCode::NOT_FOUND, format!("no route for {}", req.path())) },
}

fn main() {
    let app = Api::new(Db::default());
    assert_eq!(Api::ROUTES.len(), 15);
    let _ = app.state();
}
