use waymark::routes;

async fn ok() -> &'static str {
    "ok"
}

routes! {
    pub Api;
    GET "/items/{id: u64}" => ok(),
    GET "/items/{slug}" => ok(),
}

fn main() {}
