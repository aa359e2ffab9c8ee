use waymark::routes;

async fn ok() -> &'static str {
    "ok"
}

routes! {
    pub Api;
    get "/users" => ok(),
}

fn main() {}
