use waymark::routes;

async fn ok() -> &'static str {
    "ok"
}

routes! {
    pub Api;
    GET "/admin/stats" => ok(),
    scope "/admin" {
        GET "/stats" => ok(),
    }
}

fn main() {}
