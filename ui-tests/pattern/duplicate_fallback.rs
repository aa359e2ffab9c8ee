use waymark::routes;

async fn ok() -> &'static str {
    "ok"
}

routes! {
    pub Api;
    GET "/" => ok(),
    fallback => ok(),
    fallback => ok(),
}

fn main() {}
