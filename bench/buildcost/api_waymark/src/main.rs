//! A small API written with waymark (the axum twin is ../api_axum).

mod handlers;

use handlers::*;
use waymark::{Json, StatusCode, routes};

routes! {
    Api;
    GET    "/"                                              => index(),
    GET    "/health"                                        => async { "ok" },
    GET    "/users?{limit: u32 = 20}&{after: Option<u64>}"  => async move { Json(list_users(limit, after).await) },
    GET    "/users/{id: u64}"                               => async move { Json(get_user(id).await) },
    POST   "/users"              body: Json<User>           => async move { (StatusCode::CREATED, Json(create_user(body.0).await)) },
    PUT    "/users/{id: u64}"    body: Json<User>           => async move { Json(User { id, ..create_user(body.0).await }) },
    DELETE "/users/{id: u64}"                               => delete_user(id),
    GET    "/files/{*path}"                                 => files(path),
    scope "/admin" {
        GET "/stats" => stats(),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    waymark::Server::bind("127.0.0.1:0").await?.serve(Api::new()).await
}
