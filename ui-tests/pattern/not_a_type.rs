use waymark::routes;

async fn ok() -> &'static str {
    "ok"
}

routes! {
    pub Api;
    GET "/users/{id: u 64}" => ok(),
}

fn main() {}
