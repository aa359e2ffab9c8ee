use waymark::routes;

async fn ok() -> &'static str {
    "ok"
}

routes! {
    pub Api;
    GET "/files/{*path}" => ok(),
    GET "/files/{*rest}" => ok(),
}

fn main() {}
