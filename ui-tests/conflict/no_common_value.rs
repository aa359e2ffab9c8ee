use waymark::routes;

async fn ok() -> &'static str {
    "ok"
}

routes! {
    pub Api;
    GET "/flags/{on: bool}" => ok(),
    GET "/flags/{n: u8}" => ok(),
}

fn main() {}
