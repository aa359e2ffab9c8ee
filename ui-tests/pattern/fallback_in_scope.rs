use waymark::routes;

async fn ok() -> &'static str {
    "ok"
}

routes! {
    pub Api;
    scope "/admin" {
        fallback => ok(),
    }
}

fn main() {}
