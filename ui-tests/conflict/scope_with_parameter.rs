use waymark::routes;

async fn ok() -> &'static str {
    "ok"
}

routes! {
    pub Api;
    GET "/users/{name}" => ok(),
    scope "/users/{id: u64}" {
        GET "" => ok(),
    }
}

fn main() {}
