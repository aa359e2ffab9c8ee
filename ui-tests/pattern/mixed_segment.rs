use waymark::routes;

async fn ok() -> &'static str {
    "ok"
}

routes! {
    pub Api;
    GET "/files/{name}.txt" => ok(),
}

fn main() {}
