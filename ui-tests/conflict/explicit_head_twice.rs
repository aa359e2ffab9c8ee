use waymark::routes;

async fn ok() -> &'static str {
    "ok"
}

routes! {
    pub Api;
    GET "/page/{n: u32}" => ok(),
    HEAD "/page/{n: u32}" => ok(),
    HEAD "/page/{name}" => ok(),
}

fn main() {}
