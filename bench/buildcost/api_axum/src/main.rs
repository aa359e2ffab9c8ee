//! The same small API written with axum (the waymark twin is ../api_waymark).

mod handlers;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use handlers::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default = "twenty")]
    limit: u32,
    after: Option<u64>,
}

fn twenty() -> u32 {
    20
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let app = Router::new()
        .route("/", get(index))
        .route("/health", get(|| async { "ok" }))
        .route(
            "/users",
            get(|Query(q): Query<ListQuery>| async move { Json(list_users(q.limit, q.after).await) })
                .post(|Json(u): Json<User>| async move { (StatusCode::CREATED, Json(create_user(u).await)) }),
        )
        .route(
            "/users/{id}",
            get(|Path(id): Path<u64>| async move { Json(get_user(id).await) })
                .put(|Path(id): Path<u64>, Json(u): Json<User>| async move { Json(User { id, ..create_user(u).await }) })
                .delete(|Path(id): Path<u64>| delete_user(id)),
        )
        .route("/files/{*path}", get(|Path(p): Path<String>| async move { files(&p).await }))
        .route("/admin/stats", get(stats));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    axum::serve(listener, app).await
}
