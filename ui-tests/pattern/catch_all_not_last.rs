use waymark::routes;

async fn ok() -> &'static str {
    "ok"
}

routes! {
    pub Api;
    GET "/files/{*path}/raw" => ok(),
}

fn main() {}
