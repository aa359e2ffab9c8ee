use waymark::routes;

async fn ok() -> &'static str {
    "ok"
}

routes! {
    pub Api;
    FETCH "/users" => ok(),
}

fn main() {}
