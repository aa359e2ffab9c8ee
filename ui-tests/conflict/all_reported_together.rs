use waymark::routes;

async fn ok() -> &'static str {
    "ok"
}

routes! {
    pub Api;
    GET "/a" => ok(),
    GET "/a" => ok(),
    POST "/b/{x}" => ok(),
    POST "/b/{y}" => ok(),
    DELETE "/c/{*r}" => ok(),
    DELETE "/c/{*s}" => ok(),
}

fn main() {}
