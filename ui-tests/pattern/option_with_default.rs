use waymark::routes;

async fn ok() -> &'static str {
    "ok"
}

routes! {
    pub Api;
    GET "/users?{after: Option<u64> = 5}" => ok(),
}

fn main() {}
