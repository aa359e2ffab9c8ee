use waymark::routes;

async fn ok() -> &'static str {
    "ok"
}

routes! {
    pub Api;
    GET "/users/{ids: Vec<u64>}" => ok(),
}

fn main() {}
