use waymark::routes;

routes! {
    pub Api;
    GET "/items/{id: u64 in 1..10}" => async { "low" },
    GET "/items/{id: u64 in 10..}" => async { "high" },
}

fn main() {}
