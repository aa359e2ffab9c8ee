use waymark::routes;

async fn ok() -> &'static str {
    "ok"
}

routes! {
    pub Api;
    scope "/admin/" {
        GET "/stats" => ok(),
    }
}

fn main() {}
