use waymark::routes;

async fn ok() -> &'static str {
    "ok"
}

routes! {
    pub Api;
    GET "/users?{limit: u32 = twenty}" => ok(),
}

fn main() {}
