use waymark::routes;

async fn ok() -> &'static str {
    "ok"
}

routes! {
    pub Api;
    GET "/users/{id}/posts/{id: u64}" => ok(),
}

fn main() {}
