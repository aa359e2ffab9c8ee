use waymark::routes;

async fn ok() -> &'static str {
    "ok"
}

routes! {
    pub Api;
    GET "/users" body: String => ok(),
}

fn main() {}
